"""Derive Melitz and Ottaviano (2008): linear demand, heterogeneous unit costs, variable
markups, n + 1 symmetric countries.

The declared primitives are quasi-linear quadratic utility (LinearQuadratic), unit
costs drawn from Pareto in cost G(c) = (c/c_M)^k, free entry with a sunk cost f_e, no
fixed production cost and exports at iceberg cost tau with no fixed export cost;
sympy derives linear demand with a choke price, pricing p(c) = (c_D + c)/2, the cost
cutoff c_D, the export cutoff c_X = c_D/tau, free entry, the number of sellers, the
average price, cost and markup, welfare, and the Pareto closed forms (the paper's
eq. (9) and section 5).

Run:  python derivations/melitz_ottaviano.py
"""

import melitz_sym as ms

STEM = "melitz-ottaviano"
EXAMPLE = dict(alpha="10", gamma="1", eta="1", c_M="1", k="2", f_e="0.01", L="100",
               tau="1.5", n="2")


def declare() -> ms.Model:
    """Melitz and Ottaviano (2008), Pareto in cost, n + 1 symmetric countries."""
    return ms.model("melitz-ottaviano")


if __name__ == "__main__":
    from build_docs import literate_main

    literate_main(declare(), STEM, EXAMPLE)
