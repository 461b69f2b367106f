r"""Chaney (2008), "Distorted Gravity": N asymmetric countries, Pareto firms.

Primitives.  Country :math:`i` has :math:`L_i` workers paid the wage :math:`w_i`,
fixed by a freely traded numeraire good.  A share ``alpha`` of income :math:`Y_j`
(Chaney's :math:`\mu`) is spent on CES varieties.  There is no free entry: the
mass of potential entrants in :math:`i` is :math:`w_i L_i`, each drawing
productivity from the declared distribution (Pareto, shape ``k`` = Chaney's
:math:`\gamma`, lower bound ``b``).  Serving :math:`j` costs the variable cost
:math:`w_i \tau_{ij}/\varphi` and the fixed cost :math:`f_{ij}` (numeraire).
Profits go to a global fund; each worker owns :math:`w_i` shares paying the
dividend :math:`\pi`, so :math:`Y_i = (1 + \pi) w_i L_i`.

Derived here, for a generic pair (origin ``i``, destination ``j``): the pricing
rule and revenue, the cutoff :math:`\bar\varphi_{ij}` from zero profit, flows,
exporters and profits by integrating against the density, the price index
:math:`P_j` (solved as a power law), the bilateral access term, the
multilateral resistance :math:`\theta_j`, the gravity equation, the dividend
:math:`\pi` (aggregate profits a constant share of sales), Chaney's constant
:math:`\lambda_3`, and the trade elasticities with respect to :math:`\tau_{ij}`
and :math:`f_{ij}` split into intensive and extensive margins by the Leibniz
rule.  In the pair expressions ``w``, ``L``, ``tau``, ``f`` are the origin's or
the pair's values; ``A`` and ``P`` are the destination's demand shifter and
price index.
"""

from __future__ import annotations

import sympy as sp

from ..admissibility import Restriction
from ..derivation import Concretizer, MultiDerivation, Sampler
from ..distributions import Distribution
from ..primitives import Declaration
from ..simplify import combine, shifted, tidy, unshift
from ..symbols import sym
from ..tails import S, V
from .ces import derive_ces_demand, derive_firm
from .melitz import BOX as MELITZ_BOX
from .melitz import derive_tail_objects
from .multicountry import PAIR_MEANINGS
from .solving import solve_power_law

REF_C = "Chaney (2008), AER 98(4)"
ALPHA = sp.Symbol("alpha", positive=True)
Y_I, Y_J, Y_W = sp.symbols("Y_i Y_j Y", positive=True)
THETA = sp.Symbol("theta_j", positive=True)
DIVIDEND = sp.Symbol("pi", positive=True)
SIGMA_M = sp.Symbol("Sigma_j", positive=True)  # sum over origins of the price-index terms
LAMBDA_3 = sp.Symbol("lambda_3", positive=True)
BOX = {**MELITZ_BOX, "alpha": (0.05, 1), "w": (0.5, 3), "Y_j": (1, 100), "P": (0.5, 3),
       "A": (0.5, 50), "phi_star": (3, 6)}


def restrictions(dist: Distribution) -> list[Restriction]:
    """Parameter restrictions (checked entry by entry for vectors and matrices)."""
    sigma, w, L, tau, f = (sym(x) for x in ["sigma", "w", "L", "tau", "f"])
    return ([Restriction(sigma > 1, "demand is elastic"),
             Restriction(sp.Gt(ALPHA, 0, evaluate=False),
                         "the expenditure share of differentiated goods is positive"),
             Restriction(ALPHA <= 1, "the expenditure share is at most one")]
            + [Restriction(sp.Gt(s, 0, evaluate=False), f"{words} is positive")
               for s, words in [(w, "the wage"), (L, "the labour endowment"),
                                (f, "the fixed cost of serving a market")]]
            + [Restriction(tau >= 1, "iceberg trade costs are at least one")]
            + dist.positivity() + dist.restrictions(sigma - 1))


