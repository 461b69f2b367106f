r"""Representative-firm Cournot model with free entry (the seed document, Sec. 2).

Primitives (Epifani 2002, Sec. 2):

* a homogeneous good with constant-elasticity aggregate demand
  :math:`Q = A p^{-\sigma}`, so the inverse demand is :math:`p(Q) = (Q/A)^{-1/\sigma}`;
* ``n`` identical firms competing in quantities, each with labour cost
  :math:`l = f + q/\varphi` (wage = numeraire);
* free entry (zero profit) and a labour market :math:`L = n\,l`.

The derivation obtains, by sympy operations only:

``cournot_foc`` / ``markup_rule``
    firm ``i`` maximises :math:`p(q_i + Q_{-i})\,q_i - q_i/\varphi - f` taking the
    rivals' output as given; at the symmetric point :math:`q_i = q`,
    :math:`Q = nq` the first-order condition gives
    :math:`p = \frac{\sigma n}{\sigma n - 1}\frac{1}{\varphi}` (perceived elasticity
    :math:`\sigma n`: the pro-competitive effect).
``free_entry``, ``labour_market``
    :math:`(p - 1/\varphi) q = f` and :math:`L = n(f + q/\varphi)`, solved for
    :math:`q` and :math:`n = (L/\sigma f)^{1/2}`.
``scale_effects``
    elasticities with respect to market size ``L``; trade integration of identical
    countries works as a rise in ``L``: more firms, a lower markup, larger firms and
    higher labour productivity :math:`q/l` (the scale-efficiency gain).
"""

from __future__ import annotations

import sympy as sp

from ..admissibility import Restriction
from ..derivation import Derivation, Sampler
from ..primitives import Declaration
from ..symbols import sym

def _tidy(e: sp.Expr) -> sp.Expr:
    """Cancel and factor (every symbol is positive, so powers combine)."""
    return sp.factor(sp.powsimp(sp.cancel(e), force=True))


def _per_firm(e: sp.Expr) -> sp.Expr:
    r"""``e`` written in :math:`s = \sqrt{f/(\sigma L)}`, the square root of the fixed cost
    relative to market size that free entry leaves per firm (:math:`n = 1/(\sigma s)`):
    the equilibrium is a rational function of :math:`s` scaled by a power of ``f`` and
    ``phi``, so no product of ``f`` with ``L`` is formed and no output underflows or
    overflows where it fits in a double (e.g. ``q/l = phi (1 - s)``).
    """
    f, sigma, L = sym("f"), sym("sigma"), sym("L")
    s = sp.Dummy("s", positive=True)
    in_s = sp.factor(sp.simplify(e.subs(L, f / (sigma * s ** 2))))
    return _sign_into_sum(in_s).subs(s, sp.sqrt(f / (sigma * L)))


def _sign_into_sum(e: sp.Expr) -> sp.Expr:
    """-x (s - 1) as x (1 - s) and -1/(s - 1) as 1/(1 - s): the form papers print."""
    def flip(t: sp.Expr) -> sp.Expr:
        if t.is_Add:
            return -t
        return sp.Pow(-t.base, t.exp) if t.is_Pow and t.base.is_Add else t

    def movable(t: sp.Expr) -> bool:
        return (t.is_Mul and t.could_extract_minus_sign()
                and sum(a is not flip(a) for a in t.args) == 1)

    return e.replace(movable, lambda t: sp.Mul(*[flip(a) for a in sp.Mul.make_args(-t)]))


REF_C = "Epifani (2002), Sec. 2 (the seed document)"
BOX = {"sigma": (0.3, 8), "f": (0.5, 3), "phi": (0.2, 3), "L": (1, 1000)}


