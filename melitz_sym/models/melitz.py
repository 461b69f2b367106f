r"""Melitz (2003): heterogeneous firms, closed economy and n+1 symmetric countries.

The derivation runs in two layers.

1. **Generic.**  The survival function :math:`S` and the tail moment
   :math:`V(x) = \int_x t^{\sigma-1} dG(t)` are kept as undefined functions.
   Every step that holds for any productivity distribution is derived and
   proved here: zero-cutoff-profit conditions, the export cutoff, averages,
   Melitz's :math:`k(\varphi)` and :math:`j(\varphi)`, free entry, the cutoff
   equation, the labour market, masses, the price index, welfare and the
   domestic expenditure share.
2. **Specialised.**  :math:`S` and :math:`V` are replaced by the expressions
   sympy integrates from the declared density.  If the cutoff equation is a
   power law in :math:`\varphi^*` (Pareto) it is solved in closed form and
   every output gets a closed form; distribution-specific facts (constant
   :math:`k(\varphi)`, invariant entry, the ACR formula) are tested and added as
   checked steps when they hold.

The wage is the numeraire (:math:`w = 1`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..admissibility import Restriction
from ..derivation import Concretizer, Derivation, Sampler, is_zero_symbolic
from ..distributions import Distribution
from ..primitives import Declaration, FixedEntrants
from ..simplify import combine, shifted, tidy, unshift
from ..symbols import sym
from ..tails import S, V
from . import welfare
from .ces import FirmProblem, derive_ces_demand, derive_firm, rho
from .solving import solve_power_law

REF_O = "Melitz (2003), open economy, section 4"
BOX = {"sigma": (1.5, 8), "k": (0.6, 13), "b": (0.2, 3), "b_H": (3.5, 20), "mu": (-1, 1),
       "s": (0.25, 1.5), "f": (0.5, 3), "f_x": (0.5, 6), "f_e": (0.5, 5),
       "delta": (0.01, 1), "tau": (1, 3), "n": (0, 10), "L": (1, 1000),
       "phi_star": (3, 6), "x": (3, 6)}


def restrictions(dist: Distribution, open_economy: bool,
                 sunk: bool = True) -> list[Restriction]:
    """Parameter restrictions of the Melitz model with distribution ``dist`` (``sunk``:
    free entry with a sunk cost; else a fixed mass of entrants, with no f_e or delta)."""
    sigma, tau, f, f_x, f_e, delta, n, L = (sym(x) for x in
                                            ["sigma", "tau", "f", "f_x", "f_e", "delta", "n", "L"])
    entry = [Restriction(sp.Gt(f_e, 0, evaluate=False), "the sunk entry cost is positive"),
             Restriction(sp.Gt(delta, 0, evaluate=False), "the exit probability is positive"),
             Restriction(delta <= 1, "the exit probability is at most one")]
    out = ([Restriction(sigma > 1, "demand is elastic"),
            Restriction(sp.Gt(f, 0, evaluate=False), "the fixed production cost is positive")]
           + (entry if sunk else [])
           + [Restriction(sp.Gt(L, 0, evaluate=False), "the labour endowment is positive")])
    if open_economy:
        out += [Restriction(sp.Ge(n, 0, evaluate=False),
                            "the number of trading partners is nonnegative"),
                Restriction(tau >= 1, "iceberg trade costs are at least one"),
                Restriction(sp.Gt(f_x, 0, evaluate=False), "the fixed export cost is positive")]
        if dist.continuous:
            out.append(Restriction(tau ** (sigma - 1) * f_x > f,
                                   "selection into exporting: exporters are a strict "
                                   "subset of producers", when=n > 0))
    return out + dist.positivity() + dist.restrictions(sigma - 1)


def derive(decl: Declaration) -> Derivation:
    """Derive the Melitz model from its declaration.

    Parameters
    ----------
    decl : CES demand, heterogeneous firms (the productivity distribution,
        declared by its density or cdf), free entry with a sunk cost, and either
        a closed economy (Melitz 2003, section 3) or n+1 symmetric countries with
        exports at iceberg cost tau and per-period export cost f_x (n = 0 is
        autarky).
    """
    st = _firms(decl)
    if isinstance(decl.entry, FixedEntrants):
        return _fixed_entrants(st)
    d, dist, open_economy, r = st.d, st.dist, st.open_economy, st.r
    sigma, tau, f, f_x, f_e, delta, n, L = (sym(x) for x in
                                            ["sigma", "tau", "f", "f_x", "f_e", "delta", "n", "L"])
    phi, phi_s, phi_x, A, R = sym("phi"), sym("phi_star"), sym("phi_x_star"), sym("A"), sym("R")
    dom, exp, pi_d, pi_x, A_sol, phi_x_of = st.dom, st.exp, st.pi_d, st.pi_x, st.A_sol, st.phi_x_of
    phi_tilde_of, k_of, j_of, p_in, p_x = st.phi_tilde_of, st.k_of, st.j_of, st.p_in, st.p_x

    # ---- average profit: ZCP and free entry --------------------------------
    pi_bar = (pi_d.subs(phi, phi_tilde_of(phi_s))
              + n * p_x * pi_x.subs(phi, phi_tilde_of(phi_x))).subs(A, A_sol)
    pi_bar = sp.expand(sp.powsimp(sp.expand_power_base(pi_bar, force=True), force=True))
    zcp_form = f * k_of(phi_s) + (n * p_x * f_x * k_of(phi_x) if open_economy else 0)
    d.add("zcp_average", sp.Eq(sym("pi_bar"), zcp_form, evaluate=False),
          "average profit pi(phi_tilde) + n p_x pi_x(phi_tilde_x) with A from the "
          "zero-profit conditions: the ZCP curve", ["zcp", "phi_tilde", "k_function"]
          + (["export_cutoff", "p_x"] if open_economy else []), ref="Melitz (2003) eq. (12)",
          obligation=[(pi_bar - zcp_form).subs(phi_x, phi_x_of)])
    v_e = p_in * sym("pi_bar") / delta - f_e
    pi_bar_fe = sp.solve(v_e, sym("pi_bar"))[0]
    d.add("free_entry", sp.Eq(sym("pi_bar"), pi_bar_fe, evaluate=False),
          "free entry: the value of entry p_in pi_bar/delta - f_e is zero (profits "
          "discounted by the exit probability delta)", ["p_in"], ref="Melitz (2003) eq. (13)",
          obligation=[v_e.subs(sym("pi_bar"), pi_bar_fe)])
    cutoff_lhs = f * j_of(phi_s) + (n * f_x * j_of(phi_x) if open_economy else 0)
    d.add("cutoff_equation", sp.Eq(sp.expand(cutoff_lhs), delta * f_e, evaluate=False),
          "ZCP = FE multiplied by 1 - G(phi*): f j(phi*) + n f_x j(phi_x*) = delta f_e",
          ["zcp_average", "free_entry", "j_function"], ref="Melitz (2003) eq. (14)",
          obligation=[(p_in * zcp_form - cutoff_lhs)])
    residual_generic = cutoff_lhs.subs(phi_x, phi_x_of) - delta * f_e

    # ---- labour market, masses, aggregates ----------------------------------
    M_sym, M_e_sym = sym("M"), sym("M_e")
    stationarity = sp.Eq(p_in * M_e_sym, delta * M_sym)
    d.add("stationarity", stationarity,
          "stationary firm distribution: successful entrants replace exiting firms",
          ["p_in"], ref="Melitz (2003) p. 1704")
    Pi = M_sym * sym("pi_bar")
    L_e = (M_e_sym * f_e).subs(M_e_sym, sp.solve(stationarity, M_e_sym)[0])
    L_e = L_e.subs(sym("pi_bar"), pi_bar_fe)  # keep pi_bar symbolic in Pi
    R_sol = sp.solve(sp.Eq(L, (R - Pi) + L_e).subs(sym("pi_bar"), pi_bar_fe), R)[0]
    d.add("labour_market", sp.Eq(R, R_sol, evaluate=False),
          "labour market: L = L_p + L_e with production labour L_p = R - Pi and entry "
          "labour L_e = M_e f_e = Pi (by stationarity and free entry), so R = L",
          ["stationarity", "free_entry"], ref="Melitz (2003) p. 1705",
          obligation=[L_e - Pi.subs(sym("pi_bar"), pi_bar_fe)])
    r_bar = (dom.revenue.subs(phi, phi_tilde_of(phi_s))
             + n * p_x * (exp.revenue.subs(phi, phi_tilde_of(phi_x)) if open_economy else 0)
             ).subs(A, A_sol)
    r_bar = sp.expand(sp.powsimp(sp.expand_power_base(r_bar, force=True), force=True))
    d.add("r_bar", sp.Eq(sym("r_bar"), r_bar, evaluate=False),
          "average revenue r(phi_tilde) + n p_x r_x(phi_tilde_x) with A from ZCP",
          ["revenue", "zcp", "phi_tilde"], ref="Melitz (2003) eq. (17)",
          obligation=[(r_bar - sigma * (zcp_form + f + n * p_x * f_x)).subs(phi_x, phi_x_of)])
    M = R_sol / r_bar
    d.add("M", sp.Eq(M_sym, M, evaluate=False),
          "mass of producers M = R / r_bar", ["labour_market", "r_bar"],
          ref="Melitz (2003) eq. (18)")
    M_x = p_x * M
    M_t = (1 + n * p_x) * M
    M_e = delta * M / p_in
    if open_economy:
        d.add("M_x", sp.Eq(sym("M_x"), M_x, evaluate=False),
              "mass of exporters p_x M", ["p_x", "M"], ref=REF_O)
        d.add("M_t", sp.Eq(sym("M_t"), M_t, evaluate=False),
              "varieties available: M home producers and n M_x foreign exporters",
              ["M_x"], ref=REF_O)
    d.add("M_e", sp.Eq(M_e_sym, M_e, evaluate=False), "mass of entrants from stationarity",
          ["stationarity", "M"], ref="Melitz (2003) p. 1704")
    phi_t_pow = (M * phi_tilde_of(phi_s) ** (sigma - 1)
                 + n * M_x * (phi_tilde_of(phi_x) / tau) ** (sigma - 1)) / M_t
    # Powers with exponent 1/(sigma-1) are built unevaluated (and their equations not
    # tested for truth): sympy is slow to expand them in sigma, fast in shifted symbols.
    phi_t_def = sp.Pow(phi_t_pow, 1 / (sigma - 1), evaluate=False)
    if open_economy:
        d.add("phi_tilde_t", sp.Eq(sym("phi_tilde_t"), phi_t_def, evaluate=False),
              "aggregate productivity: the (sigma-1)-mean over home producers and foreign "
              "exporters (adjusted for tau)", ["M_t", "phi_tilde_x"], ref=REF_O)
    # Price index from its definition: integrate p^(1-sigma) over varieties sold.
    price_d = dom.price
    P_pow = (M * price_d.subs(phi, 1) ** (1 - sigma) * V(phi_s) / p_in
             + (n * M * (tau * price_d.subs(phi, 1)) ** (1 - sigma) * V(phi_x) / p_in
                if open_economy else 0))
    P = sp.Pow(P_pow, 1 / (1 - sigma), evaluate=False)
    d.add("price_index", sp.Eq(sym("P"), P, evaluate=False),
          "price index: p(phi)^(1-sigma) integrated over home producers (density "
          "g/(1-G(phi*)) above phi*) and foreign exporters (above phi_x*, price tau p)",
          ["price_index_definition", "pricing", "M", "tail_moment"], ref="Melitz (2003) eq. (8)",
          obligation=[(P_pow - M_t * r ** (sigma - 1) * phi_t_pow).xreplace({phi_x: phi_x_of}),
                      (A_sol - R_sol * P_pow ** -1).xreplace({phi_x: phi_x_of})])
    P_sol = solve_power_law(R_sol * sym("P") ** (sigma - 1) - A_sol, sym("P"))
    W_cutoff = tidy(1 / P_sol)
    d.add("welfare", sp.Eq(sym("W"), 1 / sym("P"), evaluate=False),
          "welfare per worker is the real wage w/P with w = 1", ["price_index"],
          ref="Melitz (2003) p. 1706")
    d.add("welfare_cutoff", sp.Eq(sym("W"), W_cutoff, evaluate=False),
          "A = R P^(sigma-1) with A from ZCP and R = L, solved for 1/P: welfare "
          "depends on the domestic cutoff alone, for any distribution",
          ["demand_shifter", "zcp", "labour_market", "welfare"], ref="Melitz (2003) eq. (19)",
          obligation=[(W_cutoff ** (sigma - 1) - P_pow).subs(phi_x, phi_x_of)])
    lam = M * dom.revenue.subs(phi, phi_tilde_of(phi_s)).subs(A, A_sol) / R_sol
    imports = (n * M_x * exp.revenue.subs(phi, phi_tilde_of(phi_x)).subs(A, A_sol) / R_sol
               if open_economy else sp.Integer(0))
    lam = sp.powsimp(sp.expand_power_base(lam, force=True), force=True)
    d.add("lam", sp.Eq(sym("lam"), lam, evaluate=False),
          "domestic expenditure share: sales of home producers at home over R",
          ["M", "revenue", "labour_market"], ref="Arkolakis, Costinot, Rodriguez-Clare (2012)",
          obligation=[(lam + imports - 1).subs(phi_x, phi_x_of)])

    # ---- the system in terms of phi_star ------------------------------------
    outputs = {"phi_star": phi_s, "p_in": p_in, "phi_tilde": phi_tilde_of(phi_s),
               "M": M, "M_e": M_e, "pi_bar": pi_bar_fe, "r_bar": r_bar,
               # P = 1/W by welfare_cutoff's proof, not the definition's sum: with a
               # bounded support its expanded terms cancel as k -> sigma - 1 (truncated
               # Pareto: 4.6% off at k - sigma + 1 = 1e-7, 93% at 1e-9)
               "P": tidy(1 / W_cutoff), "W": W_cutoff}
    if open_economy:
        outputs.update({"phi_x_star": phi_x, "p_x": p_x, "phi_tilde_x": phi_tilde_of(phi_x),
                        "phi_tilde_t": phi_t_def, "M_x": M_x, "M_t": M_t, "lam": lam})
        trade_ratio = sp.powsimp(sp.expand_power_base(imports / (n * lam), force=True),
                                 force=True)
        outputs.update(welfare.derive(
            d, dist, lam=lam, lam_of_Me=M_e_sym * lam / M_e, M_e=M_e, W=W_cutoff,
            trade_ratio=trade_ratio, cutoffs={phi_x: phi_x_of}))
        d.defines.update({"phi_x_star": "export_cutoff", "eps": "trade_elasticity_general"})
    d.defines.update({"pi_bar": "free_entry", "P": "price_index", "W": "welfare"})
    specialise(d, dist, outputs, residual_generic, open_economy, {phi_x: phi_x_of})
    return d


@dataclass(frozen=True)
class _Firms:
    """What the firm stage derived: the derivation so far, the firm problems, the demand
    shifter from zero cutoff profit, the export cutoff and the tail objects."""

    d: Derivation
    dist: Distribution
    open_economy: bool
    r: sp.Expr
    dom: FirmProblem
    exp: FirmProblem | None
    pi_d: sp.Expr
    pi_x: sp.Expr
    A_sol: sp.Expr
    phi_x_of: sp.Expr
    phi_tilde_of: sp.Lambda
    k_of: sp.Lambda
    j_of: sp.Lambda
    p_in: sp.Expr
    p_x: sp.Expr


def _firms(decl: Declaration) -> _Firms:
    """The stages every CES heterogeneous-firm closure shares: demand, pricing, revenue and
    profit per market, zero cutoff profit (the demand shifter A in phi*), the export
    cutoff, the distribution's tail objects and the probabilities of producing and
    exporting."""
    dist, open_economy = decl.dist, decl.geography.open
    sunk = not isinstance(decl.entry, FixedEntrants)
    sigma, tau, f, f_x, f_e, delta, n, L = (sym(x) for x in
                                            ["sigma", "tau", "f", "f_x", "f_e", "delta", "n", "L"])
    phi, phi_s, phi_x, A = sym("phi"), sym("phi_star"), sym("phi_x_star"), sym("A")
    x = sym("x")
    params = ([sigma, f] + ([f_e, delta] if sunk else []) + [L]
              + ([tau, f_x, n] if open_economy else []) + list(dist.symbols))
    title = f"Melitz (2003) {'open' if open_economy else 'closed'} economy, {dist.name}"
    if not sunk:
        title = (f"Melitz (2003) {'open' if open_economy else 'closed'} economy with a fixed "
                 f"mass of entrants (Chaney 2008), {dist.name}")
    d = Derivation(title, tuple(params), restrictions(dist, open_economy, sunk), cutoff=phi_s,
                   support_lower=dist.support[0], support_upper=dist.support[1])
    d.sampler = Sampler(d.parameters + (phi_s, x), d.restrictions, BOX, seed=20031101)
    r = rho()

    # ---- firms -----------------------------------------------------------
    demand = derive_ces_demand(d)
    dom = derive_firm(d, demand, "", 1 / phi, f, "domestic")
    d.add("relative_size", sp.Eq(dom.revenue.subs(phi, sp.Symbol("phi_1", positive=True))
                                 / dom.revenue.subs(phi, sp.Symbol("phi_2", positive=True)),
                                 (sp.Symbol("phi_1") / sp.Symbol("phi_2")) ** (sigma - 1),
     evaluate=False),
          "ratio of revenues of two firms", ["revenue"], ref="Melitz (2003) eq. (5)")
    pi_d = dom.profit
    A_sol = sp.solve(sp.Eq(pi_d.subs(phi, phi_s), 0), A)[0]
    d.add("zcp", sp.Eq(sp.Function("r_d")(phi_s), sigma * f, evaluate=False),
          "zero cutoff profit: pi(phi*) = 0, solved for the demand shifter "
          f"A = {sp.sstr(A_sol)}", ["profit"], ref="Melitz (2003) eq. (7)",
          obligation=[pi_d.subs({phi: phi_s, A: A_sol})])
    phi_x_of = sp.Integer(0)
    pi_x = sp.Integer(0)
    exp = None
    if open_economy:
        exp = derive_firm(d, demand, "_x", tau / phi, f_x, "export")
        pi_x = exp.profit
        zcp_x = sp.Eq(pi_x.subs(phi, phi_x).subs(A, A_sol), 0)
        d.add("export_zcp", sp.Eq(sp.Function("r_x")(phi_x), sigma * f_x, evaluate=False),
              "zero export profit at the export cutoff: pi_x(phi_x*) = 0, in a foreign "
              "market with the same demand shifter A (symmetry)", ["profit_x", "zcp"],
              ref=REF_O, obligation=[])
        phi_x_of = tidy(solve_power_law(zcp_x.lhs, phi_x))
        d.add("export_cutoff", sp.Eq(phi_x, phi_x_of, evaluate=False),
              "the export zero-profit condition solved for phi_x* (a power law)",
              ["export_zcp"], ref=REF_O, obligation=[zcp_x.lhs.subs(phi_x, phi_x_of)])

    # ---- distribution: survival and tail moment ---------------------------
    # Generic layer: S and V undefined; the closed forms come in at the end.
    phi_tilde_of, k_of, j_of = derive_tail_objects(d, dist)
    p_in = S(phi_s)
    d.add("p_in", sp.Eq(sym("p_in"), p_in, evaluate=False),
          "probability of successful entry 1 - G(phi*)",
          ["survival"], ref="Melitz (2003) p. 1702")
    p_x = S(phi_x) / S(phi_s) if open_economy else sp.Integer(0)
    if open_economy:
        d.add("p_x", sp.Eq(sym("p_x"), p_x, evaluate=False),
              "probability of exporting conditional on producing", ["survival"], ref=REF_O)
        d.add("phi_tilde_x", sp.Eq(sym("phi_tilde_x"), phi_tilde_of(phi_x), evaluate=False),
              "average productivity of exporters", ["phi_tilde"], ref=REF_O)
    return _Firms(d, dist, open_economy, r, dom, exp, pi_d, pi_x, A_sol, phi_x_of, phi_tilde_of,
                  k_of, j_of, p_in, p_x)


def expected_over(profit: sp.Expr, lo: sp.Expr, hi: sp.Expr | None) -> sp.Expr:
    r"""Integral of ``profit`` (of the form :math:`c\varphi^{\sigma-1} - F`) against
    :math:`dG` over :math:`[lo, hi)`: :math:`c[V(lo) - V(hi)] - F[S(lo) - S(hi)]`."""
    phi, sigma = sym("phi"), sym("sigma")
    terms = sp.Add.make_args(sp.expand(sp.expand_power_base(profit, force=True)))
    c = sp.powsimp(sp.Add(*[t for t in terms if t.has(phi)]) / phi ** (sigma - 1), force=True)
    F = -sp.Add(*[t for t in terms if not t.has(phi)])
    if c.has(phi) or F.has(phi):
        raise ValueError(f"profit {profit} is not of the form c phi^(sigma-1) - F")
    V_hi, S_hi = (V(hi), S(hi)) if hi is not None else (0, 0)
    return c * (V(lo) - V_hi) - F * (S(lo) - S_hi)



def _fixed_entrants(st: _Firms) -> Derivation:
    r"""The fixed-entrants closure (Chaney 2008) of the symmetric model.

    A mass :math:`M_e = wL` of potential entrants (:math:`w = 1`) draws productivity;
    nobody pays an entry cost, and profits :math:`\Pi` are paid to consumers, so income
    is :math:`R = L + \Pi`.  The cutoff solves the definition of the demand shifter
    :math:`A = R P^{\sigma-1}` with :math:`A` from zero cutoff profit.  Welfare per
    worker is real income :math:`R/(LP)`.
    """
    d, dist, open_economy = st.d, st.dist, st.open_economy
    sigma, tau, f, f_x, n, L = (sym(x) for x in ["sigma", "tau", "f", "f_x", "n", "L"])
    phi, phi_s, phi_x, A, R = sym("phi"), sym("phi_star"), sym("phi_x_star"), sym("A"), sym("R")
    M_e_sym, M_sym, P_sym, Pi = sym("M_e"), sym("M"), sym("P"), sp.Symbol("Pi", positive=True)
    cutoffs = {phi_x: st.phi_x_of} if open_economy else {}
    d.add("M_e", sp.Eq(M_e_sym, L, evaluate=False),
          "primitive: a mass of potential entrants proportional to the labour force, "
          "M_e = w L with w = 1; none pays an entry cost", ref="Chaney (2008), AER 98(4)")
    M = L * st.p_in
    d.add("M", sp.Eq(M_sym, M, evaluate=False),
          "producers: the potential entrants with productivity at least phi*",
          ["M_e", "p_in"])
    # Profit of each market integrated over the potential entrants' productivities.
    expected = expected_over(st.pi_d, phi_s, None)
    j_form = f * st.j_of(phi_s)
    if open_economy:
        expected += n * expected_over(st.pi_x, phi_x, None)
        j_form += n * f_x * st.j_of(phi_x)
    d.add("profits", sp.Eq(Pi, L * j_form, evaluate=False),
          "aggregate profit: profit in each market integrated over the potential "
          "entrants' productivities above its cutoff, times M_e, with A from zero "
          "cutoff profit", ["M_e", "zcp", "j_function"]
          + (["export_cutoff"] if open_economy else []), ref="Chaney (2008)",
          obligation=[sp.expand(expected.subs(A, st.A_sol) - j_form).xreplace(cutoffs)])
    R_sol = L + L * j_form
    d.add("income", sp.Eq(R, L + Pi, evaluate=False),
          "income: wages w L = L plus the profits paid out to consumers", ["profits"],
          ref="Chaney (2008)")
    unit = st.dom.price.subs(phi, 1) ** (1 - sigma)
    P_pow = L * unit * (V(phi_s) + (n * tau ** (1 - sigma) * V(phi_x) if open_economy else 0))
    d.add("price_index", sp.Eq(P_sym, sp.Pow(P_pow, 1 / (1 - sigma), evaluate=False),
                               evaluate=False),
          "price index: p(phi)^(1-sigma) integrated over the potential entrants' "
          "productivities above phi* (home) and above phi_x* (foreign exporters, price "
          "tau p)", ["price_index_definition", "pricing", "M_e", "tail_moment"])
    lhs = sp.expand(sp.powsimp(sp.expand_power_base((st.A_sol * P_pow - L * j_form) / L,
                                                    force=True), force=True))
    d.add("cutoff_equation", sp.Eq(lhs, 1, evaluate=False),
          "the demand shifter A from zero cutoff profit equals its definition "
          "R P^(sigma-1) with income R = L + Pi: A P^(1-sigma) - Pi = L, divided by L",
          ["demand_shifter", "zcp", "price_index", "income"],
          obligation=[(st.A_sol * P_pow - R_sol - L * (lhs - 1)).xreplace(cutoffs)])
    residual = lhs.xreplace(cutoffs) - 1
    outputs = {"phi_star": phi_s, "p_in": st.p_in, "phi_tilde": st.phi_tilde_of(phi_s),
               "M": M, "M_e": L}
    d.add("pi_bar", sp.Eq(sym("pi_bar"), L * j_form / M, evaluate=False),
          "average profit of producers Pi / M", ["profits", "M"])
    d.add("r_bar", sp.Eq(sym("r_bar"), R_sol / M, evaluate=False),
          "average revenue of producers R / M (balanced trade: home firms' sales equal "
          "home spending)", ["income", "M"])
    P = sp.Pow(P_pow, 1 / (1 - sigma), evaluate=False)
    d.add("welfare", sp.Eq(sym("W"), R_sol / (L * P_sym), evaluate=False),
          "welfare per worker: real income R/(L P)", ["income", "price_index"])
    lam = sp.powsimp(sp.expand_power_base(
        L * st.dom.revenue.subs(phi, 1).subs(A, st.A_sol) * V(phi_s) / R_sol, force=True),
        force=True)
    imports = (L * n * st.exp.revenue.subs(phi, 1).subs(A, st.A_sol) * V(phi_x) / R_sol
               if open_economy else sp.Integer(0))
    d.add("lam", sp.Eq(sym("lam"), lam, evaluate=False),
          "domestic expenditure share: sales of home producers at home over R; with "
          "imports the shares sum to one where the cutoff equation holds",
          ["M_e", "revenue", "income", "cutoff_equation"],
          obligation=[((lam + imports - 1) * R_sol - L * (lhs - 1)).xreplace(cutoffs)])
    outputs.update({"pi_bar": L * j_form / M, "r_bar": R_sol / M, "P": P,
                    "W": R_sol / L * sp.Pow(P_pow, 1 / (sigma - 1), evaluate=False),
                    "lam": lam})
    d.defines.update({"P": "price_index", "W": "welfare"})
    if open_economy:
        p_x = st.p_x
        d.add("M_x", sp.Eq(sym("M_x"), p_x * M, evaluate=False),
              "mass of exporters p_x M", ["p_x", "M"], ref=REF_O)
        outputs.update({"phi_x_star": phi_x, "p_x": p_x,
                        "phi_tilde_x": st.phi_tilde_of(phi_x), "M_x": p_x * M})
        d.defines["phi_x_star"] = "export_cutoff"
    specialise(d, dist, outputs, residual, open_economy, cutoffs)
    return d


def derive_tail_objects(d: Derivation, dist: Distribution) -> tuple[sp.Lambda, ...]:
    r"""Add the generic distribution steps; return :math:`\tilde\varphi(x)`, k(x), j(x).

    ``survival`` and ``tail_moment`` record the integrals of the declared
    density (S and V stay undefined functions in the generic layer);
    ``phi_tilde``, ``k_function`` and ``j_function`` define Melitz's
    :math:`\tilde\varphi(x) = (V/S)^{1/(\sigma-1)}`,
    :math:`k(x) = (\tilde\varphi(x)/x)^{\sigma-1} - 1` and :math:`j(x) = S(x) k(x)`.
    """
    sigma, phi_s, x = sym("sigma"), sym("phi_star"), sym("x")
    d.add("survival", sp.Eq(S(x), dist.survival(x), evaluate=False),
          "S(x) = 1 - G(x): the density integrated from x to the upper bound "
          + _integration_note(dist), obligation=_integral_obligations(dist, x, 0))
    d.add("tail_moment", sp.Eq(V(x), dist.tail_moment(x, sigma - 1), evaluate=False),
          "V(x): t^(sigma-1) integrated against the density from x to the upper bound "
          + _integration_note(dist), obligation=_integral_obligations(dist, x, sigma - 1))
    phi_tilde_of = sp.Lambda(x, (V(x) / S(x)) ** (1 / (sigma - 1)))
    d.add("phi_tilde", sp.Eq(sym("phi_tilde"), phi_tilde_of(phi_s), evaluate=False),
          "average productivity of producers: the (sigma-1)-mean of phi conditional "
          "on phi >= phi*", ["tail_moment", "survival"], ref="Melitz (2003) eq. (6)")
    k_of = sp.Lambda(x, (phi_tilde_of(x) / x) ** (sigma - 1) - 1)
    j_of = sp.Lambda(x, S(x) * k_of(x))
    d.add("k_function", sp.Eq(sp.Function("k")(x), k_of(x), evaluate=False),
          "definition: k(x) = (phi_tilde(x)/x)^(sigma-1) - 1", ["phi_tilde"],
          ref="Melitz (2003) p. 1703")
    d.add("j_function", sp.Eq(sp.Function("j")(x), sp.expand(j_of(x)), evaluate=False),
          "definition: j(x) = [1 - G(x)] k(x)", ["k_function"], ref="Melitz (2003) p. 1704",
          obligation=[sp.expand(j_of(x)) - (V(x) * x ** (1 - sigma) - S(x))])
    return phi_tilde_of, k_of, j_of


def _integration_note(dist: Distribution) -> str:
    sub = dist.substitution()
    if sub is None:
        return "(sympy integrate)"
    return f"(sympy integrate after the change of variables phi = {sp.sstr(sub.h)})"


def _integral_obligations(dist: Distribution, x: sp.Symbol, a: sp.Expr) -> list[sp.Expr]:
    """Fundamental theorem of calculus: dV/dx = -x^a g(x), for a continuous density."""
    if not dist.continuous:
        return []
    value = dist.tail_moment(x, a) if a != 0 else dist.survival(x)
    if value.has(sp.Integral):
        return []
    return [sp.diff(value, x) + x**a * dist.pdf(x)]


def specialise(d: Derivation, dist: Distribution, outputs: dict, residual: sp.Expr,
               open_economy: bool, cutoffs: dict | None = None) -> None:
    """Insert the distribution's S and V (and ``cutoffs``, other cutoffs such as
    phi_x* in terms of phi*, substituted after S and V, in the shifted symbols);
    find closed forms where the cutoff is a power law."""
    phi_s, n, x = sym("phi_star"), sym("n"), sym("x")
    S_l = sp.Lambda(x, d["survival"].rhs)
    V_l = sp.Lambda(x, d["tail_moment"].rhs)
    with_k = bool(dist.reparametrisation(sym("sigma") - 1)[0])

    d.concretize = Concretizer(((S, S_l), (V, V_l)))
    # S and V are inserted in the shifted symbols, where sympy builds powers fast.
    insert_z = Concretizer(((S, sp.Lambda(x, shifted(S_l.expr, with_k))),
                            (V, sp.Lambda(x, shifted(V_l.expr, with_k)))))

    cutoffs_z = {k: shifted(v, with_k) for k, v in (cutoffs or {}).items()}

    def concrete_z(e: sp.Expr) -> sp.Expr:  # substitutions are fast in shifted symbols
        return combine(insert_z(shifted(e, with_k)).xreplace(cutoffs_z))

    outputs_z = {k: concrete_z(v) for k, v in outputs.items()}
    d.outputs = {k: unshift(v, with_k) for k, v in outputs_z.items()}
    d.cutoff_residual = unshift(concrete_z(residual), with_k)
    cutoff = solve_power_law(d.cutoff_residual, phi_s)
    if cutoff is None:
        d.defines["phi_star"] = "cutoff_equation"
        if open_economy:  # gains need the autarky cutoff, a second root
            d.outputs["gains"] = d.outputs["W"] / d.outputs["W"].subs(
                {phi_s: sym("phi_star_A"), n: 0})
            d.add("gains", sp.Eq(sym("gains"), d.outputs["gains"], evaluate=False),
                  "welfare over autarky welfare (n = 0) with the same parameters, where "
                  "phi_star_A is the root of the cutoff equation at n = 0",
                  ["welfare", "cutoff_equation"])
        return
    d.defines["phi_star"] = "cutoff_solution"
    cutoff_z = combine(shifted(cutoff, with_k))
    cutoff = unshift(cutoff_z, with_k)
    d.add("cutoff_solution", sp.Eq(phi_s, cutoff, evaluate=False),
          "the cutoff equation is a power law in phi*: solved in closed form",
          ["cutoff_equation", "survival", "tail_moment"],
          obligation=[d.cutoff_residual.subs(phi_s, cutoff)])
    closed_z = {k: combine(v.subs(phi_s, cutoff_z)) for k, v in outputs_z.items()}
    if open_economy:
        W_A = closed_z["W"].subs(n, 0)
        closed_z["gains"] = combine(closed_z["W"] / W_A)
        d.outputs["gains"] = d.outputs["W"] / unshift(W_A, with_k)
    closed = {k: unshift(v, with_k) for k, v in closed_z.items()}
    if open_economy:
        d.add("gains", sp.Eq(sym("gains"), closed["gains"], evaluate=False),
              "welfare over autarky welfare (n = 0) with the same parameters",
              ["welfare_cutoff" if "welfare_cutoff" in d.steps else "welfare",
               "cutoff_solution"])
    d.closed_forms = closed
    _distribution_facts(d, closed, open_economy, with_k)


def _distribution_facts(d: Derivation, closed: dict, open_economy: bool, with_k: bool) -> None:
    """Add the checked steps that hold for this distribution only."""
    x = sym("x")
    k_x = d.concretize(d["k_function"].rhs)
    k_tidy = tidy(k_x, with_k)  # exact rewriting: often visibly free of x
    if is_zero_symbolic(sp.diff(k_tidy, x)):
        d.add("k_constant", sp.Eq(sp.Function("k")(x), k_tidy, evaluate=False),
              "k(x) does not depend on x (its derivative simplifies to zero)",
              ["k_function", "tail_moment", "survival"], obligation=[sp.diff(k_x, x)])
    if not open_economy:
        return
    trade = [sym(s) for s in ("tau", "f_x", "n") if sym(s) in d.parameters]
    dMe = [sp.diff(closed["M_e"], t) for t in trade]
    if all(is_zero_symbolic(e) for e in dMe):
        d.add("M_e_invariant", sp.Eq(sym("M_e"), closed["M_e"], evaluate=False),
              f"the mass of entrants does not depend on {', '.join(map(str, trade))}",
              ["M_e"], obligation=dMe)
    # The trade elasticity (step trade_elasticity_general) at the closed-form cutoffs.
    tau, f_x, lam = sym("tau"), sym("f_x"), closed["lam"]
    if "eps" not in closed or closed["eps"].free_symbols & {tau, f_x}:
        return
    eps = tidy(closed["eps"], with_k)
    d.add("trade_elasticity", sp.Eq(sp.Symbol("varepsilon"), eps, evaluate=False),
          "the partial trade elasticity at the solved cutoffs is a constant (free of tau "
          "and f_x)", ["trade_elasticity_general", "cutoff_solution"],
          ref="Arkolakis, Costinot, Rodriguez-Clare (2012)",
          obligation=[closed["eps"] - eps])
    acr = lam ** (1 / eps)
    d.add("acr", sp.Eq(sym("gains"), acr, evaluate=False),
          "gains from trade equal lam^(1/varepsilon): the ACR formula holds",
          ["gains", "trade_elasticity", "lam"], ref="Arkolakis, Costinot, Rodriguez-Clare "
          "(2012) eq. (1)", obligation=[closed["gains"] - acr])
