r"""Melitz and Ottaviano (2008): linear demand, heterogeneous unit costs, variable markups.

Primitives: :class:`~melitz_sym.primitives.LinearQuadratic` utility of ``L``
consumers per country, monopolistic competition, entrants that pay a sunk cost
:math:`f_e` and draw a unit labour cost :math:`c` from a declared cost
distribution :math:`G` on :math:`[\underline c, \bar c]` (Pareto in cost,
:math:`G(c) = (c/c_M)^k`, in the paper), no fixed production cost, and either a
closed economy or :math:`n + 1` symmetric countries exporting at iceberg cost
:math:`\tau` (:math:`n = 0` is autarky).  The wage is the numeraire.

The derivation runs in two layers, like :mod:`melitz_sym.models.melitz`.

1. **Generic.**  The partial moments :math:`G_a(x) = \int^x t^a\,dG(t)`,
   :math:`a = 0, 1, 2`, stay undefined functions (:data:`melitz_sym.tails.PARTIAL`).
   From the demand and firm stages of :mod:`melitz_sym.models.linear`:
   the cost cutoff :math:`c_D = p_{max}` (sales vanish at the choke price), the
   export cutoff :math:`c_X`, free entry
   :math:`\int^{c_D}\pi\,dG + n\int^{c_X}\pi_x\,dG = f_e` (the cutoff equation),
   sellers :math:`N = N_E[G(c_D) + nG(c_X)]`, the average price, delivered cost
   and markup over the sellers in a market, :math:`N` from the definition of
   the choke price, entrants :math:`N_E`, and welfare per consumer (the
   declared utility at the equilibrium consumption).  Every integral over the
   sellers is the integral of a polynomial in :math:`c` against :math:`dG`,
   i.e. a combination of the :math:`G_a`.
2. **Specialised.**  The :math:`G_a` are replaced by what sympy integrates from
   the declared density; if the cutoff equation is then a power law in
   :math:`c_D` (Pareto in cost) it is solved in closed form and every output
   gets a closed form; the interior restrictions (:math:`c_D` below the upper
   end of the cost support and below :math:`\alpha`) become parameter
   restrictions.
"""

from __future__ import annotations

import sympy as sp

from ..admissibility import Restriction
from ..derivation import Concretizer, Derivation, Sampler
from ..distributions import Distribution, partial_moment
from ..primitives import Declaration
from ..simplify import positive_as_ratio, tidy
from ..symbols import sym
from ..tails import PARTIAL
from .linear import REF_MO, derive_linear_demand, derive_linear_firm
from .solving import solve_power_law

BOX = {"alpha": (2, 20), "gamma": (0.2, 5), "eta": (0.2, 5), "c_M": (0.5, 2), "k": (0.5, 8),
       "f_e": (0.001, 0.1), "L": (10, 1000), "tau": (1, 3), "n": (0, 10),
       "c_D": (0.05, 0.5), "c_X": (0.01, 0.5), "c": (0.01, 0.5), "x": (0.05, 0.5),
       "N_E": (1, 100)}
REF_OPEN = f"{REF_MO}, section 5 (open economy, symmetric countries)"
#: Operations (sympy.count_ops) above which an output is not tidied but kept as derived.
TIDY_OPS = 250  # the Pareto outputs need at most 223


def restrictions(dist: Distribution, open_economy: bool) -> list[Restriction]:
    """Restrictions on the parameters (those on the solved cutoff are added by
    :func:`derive` once it is known)."""
    out = [Restriction(sp.Gt(sym(s), 0, evaluate=False), words) for s, words in (
        ("alpha", "the demand intercept alpha is positive"),
        ("gamma", "product differentiation gamma is positive"),
        ("eta", "the substitution parameter eta is positive"),
        ("f_e", "the sunk entry cost is positive"),
        ("L", "the number of consumers is positive"))]
    if open_economy:
        out += [Restriction(sp.Ge(sym("n"), 0, evaluate=False),
                            "the number of trading partners is nonnegative"),
                Restriction(sym("tau") >= 1, "iceberg trade costs are at least one")]
    return out + dist.positivity() + dist.restrictions(sp.Integer(0))


