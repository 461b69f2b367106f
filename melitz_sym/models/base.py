"""The user-facing :class:`Model`: declaration, cached derivation, solving."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sympy as sp

from .. import admissibility
from ..derivation import Derivation
from ..distributions import Distribution
from ..errors import AdmissibilityError, UnknownNameError
from ..symbols import canonical


class Model:
    """A model of the Melitz family with a chosen productivity distribution.

    Parameters
    ----------
    name : registry name (``"melitz"``).
    builder : function ``dist -> Derivation`` that derives the model.
    dist : productivity distribution, or None for representative-firm models.
    """

    def __init__(self, name: str, builder: Callable[[Distribution | None], Derivation],
                 dist: Distribution | None) -> None:
        self.name = name
        self.dist = dist
        self._builder = builder
        self._derivation: Derivation | None = None

    def __repr__(self) -> str:
        dist = f", dist={self.dist.name!r}" if self.dist is not None else ""
        return f"model({self.name!r}{dist})"

    @property
    def cache_key(self) -> str | None:
        """Key for the on-disk cache, or None for a Custom distribution."""
        if self.dist is None:
            return self.name
        from ..distributions import DISTRIBUTIONS

        if type(self.dist) in DISTRIBUTIONS.values():
            return f"{self.name}-{self.dist.name}"
        return None

    def derive(self) -> Derivation:
        """The derivation (computed once, then cached in memory and on disk)."""
        if self._derivation is None:
            from ..cache import cached

            self._derivation = cached(self.cache_key, lambda: self._builder(self.dist))
        return self._derivation

    @property
    def parameters(self) -> tuple[str, ...]:
        """Canonical names of the parameters the model needs."""
        return tuple(p.name for p in self.derive().parameters)

    @property
    def outputs(self) -> tuple[str, ...]:
        """Names of the outputs ``solve`` can compute."""
        return tuple(self.derive().outputs)

    # ----- parameters --------------------------------------------------------
    def canonical_params(self, params: Mapping[str, object]) -> dict[str, object]:
        """Map aliases to canonical names; reject unknown and missing parameters."""
        out = {}
        for key, value in params.items():
            try:
                name = canonical(key)
            except UnknownNameError:
                name = key
            if name not in self.parameters:
                raise UnknownNameError(
                    f"{self.name} has no parameter {key!r}; it needs: "
                    f"{', '.join(self.parameters)}")
            out[name] = value
        missing = [p for p in self.parameters if p not in out]
        if missing:
            raise AdmissibilityError(
                f"{self.name}: missing parameter(s) {', '.join(missing)}; it needs: "
                f"{', '.join(self.parameters)}")
        return out

    def check(self, **params: object) -> dict[str, object]:
        """Check scalar parameters against every restriction; return them canonical."""
        values = self.canonical_params(params)
        admissibility.check(self.derive().restrictions, values)
        return values

    # ----- numbers ------------------------------------------------------------
    def evaluate(self, dps: int = 50, outputs: list[str] | None = None,
                 **params: object) -> dict:
        """Outputs at ``dps`` digits from the derived expressions (mpmath).

        Scalar parameters only; strings are converted exactly.  The cutoff is
        checked against the support of the distribution (no selection, no
        exporters) and an :class:`AdmissibilityError` is raised for a corner.
        """
        from ..numeric.precise import evaluate

        values = self.check(**params)
        names = self.output_names(outputs)
        result = evaluate(self.derive(), values, dps, self._with_cutoffs(names))
        self._check_interior(result, values)
        return {k: result[k] for k in names}

    def reference(self, dps: int = 50, outputs: list[str] | None = None,
                  **params: object) -> dict:
        """Outputs at ``dps`` digits by an independent path (mpmath).

        Quadrature of the declared density and root finding on the generic
        equilibrium conditions; never the closed forms (see
        :mod:`melitz_sym.numeric.reference`).  Scalar parameters; strings,
        ``Rational`` and floats are converted exactly.  Outputs that the
        derivation defines by no generic step are left out.
        """
        from ..numeric.reference import reference

        values = self.check(**params)
        names = self.output_names(outputs)
        result = reference(self, values, dps, self._with_cutoffs(names))
        self._check_interior(result, values)
        return {k: result[k] for k in names if k in result}

    def solve(self, outputs: list[str] | None = None, errors: str = "raise",
              precision: str = "double", **params: object) -> dict:
        """Vectorised solution with numpy; parameters broadcast like numpy arrays.

        ``errors="nan"`` returns nan at inadmissible points instead of raising.
        ``precision``: ``"double"`` (closed forms: the log domain costs about
        |log y| ulps; Newton models: outputs in the tail carry the root's
        rounding times the tail's elasticity), ``"adaptive"`` (closed forms in
        double, and in long double at the points where the error would exceed
        about 1.8e-15; Newton models as ``"extended"``) or ``"extended"``
        (long double, with long double normal functions: each output within
        about an ulp, 4-9x slower); see :func:`melitz_sym.numeric.fast.solve`."""
        from ..numeric.fast import solve

        values = self.canonical_params(params)
        names = self.output_names(outputs)
        result = solve(self, self._with_cutoffs(names), values, errors, precision)
        return {k: result[k] for k in names}

    # ----- export -------------------------------------------------------------
    def latex(self) -> str:
        """A standalone LaTeX document of the derivation (see :mod:`melitz_sym.export.latex`)."""
        from ..export.latex import document

        return document(self.derive())

    def codegen(self, lang: str, directory=None, force: bool = False):
        """Code in ``lang`` (c, fortran, rust, js, octave, numpy) generated from the derivation.

        Returns file name -> text, or, with ``directory``, writes the files there
        (never over existing files unless ``force``; never into a directory that
        holds other files) and returns their paths.
        """
        from ..export import codegen

        files = codegen.generate(self, lang)
        return files if directory is None else codegen.write(files, directory, force)

    def _with_cutoffs(self, names: list[str]) -> list[str]:
        """``names`` plus the cutoffs that :meth:`_check_interior` needs."""
        need = {"phi_star"}
        if self.dist is not None and (not self.dist.continuous or self.dist.support[1] != sp.oo):
            need.add("phi_x_star")
        return sorted(set(names) | need & set(self.outputs),
                      key=self.outputs.index)

    def output_names(self, outputs: list[str] | None) -> list[str]:
        """``outputs`` checked against the model's outputs (all of them for None)."""
        if outputs is None:
            return list(self.outputs)
        bad = [o for o in outputs if o not in self.outputs]
        if bad:
            raise UnknownNameError(f"{self.name} has no output {', '.join(map(repr, bad))}; "
                                   f"outputs are: {', '.join(self.outputs)}")
        return list(outputs)

    def _check_interior(self, result: Mapping[str, object], values: Mapping[str, object]) -> None:
        """Refuse corner solutions: cutoffs must lie where the derivation assumed."""
        if self.dist is None or "phi_star" not in result:
            return
        at = {s: sp.sympify(values[s.name]) for s in self.dist.symbols}
        lo, hi = (sp.N(e.subs(at), 30) for e in self.dist.support)
        problem = corner(self.dist.continuous, result["phi_star"], result.get("phi_x_star"),
                         lo, hi)
        if problem:
            raise AdmissibilityError(problem)


