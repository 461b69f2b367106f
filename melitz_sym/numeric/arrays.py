"""Vector and matrix parameters of N-country models: reading, shapes, entry-wise checks."""

from __future__ import annotations

import ast
from collections.abc import Mapping

import numpy as np
import sympy as sp

from ..admissibility import exact, nonfinite_message
from ..errors import AdmissibilityError, ParseError
from ..derivation import MultiDerivation


def read_value(name: str, value: object) -> np.ndarray:
    """A parameter value as a float array: a number, a (nested) list or array of numbers,
    or text holding either (``"3/2"``, ``"[1, 0.8]"``, ``"[[1, 1.5], [1.4, 1]]"``).

    The one reading of a vector or matrix: every entry that is not already a float is
    read by :func:`melitz_sym.admissibility.exact` (the reading of every scalar), named
    with its index (``L[1]``); a float entry must be finite.  The CLI checks its
    ``--set`` values with it.

    Raises
    ------
    ParseError
        For text that is neither a number nor a list, and for an entry that is not a
        real number (text, None, a boolean: numpy would read True as 1).
    AdmissibilityError
        For an entry that is not finite or outside the range of a double.
    """
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("["):
            return np.asarray(float(exact(name, text)))
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise ParseError(f"parameter {name}: cannot read {text!r} as a list of numbers, "
                             "e.g. [1, 0.8] or [[1, 1.5], [1.4, 1]]") from None
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
        arr = value.astype(float)
    else:
        entries = value.tolist() if isinstance(value, (np.ndarray, np.generic)) else value
        arr = _entries(name, entries, ())
        if arr is None:
            raise ParseError(f"parameter {name}: cannot read {value!r} as numbers: a list of "
                             "lists of unequal lengths")
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AdmissibilityError(nonfinite_message(name, float(arr[idx]) if idx else arr.item(),
                                                   _index(idx)))
    return arr


def _entries(name: str, value: object, at: tuple) -> np.ndarray | None:
    """The nested lists ``value`` as a float array, each entry that is not a float read
    by ``exact`` (None where the lists are ragged)."""
    if isinstance(value, (list, tuple)):
        rows = [_entries(name, v, at + (i,)) for i, v in enumerate(value)]
        if any(r is None for r in rows) or len({r.shape for r in rows}) > 1:
            return None
        return np.array(rows, float) if rows else np.zeros(0)
    if isinstance(value, float):
        return np.asarray(value)
    return np.asarray(float(exact(f"{name}{_index(at)}", value)))


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
    arrays = {name: read_value(name, params[name]) for name in shapes}
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