def expected(poly: sp.Expr, x: sp.Expr) -> sp.Expr:
    r""":math:`\int^x h(c)\,dG(c)` for a polynomial :math:`h` of degree at most 2 in the
    cost ``c``: :math:`\sum_a h_a G_a(x)` with the partial moments :math:`G_a`."""
    c = sym("c")
    coeffs = sp.Poly(sp.expand(poly), c).all_coeffs()[::-1]
    if len(coeffs) > len(PARTIAL):
        raise ValueError(f"{poly} is not a polynomial of degree <= 2 in c")
    return sp.Add(*[h * PARTIAL[a](x) for a, h in enumerate(coeffs)])


def _uniform(e: sp.Expr) -> sp.Expr:
    """``e`` with G_a(x) = x^(a+1)/(a+1): the partial moments of Lebesgue measure on [0, x]."""
    return e.replace(lambda f: f.func in PARTIAL, lambda f: f.args[0] ** (
        PARTIAL.index(f.func) + 1) / (PARTIAL.index(f.func) + 1))


def _integral_obligation(poly: sp.Expr, x: sp.Expr) -> sp.Expr:
    """``expected`` checked by sympy's integrator against Lebesgue measure on [0, x]."""
    c = sym("c")
    return _uniform(expected(poly, x)) - sp.integrate(poly, (c, 0, x))