def restrictions() -> list[Restriction]:
    """Parameter restrictions of the Cournot model."""
    sigma, f, phi, L = (sym(x) for x in ("sigma", "f", "phi", "L"))
    return [Restriction(sp.Gt(sigma, 0, evaluate=False), "the demand elasticity is positive"),
            Restriction(sp.Gt(f, 0, evaluate=False), "the fixed cost is positive"),
            Restriction(sp.Gt(phi, 0, evaluate=False), "productivity is positive"),
            Restriction(sp.Gt(L, 0, evaluate=False), "the labour endowment is positive"),
            Restriction(sigma * L > f,
                        "firms produce: the perceived demand elasticity sigma n exceeds one "
                        "at the free-entry number of firms n = (L/(sigma f))^(1/2)")]


def derive(decl: Declaration) -> Derivation:
    """Derive the seed's Cournot model from its declaration (isoelastic demand for a
    homogeneous good, Cournot conduct, one representative firm, free entry, closed)."""
    sigma, f, phi, L = (sym(x) for x in ("sigma", "f", decl.firms.productivity, "L"))
    n, q, p, A, Q = sym("n"), sym("q"), sym("p"), sym("A"), sym("Q")
    q_i, q_o = sp.Symbol("q_i", positive=True), sp.Symbol("q_o", positive=True)
    d = Derivation("Cournot oligopoly with free entry (Epifani 2002, Sec. 2)",
                   (sigma, f, phi, L), restrictions())
    d.sampler = Sampler(d.parameters, d.restrictions, BOX, seed=2002)

    # ---- demand and technology (primitives) ----------------------------------
    d.add("demand", sp.Eq(Q, A * p ** (-sigma), evaluate=False),
          "primitive: constant-elasticity aggregate demand for the homogeneous good",
          ref=f"{REF_C}")
    inverse = sp.solve(sp.Eq(Q, A * p ** (-sigma)), p)[0]
    d.add("inverse_demand", sp.Eq(p, inverse, evaluate=False),
          "the demand curve solved for the price",
          ["demand"], obligation=[A * inverse ** (-sigma) - Q])
    labour = f + q / phi
    d.add("technology", sp.Eq(sym("l"), labour, evaluate=False),
          "primitive: labour needed for output q, fixed cost f and marginal cost 1/phi",
          ref=f"{REF_C} eq. (1)")

    # ---- Cournot first-order condition ------------------------------------------
    profit_i = inverse.subs(Q, q_i + (n - 1) * q_o) * q_i - labour.subs(q, q_i)
    # Differentiate, then impose symmetry: q_i = q and (n - 1) q_o = n q - q.
    foc = sp.diff(profit_i, q_i).subs(q_i, q).subs(q_o, (n * q - q) / (n - 1))
    d.add("cournot_foc", sp.Eq(foc, 0, evaluate=False),
          "d pi_i/d q_i = 0 for pi_i = p(q_i + (n-1) q_o) q_i - f - q_i/phi, taking the "
          "rivals' output q_o as given, evaluated at the symmetric point q_i = q_o = q",
          ["inverse_demand", "technology"], ref=f"{REF_C} eq. (2)")
    # The market price at the symmetric point is p = p(n q); write the condition in p.
    foc_p = sp.expand(foc.subs(inverse.subs(Q, n * q), p))
    price = sp.factor(sp.solve(foc_p, p)[0])
    markup = sp.factor(price * phi)
    d.add("markup_rule", sp.Eq(p, price, evaluate=False),
          "the first-order condition with the market price p = p(n q) substituted, solved "
          "for p: a markup over 1/phi that falls with the number of firms",
          ["cournot_foc"], ref=f"{REF_C} eq. (2)",
          obligation=[foc_p.subs(p, price), foc - foc_p.subs(p, inverse.subs(Q, n * q))])

    # ---- free entry and labour market ---------------------------------------------
    zero_profit = (p - 1 / phi) * q - f
    q_n = _tidy(sp.solve(zero_profit.subs(p, price), q)[0])
    d.add("free_entry", sp.Eq(q, q_n, evaluate=False),
          "free entry: profit (p - 1/phi) q - f is zero at the markup rule, solved for q",
          ["markup_rule", "technology"], ref=f"{REF_C} eq. (3)",
          obligation=[zero_profit.subs(p, price).subs(q, q_n)])
    market = sp.Eq(L, n * labour.subs(q, q_n))
    n_sol = [s for s in sp.solve(market, n) if s.is_positive is not False]
    if len(n_sol) != 1:
        raise RuntimeError(f"expected one positive number of firms, got {n_sol}")
    n_sol = _tidy(n_sol[0])
    d.add("labour_market", sp.Eq(n, n_sol, evaluate=False),
          "labour market L = n (f + q/phi) with q from free entry, solved for n > 0",
          ["free_entry"], ref=f"{REF_C} eqs. (4)-(5)",
          obligation=[(market.lhs - market.rhs).subs(n, n_sol)])

    # ---- the solution -----------------------------------------------------------------
    in_n = {"q": q_n, "markup": markup, "p": price}
    out = {"n": n_sol}
    for name, expr in in_n.items():
        out[name] = _per_firm(expr.subs(n, n_sol))
        d.add(f"solution_{name}", sp.Eq(sym(name), out[name], evaluate=False),
              f"{name} at the free-entry number of firms", ["labour_market"],
              ref=f"{REF_C} eq. (5)", obligation=[expr.subs(n, n_sol) - out[name]])
    out["l"] = _per_firm(labour.subs(q, out["q"]))
    out["q_per_l"] = _per_firm(out["q"] / out["l"])
    d.add("labour_productivity", sp.Eq(sym("q_per_l"), out["q_per_l"], evaluate=False),
          "output per worker q / (f + q/phi) of a firm", ["solution_q", "technology"],
          ref=f"{REF_C}, discussion of eq. (5)",
          obligation=[out["q_per_l"] * (f + out["q"] / phi) - out["q"]])
    out["W"] = _per_firm(1 / out["p"])
    d.add("welfare", sp.Eq(sym("W"), out["W"], evaluate=False),
          "real wage w/p with w = 1; equals consumption per worker n q / L because "
          "spending n p q = n l = L", ["solution_p"],
          obligation=[out["W"] - out["n"] * out["q"] / L])

    # ---- trade integration = a rise in L -----------------------------------------------
    # With sqrt(sigma L / f) = 1 + u (u > 0 by the restriction sigma L > f) the signs of
    # the elasticities are read off by sympy.
    u = sp.Symbol("u", positive=True)
    L_u = f * (1 + u) ** 2 / sigma
    effects = {"n": (1, "labour_market", "brings more firms"),
               "q": (1, "solution_q", "makes firms larger"),
               "markup": (-1, "solution_markup", "lowers the markup (pro-competitive effect)"),
               "q_per_l": (1, "labour_productivity",
                           "raises labour productivity (scale-efficiency gain)"),
               "W": (1, "welfare", "raises the real wage")}
    for name, (sign, source, words) in effects.items():
        elasticity = sp.simplify(L * sp.diff(sp.log(out[name]), L))
        in_u = sp.factor(sp.simplify(elasticity.subs(L, L_u)))
        if (sign * in_u).is_positive is not True:
            raise RuntimeError(f"could not prove the sign of d ln {name}/d ln L: {in_u}")
        d.add(f"scale_effect_{name}", sp.Eq(sp.Symbol(f"epsilon_{name}_L"), elasticity,
                                            evaluate=False),
              f"elasticity of {name} with respect to market size L; with "
              f"(sigma L/f)^(1/2) = 1 + u it is {sp.sstr(in_u)}, "
              f"{'positive' if sign > 0 else 'negative'} for u > 0 (sigma L > f): trade "
              f"integration, a rise in L, {words}", [source],
              ref=f"{REF_C}, discussion of eq. (5)",
              obligation=[L * sp.diff(sp.log(out[name]), L) - elasticity,
                          elasticity.subs(L, L_u) - in_u])
    d.defines.update({"n": "labour_market", "q": "solution_q", "markup": "solution_markup",
                      "p": "solution_p", "l": "technology", "q_per_l": "labour_productivity",
                      "W": "welfare"})
    d.outputs = dict(out)
    d.closed_forms = dict(out)
    return d
