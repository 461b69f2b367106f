r"""Verify a user's equation against a model's derivation.

``verify(model, text)`` parses ``text`` (LaTeX or sympy syntax, see
:mod:`melitz_sym.parse`) and decides whether the equation holds in the model's
equilibrium.  Symbols are read as follows:

* parameters (``sigma``, ``tau``, ...) are universally quantified over the
  admissible domain;
* outputs (``phi_star``, ``M``, ``lam``, ...) take their equilibrium values;
  ``X_A`` is output ``X`` in autarky (``n = 0``);
* productivities (``\varphi``, ``\varphi_1``, ``\varphi_2``) are free: the
  equation must hold for every producer (``\varphi \ge \varphi^*``);
* in a model of unit costs (Melitz and Ottaviano 2008) the cost ``c`` is free:
  the equation must hold for every producer (``0 < c < c_D``);
* functions (``j``, ``k``, ``G``, ``g``, ``r_d``, ``\pi``, ...) are replaced by
  their definitions in the derivation's steps, ``G = 1 - S`` and
  ``g = -S'`` with the survival function ``S`` the derivation integrated from
  the declared density;
* ``A = R P^{\sigma-1}`` and ``R`` are replaced by the steps that define them,
  and the choke price ``p_max`` by the cost cutoff ``c_D`` (step ``cost_cutoff``);
* a derivative with respect to an output (``d\tilde\varphi/d\varphi^*``) is taken
  along the derivation's relations (:meth:`Context.along_cutoff`);
* the notation is read with the model's defaults (:meth:`Context.aliases`,
  :meth:`Context.notation`: ``\gamma`` for the shape where the model has no
  ``gamma``, ``w = 1`` where the wage is the numeraire) and the user's aliases;
* in an N-country model with market aggregates (Chaney 2008) an equation is about
  one pair, origin ``i`` and destination ``j``, written with indices
  (``X_{ij}``, ``\tau_{ij}``, ``w_i``, ``Y_j``, ``\theta_j``); its verdict holds
  for every pair, whatever the aggregates ``Y_j``, ``Y``, ``\theta_j`` (drawn
  at random in the numeric check; the origin's income is ``(1 + \pi) w_i L_i``),
  and derivatives in ``\tau_{ij}`` or ``f_{ij}`` hold them fixed (partial
  elasticities).  Sums over countries (``\sum_k``) are not read.

A text with a chain ``a = b = c`` or several equations is verified link by link.

The decision, cheapest first:

1. the equation is evaluated at a few random admissible points at 50 digits
   (equilibrium values from :meth:`Model.evaluate`, cached per point); a
   violation is a counterexample;
2. a symbolic proof: the residual ``lhs - rhs`` with the outputs written as
   functions of the cutoff vanishes identically (:func:`is_zero_symbolic`,
   simplification in the shifted symbols ``sigma = 1 + z``, ``k = z + e``), or
   with the closed-form equilibrium inserted;
3. otherwise the numeric check is completed at exactly ``POINTS`` (30) points.

The choice between proof and numeric check depends on the equation alone:
every symbolic attempt is bounded by expression size (operation budgets, see
:func:`is_zero_symbolic` and :data:`INTEGRAND_MAX_OPS`), never by a clock, so
the same equation gets the same verdict, method and detail on any machine under
any load.  A verdict "holds" from the numeric check always reports ``POINTS``
points: a drawn point where a side cannot be evaluated is replaced by another,
up to ``SPARE * POINTS`` draws; fewer evaluable points give "undecided".

A false equation is retried under extra conditions (autarky ``n = 0``, free
trade ``tau = 1``, ``f_x = f``); if it holds under one, the verdict says so.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.pycode import MpmathPrinter

from .derivation import is_zero_symbolic, random_point, time_limit
from .errors import AdmissibilityError, MelitzError, NumericalError
from .parse import FUNCTION_ALIASES, VARIABLES, autarky_base, parse_equations
from .symbols import REGISTRY, sym

POINTS = 30  #: admissible points of a numeric check
DPS = 50  #: digits of the numeric check
QUICK = 3  #: points tried before attempting a proof
SPARE = 3  #: a numeric check draws at most SPARE times its points (some may not evaluate)
INTEGRAND_MAX_OPS = 60  #: largest integrand ``count_ops`` integrated symbolically
TOLERANCE = mpmath.mpf(10) ** -30  #: tolerance relative to max(|lhs|, |rhs|, 1)
TOLERANCE_DERIVATIVE = mpmath.mpf(10) ** -15  #: with finite differences (step 1e-20)
_H = mpmath.mpf(10) ** -20
CONDITIONS = (("n = 0 (autarky)", {"n": 0}), ("tau = 1 (no iceberg cost)", {"tau": 1}),
              ("f_x = f", {"f_x": "f"}))


class UndeterminedError(MelitzError):
    """The equation mentions a quantity the model does not determine."""


@dataclass
class Verdict:
    """The outcome of :func:`verify`.

    ``bool(verdict)`` is ``verdict.holds is True``.

    Attributes
    ----------
    equation : str
        The text as given.
    parsed : sympy.Basic
        The parsed sympy equation.
    holds : bool or None
        True, False, or None when undecided (fewer than ``POINTS`` evaluable points).
    method : str
        ``"symbolic"`` (``lhs - rhs`` simplifies to zero once the derivation's
        definitions are substituted), ``"numeric"`` (``lhs = rhs`` checked at
        ``points`` random admissible points at 50 digits), ``"declared"`` (it
        restates a primitive of the model), ``"undecided"``.
    step : str or None
        Name of the derivation step the equation matches, if any.
    quantity : str
        What the equation is about, in words.
    counterexample : dict or None
        For a false equation: ``{"point": {...}, "lhs": v, "rhs": v}``.
    condition : str or None
        A condition under which a false equation does hold (``"n = 0"``).
    points : int
        Number of points checked numerically.
    detail : str
        How it was established, in words.
    links : tuple of Verdict
        For a chain ``a = b = c`` or several equations, the verdict of each link
        (empty for one equation).
    """

    equation: str
    parsed: sp.Basic
    holds: bool | None
    method: str
    step: str | None = None
    quantity: str = ""
    counterexample: dict | None = None
    condition: str | None = None
    points: int = 0
    detail: str = ""
    links: tuple = ()

    def __bool__(self) -> bool:
        return bool(self.holds)

    def __str__(self) -> str:
        verdict = {True: "HOLDS", False: "FALSE", None: "UNDECIDED"}[self.holds]
        lines = [f"{verdict}: {self.equation}", f"  how: {self.detail}"]
        if self.step or self.quantity:
            lines.append("  matches: " + (f"step {self.step!r}" if self.step else "")
                         + (" " if self.step and self.quantity else "") + self.quantity)
        if self.counterexample is not None:
            ce = self.counterexample
            point = ", ".join(f"{k}={_short(v)}" for k, v in ce["point"].items())
            lines.append(f"  counterexample: {point}")
            lines.append(f"    lhs = {_short(ce['lhs'], 20)}, rhs = {_short(ce['rhs'], 20)}")
        if self.condition:
            lines.append(f"  holds only under the condition {self.condition}")
        return "\n".join(lines)


    def _repr_html_(self) -> str:
        """Jupyter display: the verdict in colour, how it was established, the matching
        step and any counterexample."""
        from .display import card

        ce = self.counterexample
        point = (", ".join(f"{k}={_short(v)}" for k, v in ce["point"].items()) +
                 f"; lhs = {_short(ce['lhs'], 20)}, rhs = {_short(ce['rhs'], 20)}"
                 if ce else "")
        return card(self.equation, [("how", self.detail), ("step", self.step),
                                    ("quantity", self.quantity), ("counterexample", point),
                                    ("holds only if", self.condition)], self.holds)


def _short(v, digits: int = 8) -> str:
    if isinstance(v, (mpmath.mpf, sp.Rational, sp.Float)):
        return mpmath.nstr(mpmath.mpf(sp.Float(v, DPS)) if isinstance(v, sp.Basic) else v,
                           digits)
    return str(v)


# ---------------------------------------------------------------------------------
# The model's context: definitions of functions and internal symbols, cached points
# ---------------------------------------------------------------------------------
class Context:
    """What :func:`verify` needs of one model, computed once and cached.

    Attributes
    ----------
    model : the Model.
    functions : function name -> Lambda of one productivity (or cost) argument.
    definitions : internal symbol (A, R, p_max) -> expression, from the steps.
    cost : whether the functions are of a unit cost ``c`` (a free variable).
    """

    def __init__(self, model) -> None:
        self.model = model
        self.d = model.derive()
        self.params = tuple(self.d.parameters)
        self.functions = self._functions()
        self.cost = any(isinstance(s.eq, sp.Eq) and isinstance(s.eq.lhs, AppliedUndef)
                        and s.eq.lhs.args == (sym("c"),) for s in self.d)
        self.definitions = self._definitions()
        #: N-country models: the aggregates a pair's expressions take as given
        self.market = dict(getattr(self.d, "market", None) or {})
        #: outputs with a value of their own (not an aggregate of the market)
        self.quantities = {name for name, e in self.d.outputs.items()
                           if e not in set(self.market.values())}
        self._points: dict[tuple, list] = {}
        self._autarky: dict[tuple, dict] = {}
        self._residuals: dict[str, sp.Expr | None] = {}
        self._compiled: dict[sp.Expr, tuple] = {}

    def _functions(self) -> dict[str, sp.Lambda]:
        x = sp.Dummy("x", positive=True)
        out: dict[str, sp.Lambda] = {}
        for s in self.d:
            lhs = s.eq.lhs if isinstance(s.eq, sp.Eq) else None
            if isinstance(lhs, AppliedUndef) and len(lhs.args) == 1 and \
                    isinstance(lhs.args[0], sp.Symbol) and lhs.func.__name__ not in out:
                out[lhs.func.__name__] = sp.Lambda(x, s.eq.rhs.subs(lhs.args[0], x))
        if "S" in out:
            S = out["S"]
            out["G"] = sp.Lambda(x, 1 - S(x))
            out["g"] = sp.Lambda(x, -sp.diff(S(x), x))
        if "phi_tilde" in self.d.steps:
            out["phi_tilde"] = sp.Lambda(x, self.d["phi_tilde"].rhs.subs(sym("phi_star"), x))
        return out

    def _definitions(self) -> dict[sp.Symbol, sp.Expr]:
        out = {}
        for name, step in (("A", "demand_shifter"), ("R", "labour_market")):
            if step in self.d.steps and self.d[step].lhs == sym(name):
                out[sym(name)] = self.d[step].rhs
        if "cost_cutoff" in self.d.steps and self.d["cost_cutoff"].rhs == sym("p_max"):
            out[sym("p_max")] = self.d["cost_cutoff"].lhs  # the cutoff is the choke price
        return out

    # ----- notation ---------------------------------------------------------------------
    def aliases(self) -> dict[str, str | None]:
        """The model's default spellings: ``\\gamma`` is the Pareto shape ``k`` where
        the model has no ``gamma`` of its own (Melitz-Ottaviano has one);
        ``\\theta`` is refused where the model has its own ``theta`` (Chaney's
        multilateral resistance) instead of being read as ``k``; utility ``U`` is
        welfare ``W`` where the model has no CES aggregate ``Q`` (Melitz-Ottaviano's
        quadratic utility), else ``Q``."""
        names = {p.name for p in self.params} | set(self.d.outputs)
        out: dict[str, str | None] = {}
        if "gamma" not in names and "k" in names:
            out["gamma"] = "k"
        if "theta" in self.d.outputs:
            out["theta"] = None
        if "W" in self.d.outputs and not any(sym("Q") in s.eq.free_symbols for s in self.d):
            out["U"] = "W"  # no CES aggregate Q: welfare W is the consumer's utility
        if self.market:
            out.update(self._pair_spellings())
        return out

    def _pair_spellings(self) -> dict[str, sp.Expr]:
        """Indexed spellings of an N-country model for a pair: origin i, destination j
        (Chaney 2008: X_{ij}, \\tau_{ij}, f_{ij}, w_i, L_i, Y_i, Y_j, Y, \\theta_j, P_j,
        \\bar\\varphi_{ij} and N_{ij} for the cutoff and the number of exporters, \\mu
        for the expenditure share)."""
        names = {p.name for p in self.params} | self.quantities
        spellings = {"X": ["X_{ij}"], "phi_star": [r"\varphi^*_{ij}", r"\bar{\varphi}_{ij}"],
                     "M_x": ["N_{ij}", "M_{ij}"], "P": ["P_j"], "W": ["W_j"], "w": ["w_i"],
                     "L": ["L_i"], "tau": [r"\tau_{ij}"], "f": ["f_{ij}"], "alpha": [r"\mu"]}
        out: dict[str, sp.Expr] = {}
        for name, written in spellings.items():
            if name in names:
                symbol = sym(name) if name in REGISTRY else sp.Symbol(name, positive=True)
                out.update(dict.fromkeys(written, symbol))
        for name, symbol in self.market.items():  # Y_i, Y_j, Y, theta_j, pi
            out[name if "_" not in name else name.replace("theta", "\\theta")] = symbol
        if "lambda_3" in getattr(self.d, "pair", {}):  # Chaney's constant, derived
            out["\\lambda_3"] = self.d.pair["lambda_3"]
        return out


    def notation(self, eq: sp.Eq) -> tuple[sp.Eq, list[str]]:
        """``eq`` in the model's terms, and notes saying what was read how.

        The wage ``w`` is 1 where it is the numeraire (neither a parameter nor an
        output of the model); a variety-level equation (free ``\\omega``, no
        integral) is about the variety's producer: ``\\omega`` is its productivity.
        """
        names = {p.name for p in self.params} | set(self.d.outputs)
        notes, subs = [], {}
        if self.market:
            notes.append("for every pair (i, j), origin i and destination j, whatever the "
                         f"aggregates {', '.join(sorted(set(self.market) - {'pi'}))}")
        free = {s.name: s for s in eq.free_symbols}
        if "w" in free and "w" not in names:
            subs[free["w"]] = sp.Integer(1)
            notes.append("w = 1 (the wage is the numeraire)")
        if "omega" in free and not eq.has(sp.Integral):
            subs[free["omega"]] = sym("phi")
            notes.append("omega is a variety; its producer's productivity is phi")
        return (eq.xreplace(subs) if subs else eq), notes

    # ----- expansion ------------------------------------------------------------------
    def expand(self, expr: sp.Expr) -> sp.Expr:
        """Replace functions and internal symbols by their definitions; derivatives
        with respect to productivity are done, those with respect to an output are
        taken along the derivation's relations (:meth:`along_cutoff`)."""
        for _ in range(6):
            expr = expr.xreplace(self.definitions)
            applied = [a for a in expr.atoms(AppliedUndef) if a.func.__name__ in self.functions]
            if not applied:
                break
            expr = expr.xreplace({a: self.functions[a.func.__name__](*a.args) for a in applied})
        for _ in range(3):  # A = R P^(sigma-1), then R
            expr = expr.xreplace(self.definitions)
        unknown = expr.atoms(AppliedUndef)
        if unknown:
            raise UndeterminedError(
                f"{self.model.name} does not define the function "
                f"{unknown.pop().func.__name__}(); it defines: "
                f"{', '.join(sorted(self.functions))}")
        variables = {sp.Symbol(v, positive=True) for v in VARIABLES} | {sym("phi"), sym("x")}
        return self.along_cutoff(expr.replace(lambda e: isinstance(e, sp.Derivative)
                                              and set(e.variables) <= variables,
                                              lambda e: e.doit()))

    def check_symbols(self, expr: sp.Expr) -> None:
        """Raise UndeterminedError for symbols the model neither takes nor determines."""
        outputs = set(self.d.outputs)
        allowed = {p.name for p in self.params} | outputs
        allowed |= set(VARIABLES) | {"phi"} | {s.name for s in self.definitions}
        if self.cost:
            allowed.add("c")
        allowed |= set(self.market)
        for s in sorted(expr.free_symbols, key=lambda s: s.name):
            base = autarky_base(s)
            if s.name in allowed or (base in outputs and "n" in allowed):
                continue
            if base in outputs:
                raise UndeterminedError(f"{s.name} is {base} in autarky (n = 0), but "
                                        f"{self.model.name} has no parameter n")
            kind = REGISTRY[s.name].kind if s.name in REGISTRY else "symbol"
            raise UndeterminedError(
                f"{self.model.name} does not determine the {kind} {s.name!r}; its parameters "
                f"are {', '.join(p.name for p in self.params)} and its outputs "
                f"{', '.join(self.d.outputs)}")

    def along_cutoff(self, expr: sp.Expr) -> sp.Expr:
        """Derivatives with respect to an output done along the derivation's relations.

        The derivation writes every output as a function of the cutoff phi* and the
        parameters (:meth:`generic`); so dY/dphi* is the derivative of that
        function with the parameters fixed, and dY/dX for another output X is
        (dY/dphi*)/(dX/dphi*).  Derivatives with respect to parameters are left.

        Raises
        ------
        UndeterminedError
            If the model has no cutoff phi*, or X does not vary with it.
        """
        derivatives = [d for d in expr.atoms(sp.Derivative)
                       if any(v.name in self.d.outputs for v in d.variables)]
        if not derivatives:
            return expr
        cutoff = sym("phi_star")
        if "phi_star" not in self.d.outputs:
            raise UndeterminedError(f"{self.model.name} has no productivity cutoff phi*; "
                                    "derivatives are taken with respect to parameters")
        done = {}
        for der in derivatives:
            (x, order), = der.variable_count
            if order != 1 or len(der.variables) != 1:
                raise UndeterminedError(f"derivatives are taken once: {der}")
            dx = sp.diff(self.generic(x), cutoff)
            if dx == 0:
                raise UndeterminedError(f"{x.name} does not vary with the cutoff phi*, so "
                                        f"d/d{x.name} along the equilibrium relations is "
                                        "undefined")
            done[der] = sp.diff(self.generic(der.expr), cutoff) / dx
        return expr.xreplace(done)

    # ----- symbolic forms -------------------------------------------------------------
    def generic(self, expr: sp.Expr) -> sp.Expr:
        """Outputs as functions of the cutoff (before the cutoff is solved)."""
        n, phi_s = sym("n"), sym("phi_star")
        subs = {}
        for s in expr.free_symbols:
            if s.name in self.quantities:
                subs[s] = self.d.outputs[s.name]
            elif autarky_base(s) in self.quantities:
                subs[s] = self.d.outputs[autarky_base(s)].subs(
                    {phi_s: sym("phi_star_A"), n: 0})
        return expr.xreplace(subs)

    def closed(self, expr: sp.Expr) -> sp.Expr | None:
        """Outputs replaced by their closed forms, or None if some have none."""
        n = sym("n")
        subs = {}
        for s in expr.free_symbols:
            name = s.name if s.name in self.quantities else autarky_base(s)
            if name is None or name not in self.quantities:
                continue
            cf = self.d.closed_forms.get(name)
            if cf is None:
                return None
            subs[s] = cf if name == s.name else cf.subs(n, 0)
        return expr.xreplace(subs)

    # ----- numeric points ---------------------------------------------------------------
    def points(self, count: int, condition: Mapping[str, object] | None = None) -> list:
        """``count`` admissible points with equilibrium values (cached).

        A point is ``(params, outputs, variables)``: parameters as exact decimal
        strings, outputs at :data:`DPS` digits (the cutoff at once, the others
        when first needed, see :func:`value_at`), and random productivities.
        Corners and points where the numeric path fails are skipped.
        """
        key = tuple(sorted((condition or {}).items(), key=lambda kv: kv[0]))
        cache = self._points.setdefault(key, [])
        rng = random.Random(f"{self.model.cache_key}-{key}")
        tries = 0
        while len(cache) < count and tries < 40 * count:
            tries += 1
            draw = random_point(self.params, self.d.restrictions, self.d.sampler.box, rng)
            # exact decimal strings: sympy's admissibility check is slow on Rationals
            params = {s.name: str(Decimal(v.p) / Decimal(v.q)) for s, v in draw.items()}
            for k, v in (condition or {}).items():
                params[k] = params[v] if isinstance(v, str) else str(v)
            if self.market:
                outputs = self.pair_values(params, self._draw_market(rng, params))
                cache.append((params, outputs, self._variables(rng, outputs)))
                continue
            first = ["phi_star"] if "phi_star" in self.d.outputs else list(self.d.outputs)
            try:  # more outputs are evaluated when an equation needs them
                outputs = self.model.evaluate(dps=DPS, outputs=first, **params)
            except (AdmissibilityError, NumericalError, ValueError, ZeroDivisionError):
                continue
            variables = self._variables(rng, outputs)
            cache.append((params, outputs, variables))
        return cache[:count]

    def _draw_market(self, rng: random.Random, params: Mapping[str, str]) -> dict:
        """Aggregates of an N-country model for one pair: the origin's income
        Y_i = (1 + pi) w_i L_i (the dividend step), the destination's Y_j and the
        multilateral resistance theta_j drawn, world income Y above Y_i + Y_j."""
        with mpmath.workdps(DPS):
            out = {name: mpmath.mpf(rng.randint(500, 3000)) / 1000 for name in self.market}
            if "Y_j" in out:
                out["Y_j"] *= 30
            if "pi" in out:
                out["pi"] = self._closed_value("pi", params, out)
            if {"Y_i", "w", "L"} <= set(out) | set(params):
                out["Y_i"] = (1 + out.get("pi", 0)) * mpmath.mpf(params["w"]) * \
                    mpmath.mpf(params["L"])
            if "Y" in out:
                out["Y"] = (out.get("Y_i", 0) + out.get("Y_j", 0)) * (1 + out["Y"])
        return out

    def _closed_value(self, name: str, params: Mapping[str, str], market: Mapping) -> object:
        syms, fn = self.compiled(self.d.closed_forms[name])
        values = {**{k: mpmath.mpf(v) for k, v in params.items()}, **market}
        return fn(*[values[s.name] for s in syms])

    def pair_values(self, params: Mapping[str, str], market: Mapping) -> dict:
        """The aggregates and every closed-form output of an N-country model at a pair."""
        with mpmath.workdps(DPS):
            out = dict(market)
            for name in self.quantities:
                if name in self.d.closed_forms:
                    out[name] = self._closed_value(name, params, market)
        return out

    def _variables(self, rng: random.Random, outputs: Mapping) -> dict:
        """Random producers' productivities above the cutoff (phi, phi_1, phi_2, x), and
        in a model of unit costs a producer's cost ``c`` below the cutoff c_D."""
        low = outputs.get("phi_star", mpmath.mpf(1))
        out = {v: low * (1 + mpmath.mpf(rng.randint(1, 10**6)) / 10**6 * 2)
               for v in VARIABLES if v != "omega"}
        if self.cost:
            out["c"] = outputs[self.d.cutoff.name] * mpmath.mpf(rng.randint(1, 10**6 - 1)) / 10**6
        return out

    def compiled(self, expr: sp.Expr) -> tuple:
        """``(symbols, mpmath function)`` of ``expr`` (lambdified once), with its
        exponentials and powers guarded (:func:`guarded_exp`, :func:`guarded_pow`)."""
        if expr not in self._compiled:
            syms = sorted(expr.free_symbols, key=lambda s: s.name)
            self._compiled[expr] = (syms, guarded_lambdify(syms, expr))
        return self._compiled[expr]

    def step_residual(self, name: str) -> sp.Expr | None:
        """lhs - rhs of step ``name`` with definitions expanded (None if unusable)."""
        if name not in self._residuals:
            eq = self.d[name]
            try:
                ok = isinstance(eq, sp.Eq) and isinstance(eq.lhs, sp.Expr) and \
                    not eq.has(sp.Integral)  # not Chaney's tuples of elasticities
                self._residuals[name] = self.expand(eq.lhs - eq.rhs) if ok else None
            except MelitzError:
                self._residuals[name] = None
        return self._residuals[name]

    def autarky_outputs(self, point, name: str):
        """Output ``name`` at the point with n = 0 (cached)."""
        cache = self._autarky.setdefault(tuple(sorted(point[0].items())), {})
        if name not in cache:
            cache.update(self.model.evaluate(dps=DPS, outputs=[name], **dict(point[0], n="0")))
        return cache[name]