def derive(decl: Declaration) -> Derivation:
    """Derive Melitz-Ottaviano (2008) from its declaration.

    Parameters
    ----------
    decl : :class:`~melitz_sym.primitives.LinearQuadratic` demand, monopolistic
        competition, :class:`~melitz_sym.primitives.HeterogeneousCost` firms (any
        declared cost distribution), free entry with a sunk cost, and a closed
        economy or n + 1 symmetric countries with exports at iceberg cost tau and
        no fixed export cost.
    """
    dist, open_economy = decl.dist, decl.geography.open
    alpha, gamma, eta, f_e, L, tau, n = (sym(x) for x in
                                         ("alpha", "gamma", "eta", "f_e", "L", "tau", "n"))
    c, c_D, c_X, p_max = sym("c"), sym("c_D"), sym("c_X"), sym("p_max")
    N, N_E, p_bar, x = sym("N"), sym("N_E"), sym("p_bar"), sym("x")
    params = ([alpha, gamma, eta] + list(dist.symbols) + [f_e, L]
              + ([tau, n] if open_economy else []))
    title = (f"Melitz-Ottaviano (2008) {'open' if open_economy else 'closed'} economy, "
             f"{dist.name} cost")
    d = Derivation(title, tuple(params), restrictions(dist, open_economy), cutoff=c_D,
                   support_lower=dist.support[0])
    d.sampler = Sampler(d.parameters + (c_D, c_X, c, x, N_E), d.restrictions, BOX,
                        seed=20080101)

    # ---- demand and firms -------------------------------------------------------
    demand = derive_linear_demand(d, decl.demand)
    home = derive_linear_firm(d, demand, "", c, "domestic")
    d.add("cost_cutoff", sp.Eq(c_D, home.cutoff, evaluate=False),
          "the cost at which a firm's optimal quantity vanishes: the choke price",
          ["quantity"], ref=f"{REF_MO} p. 299",
          obligation=[home.quantity.subs(c, home.cutoff)])
    at_D = {p_max: c_D}
    firms = [(home, c_D, sp.Integer(1), c)]
    if open_economy:
        away = derive_linear_firm(d, demand, "_x", tau * c, "export")
        # symmetric countries: the foreign market's choke price is its cutoff, equal to c_D
        c_X_of = away.cutoff.subs(at_D)
        d.add("export_cutoff", sp.Eq(c_X, c_X_of, evaluate=False),
              "the cost at which export sales vanish, in a foreign market whose choke price "
              "is its cutoff, c_D by symmetry", ["quantity_x", "cost_cutoff"], ref=REF_OPEN,
              obligation=[away.quantity.subs(at_D).subs(c, c_X_of)])
        firms.append((away, c_X, n, tau * c))

    def over_sellers(of) -> tuple[sp.Expr, list]:
        """Integral over the sellers in one market (per entrant), of ``of(firm, cost)``."""
        total, checks = sp.Integer(0), []
        for firm, cut, weight, cost in firms:
            h = sp.expand(of(firm, cost).subs(at_D))
            total += weight * expected(h, cut)
            checks.append(_integral_obligation(h, cut))
        return total, checks

    # ---- free entry: the cutoff equation ------------------------------------------------
    profit, checks = over_sellers(lambda f, _: f.profit)
    d.add("cutoff_equation", sp.Eq(profit, f_e, evaluate=False),
          "free entry: expected profit of an entrant, profit integrated against dG below "
          "each market's cutoff (domestic c_D" + (", n export markets c_X" if open_economy
                                                  else "") + "), equals the sunk cost f_e",
          ["profit", "cost_cutoff"] + (["profit_x", "export_cutoff"] if open_economy else []),
          ref=f"{REF_MO} eq. (8)" + ("; section 5" if open_economy else ""),
          obligation=checks)
    c_X_sub = {c_X: c_X_of} if open_economy else {}
    residual_generic = (profit - f_e).xreplace(c_X_sub)

    # ---- sellers, averages ---------------------------------------------------------------
    share, checks = over_sellers(lambda f, _: sp.Integer(1))
    d.add("sellers", sp.Eq(N, N_E * share, evaluate=False),
          "sellers in a market: the entrants of each country whose delivered cost is below "
          "the market's cutoff, N = N_E [G(c_D)" + (" + n G(c_X)]" if open_economy else "]"),
          ["cost_cutoff"] + (["export_cutoff"] if open_economy else []),
          ref=f"{REF_MO} p. 300", obligation=checks)
    averages, checks = {}, {}
    for name, of in (("p_bar", lambda f, _: f.price), ("c_bar", lambda f, cost: cost),
                     ("markup_bar", lambda f, _: f.markup)):
        total, checks[name] = over_sellers(of)
        averages[name] = total / share
    checks["markup_bar"].append(averages["markup_bar"] - averages["p_bar"] + averages["c_bar"])
    for name, words in (("p_bar", "price"), ("c_bar", "delivered cost"),
                        ("markup_bar", "markup p - c (equal to p_bar - c_bar)")):
        d.add(name, sp.Eq(sym(name), averages[name], evaluate=False),
              f"average {words} of the sellers in a market: the integral over the sellers "
              "divided by their number", ["sellers", "pricing", "markup"],
              ref=f"{REF_MO} p. 300", obligation=checks[name])

    # ---- number of sellers from the choke price, entrants ---------------------------------
    choke = d["choke_price"].rhs
    N_sols = sp.solve(sp.Eq(c_D, choke), N)
    if len(N_sols) != 1:
        raise RuntimeError(f"melitz-ottaviano: expected one number of sellers, got {N_sols}")
    N_of = sp.factor(N_sols[0])
    d.add("N", sp.Eq(N, N_of, evaluate=False),
          "the cutoff is the choke price, c_D = (gamma alpha + eta N p_bar)/(eta N + gamma), "
          "solved for the number of sellers N", ["choke_price", "cost_cutoff"],
          ref=f"{REF_MO} eq. (10)", obligation=[(choke - c_D).subs(N, N_of)])
    N_val = N_of.subs(p_bar, averages["p_bar"])
    N_E_val = N_val / share
    d.add("N_E", sp.Eq(N_E, N / share, evaluate=False),
          "entrants: the sellers equation solved for N_E", ["sellers", "N"],
          ref=f"{REF_MO} p. 300", obligation=[(N_E * share - N).subs(N_E, N / share)])

    # ---- welfare -----------------------------------------------------------------------
    per_consumer = lambda f, _: f.quantity / L  # noqa: E731
    Q_int, _ = over_sellers(per_consumer)
    Q_c = N_E * Q_int
    gain, checks = over_sellers(lambda f, _: (alpha - f.price) * f.quantity / L
                                - gamma / 2 * (f.quantity / L) ** 2)
    surplus = N_E * gain - eta / 2 * Q_c**2
    W_generic = 1 + surplus
    Q_formula = d["total_consumption"].rhs.subs({N: N_val, p_bar: averages["p_bar"]})
    d.add("welfare", sp.Eq(sym("W"), W_generic, evaluate=False),
          "welfare per consumer: the declared utility at the equilibrium consumption, with "
          "the numeraire q_0 = 1 - int p q^c (income is the wage 1: free entry makes "
          "aggregate profits equal the entrants' sunk costs), the integrals over the "
          "sellers, and N_E from the entrants step",
          ["utility", "consumer_foc", "quantity", "N_E"], ref=f"{REF_MO} eq. (5)",
          obligation=checks + [Q_c.subs(N_E, N_E_val) - Q_formula])

    # ---- outputs in the cutoff, then the distribution -------------------------------------
    # welfare is income plus surplus, each simplified on its own (their sum expanded would
    # cancel where c_D is close to alpha)
    outputs = {"c_D": c_D, "N": N_val, "N_E": N_E_val, **averages,
               "W": (sp.Integer(1), surplus.subs(N_E, N_E_val))}
    if open_economy:
        outputs["c_X"] = c_X
    d.defines.update({"c_D": "cutoff_equation", "W": "welfare"})
    if open_economy:
        d.defines["c_X"] = "export_cutoff"
    _specialise(d, dist, outputs, residual_generic, open_economy, c_X_sub)
    return d


