"""Vectorised numpy solvers generated from a derivation with ``lambdify``.

Closed forms (Pareto, Krugman) are compiled directly.  Without a closed form
the cutoff equation is solved at all points at once by a safeguarded Newton
iteration on ``y = log(phi*)`` (bisection whenever a Newton step leaves the
bracket), with the derivative taken by sympy.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import scipy.special
import sympy as sp

from ..errors import AdmissibilityError, NumericalError
from ..symbols import sym
from . import stable

_MODULES = [{"ndtr": scipy.special.ndtr, "gammaincc": scipy.special.gammaincc}, "scipy", "numpy"]


def _compile(symbols: tuple, exprs: tuple):
    fn = sp.lambdify(symbols, list(exprs), modules=_MODULES, cse=True)
    if any(e.has(sp.Integral) for e in exprs):  # quadrature is scalar: vectorise
        vec = np.vectorize(lambda *a: tuple(fn(*a)), otypes=[float] * len(exprs))
        return lambda *a: list(vec(*a))
    return fn


@lru_cache(maxsize=64)
def _compiled(d_id: int, symbols: tuple, exprs: tuple):
    return _compile(symbols, exprs)


@lru_cache(maxsize=256)
def _restriction_fns(r):
    """Compiled condition (and guard) of a restriction, and their arguments."""
    syms = sorted(r.symbols, key=lambda s: s.name)
    when = None if r.when is None else sp.lambdify(syms, r.when, "numpy")
    return syms, sp.lambdify(syms, r.condition, "numpy"), when


def admissible_mask(d, values: Mapping[str, np.ndarray]) -> tuple[np.ndarray, list]:
    """Boolean mask of points satisfying every restriction, and the failures."""
    shape = np.broadcast(*values.values()).shape
    ok = np.ones(shape, bool)
    failures = []
    for r in d.restrictions:
        syms, cond, when = _restriction_fns(r)
        args = [values[s.name] for s in syms]
        holds = np.broadcast_to(cond(*args), shape)
        if when is not None:
            holds = holds | ~np.broadcast_to(when(*args), shape)
        failures.append((r, ~holds))
        ok &= holds
    return ok, failures


def _newton_log(F, dF, lower: np.ndarray, args: list, tol: float = 1e-15,
                iters: int = 200) -> np.ndarray:
    """Vectorised safeguarded Newton for F(exp(y)) = 0 with F decreasing in phi."""
    lo = np.where(lower > 0, np.log(np.where(lower > 0, lower, 1.0)), -2.0)
    lo = np.broadcast_to(lo, np.broadcast(lo, *args).shape).astype(float).copy()
    width = np.ones_like(lo)
    hi = lo + width
    with np.errstate(all="ignore"):
        for _ in range(200):  # bracket: F(lo) > 0 > F(hi)
            # nan far up: every survival function underflowed, the residual
            # is -delta f_e there; the Newton stage bisects back into range
            need_hi = F(np.exp(hi), *args) > 0
            need_lo = (lower <= 0) & ~(F(np.exp(lo), *args) > 0)
            if not (need_hi.any() or need_lo.any()):
                break
            width = np.where(need_hi | need_lo, width * 2, width)
            hi = np.where(need_hi, hi + width, hi)
            lo = np.where(need_lo, lo - width, lo)
        y = 0.5 * (lo + hi)
        done = np.zeros(y.shape, bool)
        for _ in range(iters):  # converged points are frozen (no ulp-level dithering)
            phi = np.exp(y)
            f = F(phi, *args)
            lo = np.where(f > 0, y, lo)
            hi = np.where(f < 0, y, hi)
            step = f / (dF(phi, *args) * phi)
            newton = y - step
            scale = np.maximum(1.0, np.abs(y))
            now = (np.abs(step) <= tol * scale) | (f == 0) | (hi - lo <= 4e-16 * scale)
            bad = ~np.isfinite(newton) | (newton < lo) | (newton > hi)
            new = np.where(now, np.where(bad, y, newton), np.where(bad, 0.5 * (lo + hi), newton))
            y = np.where(done, y, new)
            done |= now
            if done.all():
                break
    return np.exp(y)


BLOCK = 32768  # points per block: temporaries stay in cache, never giant arrays


@lru_cache(maxsize=64)
def _stable_closed(d_id: int, symbols: tuple, exprs: tuple, with_k: bool):
    """Compiled stable forms of closed forms, taking (Z, E) + symbols (see stable.py)."""
    forms = tuple(stable.closed_form(e, with_k) for e in exprs)
    return _compile((stable.Z, stable.E) + symbols, forms)


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


def solve(model, names: list[str], params: Mapping[str, object], errors: str = "raise") -> dict:
    """Outputs ``names`` of ``model`` for array parameters (broadcast like numpy).

    The points are processed in blocks of :data:`BLOCK`; closed forms are
    evaluated in their stable form (:mod:`melitz_sym.numeric.stable`), the
    other models by a vectorised safeguarded Newton on log(phi*).
    """
    if errors not in ("raise", "nan"):
        raise ValueError("errors must be 'raise' or 'nan'")
    d = model.derive()
    order = tuple(d.parameters)
    raw = [np.asarray(params[p.name], dtype=float) for p in order]
    shape = np.broadcast_shapes(*[a.shape for a in raw])
    values = {p.name: np.broadcast_to(a, shape) for p, a in zip(order, raw)}
    ok, failures = admissible_mask(d, values)
    if errors == "raise" and not ok.all():
        for r, bad in failures:
            if bad.any():
                idx = _first(bad)
                at = {k: v[idx].item() for k, v in values.items()}
                where = f" at index {idx if len(idx) != 1 else idx[0]}" if bad.ndim else ""
                raise AdmissibilityError(r.message(at, where))
    result = {n: np.empty(int(np.prod(shape))) for n in names}
    block = _closed_block(d, model, names) if d.closed_forms else _newton_block(d, names)
    with np.errstate(all="ignore"):
        for sl, args in _blocks(raw, shape):
            for n, v in zip(names, block(args)):
                result[n][sl] = v
    result = {n: v.reshape(shape) for n, v in result.items()}
    ok &= _valid(model, values, result, ok, errors)
    if not ok.all():
        for v in result.values():
            v[~ok] = np.nan
    return result


@lru_cache(maxsize=64)
def _support_fn(symbols: tuple, support: tuple):
    return sp.lambdify(symbols, list(support), "numpy")


def _first(mask: np.ndarray) -> tuple:
    return np.unravel_index(np.argmax(mask), mask.shape) if mask.ndim else ()


def _at(values: Mapping[str, np.ndarray], idx: tuple) -> str:
    where = f" at index {idx if len(idx) != 1 else idx[0]}" if idx else ""
    point = ", ".join(f"{k}={v[idx].item()!r}" for k, v in values.items())
    return f"{where} ({point})"


def _valid(model, values: Mapping[str, np.ndarray], result: Mapping[str, np.ndarray],
           admissible: np.ndarray, errors: str) -> np.ndarray:
    """Mask of admissible points whose solution is interior.

    A corner (see :func:`melitz_sym.models.base.corner`) raises
    :class:`AdmissibilityError` and a non-finite output :class:`NumericalError`;
    with ``errors="nan"`` a corner is nan in every output and a non-finite
    value (inf) is nan in its output only.  Never a silent inf.
    """
    from ..models.base import corner

    good = np.ones(admissible.shape, bool)
    if model.dist is not None and "phi_star" in result:
        d = model.dist
        syms = tuple(d.symbols)
        bounds = _support_fn(syms, tuple(sp.sympify(e) for e in d.support))
        lo, hi = (np.broadcast_to(np.asarray(v, float), admissible.shape)
                  for v in bounds(*[values[s.name] for s in syms]))
        phi = result["phi_star"]
        phi_x = result.get("phi_x_star")
        if d.continuous:
            bad = phi < lo * (1 - 1e-14)
            if phi_x is not None:
                bad |= np.isfinite(hi) & (phi_x >= hi)
        else:
            worst = phi if phi_x is None else np.maximum(phi, phi_x)
            bad = worst > lo * (1 + 1e-12)
        bad &= admissible
        if bad.any() and errors == "raise":
            idx = _first(bad)
            problem = corner(d.continuous, phi[idx], None if phi_x is None else phi_x[idx],
                             lo[idx], hi[idx])
            raise AdmissibilityError(f"{problem}{_at(values, idx)}")
        good &= ~bad
    nonfinite = np.zeros(admissible.shape, bool)
    for v in result.values():
        nonfinite |= ~np.isfinite(v)
    nonfinite &= admissible & good
    if nonfinite.any() and errors == "raise":
        idx = _first(nonfinite)
        names = [n for n, v in result.items() if not np.isfinite(v[idx])]
        raise NumericalError(
            f"the numeric solver produced no finite value of {', '.join(names)}{_at(values, idx)};"
            " m.reference(...) computes this point in mpmath")
    for v in result.values():  # errors="nan": a value that is not finite is nan
        v[~np.isfinite(v)] = np.nan
    return good


def _closed_block(d, model, names: list[str]):
    """Evaluator of the closed forms of ``names`` on one block of arguments."""
    order = tuple(d.parameters)
    exprs = tuple(d.closed_forms[n] for n in names)
    with_k = model.dist is not None and bool(model.dist.reparametrisation(sym("sigma") - 1)[0])
    fn = _stable_closed(id(d), order, exprs, with_k)
    return lambda args: fn(*_protected_args(order, args), *args)


def _newton_block(d, names: list[str]):
    """Evaluator of ``names`` on one block: Newton on log(phi*), then the outputs."""
    order = tuple(d.parameters)
    phi_s = d.cutoff
    res = stable.special_form(d.cutoff_residual)
    F = _compiled(id(d), (phi_s,) + order, (res,))
    dres = stable.special_form(sp.diff(d.cutoff_residual, phi_s))
    dF = _compiled(id(d), (phi_s,) + order, (dres,))
    low = sp.lambdify(order, d.support_lower, "numpy")
    autarky = any(d.outputs[n].has(sym("phi_star_A")) for n in names)
    extra_syms = (phi_s, sym("phi_star_A")) if autarky else (phi_s,)
    out = _compiled(id(d), extra_syms + order, tuple(stable.special_form(d.outputs[n])
                                                     for n in names))

    def run(args):
        shape = np.broadcast_shapes(*[np.shape(a) for a in args])
        lower = np.broadcast_to(np.asarray(low(*args), float), shape)
        phi = _newton_log(lambda x, *a: F(x, *a)[0], lambda x, *a: dF(x, *a)[0], lower, args)
        extra = [phi]
        if autarky:
            args0 = [np.zeros_like(a) if p.name == "n" else a for p, a in zip(order, args)]
            extra.append(_newton_log(lambda x, *a: F(x, *a)[0], lambda x, *a: dF(x, *a)[0],
                                     lower, args0))
        return [np.broadcast_to(np.asarray(v, float), shape) for v in out(*extra, *args)]

    return run
