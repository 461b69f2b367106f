r"""High-precision evaluation of a derivation with mpmath.

The derived expressions (closed forms where they exist, otherwise the cutoff
equation and the outputs as functions of the cutoff) are evaluated at ``dps``
digits.  Parameters are converted exactly: strings and integers go straight to
``mpf``; floats are taken at their exact binary value.  This is the derived
path at high precision; the independent reference path integrates the
primitives instead.  Sums of ``erf`` are evaluated as :math:`\Phi(\pm z)` with
``erfc`` (:func:`melitz_sym.numeric.stable.erfc_form`), never as a difference
from one.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import mpmath
import sympy as sp

from ..derivation import Derivation
from ..errors import AdmissibilityError, NumericalError
from ..symbols import sym
from . import stable
from .rootfind import NO_SELECTION, beyond_range, newton_in_bracket


def to_mpf(value: object) -> mpmath.mpf:
    """Exact conversion of a parameter value to mpf at the working precision."""
    if isinstance(value, sp.Rational):
        return mpmath.mpf(value.p) / value.q
    if isinstance(value, sp.Basic):
        return mpmath.mpf(sp.N(value, mpmath.mp.dps + 5))
    return mpmath.mpf(value)


#: Largest order :math:`|s|` of an incomplete gamma function that :func:`gammainc`
#: passes to mpmath: its cost grows with the order (at :math:`s = 10^6` some 50 ms; at
#: an integer order of 1e300, Weibull at sigma = 1e300, mpmath's recurrence ran for
#: hours); :math:`\Gamma(2^{20}) \approx 10^{5.3 \cdot 10^6}` is far beyond any
#: double already.
GAMMAINC_ORDER = 2**20


#: Largest argument at which :func:`gammainc` takes an upper incomplete gamma function
#: as the complete one less the lower part (the series, a few terms).
SMALL_ARGUMENT = mpmath.mpf(2) ** -20


def _small_lower_part(s, a) -> bool:
    r"""Whether :math:`\Gamma(s, a) = \Gamma(s) - \gamma(s, a)` loses at most one bit:
    :math:`0 < a \le 2^{-20}`, real :math:`s > 0` and :math:`\gamma(s, a) < a^s / s`
    at most half of :math:`\Gamma(s)`.  mpmath's own upper function slows down as
    :math:`a \to 0` at high precision (6.7 s at a = 6e-335 and 384 digits, Weibull at
    f = 5e-324, whose bracket search took it lower and lower)."""
    if mpmath.im(s) or mpmath.im(a) or not (0 < a <= SMALL_ARGUMENT and s > 0):
        return False
    return mpmath.power(a, s) / s <= mpmath.gamma(s) / 2


def gammainc(s, a=0, b=mpmath.inf):
    r"""``mpmath.gammainc`` within an operation budget: an order :math:`|s|` above
    :data:`GAMMAINC_ORDER`, a series that does not converge within mpmath's term
    limit (order 1e6 at twice that argument) and a computation that runs out of
    memory are a :class:`NumericalError`, never a hang or another exception."""
    if abs(s) > GAMMAINC_ORDER:
        raise NumericalError(f"an incomplete gamma function of order {mpmath.nstr(s, 8)} "
                             f"(beyond {GAMMAINC_ORDER}) at these parameters: the parameters "
                             "are too extreme for mpmath, whose cost grows with the order")
    try:
        if b == mpmath.inf and _small_lower_part(s, a):
            return mpmath.gamma(s) - mpmath.gammainc(s, 0, a)
        return mpmath.gammainc(s, a, b)
    except (mpmath.libmp.NoConvergence, MemoryError):
        raise NumericalError(f"the incomplete gamma function of order {mpmath.nstr(s, 8)} "
                             "does not converge in mpmath at these parameters") from None


#: Largest binary magnitude :math:`\log_2 |x|` of an argument that :func:`exp` passes to
#: mpmath: mpmath's ``exp`` shifts a mantissa by about :math:`|x|` bits, so at
#: :math:`|x| = 10^{10^{17}}` (Frechet at k = 3.9e16, :math:`(b/\varphi)^k` below
#: the cutoff) it ran out of memory.  :math:`e^{\pm 2^{64}} = 10^{\pm 8 \cdot 10^{18}}`.
EXP_MAG = 64


def exp(x):
    r"""``mpmath.exp`` within memory: for :math:`|x| > 2^{64}` (:data:`EXP_MAG`)
    :math:`e^{x}` is 0 where :math:`x < 0` (an underflow: the true value is below
    :math:`10^{-8 \cdot 10^{18}}`) and an :class:`OverflowError` where :math:`x > 0`
    (a number no computation can hold; the callers report it as a
    :class:`NumericalError`)."""
    if mpmath.mag(x) > EXP_MAG and mpmath.isfinite(x) and mpmath.im(x) == 0:
        if x < 0:
            return mpmath.mpf(0)
        raise OverflowError(f"exp of {mpmath.nstr(x, 8)}: beyond what mpmath can hold")
    return mpmath.exp(x)


def expm1(x):
    r"""``mpmath.expm1`` within memory as :func:`exp`: :math:`-1` where
    :math:`x < -2^{64}`, an :class:`OverflowError` where :math:`x > 2^{64}`."""
    if mpmath.mag(x) > EXP_MAG and mpmath.isfinite(x) and mpmath.im(x) == 0:
        return exp(x) - 1
    return mpmath.expm1(x)


#: The mpmath functions that the compiled expressions of every mpmath path use in place
#: of mpmath's own (``modules=[FUNCTIONS, "mpmath"]`` in ``lambdify``).
FUNCTIONS = {"exp": exp, "expm1": expm1, "gammainc": gammainc}


def _ndtr(x):
    """The standard normal distribution function in mpmath (``erfc``: no 1 - Phi)."""
    return mpmath.erfc(-x / mpmath.sqrt(2)) / 2


@lru_cache(maxsize=512)
def _mp_form(expr: sp.Expr) -> sp.Expr:
    r"""``expr`` with its sums of erf as Phi(+-z) (:func:`stable.erfc_form`): 1 - erf(15)
    is 0 at 40 digits (hmy log-normal p_I = 2.6e-101 at tau = 1 + 2e-12 divided by
    zero), erfc(15) is not; and its differences of exponentials and of powers from
    one in ``expm1`` (:func:`stable.expm1_form`, :func:`stable.powm1_form`): the
    Frechet survival weight :math:`1 - e^{-x}` at :math:`x = (b/\varphi^*)^k = 10^{-160}`
    (delta = 7.4e-160) is 0 at 190 digits, and :math:`\tilde\varphi_t` divided by
    the square of it; and :math:`\Gamma(s) - \Gamma(s, x)` as the lower incomplete gamma
    function (:func:`stable.lowergamma_form`), and differences of upper functions
    where they are near their whole as differences of lower ones
    (:func:`stable.gamma_difference_form`)."""
    return stable.powm1_form(stable.expm1_form(stable.gamma_difference_form(
        stable.lowergamma_form(stable.erfc_form(expr)), sp.uppergamma, sp.lowergamma)))


def _fn(expr: sp.Expr, symbols: list[sp.Symbol]):
    """``expr`` compiled for mpmath (:func:`_compiled`)."""
    return _compiled(expr, tuple(symbols))


@lru_cache(maxsize=512)
def _compiled(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]):
    """``expr`` compiled for mpmath once per expression, repeated subexpressions once (a
    Frechet hmy residual calls the same incomplete gamma function dozens of times):
    compiling took 0.59 of evaluate's 0.66 s at an ordinary log-normal point when
    every call compiled again.  Numbers in the compiled text are made at the working
    precision of each call."""
    return sp.lambdify(symbols, _mp_form(expr),
                       modules=[{**FUNCTIONS, "ndtr": _ndtr}, "mpmath"], cse=True)


@lru_cache(maxsize=64)
def _log_slope(residual: sp.Expr, cutoff: sp.Symbol) -> sp.Expr | None:
    r"""d R(e^y)/dy = phi dR/dphi of the cutoff ``residual`` by sympy, or None where
    sympy leaves a derivative undone: mpmath's numerical differentiation evaluates
    the residual twice at raised precision per step (a Weibull tail's incomplete
    gamma function at f_e = 1.5e-203 took 37 of evaluate's 40 s there)."""
    slope = sp.diff(residual, cutoff) * cutoff
    return None if slope.has(sp.Derivative) else slope


def solve_cutoff(residual: sp.Expr, cutoff: sp.Symbol, values: Mapping[sp.Symbol, mpmath.mpf],
                 lower: mpmath.mpf, upper: mpmath.mpf = mpmath.inf) -> mpmath.mpf:
    """Root of ``residual`` in ``cutoff`` above ``lower`` and below ``upper`` (the
    derivation's :attr:`~melitz_sym.derivation.Derivation.search_top`: the top of a
    bounded support, where every tail is 0 and the residual negative, or the phi* at
    which a cutoff above phi* reaches it, beyond which a root is a corner), in log
    space.  A root within 1e-5 of log(upper) is refused: the closed forms of the
    tails there lose more digits than the guard digits.

    The cutoff equation f j(phi*) + n f_x j(phi_x*) = delta f_e has a
    decreasing left side, so a sign change is bracketed by doubling the
    interval in log(phi*) up to log(upper), then the root is found by the references' safeguarded
    Newton iteration in the bracket (:func:`~melitz_sym.numeric.rootfind.newton_in_bracket`:
    bisection wherever Newton would leave the bracket or not halve its step, so it
    converges wherever the bracket holds a sign change; mpmath's Anderson-Bjorck
    solver raised a bare ZeroDivisionError for truncated Pareto at f = 5e-186).
    """
    syms = [cutoff] + list(values)
    f = _fn(residual, syms)
    args = list(values.values())

    def g(y):
        return f(mpmath.exp(y), *args)

    lo = mpmath.log(lower) if lower > 0 else mpmath.mpf(-2)
    if lower > 0 and g(lo) <= 0:
        raise AdmissibilityError(NO_SELECTION.format(lower=mpmath.nstr(lower, 8)))
    top = mpmath.log(upper) if upper < mpmath.inf else mpmath.inf
    if not top > lo:
        raise NumericalError("the cutoff's search has no room: its upper end (the top of "
                             "the support over the ratio of a cutoff above phi* to phi*) is "
                             "at or below its lower end")
    width = mpmath.mpf(1)
    hi = lo + width
    for _ in range(200):
        if beyond_range(hi):
            raise beyond_range(hi)
        if hi >= top:  # not evaluated there (0/0 forms): its end, whatever the sign
            hi = top
            break
        if g(hi) < 0:
            break
        lo, width = hi, width * 2
        hi = lo + width
    else:
        raise AdmissibilityError("the cutoff equation has no root: no productivity "
                                 "level makes entry break even")
    if lower == 0:  # move lo down until the residual is positive
        for _ in range(200):
            if beyond_range(lo):
                raise beyond_range(lo)
            if g(lo) >= 0:
                break
            lo, width = lo - width, width * 2
        else:
            raise AdmissibilityError("the cutoff equation has no root: entry breaks even "
                                     "at every productivity level")

    slope = _log_slope(residual, cutoff)
    if slope is None:
        def evaluate(y):  # the slope by mpmath's numerical differentiation
            return y, g(y), mpmath.diff(g, y)
    else:
        dg = _fn(slope, syms)

        def evaluate(y):
            phi = mpmath.exp(y)
            return y, f(phi, *args), dg(phi, *args)

    try:
        y = newton_in_bracket(evaluate, lo, hi, mpmath.mp.dps - 10)
        if mpmath.mpf(10) ** -5 > top - y:  # the forms of the tails lose about 1/g
            raise NumericalError(  # of their digits each at a gap g from the top
                f"the cutoff is within {mpmath.nstr(top - y, 3)} of the top of its search "
                "in log(phi*), where the closed forms of the tails lose more than the 10 "
                "guard digits; m.reference(...) solves it from the primitives")
        return mpmath.exp(y)
    except ZeroDivisionError:  # a residual with no value inside the bracket
        raise NumericalError(f"the cutoff equation divides by zero at {mpmath.mp.dps} digits "
                             "inside its bracket; m.reference(...) solves it from the "
                             "primitives") from None


def evaluate(d: Derivation, params: Mapping[str, object], dps: int = 50,
             outputs: list[str] | None = None) -> dict[str, mpmath.mpf]:
    """Every output of ``d`` at ``dps`` digits for scalar ``params``.

    Raises
    ------
    NumericalError
        Where a derived expression divides by zero at the working precision (an
        extreme parameter, e.g. a log-normal cutoff far in the tail) or overflows
        mpmath's exponent range.
    """
    try:
        return _evaluate(d, params, dps, outputs)
    except ZeroDivisionError:
        raise NumericalError(f"the derived expressions divide by zero at {dps + 10} digits "
                             "at these parameters; m.reference(...) computes them from the "
                             "primitives") from None
    except OverflowError:  # mpmath: an exponent past what it can hold ("too many digits")
        raise NumericalError("a derived expression overflows mpmath at these parameters "
                             "(an exponent too large to represent)") from None


def spread(values) -> int:
    r"""Guard digits for parameters of extreme magnitude: the decimal exponent of the
    largest :math:`|v|` or :math:`1/|v|` (at most 324 for a double).  A derived
    expression adds and subtracts terms of the parameters' size (:math:`k - \sigma + 1`
    beside :math:`k` at k = 1e308: at dps + 10 digits they cancelled to nothing, and
    phi_tilde_t came out as 3.6e+1103037127...)."""
    worst = 0
    for v in values:
        x = abs(float(sp.N(v, 17)))
        if x and x != float("inf"):
            worst = max(worst, abs(int(mpmath.floor(mpmath.log10(x)))))
    return worst


def _evaluate(d: Derivation, params: Mapping[str, object], dps: int,
              outputs: list[str] | None) -> dict[str, mpmath.mpf]:
    names = outputs or list(d.outputs)
    with mpmath.workdps(dps + 10 + spread(d.values_for(params).values())):
        values = {s: to_mpf(v) for s, v in d.values_for(params).items()}
        syms = list(values)
        result = {}
        if d.closed_forms:
            for name in names:
                result[name] = _fn(d.closed_forms[name], syms)(*values.values())
        else:
            lower = to_mpf(sp.N(d.support_lower.subs(values), dps + 10))

            def cutoff(at: Mapping[sp.Symbol, mpmath.mpf]) -> mpmath.mpf:
                top, upper = (mpmath.inf if e == sp.oo else to_mpf(sp.N(e.subs(at), dps + 10))
                              for e in (d.search_top, sp.sympify(d.support_upper)))
                try:
                    return solve_cutoff(d.cutoff_residual, d.cutoff, at, lower, top)
                except NumericalError:
                    if not top < upper:
                        raise
                # no root below the top of a cutoff above phi* (phi_I* = b_H): up to the
                # support's top, where a root is that corner, which the checks then name
                return solve_cutoff(d.cutoff_residual, d.cutoff, at, lower, upper)

            extra = {d.cutoff: cutoff(values)}
            if any(d.outputs[n].has(sym("phi_star_A")) for n in names):
                extra[sym("phi_star_A")] = cutoff({s: (0 if s.name == "n" else v)
                                                   for s, v in values.items()})
            allsyms = syms + list(extra)
            allvals = list(values.values()) + list(extra.values())
            for name in names:
                result[name] = _fn(d.outputs[name], allsyms)(*allvals)
        with mpmath.workdps(dps):
            return {k: _real(k, v, dps) for k, v in result.items()}


def _real(name: str, v, dps: int) -> mpmath.mpf:
    r"""The value ``v`` of output ``name`` as a real number at ``dps`` digits.  A derived
    expression with a power of a negative quantity (:math:`(k - \sigma + 1)^{1/(\sigma-1)}`
    of the truncated Pareto at :math:`k < \sigma - 1`) is evaluated on the complex
    principal branch; the product is real, up to an imaginary rounding residue
    (1e-33 beside 8.48 at 20 digits), which is dropped when it is below
    :math:`10^{-dps}` of the real part.  A larger one is a NumericalError."""
    if not isinstance(v, mpmath.mpc):
        return +v
    if abs(v.imag) <= abs(v.real) * mpmath.mpf(10) ** -dps:
        return +v.real
    raise NumericalError(f"{name} evaluates to the complex number {mpmath.nstr(v, 8)} at "
                         "these parameters")
