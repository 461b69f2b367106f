r"""Krugman (1980): representative firms, CES demand, n+1 symmetric countries.

Every firm has productivity :math:`\varphi` (written ``b``, as the degenerate
distribution's location), fixed cost ``f`` and iceberg cost ``tau``; there is
no fixed export cost, so every firm exports.  Derived: the markup from the
pricing first-order condition, firm output from free entry (zero profit), the
mass of firms from the labour market, the price index, welfare, the domestic
expenditure share and gains over autarky.
"""

from __future__ import annotations

import sympy as sp

from ..admissibility import Restriction
from ..derivation import Derivation, Sampler
from ..primitives import Declaration
from ..simplify import tidy
from ..symbols import sym
from .ces import derive_ces_demand, derive_firm

REF_K = "Krugman (1980), AER 70(5)"
BOX = {"sigma": (1.5, 8), "b": (0.2, 3), "f": (0.5, 3), "tau": (1, 3), "n": (0, 10),
       "L": (1, 1000)}


def derive(decl: Declaration) -> Derivation:
    """Derive Krugman (1980) with n trading partners from its declaration (CES demand,
    one representative firm of productivity ``b``, free entry, n + 1 symmetric
    countries, exports with no fixed cost)."""
    sigma, b, f, tau, n, L = (sym(x) for x in ["sigma", decl.firms.productivity, "f", "tau",
                                                "n", "L"])
    phi, A, M = sym("phi"), sym("A"), sym("M")
    d = Derivation("Krugman (1980), n+1 symmetric countries", (sigma, b, f, tau, n, L),
                   [Restriction(sigma > 1, "demand is elastic"),
                    Restriction(sp.Gt(b, 0, evaluate=False), "productivity is positive"),
                    Restriction(sp.Gt(f, 0, evaluate=False), "the fixed cost is positive"),
                    Restriction(tau >= 1, "iceberg trade costs are at least one"),
                    Restriction(sp.Ge(n, 0, evaluate=False),
                                "the number of trading partners is nonnegative"),
                    Restriction(sp.Gt(L, 0, evaluate=False), "the labour endowment is positive")])
    d.sampler = Sampler(d.parameters, d.restrictions, BOX, seed=1980)
    demand = derive_ces_demand(d)
    dom = derive_firm(d, demand, "", 1 / phi, f, "domestic")
    exp = derive_firm(d, demand, "_x", tau / phi, 0, "export")
    markup = tidy(dom.price * phi)
    d.add("markup", sp.Eq(sym("markup"), markup, evaluate=False),
          "price over marginal cost 1/phi: the markup does not depend on L, tau or n",
          ["pricing"], ref=REF_K,
          obligation=[sp.diff(markup, v) for v in (L, tau, n)])
    # Symmetric countries share the demand shifter A; a firm sells at home and in n markets.
    total_profit = (dom.profit + n * exp.profit).subs(phi, b)
    A_sol = sp.solve(total_profit, A)[0]
    d.add("free_entry", sp.Eq(total_profit, 0, evaluate=False),
          "free entry: firms enter until profit (home plus n export markets) is zero; "
          f"solved for A = {sp.sstr(A_sol)}", ["profit", "profit_x"], ref=REF_K,
          obligation=[total_profit.subs(A, A_sol)])
    q = sym("q")
    q_total = ((demand + n * tau * demand.subs(sym("p"), tau * sym("p")))
               .subs(sym("p"), dom.price.subs(phi, b)).subs(A, A_sol))
    q_total = tidy(q_total)
    d.add("firm_output", sp.Eq(q, q_total, evaluate=False),
          "output produced by a firm (home sales plus tau times exports) at the "
          "free-entry demand shifter", ["free_entry", "ces_demand"], ref=REF_K,
          obligation=[sp.diff(q_total, v) for v in (L, tau, n)])
    labour_per_firm = f + q_total / b
    d.add("labour_per_firm", sp.Eq(sym("l"), labour_per_firm, evaluate=False),
          "labour of a firm: the fixed cost f and q/phi for its output", ["firm_output"],
          ref=REF_K)
    M_sol = sp.solve(sp.Eq(L, M * labour_per_firm), M)[0]
    d.add("M", sp.Eq(M, M_sol, evaluate=False), "labour market: L = M (f + q/phi)", ["firm_output"],
          ref=REF_K, obligation=[L - M_sol * labour_per_firm])
    # Price index over M home and n M foreign varieties.
    P_pow = M_sol * (dom.price.subs(phi, b)) ** (1 - sigma) * (1 + n * tau ** (1 - sigma))
    P = tidy(P_pow ** (1 / (1 - sigma)))
    d.add("price_index", sp.Eq(sym("P"), P, evaluate=False),
          "price index over M home and n M imported varieties (import price tau p)",
          ["price_index_definition", "M", "pricing"], ref=REF_K,
          obligation=[(A_sol - L * P_pow ** -1)])
    W = tidy(1 / P)
    d.add("welfare", sp.Eq(sym("W"), W, evaluate=False),
          "real wage w/P with w = 1", ["price_index"], ref=REF_K)
    lam = tidy(M_sol * dom.revenue.subs(phi, b).subs(A, A_sol) / L)
    imports = n * M_sol * exp.revenue.subs(phi, b).subs(A, A_sol) / L
    d.add("lam", sp.Eq(sym("lam"), lam, evaluate=False), "domestic expenditure share",
          ["M", "revenue", "free_entry"], ref=REF_K, obligation=[lam + imports - 1])
    gains = tidy(W / W.subs(n, 0))
    d.add("gains", sp.Eq(sym("gains"), gains, evaluate=False),
          "welfare over autarky welfare (n = 0)",
          ["welfare"], ref=REF_K)
    ratio = (1 - lam) / (n * lam)
    eps = tidy(tau * sp.diff(sp.log(ratio), tau))
    d.add("trade_elasticity", sp.Eq(sp.Symbol("varepsilon"), eps, evaluate=False),
          "partial elasticity of imports relative to domestic sales with respect to tau",
          ["lam"], obligation=[tau * sp.diff(sp.log(ratio), tau) - eps])
    d.add("acr", sp.Eq(sym("gains"), lam ** (1 / eps), evaluate=False),
          "gains from trade equal lam^(1/varepsilon): the ACR formula holds",
          ["gains", "trade_elasticity"], ref="Arkolakis, Costinot, Rodriguez-Clare (2012)",
          obligation=[gains - lam ** (1 / eps)])
    out = {"p": dom.price.subs(phi, b), "markup": markup, "q": q_total,
           "l": labour_per_firm, "q_per_l": tidy(q_total / labour_per_firm), "M": M_sol,
           "P": P, "W": W, "lam": lam, "gains": gains}
    d.add("labour_productivity", sp.Eq(sym("q_per_l"), out["q_per_l"], evaluate=False),
          "output per worker q / l of a firm", ["firm_output", "labour_per_firm"], ref=REF_K,
          obligation=[out["q_per_l"] * labour_per_firm - q_total])
    d.defines.update({"p": "pricing", "q": "firm_output", "l": "labour_per_firm",
                      "q_per_l": "labour_productivity", "P": "price_index", "W": "welfare"})
    d.outputs = dict(out)
    d.closed_forms = dict(out)
    return d
