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
import sympy as sp

from ..errors import AdmissibilityError
from ..symbols import sym

_MODULES = ["scipy", "numpy"]


def _compile(symbols: tuple, exprs: tuple):
    fn = sp.lambdify(symbols, list(exprs), modules=_MODULES, cse=True)
    if any(e.has(sp.Integral) for e in exprs):  # quadrature is scalar: vectorise
        vec = np.vectorize(lambda *a: tuple(fn(*a)), otypes=[float] * len(exprs))
        return lambda *a: list(vec(*a))
    return fn


@lru_cache(maxsize=64)
def _compiled(d_id: int, symbols: tuple, exprs: tuple):
    return _compile(symbols, exprs)


def admissible_mask(d, values: Mapping[str, np.ndarray]) -> tuple[np.ndarray, list]:
    """Boolean mask of points satisfying every restriction, and the failures."""
    shape = np.broadcast(*values.values()).shape
    ok = np.ones(shape, bool)
    failures = []
    for r in d.restrictions:
        syms = sorted(r.symbols, key=lambda s: s.name)
        args = [values[s.name] for s in syms]
        holds = np.broadcast_to(sp.lambdify(syms, r.condition, "numpy")(*args), shape)
        if r.when is not None:
            holds = holds | ~np.broadcast_to(sp.lambdify(syms, r.when, "numpy")(*args), shape)
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
            need_hi = ~(F(np.exp(hi), *args) < 0)
            need_lo = (lower <= 0) & ~(F(np.exp(lo), *args) > 0)
            if not (need_hi.any() or need_lo.any()):
                break
            width = np.where(need_hi | need_lo, width * 2, width)
            hi = np.where(need_hi, hi + width, hi)
            lo = np.where(need_lo, lo - width, lo)
        y = 0.5 * (lo + hi)
        for _ in range(iters):
            phi = np.exp(y)
            f = F(phi, *args)
            lo = np.where(f > 0, y, lo)
            hi = np.where(f < 0, y, hi)
            step = f / (dF(phi, *args) * phi)
            new = y - step
            bad = ~np.isfinite(new) | (new <= lo) | (new >= hi)
            new = np.where(bad, 0.5 * (lo + hi), new)
            done = np.abs(new - y) <= tol * np.maximum(1.0, np.abs(y))
            y = new
            if done.all():
                break
    return np.exp(y)


def solve(model, names: list[str], params: Mapping[str, object], errors: str = "raise") -> dict:
    """Outputs ``names`` of ``model`` for array parameters (broadcast like numpy)."""
    if errors not in ("raise", "nan"):
        raise ValueError("errors must be 'raise' or 'nan'")
    d = model.derive()
    order = tuple(d.parameters)
    arrays = np.broadcast_arrays(*[np.asarray(params[p.name], dtype=float) for p in order])
    values = {p.name: a for p, a in zip(order, arrays)}
    ok, failures = admissible_mask(d, values)
    if errors == "raise" and not ok.all():
        for r, bad in failures:
            if bad.any():
                idx = np.unravel_index(np.argmax(bad), bad.shape) if bad.ndim else ()
                at = {k: v[idx].item() for k, v in values.items()}
                where = f" at index {idx if len(idx) != 1 else idx[0]}" if bad.ndim else ""
                raise AdmissibilityError(r.message(at, where))
    args = list(arrays)
    if d.closed_forms:
        exprs = tuple(d.closed_forms[n] for n in names)
        out = _compiled(id(d), order, exprs)(*args)
    else:
        phi_s = d.cutoff
        res = d.cutoff_residual
        F = _compiled(id(d), (phi_s,) + order, (res,))
        dF = _compiled(id(d), (phi_s,) + order, (sp.diff(res, phi_s),))
        lower = np.broadcast_to(np.asarray(
            sp.lambdify(order, d.support_lower, "numpy")(*args), float), ok.shape)
        phi = _newton_log(lambda x, *a: F(x, *a)[0], lambda x, *a: dF(x, *a)[0], lower, args)
        extra_syms, extra = (phi_s,), [phi]
        if any(d.outputs[n].has(sym("phi_star_A")) for n in names):
            args0 = [np.zeros_like(a) if p.name == "n" else a for p, a in zip(order, args)]
            phi_A = _newton_log(lambda x, *a: F(x, *a)[0], lambda x, *a: dF(x, *a)[0],
                                lower, args0)
            extra_syms, extra = (phi_s, sym("phi_star_A")), [phi, phi_A]
        exprs = tuple(d.outputs[n] for n in names)
        out = _compiled(id(d), extra_syms + order, exprs)(*extra, *args)
    shape = ok.shape
    result = {n: np.broadcast_to(np.asarray(v, float), shape).copy() for n, v in zip(names, out)}
    if not ok.all():
        for v in result.values():
            v[~ok] = np.nan
    return result
