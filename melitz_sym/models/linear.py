r"""Linear demand from quasi-linear quadratic utility, and a firm's problem under it.

Shared by every model with :class:`~melitz_sym.primitives.LinearQuadratic`
demand (Melitz and Ottaviano 2008).  The steps added here are:

``utility``
    the declared utility of one consumer,
    :math:`U = q_0 + \alpha\int q_i - \frac{\gamma}{2}\int q_i^2 - \frac{\eta}{2}(\int q_i)^2`.
``consumer_foc``
    with the budget :math:`q_0 + \int p_i q_i = I` the numeraire's first-order
    condition fixes the Lagrange multiplier :math:`\ell = \partial U/\partial q_0 = 1`;
    a variety's first-order condition :math:`\partial U/\partial q_i = \ell p_i`
    (with :math:`Q^c = \int q_i` held by the others) is solved for
    :math:`q_i^c = (\alpha - \eta Q^c - p_i)/\gamma`.
``total_consumption``
    :math:`q^c` is linear in :math:`p`, so integrating it over the :math:`N`
    varieties sold gives :math:`Q^c = N q^c(\bar p)`, solved for
    :math:`Q^c = N(\alpha - \bar p)/(\gamma + \eta N)`.
``choke_price``, ``demand``
    market demand :math:`L q^c` vanishes at
    :math:`p_{max} = (\gamma\alpha + \eta N\bar p)/(\eta N + \gamma)`, and is
    :math:`q = (L/\gamma)(p_{max} - p)` below it.
``pricing``, ``markup``, ``quantity``, ``revenue``, ``profit`` (``_x`` for exports)
    the first-order condition of :math:`(p - c')\,q(p)` in :math:`p` for the
    delivered unit cost :math:`c'` (:math:`c` at home, :math:`\tau c` abroad),
    and what follows at the optimal price; the cost at which the optimal
    quantity vanishes is the market's cost cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..derivation import Derivation
from ..primitives import LinearQuadratic
from ..symbols import sym

REF_MO = "Melitz and Ottaviano (2008), RES 75(1)"


def derive_linear_demand(d: Derivation, demand: LinearQuadratic) -> sp.Expr:
    """Add the utility, first-order condition and demand steps; return market demand
    ``q(p) = (L/gamma) (p_max - p)`` in the price ``p`` and the symbol ``p_max``."""
    alpha, gamma, eta, L = (sym(x) for x in ("alpha", "gamma", "eta", "L"))
    p, q, q_0, Q = sym("p"), sym("q"), sym("q_0"), sym("Q_c")
    N, p_bar, p_max = sym("N"), sym("p_bar"), sym("p_max")
    q_c = sp.Symbol("q_i^c", positive=True)
    omega = sp.Symbol("omega")
    q_of = sp.Function("q")
    declared = demand.utility(q_0, sp.Integral(q_of(omega), omega),
                              sp.Integral(q_of(omega) ** 2, omega))
    d.add("utility", sp.Eq(sp.Symbol("U"), declared, evaluate=False),
          "primitive: quasi-linear quadratic utility of one consumer over the numeraire "
          "q_0 and the varieties", ref=f"{REF_MO} eq. (1)")
    # One variety's quantity q_c and the others': X = their total, Y = their squares.
    X, Y = sp.Dummy("X", positive=True), sp.Dummy("Y", positive=True)
    U = demand.utility(q_0, q_c + X, q_c**2 + Y)
    ell_sol = sp.diff(U, q_0)  # the numeraire's condition dU/dq_0 = ell
    marginal = sp.diff(U, q_c).subs(X, Q - q_c)  # the total Q held by the others
    foc = marginal - ell_sol * p
    sols = sp.solve(foc, q_c)
    if len(sols) != 1:
        raise RuntimeError(f"linear demand: expected one solution of the FOC, got {sols}")
    per_consumer = sp.expand(sols[0])
    d.add("consumer_foc", sp.Eq(q_c, per_consumer, evaluate=False),
          f"budget q_0 + int p q = I: the numeraire's condition dU/dq_0 = ell gives "
          f"ell = {sp.sstr(ell_sol)}; a variety's condition dU/dq_i = ell p_i, with the "
          "total Q^c held by the others, solved for q_i^c",
          ["utility"], ref=f"{REF_MO} eq. (2)",
          obligation=[foc.subs(q_c, per_consumer)])
    Q_sol = sp.solve(sp.Eq(Q, N * per_consumer.subs(p, p_bar)), Q)[0]
    Q_sol = sp.factor(Q_sol)
    d.add("total_consumption", sp.Eq(Q, Q_sol, evaluate=False),
          "q_i^c is linear in p_i, so its integral over the N varieties sold is "
          "N q^c(p_bar) (p_bar their average price): Q^c = N q^c(p_bar) solved for Q^c",
          ["consumer_foc"], ref=f"{REF_MO} p. 298",
          obligation=[sp.diff(per_consumer, p, 2),
                      Q_sol - N * per_consumer.subs(p, p_bar).subs(Q, Q_sol)])
    market = sp.expand(L * per_consumer.subs(Q, Q_sol))
    choke = sp.solve(market, p)
    if len(choke) != 1:
        raise RuntimeError(f"linear demand: expected one choke price, got {choke}")
    choke = sp.factor(choke[0])
    d.add("choke_price", sp.Eq(p_max, choke, evaluate=False),
          "the price at which market demand L q^c vanishes",
          ["total_consumption"], ref=f"{REF_MO} p. 298",
          obligation=[market.subs(p, choke)])
    slope = sp.diff(market, p)
    linear = slope * (p - p_max)
    d.add("demand", sp.Eq(q, linear, evaluate=False),
          "market demand L q^c: linear in p (its slope -L/gamma), zero at p_max",
          ["choke_price"], ref=f"{REF_MO} eq. (3)",
          obligation=[sp.expand(linear.subs(p_max, choke) - market), sp.diff(market, p, 2)])
    return linear


@dataclass(frozen=True)
class LinearFirm:
    """A firm's optimum in one market under linear demand.

    Attributes are expressions in the cost ``c`` and the market's choke price
    ``p_max``; ``cutoff`` is the cost at which the optimal quantity vanishes.
    """

    price: sp.Expr
    markup: sp.Expr
    quantity: sp.Expr
    revenue: sp.Expr
    profit: sp.Expr
    cutoff: sp.Expr


def derive_linear_firm(d: Derivation, demand: sp.Expr, suffix: str, unit_cost: sp.Expr,
                       market: str) -> LinearFirm:
    """Derive pricing, markup, quantity, revenue and profit of a firm with delivered
    unit cost ``unit_cost`` (in the cost symbol ``c``) in one market.

    Parameters
    ----------
    demand : market demand q(p), linear in the price symbol ``p`` (with ``p_max``).
    suffix : ``""`` for the domestic market, ``"_x"`` for an export market.
    market : words for the rule text.
    """
    p, c = sym("p"), sym("c")
    name = suffix or "_d"
    profit_of_p = (p - unit_cost) * demand
    foc = sp.diff(profit_of_p, p)
    sols = sp.solve(foc, p)
    if len(sols) != 1:
        raise RuntimeError(f"linear firm: expected one optimal price, got {sols}")
    price = sp.factor(sols[0])
    d.add(f"pricing{suffix}", sp.Eq(sp.Function(f"p{name}")(c), price, evaluate=False),
          f"first-order condition d/dp [(p - c') q(p)] = 0 in the {market} market, delivered "
          f"unit cost c' = {sp.sstr(unit_cost)}, solved for p (the second derivative "
          f"{sp.sstr(sp.diff(profit_of_p, p, 2))} is negative)",
          ["demand"], ref=f"{REF_MO} p. 299",
          obligation=[foc.subs(p, price), sp.diff(sp.diff(profit_of_p, p, 2), p)])
    markup = sp.factor(price - unit_cost)
    d.add(f"markup{suffix}", sp.Eq(sp.Function(f"mu{name}")(c), markup, evaluate=False),
          "markup: the optimal price minus the delivered unit cost", [f"pricing{suffix}"],
          ref=f"{REF_MO} p. 299", obligation=[markup - (price - unit_cost)])
    quantity = sp.factor(demand.subs(p, price))
    d.add(f"quantity{suffix}", sp.Eq(sp.Function(f"q{name}")(c), quantity, evaluate=False),
          "demand at the optimal price", [f"pricing{suffix}", "demand"],
          ref=f"{REF_MO} p. 299", obligation=[quantity - demand.subs(p, price)])
    revenue = sp.factor(price * quantity)
    d.add(f"revenue{suffix}", sp.Eq(sp.Function(f"r{name}")(c), revenue, evaluate=False),
          "revenue p q at the optimal price", [f"quantity{suffix}"], ref=f"{REF_MO} eq. (4)",
          obligation=[revenue - price * quantity])
    profit = sp.factor(profit_of_p.subs(p, price))
    d.add(f"profit{suffix}", sp.Eq(sp.Function(f"pi{name}")(c), profit, evaluate=False),
          "profit (p - c') q at the optimal price: markup times quantity",
          [f"markup{suffix}", f"quantity{suffix}"], ref=f"{REF_MO} eq. (4)",
          obligation=[profit - markup * quantity])
    roots = sp.solve(quantity, c)
    if len(roots) != 1:
        raise RuntimeError(f"linear firm: expected one cost where sales vanish, got {roots}")
    return LinearFirm(price, markup, quantity, revenue, profit, sp.factor(roots[0]))
