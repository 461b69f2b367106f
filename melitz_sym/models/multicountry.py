r"""N-country models: vector and matrix parameters, per-pair derivations.

A multi-country model is derived once for a generic *pair* of countries: an
origin :math:`i` and a destination :math:`j`.  In the pair expressions the
parameters keep their canonical symbols and mean the origin's value (``L``,
``w``, ``f_e``, the distribution's ``k`` and ``b``) or the pair's value
(``tau`` and ``f``, rows = origin, columns = destination); the destination's
market aggregates are written with their own symbols (the demand shifter ``A``
and price index ``P`` of the destination).  The numeric layer evaluates the
pair expressions on :math:`N \times N` arrays and sums them over origins or
destinations.

:class:`MultiDerivation` records, next to the steps, the *shape* of every
parameter and output: ``""`` (a scalar common to all countries), ``"i"`` (one
value per country) or ``"ij"`` (one value per ordered pair).
:class:`MultiCountryModel` reads vector and matrix parameters, checks them entry
by entry and dispatches to the model's numeric solver and mpmath reference.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sympy as sp

from ..derivation import Derivation
from ..errors import AdmissibilityError, MelitzError, ParseError
from .base import Model


@dataclass
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
    """

    shapes: dict[str, str] = field(default_factory=dict)
    pair: dict[str, sp.Expr] = field(default_factory=dict)
    meanings: dict[str, str] = field(default_factory=dict)
    assembly: tuple[str, ...] = ()

    @property
    def parameter_shapes(self) -> dict[str, str]:
        """Parameter name -> shape, in the documented parameter order."""
        return {p.name: self.shapes[p.name] for p in self.parameters}


#: Meanings every N-country model shares (origin, pair and destination values).
PAIR_MEANINGS = {
    "w": "wage of the origin i",
    "L": "labour endowment of the origin i",
    "tau": "iceberg trade cost from origin i to destination j (1 for i = j)",
    "f": "per-period fixed cost for a firm of origin i to serve destination j",
    "phi_star": "productivity cutoff phi*_ij of origin i's firms in destination j",
    "X": "trade flow X_ij: sales of origin i's firms in destination j",
    "M_x": "number of origin i's firms selling in destination j",
}


def _read(name: str, value: object):
    """A parameter value as a (nested) list of floats; strings may hold a list."""
    import numpy as np

    if isinstance(value, str):
        try:
            value = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            raise ParseError(f"parameter {name}: cannot read {value!r} as a number, "
                             "a list or a list of lists") from None
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
    import numpy as np

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
    import numpy as np

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


class MultiCountryModel(Model):
    """A model of N asymmetric countries; parameters are scalars, vectors or matrices.

    ``solve(**params)`` computes the equilibrium with numpy (derived
    expressions, analytic Jacobians) and ``reference(dps, **params)`` with
    mpmath from the primitives (quadrature of the density, root finding).
    Matrices are given as nested lists or arrays, rows = origin.
    """

    def __init__(self, name: str, builder: Callable, dist, *, solver: str,
                 reference: str) -> None:
        super().__init__(name, builder, dist)
        self._solver = solver        # function of numeric.general_equilibrium
        self._reference = reference  # function of numeric.ge_reference

    def read(self, params: Mapping[str, object]) -> dict:
        """Canonical, shape-checked and admissibility-checked parameter arrays."""
        d = self.derive()
        arrays = read_parameters(d.parameter_shapes, self.canonical_params(params))
        check_entries(d, arrays)
        return arrays

    def check(self, **params: object) -> dict:
        """Check the parameters; return them as arrays (canonical names)."""
        return self.read(params)

    def solve(self, outputs: list[str] | None = None, errors: str = "raise",
              precision: str = "double", **params: object) -> dict:
        """Equilibrium outputs as arrays: scalars, vectors (per country) or
        matrices (per pair, rows = origin)."""
        if errors != "raise":
            raise MelitzError(f"{self.name}: solve supports errors='raise' only")
        if precision != "double":
            raise MelitzError(f"{self.name}: solve supports precision='double' only")
        from ..numeric import general_equilibrium

        names = self.output_names(outputs)
        result = getattr(general_equilibrium, self._solver)(self.derive(), self.read(params))
        return {k: result[k] for k in names}

    def reference(self, dps: int = 30, outputs: list[str] | None = None,
                  **params: object) -> dict:
        """The same outputs from the primitives at ``dps`` digits (mpmath matrices
        as nested lists of mpf)."""
        from ..numeric import ge_reference

        names = self.output_names(outputs)
        result = getattr(ge_reference, self._reference)(self.dist, self.read(params), dps)
        return {k: result[k] for k in names if k in result}

    def evaluate(self, dps: int = 30, outputs: list[str] | None = None,
                 **params: object) -> dict:
        """Not available: the outputs are arrays; use :meth:`solve` or :meth:`reference`."""
        raise MelitzError(f"{self.name}: results are vectors and matrices; use "
                          f"model({self.name!r}).solve(...) or .reference(...) from Python")
