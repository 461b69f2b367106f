"""Derive the closed-economy Melitz (2003) model under Pareto productivity.

Declares CES preferences, technology f + q/phi, Pareto(k, b) productivity and free
entry with exit probability delta in one country; sympy derives the cutoff, the
averages, the masses, the price index and welfare.

Run:  python derivations/melitz_closed_pareto.py
"""

import melitz_sym as ms

STEM = "melitz-closed-pareto"
EXAMPLE = dict(sigma="3.8", k="4.6", b="0.5", f="1", f_e="0.05", delta="0.1", L="100")


def declare() -> ms.Model:
    """Melitz (2003), section 3: the closed economy with Pareto(k, b) productivity."""
    return ms.model("melitz-closed", dist=ms.Pareto())


if __name__ == "__main__":
    from build_docs import literate_main

    literate_main(declare(), STEM, EXAMPLE)
