"""Vectorised numpy solvers generated from a derivation with ``lambdify``.

Closed forms (Pareto, Krugman) are compiled directly: in double in their power
forms (:mod:`.power_form`: the stable forms of :mod:`.stable` with their logs
folded), with the stable form at the points where a node of the power form
over- or underflows; in long double; or in double with the points where the
log domain's error estimate is large recomputed in long double
(``precision="adaptive"``, stable forms).
Without a closed form the cutoff equation is solved at all points at once by a
safeguarded Newton iteration on ``y = log(phi*)`` (bisection whenever a Newton
step leaves the bracket), with the derivative taken by sympy; integrals sympy
could not do are evaluated by vectorised quadrature (:mod:`.quadrature`).  In
long double (``precision="extended"``) the root gets one more Newton step on
the residual and the outputs are evaluated there too (:mod:`.extended`).
"""

from __future__ import annotations

import operator
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import scipy.special
import sympy as sp

from ..admissibility import (AUTARKY_CORNER, NO_PARTNERS_ZERO, UPPER_CUTOFFS, Restriction,
                             corner, corner_mask, exact, nonfinite_message)
from ..errors import AdmissibilityError, MelitzError, NumericalError, ParseError
from ..symbols import sym
from . import extended as extended_numeric
from . import inplace, power_form, quadrature, stable

def exp_ndtr(A, x):
    r""":math:`e^{A}\Phi(x)` (:class:`stable.exp_ndtr`): ``exp(A) * ndtr(x)``, and
    ``exp(A + log Phi(x))`` where that is not a finite normal number (an
    overflowing exp or an underflowing Phi)."""
    out = np.exp(A) * scipy.special.ndtr(x)
    bad = ~(np.abs(out) >= np.finfo(float).tiny) | ~np.isfinite(out)
    if bad.any():
        A, x = (np.broadcast_to(v, np.shape(out)) for v in (A, x))
        out = np.array(out)
        out[bad] = np.exp(A[bad] + scipy.special.log_ndtr(x[bad]))
    return out


_MODULES = [{"ndtr": scipy.special.ndtr, "log_ndtr": scipy.special.log_ndtr,
             "exp_ndtr": exp_ndtr, "gammaincc": scipy.special.gammaincc,
             "gammainc": scipy.special.gammainc, "erfcx": scipy.special.erfcx},
            "scipy", "numpy"]


#: numpy only, for long double arguments (scipy.special is double precision).
_MODULES_EXTENDED = [{"log1p": np.log1p}, "numpy"]


def lambdify(symbols: tuple, expr: sp.Expr):
    r"""``expr`` compiled for numpy and scipy in the numeric path's stable form
    (:func:`stable.numeric_form`): :math:`\Gamma(s, x)` as :math:`\Gamma(s) Q(s, x)`
    in one node, sums of erf as :math:`\Phi(\pm z)`, :math:`e^x - 1` as
    ``expm1``.  Every plain compile of a derived expression goes through it:
    sympy's SciPy printer writes ``uppergamma(s, x)**a`` as
    ``gamma(s)*gammaincc(s, x)**a``, and melitz-asym Weibull solved the wrong
    equations (phi* 1.50 where the equilibrium is 1.08); in the special-function
    form alone the Frechet survival :math:`e^x - 1` at :math:`x = 2 \cdot 10^{-12}` left
    melitz-asym's outputs 6e-8 off (f_e = 1e-9: cutoffs of 100 and 340)."""
    return sp.lambdify(symbols, stable.numeric_form(expr), modules=_MODULES)


def _compile(symbols: tuple, exprs: tuple, modules: list = _MODULES):
    """``lambdify`` with common subexpressions shared; integrals sympy could not
    do become calls of vectorised quadrature (:mod:`.quadrature`)."""
    exprs = [quadrature.with_quadrature(e) for e in exprs]
    fn = sp.lambdify(symbols, exprs, modules=[quadrature.FUNCTIONS, *modules], cse=True)
    if not any(e.has(sp.And, sp.Or) for e in exprs):
        return fn

    def broadcast(*args):  # sympy prints And(a, b) as logical_and.reduce((a, b)): one shape
        return fn(*np.broadcast_arrays(*args))

    return broadcast


@lru_cache(maxsize=64)
def _restrictions_fn(restrictions: tuple):
    """The arguments of ``restrictions``, one function of them returning the
    conditions of the unguarded restrictions and the guards of the others, and
    the conditions of the others, one function each."""
    syms = sorted(set().union(*(r.symbols for r in restrictions)), key=lambda s: s.name)
    first = [r.condition for r in restrictions if r.when is None]
    first += [r.when for r in restrictions if r.when is not None]
    return syms, sp.lambdify(syms, first, "numpy"), [
        sp.lambdify(syms, r.condition, "numpy") for r in restrictions if r.when is not None]


def restriction_masks(restrictions: tuple, values: Mapping[str, np.ndarray]) -> list:
    """Per restriction of ``restrictions``, where it holds (its condition, or its guard
    fails), as a boolean array or a single boolean (numpy broadcasting).  The
    condition of a guarded restriction is evaluated only if its guard holds
    somewhere.  A side that overflows (``tau**(sigma - 1)`` at sigma = 1e308) is
    inf, which compares as it should: no floating-point warning."""
    syms, first, conditions = _restrictions_fn(restrictions)
    args = [values[s.name] for s in syms]
    with np.errstate(all="ignore"):
        out = iter(first(*args))
        plain = [next(out) if r.when is None else None for r in restrictions]
        guarded = iter(zip(out, conditions))
        holds = []
        for r, h in zip(restrictions, plain):
            if r.when is not None:
                when, condition = next(guarded)
                h = condition(*args) | np.logical_not(when) if np.any(when) else True
            holds.append(h)
    return holds


def admissible_mask(d, values: Mapping[str, np.ndarray]) -> tuple[np.ndarray, list]:
    """Boolean mask of points satisfying every restriction, and the failures."""
    shape = np.broadcast_shapes(*map(np.shape, values.values()))
    ok = np.ones(shape, bool)
    failures = []
    for r, holds in zip(d.restrictions, restriction_masks(tuple(d.restrictions), values)):
        failures.append((r, ~np.broadcast_to(holds, shape)))
        ok &= holds
    return ok, failures


