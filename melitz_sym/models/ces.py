"""CES demand and monopolistic-competition pricing, derived from primitives.

Shared by every CES model (Krugman, Melitz, Chaney, ...).  The steps added
here are:

``ces_demand``
    from maximising :math:`Q = [\\int q(\\omega)^\\rho d\\omega]^{1/\\rho}`
    subject to :math:`\\int p q = R`: the first-order condition gives
    :math:`q = Q(\\ell p)^{-\\sigma}`; the definition of the price index
    :math:`P^{1-\\sigma} = \\int p^{1-\\sigma}` and the utility identity give
    :math:`\\ell = 1/P`, hence :math:`q = A p^{-\\sigma}` with
    :math:`A = R P^{\\sigma-1}` and :math:`R = PQ`.
``pricing`` / ``pricing_x``
    the first-order condition of profit :math:`p q(p) - c\\, q(p)` in ``p``.
``revenue``, ``profit`` (and export versions)
    evaluated at the optimal price.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..derivation import Derivation
from ..simplify import tidy
from ..symbols import sym
from .solving import solve_power_law

REF_M = "Melitz (2003), Econometrica 71(6)"


def rho() -> sp.Expr:
    """:math:`\\rho = (\\sigma - 1)/\\sigma`."""
    sigma = sym("sigma")
    return (sigma - 1) / sigma


def derive_ces_demand(d: Derivation) -> sp.Expr:
    """Add the utility, budget and demand steps; return demand q(p) = A p^-sigma."""
    sigma, Q, R, P, A = sym("sigma"), sym("Q"), sym("R"), sym("P"), sym("A")
    ell = sym("lagrange")
    p, q = sym("p"), sym("q")
    omega = sp.Symbol("omega")
    q_of, p_of = sp.Function("q"), sp.Function("p")
    r = rho()
    d.add("ces_utility",
          sp.Eq(Q, sp.Integral(q_of(omega) ** r, omega) ** (1 / r), evaluate=False),
          "primitive: CES utility over the set of varieties", ref="Melitz (2003) eq. (1)")
    d.add("price_index_definition",
          sp.Eq(P, sp.Integral(p_of(omega) ** (1 - sigma), omega) ** (1 / (1 - sigma)),
                evaluate=False),
          "primitive: CES price index (dual of the utility)", ref="Melitz (2003) eq. (1)")
    # Utility as a function of one variety's quantity q and the rest X.
    X = sp.Dummy("X", positive=True)
    U = (q**r + X) ** (1 / r)
    marginal = sp.diff(U, q).subs(X, Q**r - q**r)  # Q^(1-rho) q^(rho-1)
    foc = sp.Eq(sp.powsimp(marginal, force=True), ell * p)
    q_foc = tidy(solve_power_law(foc.lhs - foc.rhs, q))  # Q^(1-rho) q^(rho-1) = ell p
    # Utility identity Q^rho = int q^rho = Q^rho ell^(1-sigma) P^(1-sigma) fixes ell.
    per_variety = sp.powsimp(sp.expand_power_base(q_foc**r, force=True), force=True)
    identity = sp.Eq(Q**r, (per_variety / p ** (1 - sigma)) * P ** (1 - sigma))
    ell_sol = tidy(solve_power_law(identity.rhs - identity.lhs, ell))
    demand_Q = tidy(q_foc.subs(ell, ell_sol))
    # Spending R = int p q = Q P^sigma P^(1-sigma) = P Q, so Q = R / P.
    spending = (demand_Q * p / p ** (1 - sigma)) * P ** (1 - sigma)
    demand = tidy(demand_Q.subs(Q, R / P))
    d.add("ces_demand", sp.Eq(q, demand, evaluate=False),
          "first-order condition of utility maximisation dQ/dq = ell p, with the "
          "Lagrange multiplier ell = 1/P from the utility identity and Q = R/P "
          "from the budget",
          ["ces_utility", "price_index_definition"], ref="Melitz (2003) eq. (2)",
          obligation=[spending - P * Q,
                      sp.diff(U, q).subs(X, Q**r - q**r).subs(q, demand_Q)
                      - ell_sol * p])
    d.add("demand_shifter", sp.Eq(A, R * P ** (sigma - 1), evaluate=False),
          "definition: demand shifter A, so that q = A p^(-sigma)", ["ces_demand"],
          obligation=[(demand - A * p ** (-sigma)).subs(A, R * P ** (sigma - 1))])
    return A * p ** (-sigma)


@dataclass(frozen=True)
class FirmProblem:
    """Optimal price, revenue and profit of a firm in one market.

    Attributes are expressions in ``phi`` and the market's demand shifter ``A``.
    """

    price: sp.Expr
    revenue: sp.Expr
    profit: sp.Expr


def derive_firm(d: Derivation, demand: sp.Expr, suffix: str, unit_cost: sp.Expr,
                fixed_cost: sp.Expr, market: str) -> FirmProblem:
    """Derive the pricing rule, revenue and profit of a firm serving one market.

    Parameters
    ----------
    demand : q as a function of the price symbol ``p``.
    suffix : ``""`` for the domestic market, ``"_x"`` for an export market.
    unit_cost : marginal cost (``w/phi`` or ``tau w / phi``).
    fixed_cost : per-period fixed cost of serving the market.
    market : words for the rule text.
    """
    p, phi, sigma = sym("p"), sym("phi"), sym("sigma")
    profit_of_p = p * demand - unit_cost * demand - fixed_cost
    foc = sp.diff(profit_of_p, p)
    # dpi/dp = A p^(-sigma-1) ((1 - sigma) p + sigma c): the bracket is linear in p
    price = tidy(solve_power_law(sp.expand(sp.powsimp(foc * p ** (sigma + 1) / sym("A"),
                                                      force=True)), p))
    d.add(f"pricing{suffix}", sp.Eq(sp.Function(f"p{suffix or '_d'}")(phi), price, evaluate=False),
          f"first-order condition d pi/d p = 0 of profit in the {market} market, "
          "solved for p (constant markup over marginal cost)",
          ["ces_demand", "demand_shifter"], ref="Melitz (2003) eq. (3)",
          obligation=[foc.subs(p, price)])
    revenue = sp.powsimp(sp.expand_power_base((p * demand).subs(p, price), force=True),
                         force=True)
    d.add(f"revenue{suffix}", sp.Eq(sp.Function(f"r{suffix or '_d'}")(phi), revenue,
                                    evaluate=False),
          "revenue p q at the optimal price", [f"pricing{suffix}"], ref="Melitz (2003) eq. (4)",
          obligation=[revenue - sym("A") * price ** (1 - sigma)])
    profit = revenue / sigma - fixed_cost
    d.add(f"profit{suffix}", sp.Eq(sp.Function(f"pi{suffix or '_d'}")(phi), profit, evaluate=False),
          "profit at the optimal price: revenue minus variable and fixed cost, "
          "which equals revenue/sigma minus the fixed cost",
          [f"revenue{suffix}"], ref="Melitz (2003) eq. (4)",
          obligation=[profit_of_p.subs(p, price) - profit])
    return FirmProblem(price, revenue, profit)