class GuardedPow(sp.Function):
    """``b**e`` with a symbolic exponent, evaluated by :func:`guarded_pow`."""


def _beyond_precision(log_result) -> None:
    r"""Raise OverflowError where :math:`|\ln y|` (``log_result``) exceeds 2^prec: a
    value :math:`y` whose exponent has more bits than the working precision has no
    correct digit, and mpmath spends minutes or all memory on it (exp(exp(exp(10)))
    took 100 s, 4^(4^(4^10)) over 300 s, exp(exp(exp(M))) raised MemoryError)."""
    if log_result and mpmath.mag(log_result) > mpmath.mp.prec:
        raise OverflowError("a value whose exponent exceeds the working precision")


def guarded_exp(x):
    """``mpmath.exp(x)``, an OverflowError where :math:`|x| > 2^{prec}`."""
    _beyond_precision(x)
    return mpmath.exp(x)


def guarded_pow(b, e):
    r"""``b**e``, an OverflowError where :math:`|e \ln|b|| > 2^{prec}`."""
    if b:
        _beyond_precision(e * mpmath.log(abs(b)))
    return b ** e


_GUARDED = {"exp": guarded_exp, "GuardedPow": guarded_pow}


def guarded_lambdify(syms: list, expr: sp.Expr):
    """``expr`` compiled for mpmath with its exponentials and its powers with a
    symbolic exponent guarded (:func:`guarded_exp`, :func:`guarded_pow`)."""
    powers = {p: GuardedPow(*p.args) for p in expr.atoms(sp.Pow) if not p.exp.is_Number}
    # terms printed as they are and no docstring: ordering the terms of a sum evaluates
    # its constants (exp(exp(exp(exp(E)))) for minutes, in mpmath)
    printer = MpmathPrinter({"fully_qualified_modules": False, "inline": True,
                             "allow_unknown_functions": True, "order": "none"})
    return sp.lambdify(syms, expr.xreplace(powers), modules=[_GUARDED, "mpmath"],
                       printer=printer, docstring_limit=0)

