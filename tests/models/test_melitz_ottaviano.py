"""Melitz and Ottaviano (2008): linear demand, heterogeneous unit costs, variable markups.

The references below are typed in from Melitz, M. J. and G. I. P. Ottaviano (2008),
"Market Size, Trade, and Productivity", Review of Economic Studies 75(1):295-316
(see /work/shared/reference/literature.md, section 8): market demand and the choke
price (p. 298, eqs. (2)-(3)), pricing, markup, quantity and profit by cost (p. 299,
eq. (4)), the Pareto closed forms of the cutoff (eq. (9), open economy section 5),
the number of sellers (eq. (10)), average price, cost and markup, and welfare
(eq. (5) and its Pareto form).  The package derives these from the declared utility;
these tests compare.
"""

from __future__ import annotations

import sympy as sp

from melitz_sym.derivation import Derivation
from melitz_sym.distributions import ParetoCost, TruncatedPareto, partial_moment
from melitz_sym.models.linear import derive_linear_demand, derive_linear_firm
from melitz_sym.primitives import Declaration, HeterogeneousCost, LinearQuadratic
from melitz_sym.symbols import sym

alpha, gamma, eta, L, tau = (sym(x) for x in ("alpha", "gamma", "eta", "L", "tau"))
N, p_bar, p, c, p_max = (sym(x) for x in ("N", "p_bar", "p", "c", "p_max"))


def _zero(e: sp.Expr) -> bool:
    return sp.simplify(e) == 0


# ----- demand from the declared utility ------------------------------------------------
def test_linear_demand_matches_the_paper():
    d = Derivation("demand")
    q = derive_linear_demand(d, LinearQuadratic())
    choke = d["choke_price"].rhs
    # MO (2008) p. 298: p_max = (gamma alpha + eta N p_bar) / (eta N + gamma)
    assert _zero(choke - (gamma * alpha + eta * N * p_bar) / (eta * N + gamma))
    # MO (2008) eq. (2)-(3): q_i = alpha L/(eta N + gamma) - L p_i/gamma
    #                              + eta N/(eta N + gamma) L/gamma p_bar
    paper = (alpha * L / (eta * N + gamma) - L / gamma * p
             + eta * N / (eta * N + gamma) * L / gamma * p_bar)
    assert _zero(q.subs(p_max, choke) - paper)
    assert set(d.check().values()) <= {"declared", "symbolic"}


def test_firm_problem_matches_the_paper():
    d = Derivation("firm")
    q = derive_linear_demand(d, LinearQuadratic())
    home = derive_linear_firm(d, q, "", c, "domestic")
    away = derive_linear_firm(d, q, "_x", tau * c, "export")
    c_D = p_max  # MO (2008) p. 299: the cutoff is the choke price, c_D = p_max
    assert _zero(home.cutoff - c_D)
    assert _zero(away.cutoff - c_D / tau)  # c_X = c_D / tau (symmetric markets)
    # MO (2008) eq. (4): p = (c_D + c)/2, mu = (c_D - c)/2, q = L/(2 gamma)(c_D - c),
    # r = L/(4 gamma)(c_D^2 - c^2), pi = L/(4 gamma)(c_D - c)^2
    assert _zero(home.price - (c_D + c) / 2)
    assert _zero(home.markup - (c_D - c) / 2)
    assert _zero(home.quantity - L / (2 * gamma) * (c_D - c))
    assert _zero(home.revenue - L / (4 * gamma) * (c_D**2 - c**2))
    assert _zero(home.profit - L / (4 * gamma) * (c_D - c) ** 2)
    # exports: pi_x = L/(4 gamma) tau^2 (c_X - c)^2
    assert _zero(away.profit - L / (4 * gamma) * tau**2 * (c_D / tau - c) ** 2)
    assert set(d.check().values()) <= {"declared", "symbolic"}


def test_utility_is_the_declared_primitive():
    q0, total, squares = sp.symbols("q0 T S")
    U = LinearQuadratic().utility(q0, total, squares)
    # MO (2008) eq. (1)
    assert sp.expand(U - (q0 + alpha * total - gamma / 2 * squares - eta / 2 * total**2)) == 0
    assert LinearQuadratic.parameters == ("alpha", "gamma", "eta")


# ----- heterogeneous unit costs -------------------------------------------------------
def test_pareto_cost_partial_moments_are_derived_from_the_declared_cdf():
    x, k, c_M = sp.Symbol("x", positive=True), sym("k"), sym("c_M")
    dist = ParetoCost()
    assert dist.support == (0, c_M)
    # MO (2008) section 3.2: G(c) = (c/c_M)^k; G_a(x) = int_0^x c^a dG = k x^(k+a)/((k+a) c_M^k)
    for a in range(3):
        assert _zero(partial_moment(dist, x, a) - k * x ** (k + a) / ((k + a) * c_M**k))


def test_with_distribution_keeps_cost_heterogeneity():
    decl = Declaration("mo", demand=LinearQuadratic(), firms=HeterogeneousCost(ParetoCost()),
                       fixed_cost=None)
    other = decl.with_distribution(TruncatedPareto())
    assert isinstance(other.firms, HeterogeneousCost) and isinstance(other.dist, TruncatedPareto)
    assert "no fixed production cost" in decl.describe()