def derive(decl: Declaration) -> MultiDerivation:
    """Derive Chaney (2008) from its declaration (CES demand, Pareto firms, a fixed mass
    of potential entrants, N asymmetric countries, exports)."""
    dist = decl.dist
    sigma, k, w, L, tau, f = (sym(x) for x in ["sigma", "k", "w", "L", "tau", "f"])
    phi, phi_s, A, P, x = sym("phi"), sym("phi_star"), sym("A"), sym("P"), sym("x")
    params = (sigma, ALPHA, w, L, tau, f) + tuple(dist.symbols)
    shapes = {"sigma": "", "alpha": "", "w": "i", "L": "i", "tau": "ij", "f": "ij",
              **{s.name: "" for s in dist.symbols}}
    d = MultiDerivation(f"Chaney (2008), N countries, {dist.name}", params,
                        restrictions(dist), cutoff=phi_s, support_lower=dist.support[0],
                        shapes=shapes)
    d.sampler = Sampler(params + (phi_s, x, Y_J, P, A), d.restrictions, BOX, seed=2008)

    # ---- firms ------------------------------------------------------------------
    demand = derive_ces_demand(d)
    firm = derive_firm(d, demand, "_ij", w * tau / phi, f, "destination")
    A_j = ALPHA * Y_J * P ** (sigma - 1)
    d.add("market_demand", sp.Eq(A, A_j, evaluate=False),
          "Cobb-Douglas upper tier: the destination spends alpha Y_j on varieties, so "
          "A = R P^(sigma-1) with R = alpha Y_j", ["demand_shifter"], ref=REF_C)
    zcp = firm.profit.subs(A, A_j).subs(phi, phi_s)
    cut = tidy(solve_power_law(zcp, phi_s))
    d.add("cutoff", sp.Eq(phi_s, cut, evaluate=False),
          "zero profit of the marginal firm from i in j, pi_ij(phi_bar) = 0, solved for "
          "phi_bar (a power law)", ["profit_ij", "market_demand"], ref=f"{REF_C}, eq. (4)",
          obligation=[zcp.subs(phi_s, cut)])
    x_of = firm.revenue.subs(A, A_j)
    d.add("firm_exports", sp.Eq(sp.Function("x_ij")(phi), x_of, evaluate=False),
          "sales of a firm with productivity phi >= phi_bar in j", ["revenue_ij", "market_demand"],
          ref=REF_C)

    # ---- integration against the density -------------------------------------------
    derive_tail_objects(d, dist)
    r1 = firm.revenue.subs(phi, 1)
    p1 = firm.price.subs(phi, 1)
    X = w * L * r1 * V(phi_s)
    Msum_term = w * L * p1 ** (1 - sigma) * V(phi_s)
    N_x = w * L * S(phi_s)
    profits = w * L * (r1 * V(phi_s) / sigma - f * S(phi_s))
    d.add("flows", sp.Eq(sp.Symbol("X_ij"), X, evaluate=False),
          "exports from i to j: revenue r(phi) = r(1) phi^(sigma-1) integrated against the "
          "density over phi >= phi_bar, times the w_i L_i potential entrants",
          ["revenue_ij", "tail_moment"], ref=REF_C,
          obligation=[firm.revenue - r1 * phi ** (sigma - 1), X - A * Msum_term])
    d.add("exporters", sp.Eq(sym("M_x"), N_x, evaluate=False),
          "number of exporters from i to j: potential entrants times 1 - G(phi_bar)",
          ["survival"], ref=REF_C)
    d.add("pair_profits", sp.Eq(sp.Symbol("Pi_ij"), profits, evaluate=False),
          "profits of i's firms in j: pi(phi) integrated over phi >= phi_bar",
          ["profit_ij", "tail_moment", "survival"], ref=REF_C,
          obligation=[profits - (X / sigma - f * N_x)])

    # ---- Pareto: closed forms in the shifted symbols sigma = 1 + z, k = z + e --------
    S_l, V_l = sp.Lambda(x, d["survival"].rhs), sp.Lambda(x, d["tail_moment"].rhs)
    d.concretize = Concretizer(((S, S_l), (V, V_l)))
    z_sub = Concretizer(((S, sp.Lambda(x, shifted(S_l.expr))),
                         (V, sp.Lambda(x, shifted(V_l.expr)))))
    cut_z = combine(shifted(cut))

    def at_cutoff(e: sp.Expr) -> sp.Expr:
        return combine(z_sub(shifted(e)).subs(phi_s, cut_z).subs(A, shifted(A_j)))

    T_z = at_cutoff(Msum_term)
    e_P = combine(sym("P") * sp.diff(T_z, P) / T_z)
    e_Y = combine(Y_J * sp.diff(T_z, Y_J) / T_z)
    m_z = combine(T_z / (P ** e_P * Y_J ** e_Y))
    if {P, Y_J} & (e_P.free_symbols | e_Y.free_symbols | m_z.free_symbols):
        raise AssertionError("chaney: price-index terms are not power laws in P and Y_j")
    z = shifted(sigma) - 1
    P_z = combine((Y_J ** e_Y * SIGMA_M) ** (1 / (-z - e_P)))
    d.add("price_index", sp.Eq(P, unshift(P_z), evaluate=False),
          "P_j^(1-sigma) = sum over origins of w_i L_i int p^(1-sigma) dG: each term is "
          f"P_j^({sp.sstr(unshift(e_P))}) Y_j^({sp.sstr(unshift(e_Y))}) m_ij, so with "
          "Sigma_j = sum_i m_ij the price index is a power law in P_j, solved",
          ["price_index_definition", "pricing_ij", "cutoff", "tail_moment"], ref=REF_C,
          obligation=[unshift(combine((-z * sp.log(P_z)) - sp.log(T_z.subs(P, P_z) / m_z
                                                                   * SIGMA_M)))])
    h_z = combine(m_z / (shifted(w * L)))
    c_z = combine(h_z.subs({w: 1, tau: 1, sym("f"): 1}))
    access_z = combine(h_z / c_z)
    access = unshift(access_z)
    d.add("access", sp.Eq(sp.Symbol("a_ij"), access, evaluate=False),
          "bilateral access: the price-index term m_ij per potential entrant w_i L_i, "
          "normalised by its value at w_i = tau_ij = f_ij = 1", ["price_index"], ref=REF_C,
          obligation=[unshift(combine(m_z - c_z * shifted(w * L) * access_z))])
    d.add("multilateral_resistance",
          sp.Eq(THETA, sp.Sum(sp.Symbol("(Y_k/Y) a_kj"), (sp.Symbol("k_"), 1, sp.Symbol("N")))
                ** (-1 / k), evaluate=False),
          "definition: theta_j^(-k) = sum over origins k of (Y_k/Y) a_kj; with "
          "w_k L_k = Y_k/(1 + pi) the price-index sum is Sigma_j = c Y theta_j^(-k)/(1 + pi)",
          ["access"], ref=f"{REF_C}, eq. (6)")
    Msum_theta = c_z * Y_W * THETA ** (-shifted(k)) / (1 + DIVIDEND)
    P_theta_z = combine(P_z.subs(SIGMA_M, Msum_theta))

    # ---- dividend: aggregate profits are a constant share of sales --------------------
    share = unshift(at_cutoff(profits) / at_cutoff(X))
    share = tidy(share, with_k=True)
    if share.free_symbols - {sigma, k}:
        raise AssertionError("chaney: profits are not a constant share of sales")
    d.add("profit_share", sp.Eq(sp.Symbol("Pi_ij") / sp.Symbol("X_ij"), share, evaluate=False),
          "with the cutoff inserted, profits in every market are a constant share of "
          "sales", ["pair_profits", "flows", "cutoff"], ref=REF_C,
          obligation=[unshift(at_cutoff(profits) - shifted(share) * at_cutoff(X))])
    WL = sp.Symbol("WL", positive=True)  # sum over countries of w_i L_i
    fund = sp.Eq(DIVIDEND * WL, share * ALPHA * (1 + DIVIDEND) * WL)
    pi_sol = sp.factor(sp.solve(fund, DIVIDEND)[0])
    d.add("dividend", sp.Eq(DIVIDEND, pi_sol, evaluate=False),
          "global fund: the dividend per share pi times the sum of w_i L_i equals profits, "
          "which are the profit share of world sales alpha Y = alpha (1 + pi) sum w_i L_i "
          "(sales in j add up to alpha Y_j by the price index)",
          ["profit_share", "price_index"], ref=f"{REF_C}, eq. (7)",
          obligation=[(fund.lhs - fund.rhs).subs(DIVIDEND, pi_sol)])

    # ---- gravity, cutoff, price index in Chaney's form ---------------------------------
    # potential entrants w_i L_i = Y_i/(1 + pi); wages in prices stay
    X_grav = combine(at_cutoff(X / (w * L)).subs(P, P_theta_z) * Y_I / (1 + DIVIDEND))
    d.add("gravity", sp.Eq(sp.Symbol("X_ij"), unshift(X_grav), evaluate=False),
          "flows with the price index inserted and w_i L_i = Y_i/(1 + pi)",
          ["flows", "price_index", "multilateral_resistance"], ref=f"{REF_C}, eq. (8)",
          obligation=[unshift(combine(X_grav - shifted(ALPHA * Y_I * Y_J / Y_W * access)
                                      * THETA ** shifted(k)))])
    cut_theta_z = combine(cut_z.subs(P, P_theta_z))
    lam3_z = combine((cut_theta_z / (shifted((Y_W / Y_J) ** (1 / k) * w * tau
                                              * sym("f") ** (1 / (sigma - 1)) / THETA)))
                     .subs(DIVIDEND, shifted(pi_sol)))
    lam3 = sp.powsimp(sp.factor(unshift(lam3_z)), force=True)
    if lam3.free_symbols - {sigma, k, ALPHA, sym("b")}:
        raise AssertionError("chaney: the cutoff is not proportional to Chaney's form")
    d.add("lambda_3", sp.Eq(LAMBDA_3, lam3, evaluate=False),
          "the cutoff with the price index inserted, divided by "
          "(Y/Y_j)^(1/k) w_i tau_ij f_ij^(1/(sigma-1))/theta_j: a constant",
          ["cutoff", "price_index", "dividend"], ref=f"{REF_C}, eq. (9)")
    P_out = tidy(unshift(P_theta_z))
    outputs = {
        "phi_star": tidy(unshift(cut_theta_z)),
        "X": unshift(X_grav),
        "M_x": tidy(unshift(at_cutoff(N_x).subs(P, P_theta_z))),
        "P": P_out,
        "W": 1 / P_out,
        "pi": pi_sol,
    }
    d.outputs = dict(outputs)
    d.closed_forms = dict(outputs)
    d.shapes.update({"phi_star": "ij", "X": "ij", "M_x": "ij", "P": "i", "W": "i", "pi": "",
                     "theta": "i", "Y": "i"})
    d.outputs.update({"theta": THETA, "Y": Y_I})
    d.pair = {"access": access, "lambda_3": lam3}
    d.market = {"pi": DIVIDEND, "theta_j": THETA, "Y_i": Y_I, "Y_j": Y_J, "Y": Y_W}
    d.defines.update({"phi_star": "cutoff", "X": "gravity", "M_x": "exporters",
                      "P": "price_index", "W": "price_index", "pi": "dividend",
                      "theta": "multilateral_resistance", "Y": "dividend"})
    d.meanings = {
        **PAIR_MEANINGS,
        "alpha": "share of income spent on the differentiated goods (Chaney's mu)",
        "Y_i": "income of the origin i, Y_i = (1 + pi) w_i L_i (wages and dividends)",
        "Y_j": "income of the destination j, Y_j = (1 + pi) w_j L_j",
        "Y": "world income, the sum of Y_i over all countries",
        "theta_j": "multilateral resistance theta_j of the destination j",
        "pi": "dividend per unit of labour income, paid by the global fund",
        "P": "price index P_j of the destination j",
        "W": "welfare 1/P_j of the destination j (per unit of income)",
        "access": "bilateral access term a_ij of origin i to destination j",
        "lambda_3": "Chaney's constant lambda_3 in the cutoff",
    }
    d.assembly = (
        "Order: pi; Y_i = (1 + pi) w_i L_i and Y = sum_i Y_i; access a_ij for every "
        "pair and theta_j by multilateral_resistance; then phi_star, X and M_x per pair "
        "(i, j) and P, W per destination j.",)
    _elasticities(d, firm.revenue.subs(A, A_j), r1.subs(A, A_j), cut, dist)
    return d