_CONTEXTS: dict = {}


def context(model) -> Context:
    """The cached :class:`Context` of ``model`` (a Model or a registry name)."""
    if isinstance(model, str):
        from .facade import model as build

        model = build(model)
    key = model.cache_key or id(model)
    if key not in _CONTEXTS:
        _CONTEXTS[key] = Context(model)
    return _CONTEXTS[key]


# ---------------------------------------------------------------------------------
# Numeric evaluation at a point
# ---------------------------------------------------------------------------------
def value_at(ctx: Context, expr: sp.Expr, point) -> mpmath.mpf:
    """``expr`` at a cached point at :data:`DPS` digits (derivatives by differences)."""
    params, outputs, variables = point
    with mpmath.workdps(DPS + 10):
        for der in sorted(expr.atoms(sp.Derivative), key=sp.count_ops, reverse=True):
            if der in expr.atoms(sp.Derivative):
                expr = expr.xreplace({der: sp.Float(_difference(ctx, der, point), DPS + 10)})
        if expr.has(sp.zoo, sp.nan):  # a derivative of 0 in a denominator (oo: a bound)
            raise ZeroDivisionError(f"{expr} is not a finite number here")
        syms, fn = ctx.compiled(expr)
        missing = sorted(s.name for s in syms if s.name in ctx.d.outputs
                         and s.name not in outputs)
        if missing:
            outputs.update(ctx.model.evaluate(dps=DPS, outputs=missing, **params))
        result = fn(*[_symbol_value(ctx, s, point) for s in syms])
    return result


