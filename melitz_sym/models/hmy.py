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

from dataclasses import dataclass

import sympy as sp

from ..admissibility import Restriction
from ..derivation import Derivation, Sampler
from ..distributions import Distribution
from ..primitives import Declaration
from ..simplify import tidy
from ..symbols import sym
from ..tails import S, V
from . import welfare
from .ces import FirmProblem, derive_ces_demand, derive_firm, rho
from .melitz import BOX as MELITZ_BOX
from .melitz import derive_tail_objects, expected_over, specialise
from .solving import solve_power_law

REF_H = "Helpman, Melitz & Yeaple (2004), AER 94(1)"
BOX = {**MELITZ_BOX, "sigma": (1.5, 5), "tau": (1.05, 2.5), "f_x": (0.5, 3),
       "f_I": (1, 60), "n": (0.5, 10)}
PHI_I = sym("phi_I_star")


def restrictions(dist: Distribution, export: bool = True) -> list[Restriction]:
    """Parameter restrictions of the HMY model, including the sorting condition
    (``export=False``: FDI is the only mode of serving a foreign market)."""
    sigma, tau, f, f_x, f_I, f_e, delta, n, L = (
        sym(x) for x in ["sigma", "tau", "f", "f_x", "f_I", "f_e", "delta", "n", "L"])
    positive = [(f, "the fixed production cost")] + (
        [(f_x, "the fixed export cost")] if export else []) + [
        (f_I, "the fixed cost of a foreign affiliate"), (f_e, "the sunk entry cost"),
        (delta, "the exit probability"), (L, "the labour endowment")]
    sorting = ([Restriction(tau > 1, "exporting has an iceberg cost (FDI saves it)"),
                Restriction(tau ** (sigma - 1) * f_x > f,
                            "sorting: exporters are a strict subset of producers"),
                Restriction(f_I > tau ** (sigma - 1) * f_x,
                            "sorting: FDI firms are a strict subset of exporters")] if export
               else [Restriction(f_I > f, "sorting: FDI firms are a strict subset of "
                                 "producers")])
    return ([Restriction(sigma > 1, "demand is elastic")]
            + [Restriction(sp.Gt(s, 0, evaluate=False), f"{words} is positive")
               for s, words in positive]
            + [Restriction(delta <= 1, "the exit probability is at most one"),
               Restriction(sp.Ge(n, 0, evaluate=False),
                           "the number of trading partners is nonnegative")]
            + sorting + dist.positivity() + dist.restrictions(sigma - 1))


@dataclass(frozen=True)
class _Layer:
    """Firms serving a foreign market by one mode: productivity in [cutoff, next cutoff).

    ``price`` is the price factor relative to the domestic price raised to
    1 - sigma (tau^(1-sigma) for exports, 1 for an affiliate)."""

    kind: str
    firm: FirmProblem
    cutoff: sp.Symbol
    fixed: sp.Symbol
    price: sp.Expr


