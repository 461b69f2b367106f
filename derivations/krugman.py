"""Derive Krugman (1980): representative firms, n+1 symmetric countries.

Every firm has the same productivity; sympy derives pricing, firm size from free
entry, the number of firms, the price index and welfare.

Run:  python derivations/krugman.py
"""

import melitz_sym as ms

STEM = "krugman"
EXAMPLE = dict(sigma="3.8", b="1", f="1", tau="1.5", n="1", L="100")


def declare() -> ms.Model:
    """Krugman (1980) with n+1 symmetric countries."""
    return ms.model("krugman")


if __name__ == "__main__":
    from build_docs import literate_main

    literate_main(declare(), STEM, EXAMPLE)
