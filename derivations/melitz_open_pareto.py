"""Main job: derive the open-economy Melitz model under Pareto and solve one example.

Declares the primitives (CES preferences, technology f + q/phi, Pareto
productivity, free entry with exit delta, n+1 symmetric countries), lets sympy
derive every equilibrium condition, prints the derivation and the closed forms,
solves an example (the Balistreri-Rutherford calibration sigma = 3.8, k = 4.6)
and writes docs/derivations/melitz-pareto.md (and .pdf with pdflatex).

Run:  python derivations/melitz_open_pareto.py
"""

import melitz_sym as ms

STEM = "melitz-pareto"
EXAMPLE = dict(sigma="3.8", k="4.6", b="0.5", f="1", f_x="1.5", f_e="0.05", delta="0.1",
               tau="1.5", n="1", L="100")


def declare() -> ms.Model:
    """Melitz (2003) with n+1 symmetric countries and Pareto(k, b) productivity."""
    return ms.model("melitz", dist=ms.Pareto())


if __name__ == "__main__":
    from build_docs import literate_main

    literate_main(declare(), STEM, EXAMPLE)