def derive(decl: Declaration) -> Derivation:
    """Derive HMY (2004) from its declaration: Melitz's primitives with FDI as a mode of
    serving each foreign market, beside exporting (HMY) or alone (``modes=(FDI(),)``:
    a proximity-concentration model with prohibitive trade costs)."""
    dist, export = decl.dist, decl.mode("export") is not None
    sigma, tau, f, f_x, f_I, f_e, delta, n, L = (
        sym(x) for x in ["sigma", "tau", "f", "f_x", "f_I", "f_e", "delta", "n", "L"])
    phi, phi_s, phi_x, A, R = sym("phi"), sym("phi_star"), sym("phi_x_star"), sym("A"), sym("R")
    params = ((sigma, f, f_x, f_I, f_e, delta, tau, n, L) if export
              else (sigma, f, f_I, f_e, delta, n, L)) + tuple(dist.symbols)
    title = ("Helpman-Melitz-Yeaple (2004), exports vs FDI" if export
             else "Melitz (2003) with FDI as the only mode of serving foreign markets")
    d = Derivation(f"{title}, {dist.name}", params, restrictions(dist, export), cutoff=phi_s,
                   support_lower=dist.support[0], support_upper=dist.support[1])
    d.sampler = Sampler(d.parameters + (phi_s, sym("x")), d.restrictions, BOX, seed=2004)
    r = rho()

    # ---- firms: one domestic market, and per foreign market export or FDI ----------
    demand = derive_ces_demand(d)
    dom = derive_firm(d, demand, "", 1 / phi, f, "domestic")
    layers = []
    if export:
        layers.append(_Layer("export", derive_firm(d, demand, "_x", tau / phi, f_x, "export"),
                             phi_x, f_x, tau ** (1 - sigma)))
    fdi = derive_firm(d, demand, "_I", 1 / phi, f_I, "foreign-affiliate (FDI)")
    layers.append(_Layer("fdi", fdi, PHI_I, f_I, sp.Integer(1)))
    A_sol = sp.solve(dom.profit.subs(phi, phi_s), A)[0]
    d.add("zcp", sp.Eq(sp.Function("r_d")(phi_s), sigma * f, evaluate=False),
          f"zero cutoff profit pi_D(phi*) = 0, solved for A = {sp.sstr(A_sol)}", ["profit"],
          ref=f"{REF_H}, cutoff a_D", obligation=[dom.profit.subs({phi: phi_s, A: A_sol})])
    cutoffs = {}
    if export:
        exp = layers[0].firm
        zcp_x = exp.profit.subs(A, A_sol).subs(phi, phi_x)
        cutoffs[phi_x] = tidy(solve_power_law(zcp_x, phi_x))
        d.add("export_cutoff", sp.Eq(phi_x, cutoffs[phi_x], evaluate=False),
              "zero export profit pi_X(phi_x*) = 0 in a foreign market with the same demand "
              "shifter A (symmetry), solved for phi_x* (a power law)", ["profit_x", "zcp"],
              ref=f"{REF_H}, cutoff a_X", obligation=[zcp_x.subs(phi_x, cutoffs[phi_x])])
        gap = (fdi.profit - exp.profit).subs(A, A_sol).subs(phi, PHI_I)
        rule = ("indifference between FDI and exporting, pi_I(phi_I*) = pi_X(phi_I*), solved "
                "for phi_I* (a power law)")
    else:
        gap = fdi.profit.subs(A, A_sol).subs(phi, PHI_I)
        rule = ("zero affiliate profit pi_I(phi_I*) = 0 in a foreign market with the same "
                "demand shifter A (symmetry), solved for phi_I* (a power law)")
    cutoffs[PHI_I] = tidy(solve_power_law(gap, PHI_I))
    d.add("fdi_cutoff", sp.Eq(PHI_I, cutoffs[PHI_I], evaluate=False), rule,
          ["profit_I", "profit_x", "zcp"] if export else ["profit_I", "zcp"],
          ref=f"{REF_H}, cutoff a_I", obligation=[gap.subs(PHI_I, cutoffs[PHI_I])])
    if export:
        ratio_x = tidy((cutoffs[phi_x] / phi_s) ** (sigma - 1))
        ratio_I = tidy((cutoffs[PHI_I] / cutoffs[phi_x]) ** (sigma - 1))
        d.add("sorting", sp.Eq(sp.Tuple((phi_x / phi_s) ** (sigma - 1),
                                        (PHI_I / phi_x) ** (sigma - 1)),
                               sp.Tuple(ratio_x, ratio_I), evaluate=False),
              "ratios of the cutoffs: phi* < phi_x* < phi_I* exactly when "
              "tau^(sigma-1) f_x > f and f_I > tau^(sigma-1) f_x (the restrictions)",
              ["export_cutoff", "fdi_cutoff"], ref=f"{REF_H}, sorting a_I < a_X < a_D",
              obligation=[ratio_x - tau ** (sigma - 1) * f_x / f,
                          ratio_I - (f_I - f_x) / (f_x * (tau ** (sigma - 1) - 1))])
    else:
        ratio_I = tidy((cutoffs[PHI_I] / phi_s) ** (sigma - 1))
        d.add("sorting", sp.Eq((PHI_I / phi_s) ** (sigma - 1), ratio_I, evaluate=False),
              "ratio of the cutoffs: phi* < phi_I* exactly when f_I > f (the restriction)",
              ["fdi_cutoff"], ref=f"{REF_H}, sorting", obligation=[ratio_I - f_I / f])

    # ---- distribution ----------------------------------------------------------------
    phi_tilde_of, k_of, j_of = derive_tail_objects(d, dist)
    p_in = S(phi_s)
    d.add("p_in", sp.Eq(sym("p_in"), p_in, evaluate=False),
          "probability of successful entry 1 - G(phi*)",
          ["survival"], ref="Melitz (2003) p. 1702")
    p_I = S(PHI_I) / p_in
    if export:
        p_x = (S(phi_x) - S(PHI_I)) / p_in
        d.add("p_x", sp.Eq(sym("p_x"), p_x, evaluate=False),
              "share of producers that export (phi_x* <= phi < phi_I*)", ["survival"],
              ref=REF_H)
    d.add("p_I", sp.Eq(sym("p_I"), p_I, evaluate=False),
          "share of producers that serve foreign markets by FDI (phi >= phi_I*)", ["survival"],
          ref=REF_H)

    def foreign(of: str) -> sp.Expr:
        """``of`` (profit or revenue) integrated over each mode's range, summed over modes."""
        return sp.Add(*[expected_over(getattr(lay.firm, of), lay.cutoff,
                                      nxt.cutoff if nxt else None)
                        for lay, nxt in zip(layers, layers[1:] + [None])])

    # ---- expected profit: ZCP and free entry ---------------------------------------------
    # Profit of an entrant integrated over the modes it chooses in each market; each layer
    # adds its fixed-cost premium over the layer below (Melitz's j function).
    expected = (expected_over(dom.profit, phi_s, None) + n * foreign("profit")).subs(A, A_sol)
    cutoff_lhs = f * j_of(phi_s) + sp.Add(*[
        n * (lay.fixed - (below.fixed if below else 0)) * j_of(lay.cutoff)
        for below, lay in zip([None] + layers[:-1], layers)])
    pi_bar = sym("pi_bar")
    modes_words = ("export profit on [phi_x*, phi_I*) and affiliate profit above phi_I*"
                   if export else "affiliate profit above phi_I*")
    d.add("zcp_average", sp.Eq(pi_bar, sp.expand(cutoff_lhs / p_in), evaluate=False),
          f"average profit of producers: domestic profit above phi*, {modes_words} in each "
          "of n markets, integrated against g/(1 - G(phi*)) with A from the zero-profit "
          "condition" + ("; the affiliate layer is export profit plus the FDI premium "
                         "pi_I - pi_X" if export else ""),
          ["zcp"] + (["export_cutoff"] if export else []) + ["fdi_cutoff", "j_function"]
          + (["p_x"] if export else []) + ["p_I"],
          ref=f"{REF_H}, free entry", obligation=[(expected - cutoff_lhs).subs(cutoffs)])
    v_e = p_in * pi_bar / delta - f_e
    pi_bar_fe = sp.solve(v_e, pi_bar)[0]
    d.add("free_entry", sp.Eq(pi_bar, pi_bar_fe, evaluate=False),
          "free entry: the value of entry p_in pi_bar/delta - f_e is zero", ["p_in"],
          ref=f"{REF_H}, free entry", obligation=[v_e.subs(pi_bar, pi_bar_fe)])
    d.add("cutoff_equation", sp.Eq(sp.expand(cutoff_lhs), delta * f_e, evaluate=False),
          "ZCP = FE: f j(phi*) + " + ("n f_x j(phi_x*) + n (f_I - f_x) j(phi_I*)" if export
                                      else "n f_I j(phi_I*)") + " = delta f_e",
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
    revenue = (expected_over(dom.revenue, phi_s, None) + n * foreign("revenue")).subs(A, A_sol)
    r_bar = revenue / p_in
    fixed_paid = f + (n * p_x * f_x if export else 0) + n * p_I * f_I
    d.add("r_bar", sp.Eq(sym("r_bar"), r_bar, evaluate=False),
          f"average revenue of producers over the {'three' if export else 'two'} modes, with "
          "A from ZCP", ["revenue"] + (["revenue_x"] if export else []) + ["revenue_I", "zcp"],
          ref=REF_H, obligation=[(r_bar - sigma * (pi_bar + fixed_paid))
                                 .subs(pi_bar, cutoff_lhs / p_in).subs(cutoffs)])
    M = L / r_bar
    d.add("M", sp.Eq(M_sym, M, evaluate=False),
          "mass of producers M = R / r_bar", ["labour_market", "r_bar"])
    M_e = delta * M / p_in
    d.add("M_e", sp.Eq(M_e_sym, M_e, evaluate=False), "mass of entrants from stationarity",
          ["stationarity", "M"])
    if export:
        d.add("M_x", sp.Eq(sym("M_x"), p_x * M, evaluate=False),
              "mass of exporters p_x M", ["p_x", "M"])
    d.add("M_I", sp.Eq(sym("M_I"), p_I * M, evaluate=False),
          "mass of firms with foreign affiliates",
          ["p_I", "M"])
    # Price index: home producers, and per foreign market each mode's sellers.
    unit = dom.price.subs(phi, 1) ** (1 - sigma)
    sold = {lay.kind: lay.price * (V(lay.cutoff) - (V(nxt.cutoff) if nxt else 0))
            for lay, nxt in zip(layers, layers[1:] + [None])}
    P_pow = (M / p_in) * unit * (V(phi_s) + sp.Add(*[n * v for v in sold.values()]))
    P = P_pow ** (1 / (1 - sigma))
    d.add("price_index", sp.Eq(sym("P"), P, evaluate=False),
          "price index: p^(1-sigma) integrated over home producers, "
          + ("foreign exporters (price tau p) and " if export else "")
          + "foreign affiliates (price p)",
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
    names = {"export": "exports", "fdi": "affiliates"}
    sales = {name: (M / p_in) * A_sol * r ** (sigma - 1) * v for name, v in
             [("domestic", V(phi_s))] + [(names[k], v) for k, v in sold.items()]}
    lam = sales["domestic"] / L
    d.add("lam", sp.Eq(sym("lam"), lam, evaluate=False),
          "domestic expenditure share: sales of home producers at home over R = L; the "
          "rest is spent on " + ("imports from foreign exporters and on " if export else "")
          + "foreign affiliates", ["M", "revenue", "labour_market"],
          obligation=[(sales["domestic"] + n * sp.Add(*[sales[names[k]] for k in sold])
                       - L).subs(cutoffs)])
    outputs = {"phi_star": phi_s, "phi_x_star": phi_x, "phi_I_star": PHI_I, "p_in": p_in,
               "p_x": p_x if export else None, "p_I": p_I, "phi_tilde": phi_tilde_of(phi_s),
               "M": M, "M_x": p_x * M if export else None, "M_I": p_I * M, "M_e": M_e,
               "pi_bar": pi_bar_fe, "r_bar": r_bar, "P": 1 / W_cutoff,  # as in melitz
               "W": W_cutoff, "lam": lam}
    outputs = {k: v for k, v in outputs.items() if v is not None and (export or k != "phi_x_star")}
    if export:
        ratio = sales["exports"] / sales["affiliates"]
        d.add("export_fdi_ratio", sp.Eq(sym("export_fdi_ratio"), ratio, evaluate=False),
              "exports relative to affiliate sales in one foreign market: revenue of firms on "
              "[phi_x*, phi_I*) at price tau p over revenue of firms above phi_I* at price p",
              ["revenue_x", "revenue_I", "M"], ref=f"{REF_H}, S_X/S_I")
        outputs["export_fdi_ratio"] = ratio
        outputs.update(welfare.derive(
            d, dist, lam=lam, lam_of_Me=M_e_sym * sales["domestic"] / (M_e * L), M_e=M_e,
            W=W_cutoff, trade_ratio=sales["exports"] / sales["domestic"], cutoffs=cutoffs))
        d.defines.update({"phi_x_star": "export_cutoff", "eps": "trade_elasticity_general"})
    d.defines.update({"phi_I_star": "fdi_cutoff", "pi_bar": "free_entry", "P": "price_index",
                      "W": "welfare"})
    outputs = {k: v.subs(cutoffs) for k, v in outputs.items()}
    specialise(d, dist, outputs, residual, open_economy=True)
    return d