def _elasticities(d: MultiDerivation, x_of: sp.Expr, r1: sp.Expr, cut: sp.Expr,
                  dist: Distribution) -> None:
    r"""Partial elasticities of X_ij in tau_ij and f_ij (destination aggregates fixed).

    Leibniz rule on :math:`X = w L \int_{\bar\varphi}^\infty x(\varphi) dG`:
    intensive margin :math:`(t/X)\, w L \int \partial_t x\, dG` (existing exporters
    sell more or less) and extensive margin
    :math:`-(t/X)\, w L\, x(\bar\varphi) g(\bar\varphi)\, \partial_t\bar\varphi`
    (firms start or stop exporting).
    """
    sigma, w, L, tau, f, phi = (sym(s) for s in ["sigma", "w", "L", "tau", "f", "phi"])
    V_l = sp.Lambda(sym("x"), d["tail_moment"].rhs)
    X = w * L * r1 * V_l(cut)
    for t, name in ((tau, "tau"), (f, "f")):
        total = t * sp.diff(sp.log(X), t)
        intensive = t * sp.diff(r1, t) / r1  # int dx/dt dG = (dr(1)/dt) V(phi_bar)
        extensive = -t * w * L * x_of.subs(phi, cut) * dist.pdf(cut) * sp.diff(cut, t) / X
        parts = [tidy(e, with_k=True) for e in (intensive, extensive)]
        d.add(f"elasticity_{name}",
              sp.Eq(sp.Tuple(sp.Symbol(f"eps_{name}"), sp.Symbol(f"eps_{name}_intensive"),
                             sp.Symbol(f"eps_{name}_extensive")),
                    sp.Tuple(tidy(parts[0] + parts[1], with_k=True), *parts), evaluate=False),
              f"d ln X_ij / d ln {name}_ij split by the Leibniz rule into the intensive "
              "margin (sales of incumbent exporters) and the extensive margin (entry "
              "into exporting at the cutoff)", ["flows", "cutoff", "firm_exports"],
              ref=f"{REF_C}, Proposition 1",
              obligation=[total - intensive - extensive])