def newton_log(FdF, lower: np.ndarray, args: list, tol: float = 1e-15,
               iters: int = 200, first_step: float = 16.0, upper=np.inf,
               top_gap: float = 2.0 ** -11) -> np.ndarray:
    """Vectorised safeguarded Newton for R(y) = 0, y = log(phi), R decreasing.

    ``FdF(y, *args)`` returns R and dR/dy together; each iteration evaluates it
    once, on the unfinished points only, and tightens the bracket lo < y* < hi
    (R(lo) > 0 > R(hi)).  If it also returns the y-dependent part P of
    R = P - c and c (P, c > 0: the cutoff equation's left side and its constant
    right side, passed as it is: P - R loses c where P >> c), the step is
    Newton's on the equivalent log(P) - log(c) = log1p(R/c), which is nearly
    linear in y in the tails where R itself is flat or exponential, so a far
    start converges in a step or two instead of many.  The search starts at
    y = log(lower) + 1, with log(lower) as lower end of the bracket, when
    ``lower > 0``, else at y = 0.  A finite ``upper``
    (:attr:`~melitz_sym.derivation.Derivation.search_top`: the top of a bounded
    support, where every tail is 0 and R = -delta f_e < 0 while the generic
    residual is 0/0, or below it the phi* at which a cutoff above phi* reaches that
    top, beyond which a root is a corner) is the bracket's upper end from the
    start, and the search starts inside it; the residual's analytic continuation
    above it turns positive again (truncated Pareto at f_e = 6.7e-5: without this
    end the search ran up to y = 5.3e15).  A nan residual is then an upper end, as
    where no negative residual was seen.  A root within ``top_gap`` of it in y is nan:
    there S and V vanish linearly in the gap g = log(upper) - y and the profit term
    V/phi^a - S quadratically, each closed form losing about 1/g of its digits, so
    the residual and the outputs carry some 2^-53/g^2 (truncated Pareto, k = 3.4:
    p_in 3e-11 off at g = 7.5e-4, 4e-6 at g = 2.4e-6); at g = 2^-11, 2^-31.
    While one end is still open, the step goes towards it: the Newton step
    while Newton steps shrink to less than half (at most ``first_step`` at
    first), else twice the previous step (far in an exponential tail Newton
    steps stay ~1/(sigma-1)).  Once both ends are known, a Newton step that
    leaves the bracket or does not shrink to half the step before last (if
    there is one) is replaced by bisection (``rtsafe`` of Numerical Recipes);
    where the log step leaves the bracket the plain step is tried first, and
    the step after a bisection is not held to the halving test (with hi at
    the root, every Newton step is twice the bisection before it, and rtsafe
    would halve its way in, one bit per iteration).
    A point is finished once its Newton step is below ``tol`` relative to
    max(1, |y|) (a residual of exactly 0 is a step of 0 where the slope is finite
    and not zero; with a slope that is nan or 0 it is no evidence of a root: the
    residual of melitz-closed Weibull at f = 5e-324, in the generated C module,
    underflows to 0 from phi = 9e-116 to 1.05e-115 around the root 9.54e-116) or its
    bracket is a few ulps wide;
    finished points are dropped from the arrays once a quarter of them are
    (dropping them at every iteration costs more than their evaluations).
    Where R(log(lower)) <= 0 the root is not above the lower bound (a corner):
    the result there is -inf (phi = 0).  A residual that is nan (its terms
    overflow: the left side of the cutoff equation grows without bound towards
    the lower end of the support) counts as positive, except where a finite
    positive residual below it and no negative one has been seen: there it is an
    upper end (hmy Weibull at tau = 1.0001: exp(x) Q(s, x) at x = (phi_I*/b)^k is
    inf * 0 once x passes 745, above the root);
    a bracket that closes onto a nan end without a converged Newton step or a
    zero residual is a jump from nan to a negative residual, not a root (hmy
    Frechet at sigma = 2.00001, f_e = 7e286: the residual overflows to nan below
    phi = 0.19 and is -inf above, while the root is 3e-286): it is nan.  So is a
    bracket that closes onto an end where the residual overflowed to +inf
    (melitz-closed Weibull at f = 5e-324: f times a term that overflows is +inf
    below phi = 9.8e-116 and the residual -delta f_e above, while the root is
    9.54e-116): no finite positive value of R was seen beside the root.
    A point that has not converged after ``iters`` iterations is nan.
    """
    shape = np.broadcast_shapes(np.shape(lower), *map(np.shape, args))  # any number of args
    size = int(np.prod(shape))
    lower = np.broadcast_to(lower, shape).reshape(-1)
    act = [a if np.ndim(a) == 0 else np.broadcast_to(a, shape).reshape(-1) for a in args]
    out = np.empty(size)
    idx = np.arange(size)
    bounded = lower > 0
    with np.errstate(all="ignore"):  # lo + hi is nan where both ends are infinite
        lo = np.where(bounded, np.log(np.where(bounded, lower, 1.0)), -np.inf)
        hi = np.array(np.broadcast_to(np.log(upper), shape), float).reshape(-1)
        hi[~(hi < np.inf)] = np.inf  # no upper end (or a nan one: the admissibility check's)
        top = hi.copy()
        y = np.where(bounded, lo + 1.0, 0.0)
        y = np.where(y < hi, y, np.where(bounded, 0.5 * (lo + hi), hi - 1.0))
    dx = np.zeros(size)  # |last step|
    dx_old = np.full(size, np.inf)  # |step before last|
    dn = np.zeros(size)  # |last Newton step|
    lo_nan = np.zeros(size, bool)  # the lower end is where the residual was nan or +inf
    hi_nan = np.isfinite(hi)  # the upper end is where no negative residual was seen
    with np.errstate(all="ignore"):
        empty = ~(hi > lo)  # the search's top at or below its lower end: no room
        out[empty] = np.nan
        if bounded.any() or empty.any():  # R(log lower) <= 0: the root is not above
            below = np.zeros(size, bool)  # the lower bound
            below[bounded] = FdF(lo[bounded], *[a if np.ndim(a) == 0 else a[bounded]
                                                for a in act])[0] <= 0
            below &= ~empty
            out[below] = -np.inf
            if (below | empty).any():
                keep = ~(below | empty)
                idx, y, lo, hi, dx, dx_old, dn, lo_nan, hi_nan = (v[keep] for v in (
                    idx, y, lo, hi, dx, dx_old, dn, lo_nan, hi_nan))
                act = [a if np.ndim(a) == 0 else a[keep] for a in act]
                if not keep.any():
                    return out.reshape(shape)
        done = np.zeros(idx.size, bool)  # finished, not yet compacted away
        closed = False  # every bracket has both ends
        first = True  # no step before last yet: dx_old stays inf
        for _ in range(iters):
            f, df, *part = FdF(y, *act)
            f = np.broadcast_to(f, y.shape)
            # nan above a finite positive residual, with no negative one seen: overflow
            # towards the upper end (a tail times its reciprocal), an upper end
            up = np.isnan(f) & np.isfinite(lo) & ~lo_nan & (np.isinf(hi) | hi_nan) & (y > lo)
            lo_nan = np.where(np.isfinite(f) & (f > 0), False,
                              np.where((np.isnan(f) & ~up) | (f == np.inf), True, lo_nan))
            hi_nan = np.where(f < 0, False, hi_nan | up)
            lo = np.where((f > 0) | (np.isnan(f) & ~up), y, lo)  # nan: overflow towards lo
            hi = np.where((f < 0) | up, y, hi)
            plain = step = np.where(np.isfinite(df), f / df, np.nan)  # overflowed slope: no step
            if part:  # Newton on log(P) - log(c), where R = P - c
                P, c = part
                far = (c > 0) & (P > 0) & np.isfinite(df)
                if far.any():
                    step = np.where(far, np.log1p(f / np.where(far, c, 1.0)) * P / df, step)
            newton = y - step
            inside = (newton > lo) & (newton < hi)  # False where newton is nan
            if part and not inside.all():  # the plain step where the log step leaves
                alt = y - plain
                use = ~inside & (alt > lo) & (alt < hi)
                newton, step, inside = (np.where(use, alt, newton), np.where(use, plain, step),
                                        inside | use)
            size_n = np.abs(step)
            scale = np.maximum(1.0, np.abs(y))
            converged = size_n <= tol * scale  # nan where there is no Newton step
            jump = (hi - lo <= 4e-16 * scale) & ~converged & (lo_nan | hi_nan)  # nan/inf end
            now = converged | (hi - lo <= 4e-16 * scale)
            bisect = ~inside | (size_n > 0.5 * dx_old)
            if not closed:
                closed = bool(np.isfinite(lo).all() and np.isfinite(hi).all())
            if closed:
                new = np.where(bisect, 0.5 * (lo + hi), newton)
                halved = bisect
            else:
                grow = np.maximum(2 * dx, first_step)
                reach = np.where(inside & (size_n < 0.5 * dn), size_n,
                                 np.minimum(np.where(inside, np.maximum(size_n, 2 * dx), grow),
                                            grow))
                both = np.isfinite(lo) & np.isfinite(hi)
                new = np.where(both, np.where(bisect, 0.5 * (lo + hi), newton),
                               y + np.where(np.isfinite(lo), reach, -reach))
                halved = both & bisect
            dx, dx_old, dn = (np.where(halved, np.inf, np.abs(new - y)),
                              dx_old if first else dx, size_n)
            first = False
            now &= ~done
            out[idx[now]] = np.where(jump, np.nan, np.where(inside, newton, y))[now]
            done |= now
            finished = np.count_nonzero(done)
            if finished == done.size:
                break
            if 4 * finished >= done.size:  # compact once a quarter has finished
                keep = ~done
                idx, y, lo, hi, dx, dx_old, dn, lo_nan, hi_nan = (v[keep] for v in (
                    idx, new, lo, hi, dx, dx_old, dn, lo_nan, hi_nan))
                act = [a if np.ndim(a) == 0 else a[keep] for a in act]
                done = np.zeros(idx.size, bool)
            else:
                y = new
        out[idx[~done]] = np.nan  # not converged: reported, never returned as a root
        out[top - out < top_gap] = np.nan  # too near the top of the support to place
    return out.reshape(shape)


BLOCK = 32768  # points per block: temporaries stay in cache, never giant arrays
#: Threads working on blocks at once (numpy and scipy.special release the GIL);
#: ``MELITZ_SYM_THREADS=1`` turns this off.
THREADS = max(1, int(os.environ.get("MELITZ_SYM_THREADS", os.cpu_count() or 1)))