def _symbol_value(ctx: Context, s: sp.Symbol, point):
    params, outputs, variables = point
    if s.name in params:
        return mpmath.mpf(params[s.name])
    if s.name in outputs:
        return outputs[s.name]
    if s.name in variables:
        return variables[s.name]
    base = autarky_base(s)
    if base is not None:
        return ctx.autarky_outputs(point, base)
    raise UndeterminedError(f"no value for {s.name}")


def _difference(ctx: Context, der: sp.Derivative, point) -> mpmath.mpf:
    """d Y/d X at a point by a central (or one-sided) difference at 60 digits (in an
    N-country model the aggregates of the pair are held fixed: partial derivatives)."""
    params = point[0]
    (x, order), = der.variable_count
    if order != 1 or x.name not in params:
        raise UndeterminedError(f"derivatives are taken once, with respect to a parameter: "
                                f"{der}")
    base = mpmath.mpf(params[x.name])
    h = _H * max(abs(base), 1)

    def at(shift):
        p = dict(params)
        p[x.name] = mpmath.nstr(base + shift, DPS + 10, strip_zeros=False)
        if ctx.market:
            market = {k: v for k, v in point[1].items() if k in ctx.market}
            return value_at(ctx, der.expr, (p, ctx.pair_values(p, market), {}))
        return value_at(ctx, der.expr, (p, {}, {}))

    try:
        return (at(h) - at(-h)) / (2 * h)
    except AdmissibilityError:  # at a boundary (tau = 1): second-order forward difference
        return (-3 * at(0) + 4 * at(h) - at(2 * h)) / (2 * h)


