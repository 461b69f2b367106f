r"""Helpman, Melitz & Yeaple (2004): exports versus FDI with heterogeneous firms.

``n + 1`` symmetric countries.  A firm with productivity :math:`\varphi` sells at
home (fixed cost ``f``) and serves each of the ``n`` foreign markets either by
exporting (iceberg cost :math:`\tau`, fixed cost ``f_x``) or through a foreign
affiliate (no trade cost, fixed cost ``f_I``).  HMY write the model in unit labour
requirements :math:`a = 1/\varphi`; it is written here in productivity, which is
the same model.

The derivation reuses the Melitz machinery (:mod:`melitz_sym.models.melitz`):
CES demand and pricing per market, the generic layer with the survival function
:math:`S` and tail moment :math:`V` undefined, then the specialisation to the
declared distribution, where power-law cutoff equations are solved in closed
form.  Its own steps are:

``fdi_indifference`` / ``fdi_cutoff``
    the FDI cutoff :math:`\varphi_I^*` where affiliate and export profits are
    equal, :math:`\pi_I(\varphi_I^*) = \pi_x(\varphi_I^*)`.
``sorting``
    :math:`\varphi^* < \varphi_x^* < \varphi_I^*` holds exactly when
    :math:`f_I > \tau^{\sigma-1} f_x > f` (checked as a restriction).
``zcp_average`` / ``cutoff_equation``
    expected profit of an entrant integrated over the three modes gives
    :math:`f j(\varphi^*) + n f_x j(\varphi_x^*) + n (f_I - f_x) j(\varphi_I^*) = \delta f_e`.
``export_fdi_ratio``
    exports relative to affiliate sales in one market,
    :math:`S_X/S_I = \tau^{1-\sigma}[V(\varphi_x^*) - V(\varphi_I^*)]/V(\varphi_I^*)`.
"""

from __future__ import annotations

import sympy as sp

from ..admissibility import Restriction
from ..derivation import Derivation, Sampler
from ..distributions import Distribution
from ..primitives import Declaration
from ..simplify import tidy
from ..symbols import sym
from ..tails import S, V
from . import welfare
from .ces import derive_ces_demand, derive_firm, rho
from .melitz import BOX as MELITZ_BOX
from .melitz import derive_tail_objects, specialise
from .solving import solve_power_law

REF_H = "Helpman, Melitz & Yeaple (2004), AER 94(1)"
BOX = {**MELITZ_BOX, "sigma": (1.5, 5), "tau": (1.05, 2.5), "f_x": (0.5, 3),
       "f_I": (1, 60), "n": (0.5, 10)}
PHI_I = sym("phi_I_star")


def restrictions(dist: Distribution) -> list[Restriction]:
    """Parameter restrictions of the HMY model, including the sorting condition."""
    sigma, tau, f, f_x, f_I, f_e, delta, n, L = (
        sym(x) for x in ["sigma", "tau", "f", "f_x", "f_I", "f_e", "delta", "n", "L"])
    positive = [(f, "the fixed production cost"), (f_x, "the fixed export cost"),
                (f_I, "the fixed cost of a foreign affiliate"), (f_e, "the sunk entry cost"),
                (delta, "the exit probability"), (L, "the labour endowment")]
    return ([Restriction(sigma > 1, "demand is elastic")]
            + [Restriction(sp.Gt(s, 0, evaluate=False), f"{words} is positive")
               for s, words in positive]
            + [Restriction(delta <= 1, "the exit probability is at most one"),
               Restriction(sp.Ge(n, 0, evaluate=False),
                           "the number of trading partners is nonnegative"),
               Restriction(tau > 1, "exporting has an iceberg cost (FDI saves it)"),
               Restriction(tau ** (sigma - 1) * f_x > f,
                           "sorting: exporters are a strict subset of producers"),
               Restriction(f_I > tau ** (sigma - 1) * f_x,
                           "sorting: FDI firms are a strict subset of exporters")]
            + dist.positivity() + dist.restrictions(sigma - 1))


def _expected(profit: sp.Expr, lo: sp.Expr, hi: sp.Expr | None) -> sp.Expr:
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


