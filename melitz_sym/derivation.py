"""Derivations: ordered records of named, self-checking steps.

A :class:`Step` holds an equation, the rule that produced it, the names of the
steps it used, an optional literature reference, and a *proof obligation*: an
expression that must vanish if the step is right.  The obligation is computed
by an operation different from the one that produced the equation (a solution
is substituted back into the equation it solves, an integral is differentiated
with respect to its bound, a simplification is compared with its input), so
:meth:`Step.check` re-verifies the step instead of repeating it.
"""

from __future__ import annotations

import random
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from math import comb

import mpmath
import sympy as sp

from .admissibility import UPPER_CUTOFFS, Restriction
from .errors import MelitzError, NoClosedFormError, UnknownNameError
from .display import shorten
from .notation import repr_derivation, repr_step
from .simplify import powdenest, shifted


class TimeLimitExceeded(MelitzError):
    """A hard safety abort of :func:`time_limit` fired (never a change of method)."""


class _Alarm(BaseException):
    """The signal inside :func:`time_limit`; a BaseException so sympy cannot swallow it."""


@contextmanager
def time_limit(seconds: float | None, what: str = "the computation"):
    """Abort the block with :class:`TimeLimitExceeded` after ``seconds`` of wall time.

    A hard safety abort only: no result, verdict or method depends on it (the
    symbolic attempts are bounded by expression size, see
    :func:`is_zero_symbolic`).  ``None`` means no limit; outside the main thread
    or without ``setitimer`` (Windows) there is none either.
    """
    if seconds is None or threading.current_thread() is not threading.main_thread() or \
            not hasattr(signal, "setitimer"):
        yield
        return

    def handler(signum, frame):
        raise _Alarm

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Alarm:
        raise TimeLimitExceeded(f"{what} was aborted after the hard limit of {seconds:g} s "
                                "(no verdict was reached; the limit is a safety abort)") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass(frozen=True)
class Step:
    """One step of a derivation.

    Attributes
    ----------
    name : str
        Identifier used in the API (``"free_entry"``).
    eq : sympy.Eq
        The equation the step establishes.
    rule : str
        How it was obtained, in words.
    inputs : tuple of str
        Names of the steps it used.
    ref : str or None
        Literature reference (paper and equation), if any.
    obligation : tuple of sympy.Expr
        Expressions that vanish identically if the step is right (e.g. ``lhs - rhs``
        after substituting the inputs).
    """

    name: str
    eq: sp.Eq
    rule: str
    inputs: tuple[str, ...] = ()
    ref: str | None = None
    obligation: tuple[sp.Expr, ...] = ()

    def __repr__(self) -> str:
        return f"Step({self.name!r}: {shorten(str(self.eq), 80)})"

    def _repr_latex_(self) -> str:
        """Jupyter display: the equation in the registry's notation."""
        return repr_step(self)

    def check(self, sampler: Callable[[], dict] | None = None,
              concretize: Callable[[sp.Expr], sp.Expr] = lambda e: e) -> str:
        """Discharge the proof obligation: show that every expression of
        :attr:`obligation` is identically zero.

        Parameters
        ----------
        sampler : callable or None
            Draws a random admissible parameter point (symbol -> value) for the
            numeric check; None allows symbolic proofs only.
        concretize : callable
            Applied to an obligation before it is checked numerically (replaces
            undetermined functions by their declared forms).

        Returns
        -------
        str
            ``"declared"`` for primitives, ``"symbolic"`` when every obligation
            simplifies to zero, ``"numeric"`` when simplification was inconclusive
            but the obligation vanishes to 30 digits at random admissible points
            drawn by ``sampler``.

        Raises
        ------
        AssertionError
            If an obligation does not vanish.
        """
        if not self.obligation:
            return "declared"
        how = "symbolic"
        for expr in self.obligation:
            if is_zero_symbolic(expr):
                continue
            if sampler is None or not is_zero_numeric(concretize(expr), sampler):
                raise AssertionError(f"step {self.name!r} fails its check: {expr} != 0")
            how = "numeric"
        return how


#: Budgets of :func:`is_zero_symbolic`, counted in operations, never in seconds, so
#: that a proof succeeds or not independently of the machine and its load.
#: Measured on every proof obligation of the built-in derivations, the claims and
#: the verify corpus (sympy 1.14): the proofs found within the former time limits
#: are within these budgets except one obligation of melitz-degenerate (estimated
#: expansion 47369, now checked numerically); what they refuse ran 5 s to minutes.
ZERO_MAX_OPS = 700  #: largest ``count_ops`` of an expression that is tried at all
ZERO_MAX_EXPANDED_OPS = 2_700  #: largest estimated size of the expansion before cancel
SIMPLIFY_MAX_OPS = 150  #: largest ``count_ops`` (shifted symbols) given to ``simplify``