@lru_cache(maxsize=64)
def _stable_closed(d_id: int, symbols: tuple, exprs: tuple, with_k: bool, extended: bool,
                   magnitudes: bool = False):
    """Compiled stable forms of closed forms, taking (Z, E) + symbols (see stable.py);
    with ``extended``, numpy functions only (they take long double arrays); with
    ``magnitudes``, each form's :func:`stable.log_magnitude` follows the forms
    (sharing their logs)."""
    forms = tuple(stable.closed_form(e, with_k) for e in exprs)
    if magnitudes:
        forms += tuple(stable.log_magnitude(f) for f in forms)
    return _compile((stable.Z, stable.E) + symbols, forms,
                    _MODULES_EXTENDED if extended else _MODULES)


@lru_cache(maxsize=64)
def _power_closed(d_id: int, symbols: tuple, exprs: tuple, with_k: bool):
    """Evaluator of the closed forms ``exprs`` in their power form
    (:mod:`.power_form`), taking (Z, E) + symbols like :func:`_stable_closed`:
    where some node of the power form is not a normal double, the stable form.
    The forms that the power form leaves as they are (Piecewise ones) are
    compiled on their own, with the common subexpressions among them only."""
    forms = [stable.closed_form(e, with_k) for e in exprs]
    fast = [power_form.power_form(f) for f in forms]
    changed = [i for i, (p, f) in enumerate(zip(fast, forms)) if p != f]
    same = [i for i in range(len(exprs)) if i not in changed]
    nodes = tuple(dict.fromkeys(n for i in changed
                                for n in power_form.guarded_nodes(fast[i], forms[i])))
    args = (stable.Z, stable.E) + symbols
    powers = tuple(fast[i] for i in changed)
    run = _guarded(_compile(args, powers + nodes),
                   _stable_closed(d_id, symbols, tuple(exprs[i] for i in changed), with_k,
                                  False), len(changed))
    if not same:
        return run
    rest = _stable_closed(d_id, symbols, tuple(exprs[i] for i in same), with_k, False)

    def both(*a):
        out = dict(zip(changed, run(*a) if changed else ()))
        out.update(zip(same, rest(*a)))
        return [out[i] for i in range(len(exprs))]

    return both


_TINY, _HUGE = np.finfo(float).tiny, np.finfo(float).max


def _guarded(fn, slow, count: int):
    """The first ``count`` values of ``fn`` (outputs, then nodes that must be
    normal doubles), evaluated with every floating-point exception raising;
    where one is raised (an overflow or underflow at some point of the block),
    again without, and ``slow`` at the points where a node is not a normal
    double.  A point's value does not depend on the other points of its block.
    The outputs are computed in place (:func:`.inplace.in_place`) where ``fn``'s code
    allows."""
    outputs = inplace.in_place(fn, count) or (lambda *args: fn(*args)[:count])

    def run(*args):
        try:
            with np.errstate(all="raise"):
                return outputs(*args)
        except FloatingPointError:
            pass
        vals = fn(*args)
        shape = np.broadcast_shapes(*map(np.shape, args))
        good = np.ones(shape, bool)
        for v in vals[count:]:
            good &= (v >= _TINY) & (v <= _HUGE)  # nan: False
        out = [np.array(np.broadcast_to(v, shape), float) for v in vals[:count]]
        redo = ~good
        if redo.any():
            again = slow(*_at_points(args, shape, redo))
            for v, w in zip(out, again):
                v[redo] = w
        return out

    return run


def _protected_args(order: tuple, args: list) -> list:
    """z = sigma - 1 and e = (k - sigma) + 1: exact when e is small (Sterbenz)."""
    at = {p.name: a for p, a in zip(order, args)}
    z = at["sigma"] - 1 if "sigma" in at else 0.0
    e = (at["k"] - at["sigma"]) + 1 if "k" in at and "sigma" in at else 0.0
    return [z, e]


def _blocks(arrays: list, shape: tuple):
    """Yield (slice, block arguments) over the flattened broadcast ``shape``;
    single values are passed as scalars."""
    size = int(np.prod(shape))
    flat = [a.reshape(-1)[0] if a.size == 1 else np.broadcast_to(a, shape).reshape(-1)
            for a in arrays]
    for start in range(0, size, BLOCK):
        sl = slice(start, min(start + BLOCK, size))
        yield sl, [f if np.ndim(f) == 0 else f[sl] for f in flat]