def derive(decl: Declaration) -> Derivation:
    """Derive HMY (2004) from its declaration (Melitz's primitives with FDI as a
    second mode of serving each foreign market)."""
    dist = decl.dist
    sigma, tau, f, f_x, f_I, f_e, delta, n, L = (
        sym(x) for x in ["sigma", "tau", "f", "f_x", "f_I", "f_e", "delta", "n", "L"])
    phi, phi_s, phi_x, A, R = sym("phi"), sym("phi_star"), sym("phi_x_star"), sym("A"), sym("R")
    params = (sigma, f, f_x, f_I, f_e, delta, tau, n, L) + tuple(dist.symbols)
    d = Derivation(f"Helpman-Melitz-Yeaple (2004), exports vs FDI, {dist.name}", params,
                   restrictions(dist), cutoff=phi_s, support_lower=dist.support[0])
    d.sampler = Sampler(d.parameters + (phi_s, sym("x")), d.restrictions, BOX, seed=2004)
    r = rho()

    # ---- firms: one domestic market, and per foreign market export or FDI ----------
    demand = derive_ces_demand(d)
    dom = derive_firm(d, demand, "", 1 / phi, f, "domestic")
    exp = derive_firm(d, demand, "_x", tau / phi, f_x, "export")
    fdi = derive_firm(d, demand, "_I", 1 / phi, f_I, "foreign-affiliate (FDI)")
    A_sol = sp.solve(dom.profit.subs(phi, phi_s), A)[0]
    d.add("zcp", sp.Eq(sp.Function("r_d")(phi_s), sigma * f, evaluate=False),
          f"zero cutoff profit pi_D(phi*) = 0, solved for A = {sp.sstr(A_sol)}", ["profit"],
          ref=f"{REF_H}, cutoff a_D", obligation=[dom.profit.subs({phi: phi_s, A: A_sol})])
    zcp_x = exp.profit.subs(A, A_sol).subs(phi, phi_x)
    phi_x_of = tidy(solve_power_law(zcp_x, phi_x))
    d.add("export_cutoff", sp.Eq(phi_x, phi_x_of, evaluate=False),
          "zero export profit pi_X(phi_x*) = 0 in a foreign market with the same demand "
          "shifter A (symmetry), solved for phi_x* (a power law)", ["profit_x", "zcp"],
          ref=f"{REF_H}, cutoff a_X", obligation=[zcp_x.subs(phi_x, phi_x_of)])
    gap = (fdi.profit - exp.profit).subs(A, A_sol).subs(phi, PHI_I)
    phi_I_of = tidy(solve_power_law(gap, PHI_I))
    d.add("fdi_cutoff", sp.Eq(PHI_I, phi_I_of, evaluate=False),
          "indifference between FDI and exporting, pi_I(phi_I*) = pi_X(phi_I*), solved "
          "for phi_I* (a power law)", ["profit_I", "profit_x", "zcp"],
          ref=f"{REF_H}, cutoff a_I", obligation=[gap.subs(PHI_I, phi_I_of)])
    ratio_x = tidy((phi_x_of / phi_s) ** (sigma - 1))
    ratio_I = tidy((phi_I_of / phi_x_of) ** (sigma - 1))
    d.add("sorting", sp.Eq(sp.Tuple((phi_x / phi_s) ** (sigma - 1),
                                    (PHI_I / phi_x) ** (sigma - 1)),
                           sp.Tuple(ratio_x, ratio_I), evaluate=False),
          "ratios of the cutoffs: phi* < phi_x* < phi_I* exactly when "
          "tau^(sigma-1) f_x > f and f_I > tau^(sigma-1) f_x (the restrictions)",
          ["export_cutoff", "fdi_cutoff"], ref=f"{REF_H}, sorting a_I < a_X < a_D",
          obligation=[ratio_x - tau ** (sigma - 1) * f_x / f,
                      ratio_I - (f_I - f_x) / (f_x * (tau ** (sigma - 1) - 1))])

    # ---- distribution ----------------------------------------------------------------
    phi_tilde_of, k_of, j_of = derive_tail_objects(d, dist)
    p_in = S(phi_s)
    d.add("p_in", sp.Eq(sym("p_in"), p_in, evaluate=False),
          "probability of successful entry 1 - G(phi*)",
          ["survival"], ref="Melitz (2003) p. 1702")
    p_x = (S(phi_x) - S(PHI_I)) / p_in
    p_I = S(PHI_I) / p_in
    d.add("p_x", sp.Eq(sym("p_x"), p_x, evaluate=False),
          "share of producers that export (phi_x* <= phi < phi_I*)", ["survival"], ref=REF_H)
    d.add("p_I", sp.Eq(sym("p_I"), p_I, evaluate=False),
          "share of producers that serve foreign markets by FDI (phi >= phi_I*)", ["survival"],
          ref=REF_H)
    cutoffs = {phi_x: phi_x_of, PHI_I: phi_I_of}

    # ---- expected profit: ZCP and free entry ---------------------------------------------
    # Profit of an entrant integrated over the modes it chooses in each market.
    expected = (_expected(dom.profit, phi_s, None) + n * _expected(exp.profit, phi_x, PHI_I)
                + n * _expected(fdi.profit, PHI_I, None)).subs(A, A_sol)
    cutoff_lhs = f * j_of(phi_s) + n * f_x * j_of(phi_x) + n * (f_I - f_x) * j_of(PHI_I)
    pi_bar = sym("pi_bar")
    d.add("zcp_average", sp.Eq(pi_bar, sp.expand(cutoff_lhs / p_in), evaluate=False),
          "average profit of producers: domestic profit above phi*, export profit on "
          "[phi_x*, phi_I*) and affiliate profit above phi_I* in each of n markets, "
          "integrated against g/(1 - G(phi*)) with A from the zero-profit condition; "
          "the affiliate layer is export profit plus the FDI premium pi_I - pi_X",
          ["zcp", "export_cutoff", "fdi_cutoff", "j_function", "p_x", "p_I"],
          ref=f"{REF_H}, free entry", obligation=[(expected - cutoff_lhs).subs(cutoffs)])
    v_e = p_in * pi_bar / delta - f_e
    pi_bar_fe = sp.solve(v_e, pi_bar)[0]
    d.add("free_entry", sp.Eq(pi_bar, pi_bar_fe, evaluate=False),
          "free entry: the value of entry p_in pi_bar/delta - f_e is zero", ["p_in"],
          ref=f"{REF_H}, free entry", obligation=[v_e.subs(pi_bar, pi_bar_fe)])
    d.add("cutoff_equation", sp.Eq(sp.expand(cutoff_lhs), delta * f_e, evaluate=False),
          "ZCP = FE: f j(phi*) + n f_x j(phi_x*) + n (f_I - f_x) j(phi_I*) = delta f_e",
          ["zcp_average", "free_entry"], ref=f"{REF_H}, free entry",
          obligation=[(p_in * pi_bar_fe - delta * f_e)])
    residual = cutoff_lhs.subs(cutoffs) - delta * f_e

    # ---- labour market, masses, aggregates -------------------------------------------------
    M_sym, M_e_sym = sym("M"), sym("M_e")
    d.add("stationarity", sp.Eq(p_in * M_e_sym, delta * M_sym, evaluate=False),
          "stationary firm distribution: successful entrants replace exiting firms",
          ["p_in"], ref="Melitz (2003) p. 1704")
    d.add("labour_market", sp.Eq(R, L, evaluate=False),
          "labour market: by symmetry the labour employed by home firms anywhere equals "
          "the labour employed in the home country, so L = L_p + L_e with L_p = R - Pi "
          "and L_e = M_e f_e = Pi by stationarity and free entry: revenue R = L",
          ["stationarity", "free_entry"], ref="Melitz (2003) p. 1705",
          obligation=[(delta * M_sym / p_in) * f_e - M_sym * pi_bar_fe])
    revenue = (_expected(dom.revenue, phi_s, None) + n * _expected(exp.revenue, phi_x, PHI_I)
               + n * _expected(fdi.revenue, PHI_I, None)).subs(A, A_sol)
    r_bar = revenue / p_in
    d.add("r_bar", sp.Eq(sym("r_bar"), r_bar, evaluate=False),
          "average revenue of producers over the three modes, with A from ZCP",
          ["revenue", "revenue_x", "revenue_I", "zcp"], ref=REF_H,
          obligation=[(r_bar - sigma * (pi_bar + f + n * p_x * f_x + n * p_I * f_I))
                      .subs(pi_bar, cutoff_lhs / p_in).subs(cutoffs)])
    M = L / r_bar
    d.add("M", sp.Eq(M_sym, M, evaluate=False),
          "mass of producers M = R / r_bar", ["labour_market", "r_bar"])
    M_e = delta * M / p_in
    d.add("M_e", sp.Eq(M_e_sym, M_e, evaluate=False), "mass of entrants from stationarity",
          ["stationarity", "M"])
    d.add("M_x", sp.Eq(sym("M_x"), p_x * M, evaluate=False),
          "mass of exporters p_x M", ["p_x", "M"])
    d.add("M_I", sp.Eq(sym("M_I"), p_I * M, evaluate=False),
          "mass of firms with foreign affiliates",
          ["p_I", "M"])
    # Price index: home producers, foreign exporters (price tau p) and foreign affiliates.
    unit = dom.price.subs(phi, 1) ** (1 - sigma)
    P_pow = (M / p_in) * unit * (V(phi_s) + n * tau ** (1 - sigma) * (V(phi_x) - V(PHI_I))
                                 + n * V(PHI_I))
    P = P_pow ** (1 / (1 - sigma))
    d.add("price_index", sp.Eq(sym("P"), P, evaluate=False),
          "price index: p^(1-sigma) integrated over home producers, foreign exporters "
          "(price tau p) and foreign affiliates (price p)",
          ["price_index_definition", "pricing", "M", "tail_moment"],
          obligation=[(A_sol - L * P_pow ** -1).subs(cutoffs)])
    W_cutoff = sp.powsimp(sp.expand_power_base(
        sp.solve(sp.Eq(A_sol, L * sym("P") ** (sigma - 1)), sym("P"))[0] ** -1, force=True),
        force=True)
    d.add("welfare", sp.Eq(sym("W"), 1 / sym("P"), evaluate=False), "real wage w/P with w = 1",
          ["price_index"])
    d.add("welfare_cutoff", sp.Eq(sym("W"), W_cutoff, evaluate=False),
          "A = R P^(sigma-1) with A from ZCP and R = L, solved for 1/P: welfare moves "
          "with the domestic cutoff alone", ["demand_shifter", "zcp", "labour_market", "welfare"],
          obligation=[(W_cutoff ** (sigma - 1) - P_pow).subs(cutoffs)])
    sales = {name: (M / p_in) * A_sol * r ** (sigma - 1) * v for name, v in
             [("domestic", V(phi_s)), ("exports", tau ** (1 - sigma) * (V(phi_x) - V(PHI_I))),
              ("affiliates", V(PHI_I))]}
    lam = sales["domestic"] / L
    d.add("lam", sp.Eq(sym("lam"), lam, evaluate=False),
          "domestic expenditure share: sales of home producers at home over R = L; the "
          "rest is spent on imports from foreign exporters and on foreign affiliates",
          ["M", "revenue", "labour_market"],
          obligation=[(sales["domestic"] + n * (sales["exports"] + sales["affiliates"])
                       - L).subs(cutoffs)])
    ratio = sales["exports"] / sales["affiliates"]
    d.add("export_fdi_ratio", sp.Eq(sym("export_fdi_ratio"), ratio, evaluate=False),
          "exports relative to affiliate sales in one foreign market: revenue of firms on "
          "[phi_x*, phi_I*) at price tau p over revenue of firms above phi_I* at price p",
          ["revenue_x", "revenue_I", "M"], ref=f"{REF_H}, S_X/S_I")

    outputs = {"phi_star": phi_s, "phi_x_star": phi_x, "phi_I_star": PHI_I, "p_in": p_in,
               "p_x": p_x, "p_I": p_I, "phi_tilde": phi_tilde_of(phi_s), "M": M,
               "M_x": p_x * M, "M_I": p_I * M, "M_e": M_e, "pi_bar": pi_bar_fe,
               "r_bar": r_bar, "P": P, "W": W_cutoff, "lam": lam,
               "export_fdi_ratio": ratio}
    outputs.update(welfare.derive(
        d, dist, lam=lam, lam_of_Me=M_e_sym * sales["domestic"] / (M_e * L), M_e=M_e,
        W=W_cutoff, trade_ratio=sales["exports"] / sales["domestic"], cutoffs=cutoffs))
    outputs = {k: v.subs(cutoffs) for k, v in outputs.items()}
    specialise(d, dist, outputs, residual, open_economy=True)
    return d