def _gather(e: sp.Expr) -> sp.Expr:
    """``e`` with the positive factors of every product combined into one product of powers
    (:func:`~melitz_sym.simplify.tidy`), the other factors (differences such as
    ``alpha - c_D``) and the terms of sums left as they are, recursively."""
    if e.is_Add:
        return sp.Add(*[_gather(a) for a in e.args])
    if e.is_Mul:
        positive = [a for a in e.args if a.is_positive]
        rest = [_gather(a) for a in e.args if not a.is_positive]
        return tidy(sp.Mul(*positive)) * sp.Mul(*rest)
    if e.is_Pow and not e.base.is_positive:
        return sp.Pow(_gather(e.base), e.exp)
    return e


def _interior(d: Derivation, dist: Distribution, excess: sp.Expr, open_economy: bool) -> None:
    """Restrictions that keep the cutoff interior, from the cutoff equation alone: expected
    profit increases with c_D, so c_D < c' exactly when expected profit at c_D = c' exceeds
    f_e (at n = 0 for n + 1 countries: the cutoff falls with trade, so conditions on the
    autarky cutoff hold at every n, and the autarky equilibrium that gains compare with is
    interior too).  With a closed form too: expected profit at c' is cheaper to evaluate
    than the cutoff (no root of order k + 2) and equivalent.

    ``excess``: expected profit minus f_e as a function of c_D (at n = 0 with trade)."""
    c_D, n, alpha = sym("c_D"), sym("n"), sym("alpha")
    which = ("the autarky cost cutoff c_D(n = 0), and so c_D," if open_economy
             else "the cost cutoff c_D")
    upper = dist.support[1]

    def exceeds(x: sp.Expr) -> sp.Expr:
        """Expected profit at c_D = x exceeds f_e (as a ratio above one where it can)."""
        ratio = positive_as_ratio(excess.subs(c_D, x))
        return excess.subs(c_D, x) > 0 if ratio is None else ratio > 1

    if upper != sp.oo:
        d.restrictions.append(Restriction(
            exceeds(upper), f"selection: {which} lies below the upper end of the cost support "
            "(not every entrant produces): expected profit there exceeds f_e"))
    d.restrictions.append(Restriction(
        exceeds(alpha), f"{which} lies below the demand intercept alpha (a positive number of "
        "sellers): expected profit at c_D = alpha exceeds f_e",
        when=None if upper == sp.oo else alpha < upper))
    # c_D < alpha also where alpha >= upper (then c_D < upper <= alpha)
    d.cutoff_upper = (alpha,) if upper == sp.oo else (alpha, upper)
    lower = dist.support[0]
    if open_economy and lower != 0:  # the partial moments hold above the lower end only
        tau = sym("tau")
        d.restrictions.append(Restriction(
            (-d.cutoff_residual).subs(c_D, tau * lower) < 0, "exporters: the export cutoff "
            "c_X = c_D/tau lies above the lower end of the cost support: expected profit at "
            "c_D = tau times that end is below f_e", when=n > 0))


