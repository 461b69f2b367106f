r"""Melitz and Ottaviano (2008), section 4: two asymmetric countries.

The primitives are those of :mod:`melitz_sym.models.melitz_ottaviano` (linear demand
from :class:`~melitz_sym.primitives.LinearQuadratic` utility, unit costs from a cost
distribution, free entry with a sunk cost :math:`f_e`, no fixed cost) with two
countries :math:`l = 1, 2` of :math:`L_l` consumers each and iceberg costs
:math:`\tau_{lh}` of shipping from :math:`l` to :math:`h` (parameters: the vector
``L`` and the matrix ``tau``, rows = origin, ``tau[l, l] = 1``).  Derived here:

* each market's cutoff :math:`c_{D,h}` is its choke price, and a firm of :math:`l`
  sells in :math:`h \ne l` when its delivered cost is below it:
  :math:`c_{X,lh} = c_{D,h}/\tau_{lh}`;
* free entry in each country: :math:`\int^{c_{D,l}}\pi_{ll}\,dG +
  \int^{c_{X,lh}}\pi_{lh}\,dG = f_e`, two equations in the two cutoffs, in the
  partial moments :math:`G_a` (generic);
* with the moments sympy integrates from the declared density, the equations are
  linear in :math:`X_l = c_{D,l}^{k+2}` (Pareto in cost) and solved in closed form
  (the paper's :math:`c_D^l = [\gamma\phi(1-\rho^h)/(L^l(1-\rho^l\rho^h))]^{1/(k+2)}`);
* in each market: the sellers :math:`N_h = N_{E,h}G(c_{D,h}) + N_{E,l}G(c_{X,lh})`,
  their average price, delivered cost and markup, :math:`N_h` from the choke price,
  the entrants :math:`N_{E,l}` (a linear system) and welfare per consumer.

Only closed forms are derived (a cost distribution whose free-entry equations are
not linear in a power of the cutoffs is refused); the numbers come from
:mod:`melitz_sym.numeric.cost_asym` (closed forms, and an mpmath reference from the
primitives).
"""

from __future__ import annotations

import sympy as sp

from ..admissibility import Restriction
from ..derivation import Concretizer, MultiDerivation, Sampler
from ..distributions import partial_moment
from ..errors import DeclarationError
from ..primitives import Declaration
from ..simplify import tidy
from ..symbols import sym
from ..tails import PARTIAL
from .linear import REF_MO, derive_linear_demand, derive_linear_firm
from .melitz_ottaviano import BOX as BOX_SYMMETRIC
from .melitz_ottaviano import expected, restrictions

REF_ASYM = f"{REF_MO}, section 4 (two asymmetric countries)"
COUNTRIES = (1, 2)
#: outputs and their shapes (per country, or per pair: rows = origin)
SHAPES = {"c_D": "i", "c_X": "ij", "N": "i", "N_E": "i", "p_bar": "i", "c_bar": "i",
          "markup_bar": "i", "W": "i"}


def L_(i: int) -> sp.Symbol:
    """Consumers of country ``i`` (the entry ``L[i-1]`` of the vector ``L``)."""
    return sp.Symbol(f"L_{i}", positive=True)


def tau_(i: int, j: int) -> sp.Symbol:
    """Iceberg cost from ``i`` to ``j`` (the entry ``tau[i-1, j-1]``); 1 at home."""
    return sp.Integer(1) if i == j else sp.Symbol(f"tau_{i}{j}", positive=True)


def indexed(name: str, i: int) -> sp.Symbol:
    """Country ``i``'s value of output ``name`` (``c_D_1``, ``N_E_2``, ...)."""
    return sp.Symbol(f"{name}_{i}", positive=True)


def pair(name: str, i: int, j: int) -> sp.Symbol:
    """The value of output ``name`` for the pair origin ``i``, destination ``j``."""
    return sp.Symbol(f"{name}_{i}{j}", positive=True)


#: the scalar symbols the numeric layer fills from the arrays L and tau
ENTRIES = tuple([L_(i) for i in COUNTRIES] + [tau_(1, 2), tau_(2, 1)])
BOX = {**BOX_SYMMETRIC, "L_1": (10, 1000), "L_2": (10, 1000), "tau_12": (1.05, 3),
       "tau_21": (1.05, 3), "c_D_1": (0.05, 0.5), "c_D_2": (0.05, 0.5),
       "N_E_1": (1, 100), "N_E_2": (1, 100)}


