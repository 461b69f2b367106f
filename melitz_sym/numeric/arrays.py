"""Vector and matrix parameters of N-country models: reading, shapes, entry-wise checks."""

from __future__ import annotations

import ast
from collections.abc import Mapping

import numpy as np
import sympy as sp

from ..errors import AdmissibilityError, ParseError
from ..derivation import MultiDerivation


def _read(name: str, value: object):
    """A parameter value as a (nested) list of floats; strings may hold a list."""
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            raise ParseError(f"parameter {name}: cannot read {value!r} as a number, "
                             "a list or a list of lists") from None
    flag = _first_flag(value)
    if flag is not None:  # a numpy scalar as Python writes it (np.True_ is True)
        entry = flag[1].item() if isinstance(flag[1], np.generic) else flag[1]
        raise ParseError(f"parameter {name}{_index(flag[0])}: {entry!r} is not a number")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParseError(f"parameter {name}: cannot read {value!r} as numbers") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AdmissibilityError(f"parameter {name}{_index(idx)} must be a finite number, "
                                 f"got {arr[idx] if idx else arr.item()}")
    return arr


def _first_flag(value: object, at: tuple = ()) -> tuple[tuple, object] | None:
    """The index and value of the first boolean entry (numpy would read it as 0 or 1,
    :func:`melitz_sym.admissibility.exact` refuses it for a scalar model), or None."""
    if isinstance(value, (bool, np.bool_)):
        return at, value
    if isinstance(value, np.ndarray):
        if value.dtype == bool and value.size:
            return (0,) * value.ndim, value.flat[0]
        return None
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = _first_flag(v, at + (i,))
            if found is not None:
                return found
    return None


def _index(idx: tuple) -> str:
    return f"[{','.join(map(str, idx))}]" if idx else ""


def read_parameters(shapes: Mapping[str, str], params: Mapping[str, object]) -> dict:
    """Arrays of the parameters, shaped ``()``, ``(N,)`` or ``(N, N)`` (rows = origin).

    ``N`` is the number of rows of the first matrix parameter.  A scalar given
    for a per-country parameter is taken to be common to all countries.

    Raises
    ------
    AdmissibilityError
        For a matrix that is not N x N, a vector of the wrong length, or a
        vector or matrix given for a scalar parameter; the message names the
        parameter and the shape expected.
    """
    arrays = {name: _read(name, params[name]) for name in shapes}
    matrices = [n for n, s in shapes.items() if s == "ij"]
    first = arrays[matrices[0]]
    if first.ndim != 2 or first.shape[0] != first.shape[1] or first.shape[0] < 1:
        raise AdmissibilityError(
            f"inadmissible parameters: {matrices[0]} must be a square N x N matrix "
            f"(rows = origin, columns = destination), got shape {first.shape}")
    N = first.shape[0]
    out = {}
    for name, shape in shapes.items():
        a = arrays[name]
        want = {"": (), "i": (N,), "ij": (N, N)}[shape]
        if shape == "i" and a.ndim == 0:
            a = np.full(N, float(a))
        if a.shape != want:
            what = {"": "a scalar", "i": f"a vector of {N} values (one per country)",
                    "ij": f"a {N} x {N} matrix (rows = origin, columns = destination)"}[shape]
            raise AdmissibilityError(f"inadmissible parameters: {name} must be {what}, "
                                     f"got shape {a.shape}")
        out[name] = a
    return out


def check_entries(d: MultiDerivation, arrays: Mapping[str, object]) -> None:
    """Raise :class:`AdmissibilityError` naming the first entry violating a restriction.

    Every restriction of ``d`` is evaluated elementwise; origin parameters are
    laid out along rows (shape ``(N, 1)``) and destination-free pair parameters
    as matrices, so a restriction such as ``k > sigma - 1`` is checked per
    country and ``tau >= 1`` per pair.  ``tau[i,i] = 1`` is required.
    """
    if "tau" in arrays:
        diag = np.diag(arrays["tau"])
        off = np.flatnonzero(diag != 1)
        if off.size:
            i = int(off[0])
            raise AdmissibilityError(
                f"inadmissible parameters: domestic trade is free [tau[i,i] = 1] fails at "
                f"tau[{i},{i}]={diag[i]:g}")
    for r in d.restrictions:
        syms = sorted(r.symbols, key=lambda s: s.name)
        args = [_layout(d.shapes[s.name], arrays[s.name]) for s in syms]
        with np.errstate(all="ignore"):  # an overflowing side is inf and compares right
            holds = np.asarray(sp.lambdify(syms, r.condition, "numpy")(*args))
            if r.when is not None:
                holds = holds | ~np.asarray(sp.lambdify(syms, r.when, "numpy")(*args))
        shape = np.broadcast_shapes(*map(np.shape, args))
        bad = ~np.broadcast_to(holds, shape)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
            shown = []
            for s, a in zip(syms, args):
                sub = tuple(k if n > 1 else 0 for k, n in zip(idx, a.shape)) if a.ndim else ()
                entry = ""
                if d.shapes[s.name] == "i":
                    entry = f"[{idx[0]}]"
                elif d.shapes[s.name] == "ij":
                    entry = _index(idx)
                shown.append(f"{s.name}{entry}={np.asarray(a)[sub]:g}")
            raise AdmissibilityError(
                f"inadmissible parameters: {r.describe()} fails at {', '.join(shown)}")


def _layout(shape: str, a):
    """Origin vectors as columns (N, 1), so they broadcast along destinations."""
    return a[:, None] if shape == "i" else a