def corner(continuous: bool, phi, phi_x, lo, hi) -> str | None:
    """Why the cutoffs ``phi`` (and ``phi_x``) are a corner of support [lo, hi], or None.

    With a continuous distribution the Melitz conditions need selection
    (phi* >= lo) and, with an upper bound, exporters (phi_x* < hi); with all
    firms alike (degenerate) every firm must produce and export (cutoffs <= lo).
    """
    if continuous:
        if phi < lo:
            at = f" = {float(phi):.6g}" if phi > 0 else ""  # 0: the solver found no root above
            return (f"no selection: the cutoff phi*{at} lies below the lower "
                    f"bound of productivity {float(lo):.6g}, so every entrant would produce "
                    "(a corner the Melitz conditions do not describe); raise f relative to "
                    "delta f_e")
        if hi != sp.oo and phi_x is not None and phi_x >= hi:
            return (f"no exporters: the export cutoff phi_x* = {float(phi_x):.6g} is above the "
                    f"upper bound of productivity {float(hi):.6g}")
        return None
    worst = max(phi, phi_x) if phi_x is not None else phi
    if worst > lo:
        return (f"with all firms at productivity {float(lo):.6g} the cutoffs "
                f"(phi* = {float(phi):.6g}"
                + (f", phi_x* = {float(phi_x):.6g}" if phi_x is not None else "")
                + ") must lie below it: not every firm would produce and export")
    return None