def _specialise(d: Derivation, dist: Distribution, outputs: dict, residual: sp.Expr,
                open_economy: bool, cutoffs: dict) -> None:
    """Insert the partial moments sympy integrated from the declared density; solve the
    cutoff equation in closed form where it is a power law; add the restrictions that
    keep the cutoff interior."""
    c_D, n, x = sym("c_D"), sym("n"), sym("x")
    moments = [sp.Lambda(x, partial_moment(dist, x, a)) for a in range(len(PARTIAL))]
    for a, G in enumerate(moments):
        d.add(f"partial_moment_{a}", sp.Eq(PARTIAL[a](x), G.expr, evaluate=False),
              f"G_{a}(x): t^{a} integrated against the declared density from the lower end of "
              "the cost support to x (sympy integrate)",
              obligation=[] if G.expr.has(sp.Integral) else
              [sp.diff(G.expr, x) - x**a * dist.pdf(x)])
    d.concretize = Concretizer(tuple(zip(PARTIAL, moments)))

    def concrete(e: sp.Expr | tuple) -> sp.Expr:
        """The generic expression (or sum of the parts of a tuple, each simplified on its
        own) with the partial moments inserted."""
        if isinstance(e, tuple):
            return sp.Add(*[concrete(part) for part in e])
        e = d.concretize(e.xreplace(cutoffs))
        if sp.count_ops(e) > TIDY_OPS:  # tidying is exact but slow for a long sum: the
            return e                     # plain form is kept (a size budget, not a clock)
        return tidy(e)

    d.outputs = {k: concrete(v) for k, v in outputs.items()}
    if open_economy:
        d.outputs["c_X"] = cutoffs[sym("c_X")]
    # f_e minus expected profit: decreasing in c_D, as the fast path's Newton expects
    d.cutoff_residual = concrete(-residual)
    cutoff = solve_power_law(d.cutoff_residual, c_D)
    _interior(d, dist, concrete(residual.subs(n, 0) if open_economy else residual),
              open_economy)
    if cutoff is None:
        d.defines["c_D"] = "cutoff_equation"
        if open_economy:  # gains need the autarky cutoff, a second root (phi_star_A: the
            # numeric layer's symbol for the root of the cutoff equation at n = 0)
            d.outputs["gains"] = d.outputs["W"] / d.outputs["W"].subs(
                {c_D: sym("phi_star_A"), n: 0})
            d.add("gains", sp.Eq(sym("gains"), d.outputs["gains"], evaluate=False),
                  "welfare over autarky welfare (n = 0) with the same parameters, where "
                  "phi_star_A is the root of the cutoff equation at n = 0 (the autarky cost "
                  "cutoff)", ["welfare", "cutoff_equation"])
        return
    cutoff = tidy(cutoff)
    d.defines["c_D"] = "cutoff_solution"
    d.add("cutoff_solution", sp.Eq(c_D, cutoff, evaluate=False),
          "the cutoff equation is a power law in c_D: solved in closed form",
          ["cutoff_equation"] + [f"partial_moment_{a}" for a in range(len(PARTIAL))],
          ref=f"{REF_MO} eq. (9)", obligation=[d.cutoff_residual.subs(c_D, cutoff)])
    # the outputs keep their form in c_D, with c_D's closed form inserted and the powers of
    # each product of positive factors combined
    closed = {k: _gather(v.subs(c_D, cutoff)) for k, v in d.outputs.items()}
    if open_economy:
        closed["gains"] = closed["W"] / closed["W"].subs(n, 0)
        d.outputs["gains"] = d.outputs["W"] / closed["W"].subs(n, 0)
        d.add("gains", sp.Eq(sym("gains"), closed["gains"], evaluate=False),
              "welfare over autarky welfare (n = 0) with the same parameters",
              ["welfare", "cutoff_solution"])
    d.closed_forms = closed
    d.staged = True  # outputs in c_D: products, and alpha - c_D (as in the closed forms)