def is_zero_symbolic(expr: sp.Expr) -> bool:
    """True if sympy proves ``expr == 0`` (a False is inconclusive).

    A fixed sequence of exact rewrites, each gated by the size of its input, so
    the outcome depends on the expression alone (never on time or load): for
    the shifted symbols ``sigma = 1 + z`` with and without ``k = z + e`` (see
    :mod:`melitz_sym.simplify`), cancellation after combining powers when the
    expression has at most :data:`ZERO_MAX_OPS` operations and its expansion
    an estimated :data:`ZERO_MAX_EXPANDED_OPS` (:func:`expanded_ops`), and
    ``simplify`` of the form with ``k = z + e`` up to :data:`SIMPLIFY_MAX_OPS`
    operations.  Every transformation is exact, so a zero is a proof.
    """
    expr = sp.sympify(expr)
    if expr == 0:
        return True
    if sp.count_ops(expr) > ZERO_MAX_OPS:
        return False
    return _is_zero(expr)


def _is_zero(expr: sp.Expr) -> bool:
    first = shifted(expr, True)
    candidates = [first] + [c for c in (shifted(expr, False),) if c != first]
    for cand in candidates:
        try:
            if expanded_ops(cand) <= ZERO_MAX_EXPANDED_OPS and _cancel_powers(cand) == 0:
                return True
            # simplify on the first form only: on the form without k = z + e its
            # internal cancel can run for minutes on 40 operations (heuristic gcd)
            if cand is first and sp.count_ops(cand) <= SIMPLIFY_MAX_OPS and \
                    sp.simplify(cand) == 0:
                return True
        except (TypeError, ValueError, NotImplementedError):
            continue
    return False


def expanded_ops(expr: sp.Expr) -> int:
    """Estimated ``count_ops`` of ``expr`` after the expansion in :func:`_cancel_powers`.

    Computed from the tree without expanding: a product multiplies the numbers
    of terms of its factors, a positive integer power is a multinomial, a
    symbolic exponent with m terms becomes m powers.
    """
    return _expanded(expr)[1]