def _close(lhs, rhs, tol) -> bool:
    if not (mpmath.isfinite(lhs) and mpmath.isfinite(rhs)):
        return False
    return abs(lhs - rhs) <= tol * max(abs(lhs), abs(rhs), 1)


def _try_numeric(ctx, lhs, rhs, count, tol, condition=None):
    """``(counterexample or None, points where both sides evaluated)``.

    Admissible points are drawn (:meth:`Context.points`, under ``condition``)
    until ``count`` of them evaluate both sides.  A point where a side cannot be
    evaluated (a derivative step leaves the domain, a division by zero, an
    exponent beyond mpmath's, gains where autarky is a corner) is not counted
    and another is drawn in its place, up to ``SPARE * count`` points in all:
    the count is of points, never of seconds.
    """
    evaluated = drawn = 0
    while evaluated < count and drawn < SPARE * count:
        points = ctx.points(min(drawn + count - evaluated, SPARE * count), condition)
        if len(points) <= drawn:
            break
        for point in points[drawn:]:
            try:
                lv, rv = value_at(ctx, lhs, point), value_at(ctx, rhs, point)
            except (AdmissibilityError, NumericalError, ValueError, ZeroDivisionError,
                    OverflowError, TypeError, NotImplementedError, MemoryError) as exc:
                if isinstance(exc, MelitzError) and not isinstance(
                        exc, (AdmissibilityError, NumericalError)):
                    raise
                continue
            evaluated += 1
            if isinstance(lv, mpmath.mpc) or isinstance(rv, mpmath.mpc):
                lv, rv = mpmath.mpc(lv), mpmath.mpc(rv)
                if abs(lv - rv) <= tol * max(abs(lv), abs(rv), 1):
                    continue
            elif _close(lv, rv, tol):
                continue
            shown = dict(point[0])
            names = {s.name for s in (lhs - rhs).free_symbols}
            shown.update({k: v for k, v in point[1].items() if k in names})
            shown.update({k: v for k, v in point[2].items() if k in names})
            return {"point": shown, "lhs": lv, "rhs": rv}, evaluated
        drawn = len(points)
    return None, evaluated


