r"""Asymmetric N-country Melitz model with free entry and endogenous wages.

Primitives (Melitz 2003; Demidova 2008; Demidova & Rodriguez-Clare 2013).
Country :math:`i` has :math:`L_i` workers at the wage :math:`w_i` (``w_0 = 1``),
a sunk entry cost :math:`f_{e,i}` and its own productivity distribution (any
distribution; its parameters may differ by country).  Serving :math:`j` costs
the iceberg factor :math:`\tau_{ij}` (:math:`\tau_{ii} = 1`, in origin labour) and
the per-period fixed cost :math:`f_{ij}`, paid in origin labour (wage
:math:`w_i`) or, as declared by the export mode, in destination labour (wage
:math:`w_j`, Arkolakis, Demidova, Klenow & Rodriguez-Clare 2008); the payer's wage
is written :math:`\omega_{ij}` below.  Firms die with probability
:math:`\delta`; :math:`M_{e,i}` firms enter each period.

Derived for a generic pair (origin ``i``, destination ``j``; in the pair
expressions ``w``, ``L``, ``f_e``, ``M_e`` and the distribution parameters are
the origin's, ``tau`` and ``f`` the pair's, ``A`` the destination's demand
shifter :math:`A_j = w_j L_j P_j^{\sigma-1}`):

* pricing, revenue and profit in :math:`j`; the cutoff :math:`\varphi^*_{ij}`
  from zero profit;
* the expected profit of an entrant from market :math:`j`,
  :math:`\omega_{ij} f_{ij} j_i(\varphi^*_{ij})`, and free entry
  :math:`\sum_j (\omega_{ij}/w_i) f_{ij} j_i(\varphi^*_{ij}) = \delta f_{e,i}`;
* flows :math:`X_{ij} = (M_{e,i}/\delta) \int_{\varphi^*_{ij}} r_{ij} dG_i`;
* the labour market (entry, fixed and variable labour), which with free entry
  is :math:`\sum_j X_{ij} = w_i L_i` (origin-paid fixed costs) or
  :math:`\sum_j (X_{ij} - F_{ij}) + \sum_k F_{ki} = w_i L_i` with the fixed-cost
  payments :math:`F_{ij} = (M_{e,i}/\delta) w_j f_{ij} (1 - G_i(\varphi^*_{ij}))`
  to the destination's workers; the goods market / price index
  :math:`\sum_i X_{ij} = w_j L_j`;
* welfare :math:`W_i = w_i/P_i = \rho\varphi^*_{ii}(L_i/\sigma f_{ii})^{1/(\sigma-1)}`,
  the autarky cutoff equation, gains, and the partial trade elasticity
  :math:`\partial\ln X_{ij}/\partial\ln\tau_{ij} = -(\sigma-1) - \gamma_i(\varphi^*_{ij})`.

The numeric layer (:mod:`melitz_sym.numeric.general_equilibrium`) solves the
3N equations in :math:`(\ln w_i, \ln M_{e,i}, \ln A_j)` by Newton's method with
the Jacobian assembled from the sympy derivatives of the pair terms (in the
pair expressions the destination's wage is the symbol ``w_d``).
"""

from __future__ import annotations

import sympy as sp

from ..admissibility import Restriction
from ..derivation import Concretizer, MultiDerivation, Sampler
from ..distributions import Distribution
from ..primitives import Declaration
from ..simplify import tidy
from ..symbols import sym
from ..tails import S, V
from .ces import derive_ces_demand, derive_firm
from .melitz import BOX as MELITZ_BOX
from .melitz import derive_tail_objects
from .multicountry import PAIR_MEANINGS
from .solving import solve_power_law
from .welfare import gamma_of

REF_D = "Demidova & Rodriguez-Clare (2013), JIE 90(2); Melitz (2003)"
BOX = {**MELITZ_BOX, "w": (0.5, 3), "w_d": (0.5, 3), "A": (0.5, 50), "M_e": (0.5, 50)}
J_SUM = sp.Symbol("j")
N_C = sp.Symbol("N", positive=True, integer=True)


