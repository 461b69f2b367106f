"""Derive the representative-firm Cournot model with free entry.

The seed document's model of scale-efficiency and pro-competitive gains
(Epifani 2002, section 2): sympy derives Cournot output, the markup, free entry,
the number of firms and welfare.

Run:  python derivations/cournot.py
"""

import melitz_sym as ms

STEM = "cournot"
EXAMPLE = dict(sigma="3.8", f="1", phi="1", L="100")


def declare() -> ms.Model:
    """Cournot oligopoly with free entry (Epifani 2002, section 2)."""
    return ms.model("cournot")


if __name__ == "__main__":
    from build_docs import literate_main

    literate_main(declare(), STEM, EXAMPLE)