# ---------------------------------------------------------------------------------
# Matching the derivation's steps
# ---------------------------------------------------------------------------------
def _head(expr: sp.Expr) -> str | None:
    if isinstance(expr, sp.Symbol):
        return expr.name
    if isinstance(expr, AppliedUndef):
        return expr.func.__name__
    return None


def match_step(ctx: Context, eq: sp.Eq) -> str | None:
    """The step whose equation the user's equation restates, if any.

    A step matches when one side of both equations is the same quantity (or
    function) and the other sides agree at a random point where every symbol is
    free; otherwise when the residuals are proportional at two such points.
    """
    user = ctx.expand(eq.lhs - eq.rhs)
    heads = {_head(eq.lhs), _head(eq.rhs)} - {None}
    identity = _proportional(user, sp.Integer(1), random.Random(7)) == "zero"
    for s in ctx.d:
        same_head = bool(heads & ({_head(s.eq.lhs)} - {None})) if isinstance(s.eq, sp.Eq) \
            else False
        if identity:
            if same_head:
                return s.name
            continue
        other = ctx.step_residual(s.name)
        if other is None or (not same_head and user.free_symbols != other.free_symbols):
            continue
        if _proportional(user, other, random.Random(7)) is True:
            return s.name
    return None


def _proportional(a: sp.Expr, b: sp.Expr, rng: random.Random) -> bool | str:
    """Whether a/b is the same nonzero constant at two random points (``"zero"``
    when ``a`` vanishes at both); every symbol drawn in [1.1, 3]."""
    syms = sorted(a.free_symbols | b.free_symbols, key=lambda s: s.name)
    if b == 0:
        return False
    ratios = []
    with mpmath.workdps(30):
        try:
            fa, fb = guarded_lambdify(syms, a), guarded_lambdify(syms, b)
            for _ in range(2):
                draw = {s.name: mpmath.mpf(rng.randint(1100, 3000)) / 1000 for s in syms}
                if "k" in draw and "sigma" in draw:  # a finite (sigma-1)-th moment
                    draw["k"] += draw["sigma"] - 1
                vals = [draw[s.name] for s in syms]
                va, vb = fa(*vals), fb(*vals)
                if vb == 0 or not mpmath.isfinite(va) or not mpmath.isfinite(vb):
                    return False
                ratios.append(va / vb)
        except (ValueError, TypeError, ZeroDivisionError, NameError, NotImplementedError,
                OverflowError):
            return False
    if max(abs(r) for r in ratios) <= mpmath.mpf(10) ** -20:
        return "zero"
    return abs(ratios[0] - ratios[1]) <= mpmath.mpf(10) ** -20 * abs(ratios[0])


def _quantity(ctx: Context, eq: sp.Eq) -> str:
    outputs = [s.name for s in sorted(eq.free_symbols, key=lambda s: s.name)
               if s.name in ctx.d.outputs]
    autarky = [s.name for s in eq.free_symbols if autarky_base(s) in ctx.d.outputs]
    words = []
    if outputs:
        words.append("equilibrium " + ", ".join(outputs))
    if autarky:
        words.append("autarky " + ", ".join(sorted(autarky)))
    return "; ".join(words)


# ---------------------------------------------------------------------------------
# verify
# ---------------------------------------------------------------------------------
def verify(model, text: str | sp.Eq, seconds: float | None = None,
           aliases: Mapping[str, str] | None = None) -> Verdict:
    r"""Decide whether the equation ``text`` holds in the equilibrium of ``model``.

    Parameters
    ----------
    model : Model or str
        A model, or a registry name (``"melitz"``, Pareto distribution).
    text : str or sympy.Eq
        An equation in LaTeX or sympy syntax (or a sympy ``Eq``).  A chain
        ``a = b = c`` or several equations (separated by commas, ``\quad``,
        ``\text{or}``, ``\text{and}`` or a LaTeX line break) hold when every link
        holds; the verdict names the first link that does not (``links`` has one
        verdict each).
    seconds : float or None
        A hard safety abort in wall-clock seconds (None, the default: none).
        It never changes a verdict or its method (those depend on the equation
        alone, see the module docstring); past it :class:`TimeLimitExceeded` is
        raised.  Only in the main thread of a POSIX process (SIGALRM).
    aliases : dict or None
        The user's notation, ``{spelling: name}`` such as
        ``{"theta": "k", r"\varphi_d^*": "phi_star"}`` (see
        :func:`melitz_sym.parse.alias_table`); they take precedence over the
        model's defaults (:meth:`Context.aliases`).

    Returns
    -------
    Verdict
        Whether ``lhs = rhs`` holds identically on the admissible parameter domain
        at the equilibrium, how that was established, the step it matches and, for
        a false equation, a counterexample.

    Raises
    ------
    ParseError, UnknownNameError
        For malformed text, unknown names, name parts not understood, bad aliases.
    MelitzError
        If the equation mentions a quantity the model does not determine.
    TimeLimitExceeded
        (a MelitzError) if ``seconds`` is given and passes before a verdict.
    """
    ctx = context(model)
    if isinstance(text, sp.Eq):
        links = [(sp.sstr(text), text)]
    else:
        names = dict(ctx.aliases())
        names.update(aliases or {})
        links = [(link.text, link.relation) for link in parse_equations(text, names)]
    shown = text if isinstance(text, str) else sp.sstr(text)
    with time_limit(seconds, f"verifying {shown!r}"):
        if len(links) == 1:
            return _verify_one(ctx, links[0][1], shown)
        return _chain(shown, [_verify_one(ctx, eq, link) for link, eq in links])


