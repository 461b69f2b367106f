"""Derive the open-economy Melitz model under log-normal productivity.

The same primitives as melitz_open_pareto.py with log-normal(mu, s) productivity:
sympy integrates the tail moment after the change of variables phi = exp(u); the
cutoff equation is not a power law, so the cutoff is found numerically.

Run:  python derivations/melitz_lognormal.py
"""

import melitz_sym as ms

STEM = "melitz-lognormal"
EXAMPLE = dict(sigma="3.8", mu="0", s="0.5", f="1", f_x="1.5", f_e="1", delta="0.1",
               tau="1.5", n="1", L="100")


def declare() -> ms.Model:
    """Melitz (2003) with n+1 symmetric countries and log-normal(mu, s) productivity."""
    return ms.model("melitz", dist=ms.LogNormal())


if __name__ == "__main__":
    from build_docs import literate_main

    literate_main(declare(), STEM, EXAMPLE)