def restrictions(dist: Distribution) -> list[Restriction]:
    """Parameter restrictions, checked per country and per pair."""
    sigma, delta, f_e, L, tau, f = (sym(x) for x in ["sigma", "delta", "f_e", "L", "tau", "f"])
    return ([Restriction(sigma > 1, "demand is elastic"),
             Restriction(sp.Gt(delta, 0, evaluate=False), "the exit probability is positive"),
             Restriction(delta <= 1, "the exit probability is at most one")]
            + [Restriction(sp.Gt(s, 0, evaluate=False), f"{words} is positive")
               for s, words in [(f_e, "the sunk entry cost"), (L, "the labour endowment"),
                                (f, "the fixed cost of serving a market")]]
            + [Restriction(tau >= 1, "iceberg trade costs are at least one")]
            + dist.positivity() + dist.restrictions(sigma - 1))


def _sum_j(e: sp.Expr) -> sp.Sum:
    return sp.Sum(e, (J_SUM, 1, N_C))


def derive(decl: Declaration) -> MultiDerivation:
    """Derive the asymmetric N-country Melitz model from its declaration (CES demand,
    heterogeneous firms, free entry with a sunk cost, N countries, exports).

    The export mode's fixed cost is paid at the wage ``w`` of the origin or ``w_d``
    of the destination (``decl.mode("export").fixed.paid_in``); the domestic fixed
    cost is paid at home either way."""
    dist = decl.dist
    sigma, delta, f_e, L, tau, f, w, M_e = (
        sym(x) for x in ["sigma", "delta", "f_e", "L", "tau", "f", "w", "M_e"])
    in_destination = decl.mode("export").fixed.paid_in == "destination"
    w_d = sym("w_d")
    payer = w_d if in_destination else w  # the wage the fixed cost f_ij is paid at
    labour = "destination labour (w_j)" if in_destination else "origin labour (w_i)"
    phi, phi_s, A, p, x = sym("phi"), sym("phi_star"), sym("A"), sym("p"), sym("x")
    params = (sigma, delta, f_e, L, tau, f) + tuple(dist.symbols)
    shapes = {"sigma": "", "delta": "", "f_e": "i", "L": "i", "tau": "ij", "f": "ij",
              **{s.name: "i" for s in dist.symbols}}
    d = MultiDerivation(f"Asymmetric N-country Melitz, {dist.name}", params,
                        restrictions(dist), cutoff=phi_s, support_lower=dist.support[0],
                        shapes=shapes)
    d.sampler = Sampler(params + (phi_s, x, w, sym("w_d"), A, M_e), d.restrictions, BOX,
                        seed=2013)
    with_k = bool(dist.reparametrisation(sigma - 1)[0])

    # ---- firms --------------------------------------------------------------------
    demand = derive_ces_demand(d)
    firm = derive_firm(d, demand, "_ij", w * tau / phi, payer * f, "destination")
    zcp = firm.profit.subs(phi, phi_s)
    cut = tidy(solve_power_law(zcp, phi_s))
    d.add("cutoff", sp.Eq(phi_s, cut, evaluate=False),
          "zero profit of the marginal firm from i in j, pi_ij(phi*_ij) = 0 (fixed cost "
          f"f_ij in {labour}), solved for phi*_ij (a power law)", ["profit_ij"],
          ref=REF_D, obligation=[zcp.subs(phi_s, cut)])
    A_of_cut = sp.powsimp(sp.solve(zcp, A)[0], force=True)

    # ---- entry ----------------------------------------------------------------------
    _, _, j_of = derive_tail_objects(d, dist)
    r1 = firm.revenue.subs(phi, 1)
    expected = r1 * V(phi_s) / sigma - payer * f * S(phi_s)
    d.add("expected_profit", sp.Eq(sp.Symbol("pi_bar_ij"), expected, evaluate=False),
          "expected per-period profit of an entrant from market j: pi_ij(phi) integrated "
          f"over phi >= phi*_ij; with A from zero profit it is {payer} f_ij j(phi*_ij)",
          ["profit_ij", "tail_moment", "survival", "cutoff", "j_function"], ref=REF_D,
          obligation=[firm.revenue - r1 * phi ** (sigma - 1),
                      sp.expand(expected.subs(A, A_of_cut) - payer * f * j_of(phi_s))])
    fe_term = payer / w * f * j_of(phi_s) / (delta * f_e)
    d.add("free_entry", sp.Eq(_sum_j(payer / w * f * sp.Function("j")(phi_s)), delta * f_e,
                              evaluate=False),
          "free entry: the expected value of entry, sum over markets of expected profits "
          "discounted by delta, equals the entry cost w_i f_e, divided by w_i"
          + ("" if in_destination else "; the wage cancels"),
          ["expected_profit"], ref=f"{REF_D}; Melitz (2003) eq. (13)")

    # ---- flows and markets --------------------------------------------------------------
    X = M_e / delta * r1 * V(phi_s)
    p1 = firm.price.subs(phi, 1)
    d.add("flows", sp.Eq(sp.Symbol("X_ij"), X, evaluate=False),
          "sales of i's firms in j: M_e/delta incumbents per unit of density (stationary "
          "distribution), revenue integrated over phi >= phi*_ij",
          ["revenue_ij", "tail_moment"], ref=REF_D)
    unit = w * tau / phi
    variable = sp.powsimp(unit * demand.subs(p, firm.price), force=True)
    fixed_pair = M_e / delta * payer * f * S(phi_s)
    var_pair = M_e / delta * (sigma - 1) / sigma * r1 * V(phi_s)
    sum_x, sum_pi, f_out, f_in = sp.symbols("Sigma_X Sigma_pi F_out F_in", positive=True)
    fixed_i, fixed_ki = sp.Symbol("fixed_ij"), sp.Symbol("fixed_ki")
    if in_destination:  # i's workers do the fixed work of every origin k in i
        hired = w * f_e * M_e + _sum_j(sp.Symbol("variable_ij")) + sp.Sum(
            fixed_ki, (sp.Symbol("k"), 1, N_C))
        via = ("so w_i L_i = sum_j (X_ij - F_ij) + sum_k F_ki with F_ij = (M_e_i/delta) w_j "
               "f_ij (1 - G_i(phi*_ij)) the fixed costs i's firms pay to j's workers")
        market_identity = (w * f_e * M_e + (sum_x - f_out - M_e / delta * sum_pi) + f_in
                           - (sum_x - f_out + f_in))
    else:
        hired = w * f_e * M_e + _sum_j(fixed_i + sp.Symbol("variable_ij"))
        via = "so w_i L_i = sum_j X_ij"
        market_identity = w * f_e * M_e + (sum_x - M_e / delta * sum_pi) - sum_x
    d.add("labour_market", sp.Eq(w * L, hired, evaluate=False),
          "labour market: entry labour M_e f_e plus, per market, fixed labour "
          f"(M_e/delta) f_ij (1 - G(phi*_ij)) in {labour} and variable labour "
          "(sigma-1)/sigma of revenue; fixed + variable + profit = revenue in each market, "
          f"and free entry makes the profits pay for entry, {via}",
          ["flows", "free_entry", "pricing_ij"], ref=f"{REF_D}; Melitz (2003) p. 1705",
          obligation=[sp.powsimp(variable - (sigma - 1) / sigma * firm.revenue, force=True),
                      sp.expand(fixed_pair + var_pair + M_e / delta * expected - X),
                      market_identity.subs(sum_pi, delta * w * f_e)])
    d.add("goods_market", sp.Eq(sp.Sum(sp.Symbol("X_ij"), (sp.Symbol("i"), 1, N_C)),
                                sp.Symbol("w_j") * sp.Symbol("L_j"), evaluate=False),
          "price index P_j^(1-sigma) = sum_i (M_e_i/delta) int p_ij^(1-sigma) dG_i times "
          "A_j = w_j L_j P_j^(sigma-1): spending w_j L_j equals the sales of all origins in j",
          ["price_index_definition", "flows"], ref=REF_D,
          obligation=[X - A * M_e / delta * p1 ** (1 - sigma) * V(phi_s)])

    # ---- welfare ----------------------------------------------------------------------
    P_own = (A / (w * L)) ** (1 / (sigma - 1))
    dom = {tau: 1, w_d: w}  # the domestic pair: no iceberg cost, paid at home
    A_dom = A_of_cut.subs(dom)
    W_cut = tidy(w / P_own.subs(A, A_dom))
    d.add("welfare_cutoff", sp.Eq(sym("W"), W_cut, evaluate=False),
          "welfare w_i/P_i with A_i = w_i L_i P_i^(sigma-1) and A_i from the domestic "
          "zero-profit condition: a function of the domestic cutoff phi*_ii alone",
          ["cutoff", "goods_market"], ref="Melitz (2003) eq. (19); " + REF_D,
          obligation=[cut.subs(dom).subs(A, A_dom) - phi_s, sp.diff(W_cut, w)])
    gamma = gamma_of(dist)
    eps_generic = -(sigma - 1) - gamma(cut)
    d.add("trade_elasticity", sp.Eq(sp.Symbol("varepsilon_ij"), -(sigma - 1) - gamma(phi_s),
                                    evaluate=False),
          "partial elasticity d ln X_ij / d ln tau_ij at given wages, entry and destination "
          "demand: intensive margin -(sigma-1) plus the extensive margin -gamma(phi*_ij)",
          ["flows", "cutoff"], ref="Melitz & Redding (2015); literature.md section 2",
          obligation=[_elasticity_obligation(X, cut, eps_generic, dist)])

    # ---- specialise to the distribution: pair terms for the numeric layer ---------------
    S_l, V_l = sp.Lambda(x, d["survival"].rhs), sp.Lambda(x, d["tail_moment"].rhs)
    d.concretize = Concretizer(((S, S_l), (V, V_l)))
    fe_phi = d.concretize(fe_term)
    log_r = sp.expand_log(sp.log(X / V(phi_s)), force=True)
    log_V = _log_of(V_l(phi_s))
    pair = {"phi_star": cut, "A_of_cut": A_of_cut, "fe": fe_phi,
            "log_r": log_r, "log_V": log_V, "lower": dist.support[0],
            "upper": dist.support[1], "W": W_cut}
    if in_destination:  # F_ij: the fixed costs i's firms pay to j's workers
        log_S = _log_of(S_l(phi_s))
        pair["log_F"] = sp.expand_log(sp.log(M_e / delta * w_d * f), force=True) + log_S
        pair["log_F_phi"] = phi_s * sp.diff(log_S, phi_s)
        for v in (w, w_d, A):
            pair[f"log_F_{v.name}"] = v * sp.diff(pair["log_F"], v)
    # elasticities (log-derivatives) for the chain rule of the Jacobian
    for v in (w, w_d, A, tau):
        pair[f"cut_{v.name}"] = v * sp.diff(cut, v) / cut
        pair[f"log_r_{v.name}"] = v * sp.diff(log_r, v)
    for v in (w, w_d, A):
        pair[f"fe_{v.name}"] = v * sp.diff(fe_phi, v)
    pair["fe_phi"] = phi_s * sp.diff(fe_phi, phi_s)
    pair["log_V_phi"] = phi_s * sp.diff(log_V, phi_s)
    pair = {key: _erfc(_neat(e, with_k)) for key, e in pair.items()}
    d.add("autarky_cutoff", sp.Eq(sp.expand(f * j_of(phi_s)), delta * f_e, evaluate=False),
          "free entry with the domestic market only (autarky), in the domestic cutoff; "
          "autarky welfare follows from welfare_cutoff", ["free_entry", "welfare_cutoff"],
          ref="Melitz (2003) eq. (14)")
    phi_A = solve_power_law(fe_phi.subs(dom) - 1, phi_s)
    if phi_A is not None:
        pair["phi_A"] = _neat(phi_A, with_k)
    d.pair = pair
    whose = (("w", "i"), ("w_d", "j"), ("A", "j"), ("tau", "ij"))
    d.meanings = {
        **PAIR_MEANINGS,
        "f_e": "sunk entry cost of the origin i (labour)",
        "M_e": "mass of entrants per period of the origin i (an unknown)",
        "A": "demand shifter A_j = w_j L_j P_j^(sigma-1) of the destination j (an unknown)",
        "w": "wage of the origin i (an unknown; w_0 = 1 is the numeraire)",
        "w_d": "wage w_j of the destination j (the same unknowns as w, by destination)",
        "W": "welfare w_i/P_i of country i from its domestic cutoff: evaluate at the "
             "domestic pair (i, i)",
        "A_of_cut": "the demand shifter A_j at which phi_star is the pair's cutoff (zero "
                    "profit solved for A)",
        "fe": "the pair's term f_ij j_i(phi*_ij)/(delta f_e_i) of origin i's free-entry "
              "condition: its sum over destinations j is 1",
        "log_r": "log of X_ij/V_i(phi*_ij): X_ij = exp(log_r + log_V)",
        "log_V": "log of the tail moment V_i(phi*_ij) of origin i's productivity",
        "lower": "lower bound of origin i's productivity (every cutoff lies above it)",
        "upper": "upper bound of origin i's productivity (every cutoff lies below it)",
        **{f"cut_{v}": f"elasticity d ln phi*_ij / d ln {v}_{ij}" for v, ij in whose},
        **{f"log_r_{v}": f"d log_r / d ln {v}_{ij}" for v, ij in whose},
        "fe_phi": "phi*_ij d fe / d phi*_ij",
        **{f"fe_{v}": f"{v} d fe / d {v} at a given cutoff" for v in ("w", "w_d", "A")},
        "log_F": "log of F_ij = (M_e_i/delta) w_j f_ij (1 - G_i(phi*_ij)), the fixed costs "
                 "origin i's firms pay to destination j's workers (destination-paid fixed "
                 "costs only)",
        "log_F_phi": "d log_F / d ln phi*_ij",
        **{f"log_F_{v}": f"d log_F / d ln {v} at a given cutoff" for v in ("w", "w_d", "A")},
        "log_V_phi": "d log_V / d ln phi*_ij",
        "phi_A": "autarky cutoff of country i (free entry with the domestic market only): "
                 "evaluate at the domestic pair (i, i)",
    }
    labour_sum = ("sum_j (X_ij - F_ij) + sum_k F_ki" if in_destination else "sum_j X_ij")
    d.assembly = (
        "Unknowns ln w_i, ln M_e_i, ln A_j (3N); equations: sum_j fe = 1 (free_entry), "
        f"{labour_sum} = w_i L_i (labour_market), sum_i X_ij/(w_j L_j) = 1 "
        "(goods_market),",
        "the goods market of country 0 replaced by ln w_0 = 0 (Walras' law); phi_star "
        "per pair from w = w_i, w_d = w_j and A_j, X_ij = exp(log_r + log_V)"
        + (", F_ij = exp(log_F)." if in_destination else "."),
        "Newton Jacobian by the chain rule: d ln X_ij/d ln v = log_r_v + log_V_phi "
        "cut_v and d fe/d ln v = fe_v + fe_phi cut_v for v = w_i, w_j, A_j "
        "(d ln X_ij/d ln M_e_i = 1).",
        "Outputs: lam_ij = X_ij / sum_k X_kj, P_j = (A_j/(w_j L_j))^(1/(sigma-1)), "
        "gains_i = W(phi*_ii)/W(autarky cutoff), eps_ij = log_r_tau + log_V_phi cut_tau.")
    i_sum = sp.Symbol("i")
    d.add("lam", sp.Eq(sp.Symbol("lam_ij"), sp.Symbol("X_ij") / sp.Sum(
        sp.Symbol("X_ij"), (i_sum, 1, N_C)), evaluate=False),
          "expenditure share of j on goods from i (lam_jj: the domestic share)", ["flows"],
          ref=REF_D)
    d.add("M", sp.Eq(sym("M"), M_e / delta * S(phi_s).subs(tau, 1), evaluate=False),
          "producers of i: the stationary mass M_e/delta of incumbents times the share "
          "above the domestic cutoff phi*_ii", ["survival", "cutoff"], ref=REF_D)
    d.add("gains", sp.Eq(sym("gains"), sp.Symbol("W_i") / sp.Symbol("W_i^A"), evaluate=False),
          "gains from trade: welfare at the trade equilibrium over welfare at the autarky "
          "cutoff (welfare_cutoff at the root of autarky_cutoff)",
          ["welfare_cutoff", "autarky_cutoff"], ref=REF_D)
    d.defines.update({"phi_star": "cutoff", "X": "flows", "w": "labour_market",
                      "P": "goods_market", "A": "goods_market", "M_e": "free_entry",
                      "W": "welfare_cutoff", "eps": "trade_elasticity"})
    d.outputs = {name: sp.Symbol(name) for name in
                 ("phi_star", "X", "lam", "w", "P", "A", "M_e", "M", "W", "gains", "eps")}
    d.shapes.update({"phi_star": "ij", "X": "ij", "lam": "ij", "w": "i", "P": "i", "A": "i",
                     "M_e": "i", "M": "i", "W": "i", "gains": "i", "eps": "ij"})
    return d