def _verify_one(ctx: Context, eq: sp.Eq, shown: str) -> Verdict:
    """The verdict of one equation (one link of a chain)."""
    _constants_in_range(eq)
    eq, notes = ctx.notation(eq)
    verdict = _decide(ctx, eq, shown)
    if notes:
        verdict.detail += f" (read: {'; '.join(notes)})"
    return verdict


def _constants_in_range(eq: sp.Eq) -> None:
    """Raise a NumericalError where a constant of ``eq`` (an exponential or power
    without symbols) has an exponent beyond the working precision
    (:func:`guarded_exp`): sympy orders the terms of a sum by their values, and
    mpmath took minutes over exp(exp(exp(exp(e)))) there."""
    for side in (eq.lhs, eq.rhs):
        nodes = sp.preorder_traversal(side)
        for node in nodes:
            if (not isinstance(node, (sp.exp, sp.Pow)) or node.free_symbols
                    or node.has(sp.Derivative, sp.Integral)):  # no value of their own
                continue
            nodes.skip()  # inside a constant that evaluates, every constant does
            try:
                with mpmath.workdps(DPS):
                    guarded_lambdify([], node)()
            except (OverflowError, MemoryError):
                raise NumericalError(f"the constant {sp.sstr(node, order='none')} is beyond "
                                     "what verify can evaluate (its exponent has more bits "
                                     f"than {DPS}-digit arithmetic holds)") from None
            except (ValueError, TypeError, ZeroDivisionError, NotImplementedError):
                continue


def _decide(ctx: Context, eq: sp.Eq, shown: str) -> Verdict:
    declared = _declared(ctx, eq)
    if declared is not None:
        return Verdict(shown, eq, True, "declared", declared, detail=(
            f"restates the primitive declared in step {declared!r} (a definition of the "
            "model, not a result)"))
    if any(len(lim) == 1 for i in eq.atoms(sp.Integral) for lim in i.limits):
        raise UndeterminedError("an integral without bounds (over the set of varieties) can "
                                "only restate a primitive of the model, and this one does not; "
                                "integrate over productivity with bounds instead")
    ctx.check_symbols(eq.lhs - eq.rhs)
    return _verify(ctx, eq, shown)


def _chain(shown: str, links: list[Verdict]) -> Verdict:
    """One verdict for several links: it holds when all hold; it names the first
    link that is false (else undecided), with that link's counterexample."""
    failing = next((v for v in links if v.holds is False),  # a Verdict is falsy if false
                   next((v for v in links if v.holds is None), None))
    methods = [v.method for v in links]
    method = next((m for m in ("undecided", "numeric", "symbolic") if m in methods),
                  "declared")
    count = len(links)
    if failing is None:
        holds = True
        detail = f"all {count} links hold: " + "; ".join(
            f"[{i}] {v.equation}: {v.method}" for i, v in enumerate(links, 1))
    else:
        holds = failing.holds
        index = links.index(failing) + 1
        word = "false" if holds is False else "undecided"
        detail = f"link {index} of {count} is {word}: {failing.equation} ({failing.detail})"
        method = failing.method
    lead = links[0] if failing is None else failing
    return Verdict(shown, sp.And(*[v.parsed for v in links], evaluate=False), holds, method,
                   lead.step, lead.quantity, lead.counterexample, lead.condition,
                   lead.points if failing is not None else max(v.points for v in links),
                   detail, tuple(links))


def _declared(ctx: Context, eq: sp.Eq) -> str | None:
    """The primitive step (an integral over varieties) that ``eq`` restates, if any.

    Function names are compared up to the user spellings (``p`` for ``p_d``) and
    the variety index up to renaming.
    """
    if not eq.has(sp.Integral):
        return None
    user = _normal(eq)
    for s in ctx.d:
        if s.obligation or s.inputs or not isinstance(s.eq, sp.Eq) or not s.eq.has(sp.Integral):
            continue
        step = _normal(s.eq)
        if user in (step, sp.Eq(step.rhs, step.lhs, evaluate=False)):
            return s.name
    return None


_OMEGA = sp.Dummy("omega")


def _normal(eq: sp.Eq) -> sp.Eq:
    names = {v: k for k, v in FUNCTION_ALIASES.items()}
    eq = eq.replace(lambda e: isinstance(e, AppliedUndef) and e.func.__name__ in names,
                    lambda e: sp.Function(names[e.func.__name__])(*e.args))
    return eq.xreplace({s: _OMEGA for s in eq.free_symbols if s.name == "omega"})