def _expanded(e: sp.Expr) -> tuple[int, int]:
    """(terms, operations) of the expansion of ``e``, estimated in integers."""
    if e.is_Atom:
        return 1, 0
    if e.is_Add:
        parts = [_expanded(a) for a in e.args]
        terms = sum(t for t, _ in parts)
        return terms, sum(o for _, o in parts) + terms - 1
    if e.is_Mul:
        parts = [_expanded(a) for a in e.args]
        terms = 1
        for t, _ in parts:
            terms *= t
        return terms, (sum(terms // t * o for t, o in parts) + terms * (len(parts) - 1)
                       + terms - 1)
    if e.is_Pow:
        tb, ob = _expanded(e.base)
        if e.exp.is_Integer:
            n = int(e.exp)
            if n > 0:
                terms = comb(tb + n - 1, n)
                return terms, terms * n * (ob // tb + 1)
            return 1, ob + 1
        te, oe = _expanded(e.exp)
        return 1, te * (ob + 1) + oe + te
    return 1, sum(_expanded(a)[1] for a in e.args) + 1


def _cancel_powers(expr: sp.Expr) -> sp.Expr:
    """Combine powers (all symbols are positive) and cancel as a rational function."""
    e = powdenest(expr)
    e = sp.powsimp(sp.expand_power_base(e, force=True), force=True)
    e = sp.expand(e, power_base=True, power_exp=True, force=True)
    return sp.cancel(sp.powsimp(e, force=True))


def is_zero_numeric(expr: sp.Expr, sampler: Callable[[], dict], points: int = 8,
                    dps: int = 30) -> bool:
    """True if ``expr`` vanishes to ``dps - 8`` digits at ``points`` random admissible points.

    The expression is evaluated by mpmath at ``dps`` digits from exact
    rational parameter values (no float literals enter).  Every one of the
    ``points`` points must be evaluable: a point that is not makes the check
    fail, so a True always rests on exactly ``points`` points.
    """
    with mpmath.workdps(dps):
        for _ in range(points):
            values = sampler()
            syms = sorted(expr.free_symbols, key=lambda s: s.name)
            if any(s not in values for s in syms):
                return False
            fn = sp.lambdify(syms, expr, modules="mpmath")
            args = [mpmath.mpf(values[s].p) / values[s].q for s in syms]
            try:
                val = fn(*args)
            except (ZeroDivisionError, ValueError, TypeError):
                return False
            scale = max([abs(a) for a in args] + [1])
            if not mpmath.isfinite(val) or abs(val) > scale * mpmath.mpf(10) ** (8 - dps):
                return False
    return True


class FrozenDict(dict):
    """A dict that refuses changes (the mappings of a finished :class:`Derivation`)."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("a Derivation is immutable once built")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse
    __ior__ = _refuse

    def __reduce__(self):
        return (FrozenDict, (dict(self),))


@dataclass
class Derivation:
    """An ordered record of named steps, with the closed forms found.

    The derivation stages build it step by step; :meth:`freeze` ends that, and from
    then on (every derivation a model returns) it is immutable: no step can be added
    and no attribute or mapping changed.

    ``d[name]`` is the equation of the step ``name``; iterating gives the steps in
    order and ``len(d)`` counts them.

    Attributes
    ----------
    title : str
        Model and distribution.
    parameters : tuple of sympy.Symbol
        Parameter symbols, in the order the model documents them.
    restrictions : list of Restriction
        Admissibility restrictions on the parameters.
    steps : dict
        Step name -> :class:`Step`, in derivation order.
    outputs : dict
        Output name -> expression in the parameters and the cutoff symbol
        ``phi_star`` (the solved system, before the cutoff is known).
    cutoff : sympy.Symbol or None
        The symbol solved for, or None for a model with no cutoff.
    cutoff_residual : sympy.Expr or None
        Expression in the parameters and ``cutoff`` whose root is the equilibrium
        (None when there is no cutoff).
    closed_forms : dict
        Output name -> expression in the parameters only, for the outputs the engine
        solved in closed form.
    support_lower : sympy.Expr
        Lower bound of productivity (where the cutoff search starts).
    support_upper : sympy.Expr
        Upper bound of productivity (``oo`` if none): there every tail is 0, so the
        cutoff residual is negative, and the cutoff search ends below it.
    cutoff_upper : tuple of sympy.Expr
        Expressions in the parameters that the restrictions keep the cutoff below (a
        cost cutoff: the demand intercept ``alpha`` and the top of the cost support),
        so that a function of the cutoff can be signed on
        ``support_lower < cutoff < min(cutoff_upper)``.
    sampler : callable or None
        Draws an admissible parameter point (symbol -> value) for the numeric checks
        of :meth:`check`.
    concretize : callable
        Replaces the distribution's undetermined functions by their declared forms
        before a step is checked numerically.
    defines : dict
        Output name -> the step that defines it, where the step does not carry the
        output's name (see :meth:`step_of`).
    staged : bool
        Whether the numeric layer evaluates the cutoff's closed form once and the
        other outputs from ``outputs`` (in the cutoff) instead of from their closed
        forms, which repeat the cutoff's (fewer operations; for derivations whose
        outputs in the cutoff are well conditioned).
    """

    title: str
    parameters: tuple[sp.Symbol, ...] = ()
    restrictions: list[Restriction] = field(default_factory=list)
    steps: dict[str, Step] = field(default_factory=dict)
    outputs: dict[str, sp.Expr] = field(default_factory=dict)
    cutoff: sp.Symbol | None = None
    cutoff_residual: sp.Expr | None = None
    closed_forms: dict[str, sp.Expr] = field(default_factory=dict)
    support_lower: sp.Expr = sp.Integer(0)
    support_upper: sp.Expr = sp.oo
    cutoff_upper: tuple[sp.Expr, ...] = ()
    sampler: Callable[[], dict] | None = None
    concretize: Callable[[sp.Expr], sp.Expr] = sp.sympify
    defines: dict[str, str] = field(default_factory=dict)
    staged: bool = False

    # ----- building --------------------------------------------------------
    def add(self, name: str, eq: sp.Basic, rule: str, inputs: Iterable[str] = (),
            ref: str | None = None, obligation: Iterable[sp.Expr] = ()) -> sp.Eq:
        """Append a step and return its equation.

        Models build ``eq`` with ``sp.Eq(lhs, rhs, evaluate=False)``: a step states
        its equation and ``check()`` proves it; letting sympy try to decide it at
        construction costs time and can turn a true equation into ``True``.
        """
        if self.frozen:
            raise TypeError("a Derivation is immutable once built")
        if name in self.steps:
            raise ValueError(f"duplicate step {name!r}")
        inputs = tuple(inputs)
        for i in inputs:
            if i not in self.steps:
                raise ValueError(f"step {name!r} uses unknown step {i!r}")
        self.steps[name] = Step(name, eq, rule, inputs, ref, tuple(obligation))
        return eq

    def __setattr__(self, name: str, value: object) -> None:
        if self.__dict__.get("_frozen"):
            raise TypeError("a Derivation is immutable once built")
        super().__setattr__(name, value)

    def freeze(self) -> Derivation:
        """End the building: make every mapping read-only and refuse further changes."""
        for key, value in list(vars(self).items()):
            if isinstance(value, dict) and not isinstance(value, FrozenDict):
                super().__setattr__(key, FrozenDict(value))
        self.__dict__["_frozen"] = True
        return self

    @property
    def frozen(self) -> bool:
        """Whether :meth:`freeze` has been called."""
        return bool(self.__dict__.get("_frozen"))

    # ----- reading ---------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Step names in derivation order."""
        return list(self.steps)

    def __getitem__(self, name: str) -> sp.Eq:
        return self.step(name).eq

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps.values())

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        """Short: the title, the number of steps and the outputs (``d.names`` lists the
        steps, ``d[name]`` shows one)."""
        outputs = shorten(", ".join(self.outputs), 200)
        return (f"<Derivation {self.title!r}: {len(self.steps)} steps; "
                f"outputs {outputs or 'none'}>")

    def _repr_latex_(self) -> str:
        """Jupyter display: every step, named, in one aligned block."""
        return repr_derivation(self)

    def step(self, name: str) -> Step:
        """The step called ``name``.

        Parameters
        ----------
        name : str
            A step name (:attr:`names`).

        Returns
        -------
        Step
            Its equation, rule, inputs, reference and proof obligation.
        """
        try:
            return self.steps[name]
        except KeyError:
            raise UnknownNameError(
                f"no step {name!r}; steps are: {', '.join(self.steps)}") from None

    def step_of(self, output: str) -> str:
        """The name of the step that defines ``output``.

        Parameters
        ----------
        output : str
            An output name.

        Returns
        -------
        str
            The step :attr:`defines` names for it, else the step of the same name.
        """
        if output not in self.outputs:
            raise UnknownNameError(
                f"no output {output!r}; outputs are: {', '.join(self.outputs)}")
        step = self.defines.get(output, output)
        if step not in self.steps:
            raise UnknownNameError(f"{self.title}: no step defines the output {output!r}")
        return step

    @cached_property
    def search_top(self) -> sp.Expr:
        r"""The upper end of the search for the cutoff, in the parameters (read on the
        finished derivation, once).

        The top of the support :attr:`support_upper` (``oo`` if none) and, with
        trading partners (:math:`n > 0`), the :math:`\varphi^*` at which a cutoff
        above it that is proportional to it (:data:`UPPER_CUTOFFS`:
        :math:`\varphi_x^* = \tau (f_x/f)^{1/(\sigma-1)}\varphi^*`) reaches that top,
        :math:`b_H/(\varphi_x^*/\varphi^*)`.  Beyond it nobody serves markets that
        way (a corner), while the closed forms of the tails continue past the top
        with the wrong sign: the exporters' profit term of the truncated Pareto
        residual is positive again there, and the search for :math:`\varphi^*` at
        n = 1e4 ran off to infinity.  At n = 0 those terms are multiplied by 0.
        """
        top = sp.sympify(self.support_upper)
        if top == sp.oo or self.cutoff is None:
            return top
        ends = [top]
        for name in UPPER_CUTOFFS:
            ratio = self.outputs.get(name, self.cutoff) / self.cutoff  # Mul cancels phi*
            if ratio != 1 and not ratio.has(self.cutoff):
                ends.append(top / ratio)
        n = next((p for p in self.parameters if p.name == "n"), None)
        if len(ends) == 1 or n is None:
            return sp.Min(*ends)
        return sp.Piecewise((sp.Min(*ends), n > 0), (top, True))

    def closed_form(self, name: str) -> sp.Expr | None:
        r"""Closed form of output ``name`` in the parameters, or None if none exists.

        Parameters
        ----------
        name : str
            An output name (``"phi_star"``, ``"lam"``, ...).

        Returns
        -------
        sympy.Expr or None
            The output as an expression in the parameters alone (under Pareto, e.g.,
            the cutoff :math:`\varphi^*` solved from the zero-cutoff-profit and
            free-entry conditions), or None where the cutoff condition has no closed
            solution.
        """
        if name not in self.outputs:
            raise UnknownNameError(
                f"no output {name!r}; outputs are: {', '.join(self.outputs)}")
        return self.closed_forms.get(name)

    def require_closed_form(self, name: str) -> sp.Expr:
        """Like :meth:`closed_form` but raise :class:`NoClosedFormError` for None.

        Parameters
        ----------
        name : str
            An output name.

        Returns
        -------
        sympy.Expr
            Its closed form in the parameters.
        """
        expr = self.closed_form(name)
        if expr is None:
            raise NoClosedFormError(f"{name} has no closed form in {self.title}")
        return expr

    def check(self) -> dict[str, str]:
        """Re-verify every step: prove each step's proof obligation is zero.

        Returns
        -------
        dict
            Step name -> how it was established (symbolically, or numerically at 30
            digits at admissible points when simplification is inconclusive).
        """
        return {s.name: s.check(self.sampler, self.concretize) for s in self}

    def values_for(self, params: Mapping[str, object]) -> dict[sp.Symbol, object]:
        """Map canonical names to this derivation's parameter symbols."""
        return {p: params[p.name] for p in self.parameters if p.name in params}