def solve(model, names: list[str], params: Mapping[str, object], errors: str = "raise",
          precision: str = "double") -> dict:
    """Outputs ``names`` of ``model`` for array parameters (broadcast like numpy).

    The points are processed in blocks (:data:`BLOCK`), on :data:`THREADS`
    threads when there are several blocks, each block read once: its
    parameters' checks (finite, restrictions: first by each parameter's extremes,
    :func:`_admissible`, which brings the block into cache), its outputs, then
    theirs (corners, with the share of producing entrants p_in computed where phi*
    is near the lower bound of the support if it is not among ``names``,
    :func:`_cutoffs`; finite outputs); an error is reported after all blocks, at
    its first point.
    Closed forms are evaluated in their power form (:mod:`.power_form`) or,
    where that over- or underflows, their stable form
    (:mod:`melitz_sym.numeric.stable`); the other models by a vectorised
    safeguarded Newton on log(phi*).
    ``precision`` says how the outputs are computed:

    ``"double"``    in double.  Closed forms: the log domain costs about
                    :func:`stable.log_magnitude` units of 2^-53 (|log y| ulps,
                    more where large terms cancel).  Newton models: the root
                    carries the residual's rounding, which outputs in the tail
                    (Phi of the cutoff) multiply by its elasticity (log-normal:
                    up to 4.5e-14 in the standard ranges);
    ``"adaptive"``  closed forms in double, and the points where some requested
                    output's estimate exceeds :data:`MAGNITUDE_LIMIT` again in
                    long double (no more than 1.8e-15 or so anywhere); Newton
                    models as ``"extended"``, for want of a cheaper estimate;
                    as ``"double"`` where long double is double;
    ``"extended"``  in the platform's long double (x87: 64-bit significand),
                    rounded to double at the end: those ulps shrink 2048-fold.
                    Newton models: the double root gets a Newton step on the
                    residual in long double and the outputs are evaluated in
                    long double, with the normal functions of :mod:`.extended`
                    (other special functions and quadrature stay double).
                    Every output of the accuracy tables is then within about
                    an ulp (near sigma = 1 within 4.3e-15), at 4-9x the time
                    (closed forms: some 7x).
    """
    if errors not in ("raise", "nan"):
        raise ParseError(f"errors must be 'raise' or 'nan', got {errors!r}")
    if precision not in ("double", "adaptive", "extended"):
        raise ParseError(f"precision must be 'double', 'adaptive' or 'extended', "
                         f"got {precision!r}")
    d = model.derive()
    if precision == "extended":
        _check_extended()
    order = tuple(d.parameters)
    raw = [read_parameter(p.name, params[p.name]) for p in order]
    try:
        shape = np.broadcast_shapes(*[a.shape for a in raw])
    except ValueError:
        raise AdmissibilityError("parameter arrays of shapes " + ", ".join(
            f"{p.name} {a.shape}" for p, a in zip(order, raw) if a.ndim) +
            " do not broadcast together") from None
    values = {p.name: np.broadcast_to(a, shape) for p, a in zip(order, raw)}
    size = int(np.prod(shape))
    result = {n: np.empty(size) for n in names}
    clean = [True] * len(range(0, size, BLOCK))  # per block: nothing to report
    keys, restrictions = [p.name for p in order], tuple(d.restrictions)
    block = _block(d, model, names, precision)
    support = _support(model, d, names, precision)

    def work(item: tuple) -> None:
        sl, args = item
        values, size = dict(zip(keys, args)), sl.stop - sl.start
        with np.errstate(all="ignore"):  # per thread: numpy's error state is thread-local
            ok = _admissible(restrictions, values, size)  # brings the block into cache
            out = {}
            for n, v in zip(names, block(args)):
                out[n] = result[n][sl]
                out[n][...] = v
            clean[sl.start // BLOCK] = _checked(values, out, size, errors, support, ok)

    items = list(_blocks(raw, shape))
    if min(THREADS, len(items)) > 1:
        with ThreadPoolExecutor(min(THREADS, len(items))) as pool:
            list(pool.map(work, items))
    else:
        for item in items:
            work(item)
    result = {n: v.reshape(shape) for n, v in result.items()}
    if errors == "raise" and not all(clean):
        _raise_first(d, values, result, support)
    _near_pole_in_mpmath(model, names, values, result)
    if "gains" in result and "n" in values and model.dist is not None and "phi_star" in d.outputs:
        result["gains"][_autarky_corner(model, params, errors, precision)] = np.nan
    return result


#: Relative distance of k from sigma - 1 within which a bounded Pareto tail is
#: evaluated in mpmath (see :func:`_near_pole_in_mpmath`).
POLE_GAP = 1e-6


def _near_pole_in_mpmath(model, names: list[str], values: Mapping[str, np.ndarray],
                         result: dict) -> None:
    r"""Recompute in mpmath (:meth:`Model.evaluate` at 20 digits) the points whose shape
    ``k`` is within :data:`POLE_GAP` (relative) of :math:`\sigma - 1` when the
    distribution's support is bounded above (truncated Pareto): its tail moment
    :math:`k b^k (b_H^{-e} - x^{-e})/(-e)`, :math:`e = k - \sigma + 1`, has a removable
    singularity at :math:`e = 0`, and the derived expressions, expanded, cancel
    about :math:`2^{-53}/e` of their digits (4e-7 of r_bar at e = 1e-9, 2e-4 at
    1e-12).  Within the gap that is above the double path's 1e-8; such points
    are rare, and mpmath gives them to every digit.  A point mpmath refuses keeps
    its double values."""
    dist = model.dist
    if (dist is None or "k" not in values or "sigma" not in values
            or dist.support[1] == sp.oo):
        return
    k, sigma = values["k"], values["sigma"]
    with np.errstate(all="ignore"):
        near = (np.abs(k - (sigma - 1)) <= POLE_GAP * np.abs(sigma - 1)) & np.isfinite(
            result[names[0]])
    for row in np.argwhere(near):
        idx = tuple(row)
        point = {p: v[idx].item() for p, v in values.items()}
        try:
            precise = model.evaluate(dps=20, outputs=names, **point)
        except MelitzError:
            continue
        for n in names:
            result[n][idx] = float(precise[n])


def _finite(values: Mapping[str, np.ndarray], size: int) -> np.ndarray:
    """Mask of the points where every parameter is finite: where their sum is
    (entry by entry only where it is not: an overflow, an inf or a nan)."""
    arrays = [v for v in values.values() if np.ndim(v)]
    total = np.add(*arrays[:2]) if len(arrays) > 1 else np.array(arrays[0] if arrays else 0.0)
    for v in arrays[2:]:
        total += v
    total += sum(float(v) for v in values.values() if not np.ndim(v))
    finite = np.isfinite(total)
    if not finite.all():
        finite = np.ones(size, bool)
        for v in values.values():
            finite &= np.isfinite(v)
    return finite


def _checked(values: Mapping[str, object], result: dict, size: int, errors: str, support,
             ok: np.ndarray) -> bool:
    """Whether every point of one block (parameters ``values``, outputs ``result``:
    arrays of ``size`` points that may be changed in place) is interior with
    finite outputs, where ``ok`` (:func:`_admissible`) says it is finite and
    admissible (``ok`` may be changed in place).  ``result`` is completed as :func:`solve`
    returns it: exporters' outputs 0 where n = 0, a value that is not finite
    nan in its output and, with ``errors="nan"``, every output nan where a
    parameter is not finite or the point is inadmissible or a corner of the
    ``support`` (:func:`_support`; with ``errors="raise"`` those are reported
    by :func:`_raise_first`)."""
    if "n" in values:
        for n in NO_PARTNERS_ZERO:  # autarky: no exporters, whatever phi_x*
            if n in result:
                result[n][np.broadcast_to(values["n"] == 0, (size,))] = 0.0
    corners = _corner_mask(values, result, ok, support)[0]
    if corners.any():
        ok &= ~corners
    clean = bool(ok.all())
    for v in result.values():
        if not np.isfinite(np.add.reduce(v)):  # a finite sum has finite terms
            bad = ~np.isfinite(v)
            clean = clean and not (bad & ok).any()
            v[bad] = np.nan
    if errors == "nan" and not ok.all():
        for v in result.values():
            v[~ok] = np.nan
    return clean


#: A comparison of a parameter with a number holds at every point of a block where it
#: holds at the parameter's minimum (0) or maximum (1).
_EXTREME = {sp.StrictGreaterThan: (0, operator.gt), sp.GreaterThan: (0, operator.ge),
            sp.StrictLessThan: (1, operator.lt), sp.LessThan: (1, operator.le)}


def _bound(relation: sp.Basic) -> tuple | None:
    """``relation`` as (parameter name, 0 or 1, comparison, number) when it compares
    one parameter with a number (``sigma > 1``, ``1 >= delta``): it holds over a
    block where ``comparison(extreme, number)`` does for the parameter's minimum (0)
    or maximum (1) there.  None for any other relation."""
    if type(relation) not in _EXTREME:
        return None
    if relation.lhs.is_Number:
        relation = relation.reversed
    if not (isinstance(relation.lhs, sp.Symbol) and relation.rhs.is_Number):
        return None
    return (relation.lhs.name, *_EXTREME[type(relation)], float(relation.rhs))


@lru_cache(maxsize=64)
def _by_extremes(restrictions: tuple) -> tuple[tuple, tuple, tuple]:
    """``restrictions`` split by what a block's extremes decide: the unguarded
    bounds (:func:`_bound`); the guarded restrictions whose guard is a bound, as
    (guard, the restriction without its guard, the restriction); the rest."""
    bounds, guarded, rest = [], [], []
    for r in restrictions:
        bound = _bound(r.condition if r.when is None else r.when)
        if bound is None:
            rest.append(r)
        elif r.when is None:
            bounds.append(bound)
        else:
            guarded.append((bound, Restriction(r.condition, r.words), r))
    return tuple(bounds), tuple(guarded), tuple(rest)


def _at_least_one(e: sp.Expr) -> bool:
    """Whether ``e`` (with positive symbols) is provably at least one: a power of a
    base at least one to a nonnegative exponent, or of a base in (0, 1] to a
    nonpositive one, or so by sympy's assumptions."""
    b, x = e.as_base_exp()
    return bool((b - 1).is_nonnegative and x.is_nonnegative
                or b.is_positive and (b - 1).is_nonpositive and x.is_nonpositive
                or (e - 1).is_nonnegative)


@lru_cache(maxsize=256)
def _sufficient(condition: sp.Basic, bounds: tuple):
    r"""A cheaper condition that implies ``condition`` wherever the ``bounds``
    (:func:`_bound`) hold, compiled (``(symbols, function)``), or None.

    ``condition`` compares two products of factors that are positive where the
    lower bounds hold; the factors provably at least one on its greater side, and
    at most one on its smaller side, are left out (:func:`_at_least_one`, with each
    parameter written as its lower bound plus a positive number): selection into
    exporting, :math:`f_x \tau^{\sigma - 1} > f` with :math:`\tau \ge 1`,
    :math:`\sigma > 1`, needs only :math:`f_x > f`, no power.  It implies
    ``condition`` in double as well: a factor's computed power lies on the same
    side of one as its exact value (one is a double and pow is faithful), and
    rounding is monotone, so the rounded product moves the same way.  None where
    no factor is left out."""
    if type(condition) not in _EXTREME:
        return None
    greater, smaller = ((condition.lhs, condition.rhs) if type(condition) in
                        (sp.StrictGreaterThan, sp.GreaterThan) else (condition.rhs, condition.lhs))
    names = {s.name: s for s in condition.free_symbols}
    shift = {names[name]: sp.Rational(number) + (sp.Dummy(positive=True) if compare is operator.gt
                                                 else sp.Dummy(nonnegative=True))
             for name, side, compare, number in bounds if side == 0 and name in names}
    kept = []
    for side, drop in ((greater, _at_least_one), (smaller, lambda e: _at_least_one(1 / e))):
        factors = sp.Mul.make_args(side)
        if not all(f.xreplace(shift).is_positive for f in factors):
            return None
        kept.append(sp.Mul(*[f for f in factors if not drop(f.xreplace(shift))]))
    if kept == [greater, smaller]:
        return None
    relaxed = type(condition)(*(kept if condition.lhs is greater else kept[::-1]),
                              evaluate=False)
    syms = sorted(relaxed.free_symbols, key=lambda s: s.name)
    return tuple(s.name for s in syms), sp.lambdify(syms, relaxed, "numpy")


def _implied(condition: sp.Basic, bounds: tuple, values: Mapping[str, object]) -> bool:
    """Whether :func:`_sufficient` shows that ``condition`` holds at every point of a
    block (``values``) where the ``bounds`` hold."""
    sufficient = _sufficient(condition, bounds)
    if sufficient is None:
        return False
    names, fn = sufficient
    return bool(np.all(fn(*[values[n] for n in names])))


def _admissible(restrictions: tuple, values: Mapping[str, object], size: int) -> np.ndarray:
    """Mask of the points of a block (``values``, ``size`` points) whose parameters
    are finite and meet every restriction.

    First from each parameter's minimum and maximum (two reductions, no array
    written): a finite range whose extremes meet every bound (:func:`_bound`)
    settles finiteness and the bounds for the whole block (nan fails every
    comparison), a guard that is such a bound leaves its condition alone, and a
    restriction implied by the bounds and a cheaper condition that holds over the
    block (:func:`_sufficient`) is settled too; the other restrictions are masks
    (:func:`restriction_masks`).  Otherwise every check is a mask."""
    bounds, guarded, rest = _by_extremes(restrictions)
    ok, masked, extremes = None, restrictions, {}
    for name, v in values.items():
        lo, hi = np.minimum.reduce(v, axis=None), np.maximum.reduce(v, axis=None)
        if not (lo > -np.inf and hi < np.inf):
            break
        extremes[name] = (lo, hi)
    else:
        def holds(bound: tuple) -> bool:
            name, side, compare, number = bound
            return bool(compare(extremes[name][side], number))

        if all(map(holds, bounds)):
            ok = np.ones(size, bool)
            masked = tuple(r for r in rest + tuple(plain if holds(when) else r
                                                   for when, plain, r in guarded)
                           if not _implied(r.condition, bounds, values))
    if ok is None:
        ok = _finite(values, size)
    for h in restriction_masks(masked, values):
        ok &= h
    return ok


def _raise_first(d, values: Mapping[str, np.ndarray], result: Mapping, support) -> None:
    """Raise the error of the first problem, in the order: a parameter that is not
    finite, a restriction that fails (in the model's order), a corner, an output
    that is not finite; each at its first point."""
    for name, v in values.items():
        bad = ~np.isfinite(v)
        if bad.any():
            idx = _first(bad)
            raise AdmissibilityError(nonfinite_message(name, v[idx].item(), _index(idx)))
    with np.errstate(invalid="ignore"):
        ok, failures = admissible_mask(d, values)
    for r, bad in failures:
        if bad.any():
            idx = _first(bad)
            at = {k: v[idx].item() for k, v in values.items()}
            raise AdmissibilityError(r.message(at, _index(idx)))
    _raise_invalid(values, result, ok, support)


def read_parameter(name: str, value: object) -> np.ndarray:
    """The value of parameter ``name`` for :func:`solve`, as a float array.

    Numeric arrays and numbers are taken as they are (their nan and infinite
    entries are refused or masked by :func:`solve`); any other entry (text,
    ``Fraction``, sympy or mpmath numbers) is read by
    :func:`melitz_sym.admissibility.exact`, the reading of ``evaluate`` and
    ``reference``, and booleans, None and complex numbers are refused with its
    messages.

    Raises
    ------
    ParseError
        For an entry that is not a real number.
    AdmissibilityError
        For an entry read by ``exact`` that is not finite or not in the range of a double.
    """
    arr = np.asarray(value)
    if arr.dtype.kind in "iuf":
        return arr.astype(float, copy=False)  # read only: a float array is not copied
    flat = arr.reshape(-1)
    return np.array([float(exact(name, v.item() if isinstance(v, np.generic) else v))
                     for v in flat], float).reshape(arr.shape)


def _autarky_corner(model, params: Mapping[str, object], errors: str,
                    precision: str) -> np.ndarray:
    """Where autarky (n = 0) with the same parameters is a corner, so that ``gains``
    (welfare over autarky welfare) is undefined: its mask, or with ``errors="raise"``
    the corner's AdmissibilityError (:data:`melitz_sym.admissibility.AUTARKY_CORNER`)."""
    try:
        phi_a = solve(model, ["phi_star"], {**params, "n": 0}, errors, precision)["phi_star"]
    except AdmissibilityError as exc:
        raise AdmissibilityError(f"{AUTARKY_CORNER}: {exc}") from None
    return np.isnan(phi_a)


def _block(d, model, names: list[str], precision: str):
    """Evaluator of the outputs ``names`` on one block of arguments."""
    return (_closed_block(d, model, names, precision) if d.closed_forms
            else _newton_block(d, names, precision))


class _Support(NamedTuple):
    """What the corner rule needs of a model with a distribution: the ends of its
    support as a compiled function of ``symbols``, whether it is ``continuous``,
    and ``share``, the share of producing entrants p_in at the points of a mask
    (``share(args, shape, mask)``) when :func:`solve` does not compute it."""

    symbols: tuple
    ends: object
    continuous: bool
    share: object


#: Where the outputs leave out the share of producing entrants p_in = S(phi*), the
#: corner rule computes it only at the points whose phi* is within this relative
#: distance of the lower bound lo of the support: p_in decides where phi* rounds to lo,
#: and elsewhere phi* > lo, far beyond its rounding, says S(phi*) < 1.
SHARE_GAP = 1e-10


def _support(model, d, names: list[str], precision: str) -> _Support | None:
    """The :class:`_Support` of ``model`` (None for a model without a distribution)
    when :func:`solve` computes ``names`` in ``precision``."""
    dist = model.dist
    if dist is None:
        return None
    syms = tuple(dist.symbols)
    share = None
    if dist.continuous and "p_in" not in names and "p_in" in d.outputs:
        def share(args: list, shape: tuple, mask: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):  # at a corner the forms may take log(0)
                return _block(d, model, ["p_in"], precision)(_at_points(args, shape, mask))[0]

    return _Support(syms, _support_fn(syms, tuple(sp.sympify(e) for e in dist.support)),
                    dist.continuous, share)


@lru_cache(maxsize=64)
def _support_fn(symbols: tuple, support: tuple):
    return sp.lambdify(symbols, list(support), "numpy")


def _first(mask: np.ndarray) -> tuple:
    return np.unravel_index(np.argmax(mask), mask.shape) if mask.ndim else ()


def _index(idx: tuple) -> str:
    """`` at index i`` (or the index tuple) of a point of an array; empty for a scalar."""
    return f" at index {idx if len(idx) != 1 else idx[0]}" if idx else ""


def _at(values: Mapping[str, np.ndarray], idx: tuple) -> str:
    point = ", ".join(f"{k}={v[idx].item()!r}" for k, v in values.items())
    return f"{_index(idx)} ({point})"


def _corner_mask(values: Mapping[str, np.ndarray], result: Mapping[str, np.ndarray],
                 admissible: np.ndarray, support) -> tuple[np.ndarray, tuple | None]:
    """Mask of the admissible points whose cutoffs are a corner of the ``support``
    (see :func:`_support` and :func:`melitz_sym.admissibility.corner_mask`), and the
    :func:`_cutoffs` it compared (None without a support or phi*)."""
    if support is None or "phi_star" not in result:
        return np.zeros(admissible.shape, bool), None
    cutoffs = _cutoffs(values, result, admissible, support)
    phi, uppers, lo, hi, p_in = cutoffs
    with np.errstate(over="ignore"):  # lo (1 + rtol) is inf for lo near the largest double
        return corner_mask(support.continuous, phi, uppers, lo, hi,
                           1e-14 if support.continuous else 1e-12, p_in) & admissible, cutoffs


def _cutoffs(values, result, admissible: np.ndarray, support: _Support) -> tuple:
    """phi*, the computed cutoffs above it by name (phi_x*, phi_I*: phi* where
    n = 0, as nobody exports or invests abroad whatever they are), the ends of
    the support and the share of producing entrants p_in (None where the model has
    none; where ``result`` lacks it, computed at the ``admissible`` points within
    :data:`SHARE_GAP` of the lower bound, nan elsewhere, or None if there are none)."""
    shape = admissible.shape
    lo, hi = (np.broadcast_to(np.asarray(v, float), shape)
              for v in support.ends(*[values[s.name] for s in support.symbols]))
    phi = result["phi_star"]
    uppers = {n: result[n] for n in UPPER_CUTOFFS if n in result}
    if "n" in values:
        uppers = {n: np.where(values["n"] == 0, phi, v) for n, v in uppers.items()}
    p_in = result.get("p_in")
    if p_in is None and support.share is not None:
        near = admissible & (phi <= lo * (1 + SHARE_GAP))  # nan: False
        if near.any():
            p_in = np.full(shape, np.nan)
            p_in[near] = support.share(list(values.values()), shape, near)
    return phi, uppers, lo, hi, p_in


def _raise_invalid(values: Mapping[str, np.ndarray], result: Mapping[str, np.ndarray],
                   admissible: np.ndarray, support: _Support | None) -> None:
    """At the admissible points, a corner (see
    :func:`melitz_sym.admissibility.corner`) raises :class:`AdmissibilityError`
    and a non-finite output :class:`NumericalError`, each at its first point:
    never a silent inf."""
    bad, cutoffs = _corner_mask(values, result, admissible, support)
    if bad.any():
        idx = _first(bad)
        phi, uppers, lo, hi, p_in = cutoffs
        problem = corner(support.continuous, phi[idx],
                         {n: v[idx] for n, v in uppers.items()}, lo[idx], hi[idx],
                         None if p_in is None else p_in[idx])
        raise AdmissibilityError(f"{problem}{_at(values, idx)}")
    nonfinite = np.zeros(admissible.shape, bool)
    for v in result.values():
        nonfinite |= ~np.isfinite(v)
    nonfinite &= admissible
    if nonfinite.any():
        idx = _first(nonfinite)
        names = [n for n, v in result.items() if not np.isfinite(v[idx])]
        raise NumericalError(
            f"the numeric solver produced no finite value of {', '.join(names)}{_at(values, idx)};"
            " (beyond the range of a double, or not found in double); m.evaluate(...) and, "
            "for a continuous distribution, m.reference(...) compute it in mpmath")


def _wide_long_double() -> bool:
    """The platform's long double has more significand bits than double."""
    return np.finfo(np.longdouble).nmant >= 63


def _check_extended() -> None:
    """``precision="extended"`` needs a long double wider than double."""
    if not _wide_long_double():
        raise MelitzError(
            "precision='extended' needs a long double wider than double; on this platform "
            f"it has a {np.finfo(np.longdouble).nmant + 1}-bit significand")


#: precision="adaptive": a point whose closed forms have a log-domain error estimate
#: (:func:`stable.log_magnitude`, in units of 2^-53) above this is recomputed in
#: long double; 16 u is 1.8e-15.
MAGNITUDE_LIMIT = 16.0


def _closed_block(d, model, names: list[str], precision: str = "double"):
    """Evaluator of the closed forms of ``names`` on one block of arguments, in
    double, in long double (``"extended"``) or in double with the points whose
    error estimate exceeds :data:`MAGNITUDE_LIMIT` recomputed in long double
    (``"adaptive"``, where long double is wider than double)."""
    order = tuple(d.parameters)
    exprs = tuple(d.closed_forms[n] for n in names)
    with_k = stable.shifts_k(model.dist)
    adaptive = precision == "adaptive" and _wide_long_double()
    if precision == "extended":
        fn = _stable_closed(id(d), order, exprs, with_k, True)
        return lambda args: _in_long_double(fn, order, args)
    if not adaptive:
        if d.staged and d.cutoff.name in d.closed_forms:
            block = _staged_block(d, names, with_k)
        else:
            power = _power_closed(id(d), order, exprs, with_k)
            block = lambda args: power(*_protected_args(order, args), *args)  # noqa: E731
        return _subnormal_parameters(block, d, exprs, with_k)
    fn = _stable_closed(id(d), order, exprs, with_k, False, True)
    extended = _stable_closed(id(d), order, exprs, with_k, True)

    def run(args):
        vals = fn(*_protected_args(order, args), *args)
        shape = np.broadcast_shapes(*[np.shape(a) for a in args])
        redo = np.zeros(shape, bool)
        for m in vals[len(names):]:
            redo |= ~(np.asarray(m) <= MAGNITUDE_LIMIT)  # nan too
        vals = vals[:len(names)]
        if not redo.any():
            return vals
        again = _in_long_double(extended, order, _at_points(args, shape, redo))
        vals = [np.array(np.broadcast_to(v, shape)) for v in vals]
        for v, w in zip(vals, again):
            v[redo] = w
        return vals

    return run


def _subnormal_parameters(block, d, exprs: tuple, with_k: bool):
    """``block`` (the double evaluator of the closed forms ``exprs``), with the points
    where a parameter is a subnormal double evaluated again in long double (the
    stable forms), where that is wider: there a product of parameters rounds to a
    subnormal with a few bits (krugman at f = L = 5e-324: L/(f sigma) came out 0, P
    10% off), while in long double both are normal numbers.  Where long double is
    double those points are nan: an error.  Only a block whose evaluation raises an
    underflow (or another floating-point exception: the mask costs a pass over
    every parameter) is searched for them."""
    order = tuple(d.parameters)

    def run(args):
        try:
            with np.errstate(all="raise"):
                return block(args)
        except FloatingPointError:
            pass
        with np.errstate(all="ignore"):
            vals = block(args)
        shape = np.broadcast_shapes(*[np.shape(a) for a in args])
        sub = _subnormal(args, shape)
        if not sub.any():
            return vals
        vals = [np.array(np.broadcast_to(np.asarray(v, float), shape)) for v in vals]
        if _wide_long_double():
            again = _in_long_double(_stable_closed(id(d), order, exprs, with_k, True), order,
                                    _at_points(args, shape, sub))
        else:
            again = [np.nan] * len(vals)
        for v, w in zip(vals, again):
            v[sub] = np.asarray(w, float)
        return vals

    return run


def _staged_block(d, names: list[str], with_k: bool):
    """Evaluator of ``names`` on one block: the cutoff's closed form once, then the
    other outputs in the cutoff (:attr:`Derivation.staged`), each in its power
    form where that is exact enough (:func:`_power_closed`), else its stable form."""
    order, cut = tuple(d.parameters), d.cutoff
    first = _power_closed(id(d), order, (d.closed_forms[cut.name],), with_k)
    rest = tuple(n for n in names if n != cut.name)
    then = _power_closed(id(d), order + (cut,), tuple(d.outputs[n] for n in rest), with_k)

    def run(args):
        protected = _protected_args(order, args)
        value = first(*protected, *args)[0]
        out = dict(zip(rest, then(*protected, *args, value))) if rest else {}
        out[cut.name] = value
        return [out[n] for n in names]

    return run


def _in_long_double(fn, order: tuple, args: list) -> list:
    """The compiled long double forms ``fn`` at double ``args``."""
    args = [np.asarray(a, np.longdouble) for a in args]
    return fn(*_protected_args(order, args), *args)


def _hoist(exprs: tuple, y: sp.Symbol) -> tuple[tuple, tuple, tuple]:
    """``exprs`` with every largest ``y``-free part replaced by a new symbol.

    Sums and products are split into their ``y``-free and ``y``-dependent
    terms (``mu/s + z s - y/s`` becomes ``c_0 + c_1 y``), so that the
    parameter-only work is done once per point instead of once per iteration.
    Returns the rewritten expressions, the new symbols and what they stand for.
    """
    stand: dict[sp.Expr, sp.Symbol] = {}

    def const(e: sp.Expr) -> sp.Expr:
        if e.is_Number:
            return e
        if e not in stand:
            stand[e] = sp.Symbol(f"c_{len(stand)}", real=True)
        return stand[e]

    def walk(e: sp.Expr) -> sp.Expr:
        if not isinstance(e, sp.Expr):  # a condition (True too) stays one
            return e.func(*[walk(a) for a in e.args]) if e.args else e
        if not e.has(y):
            return const(e)
        if isinstance(e, sp.Piecewise):  # its pairs are not expressions
            return sp.Piecewise(*[(walk(x), walk(c)) for x, c in e.args])
        if e.is_Add or e.is_Mul:
            free = [a for a in e.args if not a.has(y)]
            rest = [walk(a) for a in e.args if a.has(y)]
            return e.func(*([const(e.func(*free))] if free else []), *rest)
        return e.func(*[walk(a) for a in e.args]) if e.args else e

    core = tuple(walk(e) for e in exprs)
    return core, tuple(stand.values()), tuple(stand)


def newton_forms(order: tuple, phi_s: sp.Symbol, residual: sp.Expr, prepare=lambda e: e):
    """The cutoff residual R as the Newton iteration of :func:`newton_log` uses it.

    With phi* = exp(y) and sigma = 1 + z, R is written as a sum of exponentials
    of combined exponents (:func:`stable.exp_terms`) and its y-derivative in the
    same form (terms cancel symbolically); R = P - c splits it into the
    y-dependent part P and the constant c.  ``prepare`` is applied to those four
    expressions, and then their parameter-only parts are hoisted (:func:`_hoist`).

    Returns
    -------
    y : sympy.Symbol
    core : tuple of sympy.Expr
        R, dR/dy, P and c in ``y`` and the hoisted symbols.
    consts : tuple of sympy.Symbol
        The hoisted symbols.
    meaning : tuple of sympy.Expr
        What they stand for, in z and the parameters ``order``.
    """
    y = sp.Symbol("y_log_phi", real=True)
    to_y = {phi_s: sp.exp(y)}
    if sym("sigma") in order:
        to_y[sym("sigma")] = 1 + stable.Z
    terms = stable.exp_terms(stable.gamma_order_form(stable.numeric_form(residual).subs(to_y)))
    moving = [t for t in terms if t[0].has(y) or t[1].has(y)]
    fixed = [t for t in terms if t not in moving]
    core, consts, meaning = _hoist(tuple(prepare(e) for e in (
        stable.exp_sum(terms), stable.exp_sum(stable.exp_terms_diff(terms, y)),
        stable.exp_sum(moving), -stable.exp_sum(fixed))), y)
    return y, core, consts, meaning


@lru_cache(maxsize=64)
def _newton_fns(order: tuple, phi_s: sp.Symbol, residual: sp.Expr, support: tuple,
                outputs: tuple, extended: bool = False):
    """Compiled pieces of :func:`_newton_block`, keyed by the expressions: the
    parameter-only part of the residual and its slope, the rest (in y and those
    parts; :func:`newton_forms`), the support's ends and the outputs (in y
    and the parameters), and what :func:`tails_lost` reads at the root (in y
    and those parts); with
    ``extended``, the residual and the outputs in long double (:mod:`.extended`)."""
    y, core, consts, meaning = newton_forms(order, phi_s, residual, quadrature.with_quadrature)
    autarky = any(e.has(sym("phi_star_A")) for e in outputs)
    modules = extended_numeric.MODULES if extended else _MODULES
    tails = newton_tails(core)
    return (_compile((stable.Z,) + order, meaning, modules),
            _compile((y,) + consts, core, modules),
            sp.lambdify(order, list(support), "numpy"), autarky,
            _outputs_fn(order, phi_s, outputs, autarky, False, extended),
            _compile((y,) + consts, tails, modules))


#: The factors of a residual term whose value may underflow: exponentials, the normal
#: cdf and the regularised incomplete gamma functions (exp_ndtr goes to the log domain
#: where it would).
_UNDERFLOWING = (sp.exp, stable.ndtr, stable.gammaincc, stable.gammainc)


def _factors(term: sp.Expr):
    """The factors of ``term`` in :data:`_UNDERFLOWING`, through products and powers
    (not inside another function's arguments)."""
    if isinstance(term, _UNDERFLOWING):
        yield term
    elif isinstance(term, sp.Mul):
        for a in term.args:
            yield from _factors(a)
    elif isinstance(term, sp.Pow):
        yield from _factors(term.base)


def newton_tails(core: tuple) -> tuple:
    """What :func:`tails_lost` reads of the Newton forms ``core`` (R, dR/dy, P, c of
    :func:`newton_forms`): c and dR/dy, then for every factor g of a term t of R that
    may underflow (:func:`_factors`) g and t with g the smallest normal double."""
    tiny = sp.Float(float(_TINY), 17)
    pairs = [(g, t.xreplace({g: tiny})) for t in sp.Add.make_args(core[0])
             for g in dict.fromkeys(_factors(t)) if t.has(sp.Symbol)]
    pairs = [(g, bound) for g, bound in pairs if bound.free_symbols]
    return (core[3], core[1], *[e for pair in pairs for e in pair])


def tails_lost(tails, y: np.ndarray, consts: list) -> np.ndarray:
    r"""Where the root ``y`` does not determine the equilibrium in double.

    * The elasticity :math:`|dR/dy| / c` of the residual's sides at the root times
      the root's tolerance :math:`2^{-52}\max(1, |y|)` exceeds :math:`2^{-26}`:
      an output as steep in y (a tail :math:`(b/\varphi^*)^k`) is then not known to
      1.5e-8 (melitz-closed truncated Pareto at k = 1.1e16: phi* = 1 + 4.2e-16
      rounds to b, and p_in came out 4.2e-18 for 8.9e-3).
    * A factor g of a term t of the residual is not a normal double at the root
      (it underflowed: too few bits, or none) while t with g the smallest normal
      double exceeds :math:`2^{-53}` of the residual's constant c: there the term
      is not known to the precision that places the root (melitz-closed log-normal
      at f = 1e300, f_e = 6.4e-61: :math:`f\,\Phi(x)` was :math:`10^{300}` times
      the smallest subnormal, and Newton stopped at phi* = 2.3e8, the true root
      being 6.5e8; Weibull at f = 2.9e184, f_e = 6.9e-141: :math:`f e^{-x}` with
      :math:`e^{-x}` subnormal, phi* = 80.93 for 82.09).  An exporters' tail that
      underflows near sigma = 1 is far below c.

    ``tails`` computes c, dR/dy and then g and that bound for each factor
    (:func:`newton_tails`).  A corner (y = -inf, phi* = 0) and a point already
    refused (nan) are left as they are."""
    tiny = np.finfo(float).tiny
    c, slope, *pairs = tails(y, *consts)
    with np.errstate(invalid="ignore", over="ignore"):
        lost = (np.abs(slope) * 2.0 ** -52 * np.maximum(1, np.abs(y))
                > 2.0 ** -26 * np.abs(c)) & (c != 0)
        for g, bound in zip(pairs[::2], pairs[1::2]):
            lost |= (np.abs(g) < tiny) & (np.abs(bound) > 2.0 ** -53 * np.abs(c))
    return lost & np.isfinite(y)  # y = -inf is a corner (phi* = 0), not a root


@lru_cache(maxsize=64)
def _outputs_fn(order: tuple, phi_s: sp.Symbol, outputs: tuple, autarky: bool,
                exp_form: bool, extended: bool = False, nodes: str = ""):
    """The outputs compiled as functions of y = log(phi*) (and phi*_A) and the
    parameters; with ``exp_form``, in :func:`stable.exp_form` (the fallback
    where the plain form is not finite); with ``extended``, in long double;
    with ``nodes``, the values of their intermediate results instead
    (:func:`rounded_nodes`: ``"all"``, or ``"special"`` the special functions that
    long double evaluates in double)."""
    y = sp.Symbol("y_log_phi", real=True)
    extra_syms = (y, sym("phi_star_A")) if autarky else (y,)
    forms = tuple(output_form(e, phi_s, exp_form).subs(phi_s, sp.exp(y)) for e in outputs)
    if nodes:
        forms = tuple(dict.fromkeys(n for f in forms for n in rounded_nodes(f)))
        if nodes == "special":  # the special functions long double evaluates in double
            forms = tuple(n for n in forms if isinstance(n, sp.Function)
                          and type(n).__name__ in extended_numeric.IN_DOUBLE) or (sp.S.One,)
    return _compile(extra_syms + (stable.Z,) + order, forms,
                    extended_numeric.MODULES if extended else _MODULES)


def rounded_nodes(form: sp.Expr) -> list[sp.Expr]:
    r"""The intermediate results of an output ``form`` that must be normal doubles
    for its double value to carry no more than the rounding of each operation:
    every product, power, sum and function value, the form itself included, but
    none inside a Piecewise (its unused branches are evaluated too, and the tail
    branches of :func:`stable.ratio_form` are made for the points where the other
    branch underflows).  A subnormal one keeps fewer than 53 bits: the log-normal
    :math:`\Phi(x)^2` at :math:`x = -27` is 1e-320 and kept 3.7e-3 of
    :math:`\tilde\varphi_t` at f_e = 5.7e-162."""
    out = []

    def walk(e: sp.Expr) -> None:
        if e.is_Atom or not isinstance(e, sp.Expr):
            return
        out.append(e)
        if not isinstance(e, sp.Piecewise):
            for a in e.args:
                walk(a)

    walk(form)
    return out


def output_form(expr: sp.Expr, phi_s: sp.Symbol, exp_form: bool = False) -> sp.Expr:
    """An output ``expr`` of a Newton model as the outputs are evaluated after the
    root is found, in ``phi_s``, sigma = 1 + z and the parameters: ratios of tail
    terms combined (:func:`stable.ratio_form`), with ``exp_form``
    :func:`stable.exp_form` (the fallback where the plain form is not finite), in
    z (:func:`stable.in_z`) and with :func:`stable.powm1_form`."""
    form = stable.exp_form if exp_form else (lambda e: e)
    return stable.product_form(stable.powm1_form(stable.in_z(form(stable.ratio_form(
        stable.numeric_form(expr), phi_s)))))


#: A long double Newton step longer than this (relative to max(1, |y|)) is not a
#: correction of the double root; the root is kept as it is there.
POLISH_LIMIT = 1e-10


def _polish(FdF, pre, order: tuple, y: np.ndarray, args: list) -> np.ndarray:
    """The double root ``y`` after a Newton step on the long double residual: the
    root's error (a few ulps of double, from the residual's rounding) is
    squared by the step, and what is left is the long double residual's."""
    args = [np.asarray(a, np.longdouble) for a in args]
    y = np.asarray(y, np.longdouble)
    r, dr = FdF(y, *pre(*_protected_args(order, args)[:1], *args))[:2]
    step = r / dr
    return np.where(np.abs(step) <= POLISH_LIMIT * np.maximum(1, np.abs(y)), y - step, y)


def _unrounded(out, nodes, extended: bool, shape: tuple, args: list) -> tuple[list, object]:
    r"""The outputs ``out`` at ``args`` (y, phi*_A, z and the parameters) on one block,
    and the mask of the points refused (nan, not to be replaced by another form).

    In double, evaluated with underflow raising; where it is raised, again
    without, and at the points where an intermediate result is subnormal
    (:func:`rounded_nodes`: a product of tail probabilities such as
    :math:`\Phi(x)^2` or :math:`\mathrm{expm1}(x)^2` below 2.2e-308, whose
    relative error is no longer 2^-53 but up to one) again in long double
    (exponents to 1e-4951), or nan where long double is double: an error, never
    a number that lost its digits; so are the points where a special function that
    long double evaluates in double (:data:`.extended.IN_DOUBLE`: the incomplete
    gamma functions) is subnormal there too.  Likewise where overflow is raised, an
    intermediate result is infinite and an output is 0 (a denominator beyond
    1.8e308: the truncated Pareto's :math:`\tilde\varphi_t` at b = 2.35e-95):
    again in long double, or nan where an intermediate result is infinite there too.
    Points whose nodes are normal or zero keep their double values, so a point's
    value does not depend on its block."""
    if extended:
        return out(*args), np.False_
    try:
        with np.errstate(under="raise", over="raise"):
            return out(*args), np.False_
    except FloatingPointError:
        pass
    vals = [np.array(np.broadcast_to(np.asarray(v, float), shape)) for v in out(*args)]
    wide = _wide_long_double()
    node_fn, long_fn, long_nodes, long_all = nodes(wide)
    node_vals = node_fn(*args)
    subnormal = _subnormal(node_vals, shape)
    # an overflow that made an output 0 (x / inf); other outputs through an inf node
    # (1 / (1 + inf) in a sum near sigma = 1) are right
    some_zero = np.isfinite(vals).all(axis=0) & (np.asarray(vals) == 0).any(axis=0)
    zeroed = np.array(_infinite(node_vals, shape) & some_zero)
    lossy = np.array(subnormal | zeroed)
    # an output that underflowed to 0 past the subnormals (L = 2e-116 times a tail of
    # 1e-257: the truncated Pareto's M at b_H = 5e75): its value in long double, where
    # that is not 0 (a 0 of the formula, M_x at n = 0, stays, and so do the other outputs)
    flushed = np.array(some_zero & ~lossy) if wide else np.zeros(shape, bool)
    if flushed.any():
        for v, w in zip(vals, long_fn(*_at_points(args, shape, flushed, np.longdouble))):
            v[flushed] = np.where(v[flushed] == 0, np.asarray(w, float), v[flushed])
    if not lossy.any():
        return vals, np.False_
    refused = lossy.copy()
    if wide:
        at = _at_points(args, shape, lossy, np.longdouble)
        count = (np.count_nonzero(lossy),)
        refused[lossy] = _subnormal(long_nodes(*at), count)
        if zeroed.any():  # every node in long double only where an overflow zeroed one
            refused[lossy] |= _infinite(long_all(*at), count) & zeroed[lossy]
        again = [np.asarray(v, float) for v in long_fn(*at)]
        for v, w in zip(vals, again):
            v[lossy] = w
    for v in vals:
        v[refused] = np.nan
    return vals, refused


def _at_points(args: list, shape: tuple, mask: np.ndarray, dtype=None) -> list:
    """``args`` (arrays broadcasting to ``shape``, or single values, kept as they are)
    at the points of ``mask``; as ``dtype`` arrays if given (long double)."""
    at = [a if np.ndim(a) == 0 else np.broadcast_to(a, shape)[mask] for a in args]
    return at if dtype is None else [np.asarray(a, dtype) for a in at]


def _infinite(values: list, shape: tuple) -> np.ndarray:
    """Mask of the points where one of ``values`` is infinite."""
    out = np.zeros(shape, bool)
    for v in values:
        out |= np.isinf(np.asarray(v))  # long double values stay long double
    return out


def _subnormal(values: list, shape: tuple) -> np.ndarray:
    """Mask of the points where one of ``values`` is a subnormal double (not 0)."""
    out = np.zeros(shape, bool)
    for v in values:
        v = np.abs(np.asarray(v, float))
        out |= (v > 0) & (v < _TINY)
    return out


def _newton_block(d, names: list[str], precision: str = "double"):
    """Evaluator of ``names`` on one block: Newton on y = log(phi*), then the outputs.

    The cutoff residual is written with phi* = exp(y) and sigma = 1 + z as a sum
    of exponentials of combined exponents (:func:`stable.exp_terms`); its
    y-derivative is taken in the same form, so that terms cancel symbolically,
    and both are compiled into one function with common subexpressions shared.
    Their parameter-only parts (:func:`_hoist`) are evaluated once per block,
    before the iteration.  With ``precision="extended"`` the double root gets
    a Newton step on the residual in long double (:func:`_polish`) and the
    outputs are evaluated in long double, both with the special functions of
    :mod:`.extended`, and rounded to double once.
    """
    order = tuple(d.parameters)
    outputs = tuple(d.outputs[n] for n in names)
    key = (order, d.cutoff, d.cutoff_residual,
           (sp.sympify(d.support_lower), d.search_top, sp.sympify(d.support_upper)), outputs)
    pre, FdF, ends, autarky, out, tails = _newton_fns(*key)
    extended = precision == "extended" or (precision == "adaptive" and _wide_long_double())
    if extended:
        pre_ld, FdF_ld, _, _, out, _ = _newton_fns(*key, True)

    def nodes(long: bool):  # the node values; in long double the outputs and the nodes
        return (_outputs_fn(order, d.cutoff, outputs, autarky, False, nodes="all"),
                *[_outputs_fn(order, d.cutoff, outputs, autarky, False, True, *n) if long
                  else None for n in ((), ("special",), ("all",))])

    def cutoff(support, args):
        consts = pre(*_protected_args(order, args)[:1], *args)
        lower, top, upper = support
        y = newton_log(FdF, lower, consts, upper=top)
        # no root below the top of a cutoff above phi* (phi_I* = b_H): solved again up to
        # the support's top, where a root is that corner, which the checks then name
        again = np.isnan(y) & (top < upper)
        if again.any():
            y[again] = newton_log(FdF, lower[again], [np.broadcast_to(c, y.shape)[again]
                                                      for c in consts], upper=upper[again])
        y = np.where(tails_lost(tails, y, consts), np.nan, y)
        return _polish(FdF_ld, pre_ld, order, y, args) if extended else y

    def run(args):
        shape = np.broadcast_shapes(*[np.shape(a) for a in args])
        support = [np.broadcast_to(np.asarray(e, float), shape) for e in ends(*args)]
        extra = [cutoff(support, args)]
        if autarky:
            extra.append(np.exp(cutoff(support, [np.zeros_like(a) if p.name == "n" else a
                                                 for p, a in zip(order, args)])))
        if extended:
            args = [np.asarray(a, np.longdouble) for a in args]
        z = _protected_args(order, args)[:1]
        vals, refused = _unrounded(out, nodes, extended, shape, extra + z + args)
        vals = [np.array(np.broadcast_to(np.asarray(v, float), shape)) for v in vals]
        bad = ~np.isfinite(vals).all(axis=0) & ~refused
        if bad.any():  # inf * 0 or a huge power of a ratio near one: the exp form there
            again = _outputs_fn(order, d.cutoff, outputs, autarky, True, extended)(
                *_at_points(extra + z + args, shape, bad))
            for v, w in zip(vals, again):
                v[bad] = np.where(np.isfinite(v[bad]), v[bad], np.asarray(w, float))
        return vals

    return run