def _other(i: int) -> int:
    return 3 - i


def derive(decl: Declaration) -> MultiDerivation:
    """Derive Melitz-Ottaviano (2008) with two asymmetric countries from its declaration.

    Raises
    ------
    DeclarationError
        If the declared cost distribution gives free-entry equations that are not
        linear in a common power of the cutoffs (no closed form: not derived).
    """
    dist = decl.dist
    alpha, gamma, eta, f_e = (sym(x) for x in ("alpha", "gamma", "eta", "f_e"))
    c, p_max, N, p_bar, L, tau = (sym(x) for x in ("c", "p_max", "N", "p_bar", "L", "tau"))
    params = (alpha, gamma, eta, *dist.symbols, f_e, L, tau)
    shapes = {**{p.name: "" for p in params}, "L": "i", "tau": "ij", **SHAPES}
    d = MultiDerivation(f"Melitz-Ottaviano (2008), two asymmetric countries, {dist.name} cost",
                        params, restrictions(dist, False)
                        + [Restriction(tau >= 1, "iceberg trade costs are at least one")],
                        cutoff=sym("c_D"), support_lower=dist.support[0], shapes=shapes)
    d.meanings = {"L": "consumers in each country (a vector)",
                  "tau": "iceberg cost of shipping from the row country to the column "
                         "country (tau[i, i] = 1)"}
    c_D = {i: indexed("c_D", i) for i in COUNTRIES}
    N_E = {i: indexed("N_E", i) for i in COUNTRIES}
    d.sampler = Sampler(tuple(p for p in params if p not in (L, tau)) + ENTRIES
                        + tuple(c_D.values()) + tuple(N_E.values()) + (c, sym("x")),
                        list(d.restrictions[:-1]), BOX, seed=20080104)

    # ---- one market: demand, a seller of delivered cost tau c ----------------------------
    demand = derive_linear_demand(d, decl.demand)
    seller = derive_linear_firm(d, demand, "_x", tau * c, "destination")

    def in_market(e: sp.Expr, origin: int, dest: int) -> sp.Expr:
        """A seller's expression in market ``dest`` for a firm of ``origin``."""
        return e.subs({p_max: c_D[dest], L: L_(dest), tau: tau_(origin, dest)})

    cut = {(i, j): in_market(seller.cutoff, i, j) for i in COUNTRIES for j in COUNTRIES}
    d.add("cutoffs", sp.Eq(sp.Matrix(2, 2, lambda a, b: pair("c_X", a + 1, b + 1)),
                           sp.Matrix(2, 2, lambda a, b: cut[a + 1, b + 1]), evaluate=False),
          "a firm of l sells in h while its delivered cost tau_lh c is below h's choke price, "
          "the cutoff c_D,h of h's own firms (tau_hh = 1): c_X,lh = c_D,h/tau_lh",
          ["quantity_x"], ref=REF_ASYM,
          obligation=[in_market(seller.quantity, i, j).subs(c, cut[i, j])
                      for i in COUNTRIES for j in COUNTRIES])

    def over_sellers(of, dest: int) -> sp.Expr:
        """Integral over the sellers in market ``dest`` of ``of(firm expr)``, weighted by the
        entrants of each origin."""
        return sp.Add(*[N_E[o] * expected(sp.expand(in_market(of(seller), o, dest)), cut[o, dest])
                        for o in COUNTRIES])

    # ---- free entry: the two cutoff equations ---------------------------------------------
    entry = [sp.Add(*[expected(sp.expand(in_market(seller.profit, i, j)), cut[i, j])
                      for j in COUNTRIES]) - f_e for i in COUNTRIES]
    for i, e in zip(COUNTRIES, entry):
        d.add(f"free_entry_{i}", sp.Eq(e + f_e, f_e, evaluate=False),
              f"free entry in country {i}: expected profit of an entrant, at home below "
              f"c_D,{i} and in country {_other(i)} below c_X,{i}{_other(i)}, equals f_e",
              ["profit_x", "cutoffs"], ref=f"{REF_ASYM}; eq. (8)")

    # ---- the cost distribution: partial moments, the closed-form cutoffs ------------------
    x = sym("x")
    moments = [sp.Lambda(x, partial_moment(dist, x, a)) for a in range(len(PARTIAL))]
    for a, G in enumerate(moments):
        d.add(f"partial_moment_{a}", sp.Eq(PARTIAL[a](x), G.expr, evaluate=False),
              f"G_{a}(x): t^{a} integrated against the declared density (sympy integrate)",
              obligation=[] if G.expr.has(sp.Integral) else
              [sp.diff(G.expr, x) - x**a * dist.pdf(x)])
    d.concretize = Concretizer(tuple(zip(PARTIAL, moments)))
    concrete = [sp.expand(d.concretize(e)) for e in entry]
    power = _common_power(concrete, c_D)
    if power is None:
        raise DeclarationError(f"model {decl.name!r}: firms: with two asymmetric countries "
                               f"the free-entry equations under {dist.name!r} are not linear "
                               "in a power of the cutoffs; only that case (Pareto in cost) is "
                               "derived")
    X = {i: sp.Symbol(f"X_{i}", positive=True) for i in COUNTRIES}
    linear = [sp.expand(sp.powsimp(e.subs({c_D[i]: X[i] ** (1 / power) for i in COUNTRIES}),
                                   force=True)) for e in concrete]
    solution = sp.solve(linear, list(X.values()), dict=True)
    if len(solution) != 1 or any(sp.Poly(e, *X.values()).total_degree() != 1 for e in linear):
        raise DeclarationError(f"model {decl.name!r}: the free-entry equations are not a "
                               "linear system in the powers of the cutoffs")
    closed_c_D = {i: tidy(sp.factor(solution[0][X[i]]) ** (1 / power)) for i in COUNTRIES}
    d.add("cutoff_solution", sp.Eq(sp.Matrix([c_D[i] for i in COUNTRIES]),
                                   sp.Matrix([closed_c_D[i] for i in COUNTRIES]),
                                   evaluate=False),
          f"with the partial moments inserted the free-entry equations are linear in "
          f"c_D,l^({sp.sstr(power)}): the linear system solved (sympy solve)",
          ["free_entry_1", "free_entry_2"] + [f"partial_moment_{a}" for a in range(3)],
          ref=f"{REF_ASYM}, the cutoffs c_D^l",
          obligation=[sp.expand(e.subs(solution[0])) for e in linear])

    # ---- each market: sellers, averages, N from the choke price, entrants, welfare -------
    one = lambda f: sp.Integer(1)  # noqa: E731
    sellers = {j: over_sellers(one, j) for j in COUNTRIES}
    averages = {}
    for name, of in (("p_bar", lambda f: f.price), ("c_bar", lambda f: tau * c),
                     ("markup_bar", lambda f: f.markup)):
        averages[name] = {j: over_sellers(of, j) / sellers[j] for j in COUNTRIES}
    choke = d["choke_price"].rhs
    N_of = sp.solve(sp.Eq(sym("c_D"), choke), N)[0]
    d.add("sellers", sp.Eq(sp.Matrix([indexed("N", j) for j in COUNTRIES]),
                           sp.Matrix([sellers[j] for j in COUNTRIES]), evaluate=False),
          "sellers in market h: the entrants of each country whose delivered cost is below "
          "c_D,h, N_h = N_E,h G(c_D,h) + N_E,l G(c_X,lh)", ["cutoffs"], ref=REF_ASYM)
    for name, words in (("p_bar", "price"), ("c_bar", "delivered cost"),
                        ("markup_bar", "markup")):
        d.add(name, sp.Eq(sp.Matrix([indexed(name, j) for j in COUNTRIES]),
                          sp.Matrix([averages[name][j] for j in COUNTRIES]), evaluate=False),
              f"average {words} of the sellers in each market", ["sellers", "pricing_x"],
              ref=REF_ASYM)
    N_val = {j: N_of.subs({sym("c_D"): c_D[j], p_bar: averages["p_bar"][j]})
             for j in COUNTRIES}
    d.add("N", sp.Eq(sp.Matrix([indexed("N", j) for j in COUNTRIES]),
                     sp.Matrix([N_val[j] for j in COUNTRIES]), evaluate=False),
          "the cutoff of each market is its choke price, solved for the number of sellers "
          "(as in the closed economy, eq. (10))", ["choke_price", "p_bar"], ref=REF_ASYM)

    closed_c_D_sub = {c_D[i]: closed_c_D[i] for i in COUNTRIES}
    in_c_D = {name: {j: sp.factor(sp.cancel(d.concretize(v[j]))) for j in COUNTRIES}
              for name, v in averages.items()}
    if any(s in e.free_symbols for v in in_c_D.values() for e in v.values()
           for s in N_E.values()):
        raise DeclarationError(f"model {decl.name!r}: the average price depends on the mix "
                               "of entrants: not derived in closed form")
    N_c = {j: sp.factor(N_of.subs({sym("c_D"): c_D[j], p_bar: in_c_D["p_bar"][j]}))
           for j in COUNTRIES}
    entrants = sp.solve([d.concretize(sellers[j]) - N_c[j] for j in COUNTRIES],
                        list(N_E.values()), dict=True)[0]
    entrants = {e: sp.factor(v) for e, v in entrants.items()}
    d.add("N_E", sp.Eq(sp.Matrix([N_E[i] for i in COUNTRIES]),
                       sp.Matrix([entrants[N_E[i]] for i in COUNTRIES]), evaluate=False),
          "entrants: the two sellers equations, linear in N_E,1 and N_E,2, solved",
          ["sellers", "N"], ref=REF_ASYM)
    W = {}
    for j in COUNTRIES:
        Q_int = over_sellers(lambda f: f.quantity / L, j).subs(L, L_(j))
        gain = over_sellers(lambda f: (alpha - f.price) * f.quantity / L
                            - gamma / 2 * (f.quantity / L) ** 2, j).subs(L, L_(j))
        W[j] = 1 + gain - eta / 2 * Q_int**2
    d.add("welfare", sp.Eq(sp.Matrix([indexed("W", j) for j in COUNTRIES]),
                           sp.Matrix([W[j] for j in COUNTRIES]), evaluate=False),
          "welfare per consumer in each country: the declared utility at the equilibrium "
          "consumption (income 1, free entry)", ["utility", "quantity_x", "N_E"],
          ref=f"{REF_ASYM}; eq. (5)")

    # ---- outputs in the cutoffs, then with the closed-form cutoffs inserted -------------
    surplus = {j: sp.factor(sp.cancel(d.concretize(W[j] - 1).subs(entrants)))
               for j in COUNTRIES}
    in_cutoffs = {
        "c_D": [c_D[i] for i in COUNTRIES],
        "c_X": [[cut[i, j] for j in COUNTRIES] for i in COUNTRIES],
        "N": [N_c[j] for j in COUNTRIES],
        "N_E": [entrants[N_E[i]] for i in COUNTRIES],
        **{name: [in_c_D[name][j] for j in COUNTRIES] for name in averages},
        "W": [1 + surplus[j] for j in COUNTRIES],
    }

    def insert(e: sp.Expr) -> sp.Expr:
        """The closed-form cutoffs inserted, positive factors combined where small."""
        e = e.subs(closed_c_D_sub)
        return tidy(e) if sp.count_ops(e) <= 250 else e

    closed = {k: [[insert(e) for e in row] if isinstance(row, list) else insert(row)
                  for row in v] for k, v in in_cutoffs.items()}
    d.closed_forms = {k: sp.ImmutableMatrix(v) for k, v in closed.items()}
    d.outputs = {k: sp.ImmutableMatrix(v) for k, v in in_cutoffs.items()}
    d.defines.update({"c_D": "cutoff_solution", "c_X": "cutoffs", "N": "N", "N_E": "N_E",
                      "p_bar": "p_bar", "c_bar": "c_bar", "markup_bar": "markup_bar",
                      "W": "welfare"})
    # The interior conditions (each c_D,l below c_M and alpha, tau_lh > 1 off the diagonal)
    # are in the countries' entries, not in the parameters' shapes: the numeric layer
    # (numeric/cost_asym.py) refuses a corner, as Model refuses a cutoff outside the support.
    return d


def _common_power(exprs: list[sp.Expr], cutoffs: dict) -> sp.Expr | None:
    """The exponent ``p`` such that every term of ``exprs`` depends on the cutoffs through
    one ``c_D,i^p`` (then the equations are linear in those powers), or None."""
    found = set()
    for e in exprs:
        for term in sp.Add.make_args(e):
            dep = [s for s in cutoffs.values() if s in term.free_symbols]
            if len(dep) > 1:
                return None
            if dep:
                p = sp.simplify(dep[0] * sp.diff(term, dep[0]) / term)
                if p.has(*cutoffs.values()):
                    return None
                found.add(p)
    return found.pop() if len(found) == 1 else None