@dataclass(repr=False)  # the short repr of Derivation
class MultiDerivation(Derivation):
    """A :class:`Derivation` of an N-country model.

    Attributes
    ----------
    shapes : parameter or output name -> ``""``, ``"i"`` or ``"ij"``.
    pair : name -> pair expression used by the numeric layer (residual terms,
        their derivatives, outputs in the pair and market symbols).
    meanings : name -> meaning in the N-country setting, for arguments and pair
        expressions (the registry's are written for the symmetric models);
        generated code documents its arguments and functions with them.
    assembly : how the pair expressions assemble into the equilibrium, in words,
        beyond the aggregation steps (for generated code).
    market : name -> symbol of a market-level quantity the pair expressions use
        besides the parameters (Chaney's dividend ``pi``, ``theta_j``, incomes).
    """

    shapes: dict[str, str] = field(default_factory=dict)
    pair: dict[str, sp.Expr] = field(default_factory=dict)
    meanings: dict[str, str] = field(default_factory=dict)
    assembly: tuple[str, ...] = ()
    market: dict[str, sp.Symbol] = field(default_factory=dict)

    @property
    def parameter_shapes(self) -> dict[str, str]:
        """Parameter name -> shape, in the documented parameter order."""
        return {p.name: self.shapes[p.name] for p in self.parameters}