def _elasticity_obligation(X: sp.Expr, cut: sp.Expr, eps: sp.Expr,
                           dist: Distribution) -> sp.Expr:
    """tau d ln X/d tau minus the claim, with V' = -x^(sigma-1) g (fundamental theorem)."""
    sigma, tau, x = sym("sigma"), sym("tau"), sp.Dummy("x", positive=True)
    g = dist.pdf(x) if dist.continuous else sp.Integer(0)
    total = tau * sp.diff(sp.log(X.subs(sym("phi_star"), cut)), tau)
    total = total.replace(lambda e: isinstance(e, sp.Subs),
                          lambda e: (-x ** (sigma - 1) * g).subs(x, e.point[0]))
    return total - eps


NEAT_MAX_OPS = 200  #: larger expressions are left as they are (an operation budget)


def _log_of(e: sp.Expr) -> sp.Expr:
    r""":math:`\log e` as a sum of logs, for a positive product ``e``: each factor that
    sympy proves positive apart (``expand_log(force=True)``, powers as multiples),
    and the factors whose sign it cannot tell in one log where there are several,
    since their product is positive but each may be negative: the truncated
    Pareto's tail moment is :math:`k b^k (b^k b_H^{\sigma-1} - x^{\sigma-1-k}(b b_H)^k)
    / ((b^k - b_H^k)(k - \sigma + 1))`, whose bracket and :math:`b^k - b_H^k` are
    both negative (split, their logs were nan in double: melitz-asym never solved
    with it)."""
    factors = sp.Mul.make_args(e)
    unknown = [f for f in factors if not f.is_positive]
    if len(unknown) < 2:
        return sp.expand_log(sp.log(e), force=True)
    known = sp.Mul(*[f for f in factors if f.is_positive])
    return sp.expand_log(sp.log(known), force=True) + sp.log(sp.Mul(*unknown))