def _verify(ctx: Context, eq: sp.Eq, shown: str) -> Verdict:
    lhs, rhs = ctx.expand(eq.lhs), ctx.expand(eq.rhs)
    has_derivative = lhs.has(sp.Derivative) or rhs.has(sp.Derivative)
    tol = TOLERANCE_DERIVATIVE if has_derivative else TOLERANCE
    step = match_step(ctx, eq) if not has_derivative else None
    quantity = _quantity(ctx, eq)

    def verdict(holds, method, detail, **kw):
        return Verdict(shown, eq, holds, method, step, quantity, detail=detail, **kw)

    counter, checked = _try_numeric(ctx, lhs, rhs, QUICK, tol)
    if counter is not None:
        condition = _sign_convention(ctx, lhs, rhs, tol) or _find_condition(ctx, lhs, rhs, tol)
        how = f"violated at a random admissible point ({DPS}-digit arithmetic)"
        if condition:
            how += f"; holds at {POINTS} points under {condition}"
        return verdict(False, "numeric", how, counterexample=counter, condition=condition,
                       points=checked)
    proof = _prove(ctx, lhs, rhs, has_derivative)
    if proof is not None:
        return verdict(True, "symbolic", proof, points=checked)
    counter, checked = _try_numeric(ctx, lhs, rhs, POINTS, tol)
    if counter is not None:
        return verdict(False, "numeric",
                       f"violated at a random admissible point ({DPS}-digit arithmetic)",
                       counterexample=counter, points=checked)
    if checked < POINTS:
        return verdict(None, "undecided", f"only {checked} admissible points could be "
                       "evaluated", points=checked)
    return verdict(True, "numeric",
                   f"simplification inconclusive; holds at {checked} random admissible "
                   f"points to {int(-mpmath.log10(tol))} digits ({DPS}-digit arithmetic)",
                   points=checked)


def _prove(ctx: Context, lhs: sp.Expr, rhs: sp.Expr, has_derivative: bool) -> str | None:
    """A description of the symbolic proof of lhs = rhs, or None."""
    res = lhs - rhs
    if res.has(sp.Integral):
        res = _integrate(res)
        if res is None:
            return None
    if not has_derivative:
        generic = ctx.generic(res)
        if is_zero_symbolic(generic):
            return ("proved symbolically: lhs - rhs simplifies to zero with the outputs "
                    "written as functions of the cutoff phi* (an identity for every cutoff)")
    closed = ctx.closed(res)
    if closed is not None and (closed != res or has_derivative):
        closed = _derivatives_taken(closed)
        if closed is not None and is_zero_symbolic(closed):
            return ("proved symbolically: lhs - rhs simplifies to zero with the closed-form "
                    "equilibrium inserted")
    return None


def _derivatives_taken(expr: sp.Expr) -> sp.Expr | None:
    """``expr`` with its derivatives taken, innermost first, or None where one of them
    is of an expression with no value: after d(-1)/d tau = 0, tau/0 is ``zoo``,
    whose derivative sympy calls 0."""
    undefined = []

    def take(der: sp.Derivative) -> sp.Expr:
        if der.expr.has(sp.zoo, sp.nan):
            undefined.append(der)
        return der.doit()

    out = expr.replace(lambda e: isinstance(e, sp.Derivative), take)
    return None if undefined or out.has(sp.zoo, sp.nan) else out


def _integrate(expr: sp.Expr) -> sp.Expr | None:
    """``expr`` with its integrals done, or None.

    Only integrals of sums of powers of the variable (``c x^p``, as under
    Pareto) with at most :data:`INTEGRAND_MAX_OPS` operations are attempted:
    sympy's ``integrate`` is fast on those and may not terminate on others
    (the log-normal moment).
    """
    integrals = expr.atoms(sp.Integral)
    if not all(_power_law_integrand(i) for i in integrals):
        return None
    out = expr.replace(lambda e: isinstance(e, sp.Integral), lambda e: e.doit(conds="none"))
    return None if out.has(sp.Integral) else out


def _power_law_integrand(integral: sp.Integral) -> bool:
    """Whether ``integral`` is one-dimensional over a sum of terms ``c x^p`` (c, p free of x)."""
    if len(integral.limits) != 1 or sp.count_ops(integral.function) > INTEGRAND_MAX_OPS:
        return False
    x = integral.limits[0][0]
    body = sp.powsimp(sp.expand_power_base(integral.function, force=True), combine="exp",
                      force=True)
    for term in sp.Add.make_args(sp.expand(body, power_exp=False)):
        dep = term.as_independent(x, as_Add=False)[1]
        if not (dep == 1 or dep == x or (dep.is_Pow and dep.base == x
                                         and not dep.exp.has(x))):
            return False
    return True


def _find_condition(ctx: Context, lhs: sp.Expr, rhs: sp.Expr, tol) -> str | None:
    """The first candidate condition under which lhs = rhs holds at POINTS points."""
    names = {p.name for p in ctx.params}
    for words, cond in CONDITIONS:
        if not set(cond) <= names or any(isinstance(v, str) and v not in names
                                         for v in cond.values()):
            continue
        for count in (1, QUICK):  # one point first: most candidates fail there
            counter, checked = _try_numeric(ctx, lhs, rhs, count, tol, cond)
            if counter is not None or checked == 0:
                break
        if counter is not None or checked == 0:
            continue
        counter, checked = _try_numeric(ctx, lhs, rhs, POINTS, tol, cond)
        if counter is None and checked >= POINTS:
            return words
    return None


def _sign_convention(ctx: Context, lhs: sp.Expr, rhs: sp.Expr, tol) -> str | None:
    """The sign convention of the trade elasticity under which lhs = rhs holds, or None.

    The package's ``eps`` is d ln(X_ij/X_jj)/d ln tau, negative; the literature
    often writes the positive elasticity (Chaney's ``k``, ACR's ``epsilon``).
    """
    eps = sym("eps")
    if eps not in (lhs - rhs).free_symbols:
        return None
    flipped = {eps: -eps}
    counter, checked = _try_numeric(ctx, lhs.xreplace(flipped), rhs.xreplace(flipped),
                                    POINTS, tol)
    if counter is None and checked >= POINTS:
        return ("the positive sign convention of the trade elasticity, epsilon = -eps "
                "(the package's eps = d ln(X_ij/X_jj)/d ln tau is negative)")
    return None


__all__ = ["CONDITIONS", "Context", "UndeterminedError", "Verdict", "context", "match_step",
           "value_at", "verify"]