def _range(s: sp.Symbol, box: Mapping[str, tuple]) -> tuple:
    """Sampling range of ``s``: the model's box, else (0.2, 3) for a positive symbol
    (a parameter of a Custom density) and (-1, 1) otherwise."""
    if s.name in box:
        return box[s.name]
    return (0.2, 3) if s.is_positive else (-1, 1)


def random_point(symbols: Iterable[sp.Symbol], restrictions: Iterable[Restriction],
                 box: Mapping[str, tuple], rng: random.Random,
                 tries: int = 10_000) -> dict[sp.Symbol, sp.Rational]:
    """Draw exact rational parameter values uniformly in ``box`` that satisfy
    every restriction (rejection sampling; restrictions evaluated by mpmath)."""
    symbols = list(symbols)
    tests = [(sp.lambdify(symbols, r.condition, "mpmath"),
              None if r.when is None else sp.lambdify(symbols, r.when, "mpmath"))
             for r in restrictions]
    for _ in range(tries):
        point = [sp.Rational(round(rng.uniform(*_range(s, box)) * 10**6), 10**6)
                 for s in symbols]
        args = [mpmath.mpf(v.p) / v.q for v in point]
        if all((when is not None and not when(*args)) or cond(*args) for cond, when in tests):
            return dict(zip(symbols, point))
    raise RuntimeError("no admissible point found in the sampling box")


@dataclass
class Sampler:
    """Picklable random admissible-point generator for numeric checks."""

    symbols: tuple[sp.Symbol, ...]
    restrictions: list[Restriction]
    box: Mapping[str, tuple]
    seed: int

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def __call__(self) -> dict[sp.Symbol, sp.Rational]:
        return random_point(self.symbols, self.restrictions, self.box, self._rng)


@dataclass
class Concretizer:
    """Picklable map replacing undefined functions (S, V) by Lambdas."""

    replacements: tuple[tuple[sp.FunctionClass, sp.Lambda], ...]

    def __call__(self, expr: sp.Expr) -> sp.Expr:
        for func, lam in self.replacements:
            expr = expr.replace(func, lam)
        return expr