def _neat(e: sp.Expr, with_k: bool) -> sp.Expr:
    """Combine powers in the shifted symbols (exact); as is on failure or above
    :data:`NEAT_MAX_OPS` operations (all that succeeded have at most 154)."""
    if sp.count_ops(e) > NEAT_MAX_OPS:
        return e
    try:
        return tidy(e, with_k)
    except (TypeError, ValueError, NotImplementedError):
        return e


def _erfc(e: sp.Expr) -> sp.Expr:
    """Write 1 + erf(a) as erfc(-a) and 1 - erf(a) as erfc(a): no cancellation in the tail."""

    def erf_arg(t: sp.Expr) -> sp.Expr | None:
        """a for t = erf(a), -a for t = -erf(a), else None."""
        if isinstance(t, sp.erf):
            return -t.args[0]
        if isinstance(-t, sp.erf):
            return (-t).args[0]
        return None

    def is_tail(t: sp.Basic) -> bool:
        return (t.is_Add and len(t.args) == 2 and sp.S.One in t.args
                and any(erf_arg(a) is not None for a in t.args))

    def rewrite(t: sp.Expr) -> sp.Expr:
        other = t.args[0] if t.args[1] == sp.S.One else t.args[1]
        return sp.erfc(erf_arg(other), evaluate=False)

    return e.replace(is_tail, rewrite)

