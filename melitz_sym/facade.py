"""The user-facing models: ``model(...)`` builds a :class:`Model` from a declaration.

A :class:`Model` holds a :class:`~melitz_sym.primitives.Declaration` and the
derivation plan chosen for it; it derives once (cached in memory and on disk)
and computes with the numeric layer (fast numpy path, mpmath reference) and
the export layer (LaTeX, code).  :class:`MultiCountryModel` is the same for N
asymmetric countries, with vector and matrix parameters.

The numeric and export layers are imported on first use, not with the package:
numpy and scipy.special would double the start-up time of a derive from the disk
cache (``benchmarks/bench_derive.py``, warm target 3x ``import sympy``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

import sympy as sp

from . import admissibility
from .cache import cached
from .derivation import Derivation
from .distributions import (
    COST_DISTRIBUTIONS,
    DISTRIBUTIONS,
    Distribution,
    cost_distribution,
    distribution,
)
from .errors import (
    AdmissibilityError,
    MelitzError,
    NumericalError,
    ParseError,
    UnknownNameError,
)
from .models import BUILT_IN, Plan, declaration, derive, plan
from .primitives import Declaration, Heterogeneous, HeterogeneousCost
from .symbols import canonical


def model(spec: str | Path | Declaration, dist: str | Distribution | None = None) -> "Model":
    """Build a model: ``model("melitz", dist="lognormal")``, ``model(declaration)`` or
    ``model("my_model.toml")``.

    ``dist`` is a distribution name or a Distribution object (e.g.
    ``Custom(pdf, support)``); None keeps the declaration's own distribution, or
    chooses ``"pareto"`` where the declaration leaves it open (every built-in
    productivity model does).  A given ``dist`` replaces the declared one; with
    heterogeneous unit costs (``melitz-ottaviano``) it is a distribution of cost
    (:func:`~melitz_sym.distributions.cost_distribution`: ``"pareto-cost"``, or
    ``"pareto"``, the same law; an object is the declared density of the cost), and
    the name of a productivity distribution is refused.  Representative-firm models
    ignore ``dist``.  The declaration is checked before anything is derived: a
    combination of primitives the method cannot derive raises
    :class:`~melitz_sym.errors.DeclarationError`.

    Parameters
    ----------
    spec : str, pathlib.Path or Declaration
        A built-in model's name (:func:`melitz_sym.models`), the path of a TOML model
        file, or a :class:`~melitz_sym.primitives.Declaration` of primitives.
    dist : str, Distribution or None
        The productivity distribution (``"pareto"``, ``"lognormal"``, ... or an object
        such as :class:`~melitz_sym.Custom`); None as described above.

    Returns
    -------
    Model
        The model; a model of N asymmetric countries (``chaney``, ``melitz-asym``)
        takes vectors and matrices of parameters and returns arrays.
    """
    decl = declaration(spec)
    if isinstance(decl.firms, HeterogeneousCost):
        if dist is not None:
            decl = decl.with_distribution(cost_distribution(dist))
    elif isinstance(decl.firms, Heterogeneous) and (decl.dist is None or dist is not None):
        decl = decl.with_distribution(distribution("pareto" if dist is None else dist))
    how = plan(decl)
    return (MultiCountryModel if how.multi_country else Model)(decl, how)


class Model:
    """A model of the Melitz family: a declaration, its derivation, and numbers.

    Build models with :func:`melitz_sym.model`.

    Parameters
    ----------
    declaration : Declaration
        The model's primitives (its distribution filled in).
    plan : Plan
        The derivation stages :func:`melitz_sym.models.method.plan` chose.
    """

    def __init__(self, declaration: Declaration, plan: Plan) -> None:
        self.declaration = declaration
        self.name = declaration.name
        self.dist = declaration.dist
        self._plan = plan
        self._derivation: Derivation | None = None

    def __repr__(self) -> str:
        dist = f", dist={self.dist.name!r}" if self.dist is not None else ""
        return f"model({self.name!r}{dist})"

    def _repr_html_(self) -> str:
        """Jupyter display: the model, its distribution and its parameters
        (``m.derive()`` shows the derivation)."""
        from .display import card

        return card(repr(self), [("distribution", self.dist.name if self.dist else ""),
                                 ("parameters", ", ".join(self.parameters))])

    @property
    def cache_key(self) -> str | None:
        """Key for the on-disk cache, or None for a Custom distribution.

        A built-in model is keyed by its name and distribution; any other
        declaration also by a digest of its primitives."""
        if self.dist is not None and type(self.dist) not in (*DISTRIBUTIONS.values(),
                                                             *COST_DISTRIBUTIONS.values()):
            return None
        key = self.name if self.dist is None else f"{self.name}-{self.dist.name}"
        builtin = BUILT_IN.get(self.name)
        if builtin is not None and self.declaration in (
                builtin[0], builtin[0].with_distribution(self.dist)):
            return key
        return f"{key}-{hashlib.sha1(self.declaration.key().encode()).hexdigest()[:12]}"

    def derive(self) -> Derivation:
        """The derivation (computed once, then cached in memory and on disk).

        Returns
        -------
        Derivation
            Every step from the primitives to the outputs, each with its rule, inputs,
            reference and proof obligation.
        """
        if self._derivation is None:
            self._derivation = cached(self.cache_key, lambda: derive(self.declaration))
        return self._derivation

    @property
    def parameters(self) -> tuple[str, ...]:
        """Canonical names of the parameters the model needs (tuple of str)."""
        return tuple(p.name for p in self.derive().parameters)

    @property
    def outputs(self) -> tuple[str, ...]:
        """Names of the outputs ``solve`` can compute (tuple of str)."""
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
        """Check scalar parameters against every restriction; return them canonical.

        Parameters
        ----------
        **params : object
            One value per parameter of the model (aliases accepted: ``phi_star`` or
            ``phistar``), read exactly (a string ``"1.5"`` is 3/2).

        Returns
        -------
        dict
            The same values under their canonical names.

        Raises
        ------
        AdmissibilityError
            A missing parameter, or a value violating a restriction of the model
            (named with the values).
        UnknownNameError
            A name that is not a parameter of the model.
        """
        values = self.canonical_params(params)
        for name, value in values.items():  # every value read, restricted or not
            admissibility.exact(name, value)
        admissibility.check(self.derive().restrictions, values)
        return values

    # ----- numbers ------------------------------------------------------------
    def evaluate(self, dps: int = 50, outputs: list[str] | None = None,
                 **params: object) -> dict:
        """Outputs at ``dps`` digits from the derived expressions (mpmath).

        Scalar parameters only; strings are converted exactly.  The cutoff is
        checked against the support of the distribution (no selection, no
        exporters) and an :class:`AdmissibilityError` is raised for a corner.

        Parameters
        ----------
        dps : int
            Decimal digits of the mpmath evaluation.
        outputs : list of str or None
            The outputs to compute (None: every output, :attr:`outputs`).
        **params : object
            One scalar per parameter of the model.

        Returns
        -------
        dict
            Output name -> ``mpmath.mpf``.
        """
        values = self.check(**params)
        names = self.output_names(outputs)
        from .numeric import precise

        result = precise.evaluate(self.derive(), values, dps, self._with_cutoffs(names))
        self._check_interior(result, values)
        self._check_autarky(names, values, lambda **p: self.evaluate(dps, ["phi_star"], **p))
        return self._without_partners({k: result[k] for k in names}, values)

    def reference(self, dps: int = 50, outputs: list[str] | None = None,
                  **params: object) -> dict:
        """Outputs at ``dps`` digits by an independent path (mpmath).

        Quadrature of the declared density and root finding on the generic
        equilibrium conditions; never the closed forms (see
        :mod:`melitz_sym.numeric.reference`).  Scalar parameters; strings,
        ``Rational`` and floats are converted exactly.  Outputs that the
        derivation defines by no generic step are left out.

        Parameters
        ----------
        dps : int
            Decimal digits of the quadrature and the root finding.
        outputs : list of str or None
            The outputs to compute (None: every output).
        **params : object
            One scalar per parameter of the model.

        Returns
        -------
        dict
            Output name -> ``mpmath.mpf``.

        Raises
        ------
        MelitzError
            For a degenerate distribution (no density to integrate).
        """
        if self.dist is not None and not self.dist.continuous:
            raise MelitzError(f"{self!r} has no independent reference path: it integrates a "
                              "density, and a degenerate distribution (every firm at b) has "
                              "none; m.evaluate(...) computes the derived expressions")
        values = self.check(**params)
        names = self.output_names(outputs)
        from .numeric import reference

        def compute(names: list[str]) -> dict:
            try:
                result = getattr(reference, self._plan.reference)(
                    self.derive(), self.dist, values, dps, self._with_cutoffs(names))
            except OverflowError:  # mpmath: an exponent past what it can hold
                raise NumericalError("reference: a quantity overflows mpmath at these "
                                     "parameters (an exponent too large to represent)") from None
            except ZeroDivisionError:  # e.g. a truncated Pareto's 1 - (b/b_H)^k at k = 1e-193
                raise NumericalError(f"reference: a quantity divides by zero at {dps + 10} "
                                     "digits at these parameters (too extreme for the "
                                     "working precision)") from None
            self._check_interior(result, values, share=False)
            return result

        def autarky(**p: object) -> dict:
            return self.reference(dps, ["phi_star"], **p)

        try:
            result = compute(names)
        except AdmissibilityError:
            if "gains" in names:  # the point's own corner, else autarky's, is the reason
                compute([n for n in names if n != "gains"])
                self._check_autarky(names, values, autarky)
            raise
        self._check_autarky(names, values, autarky)
        return self._without_partners({k: result[k] for k in names if k in result}, values)

    def solve(self, outputs: list[str] | None = None, errors: str = "raise",
              precision: str = "double", as_frame: bool = False, **params: object):
        r"""Vectorised solution with numpy; parameters broadcast like numpy arrays.

        Where the derivation has closed forms (Pareto, Krugman) they are evaluated in
        their stable forms (the log domain); otherwise the cutoff condition is solved
        at all points at once by a safeguarded Newton iteration on
        :math:`\log\varphi^*` (bisection whenever a step leaves the bracket) and the
        outputs follow from the cutoffs.

        Parameters
        ----------
        outputs : list of str or None
            The outputs to compute (None: every output, :attr:`outputs`).
        errors : {"raise", "nan"}
            ``"nan"`` returns nan at inadmissible points instead of raising.
        precision : {"double", "adaptive", "extended"}
            ``"double"`` (closed forms: the log domain costs about ``|log y|`` ulps;
            Newton models: outputs in the tail carry the root's rounding times the
            tail's elasticity), ``"adaptive"`` (closed forms in double, and in long
            double at the points where the error would exceed about 1.8e-15; Newton
            models as ``"extended"``) or ``"extended"`` (long double, with long double
            normal functions: each output within about an ulp, 4-9x slower); see
            :func:`melitz_sym.numeric.fast.solve`.
        as_frame : bool
            Label the result by the parameters (see :mod:`melitz_sym.labelled`).
        **params : float or array_like
            One value or array per parameter of the model; arrays broadcast.

        Returns
        -------
        dict or pandas.DataFrame or xarray.Dataset
            Output name -> array of the broadcast shape; with ``as_frame=True`` a
            pandas DataFrame for input of at most one dimension, an xarray Dataset
            for gridded input.
        """
        values = self.canonical_params(params)
        names = self.output_names(outputs)
        from .numeric import fast

        result = fast.solve(self, self._with_cutoffs(names, share=False), values, errors,
                            precision)
        out = {k: result[k] for k in names}
        if as_frame:
            from .labelled import label

            return label(values, out)
        return out

    # ----- export -------------------------------------------------------------
    def latex(self) -> str:
        """A standalone LaTeX document of the derivation (see :mod:`melitz_sym.export.latex`).

        Returns
        -------
        str
            The document, in the paper's notation, ready for ``pdflatex``.
        """
        from .export import latex

        return latex.document(self.derive())

    def codegen(self, lang: str, directory=None, force: bool = False, outputs=None):
        """Code in ``lang`` (c, fortran, rust, js, octave, r, numpy) generated from the derivation.

        Parameters
        ----------
        lang : {"c", "fortran", "rust", "js", "octave", "r", "numpy"}
            The target language.
        directory : str, pathlib.Path or None
            Where to write the files; None returns them instead.
        force : bool
            Replace existing files.
        outputs : list of str or None
            Generate the functions of these outputs only (and the cutoff solver);
            the all-outputs function computes just these.  None: every output.

        Returns
        -------
        dict or list of pathlib.Path
            File name -> text, or, with ``directory``, the paths of the files written
            (never over existing files unless ``force``; never into a directory that
            holds other files).
        """
        from .export import codegen

        files = codegen.generate(self, lang, outputs)
        return files if directory is None else codegen.write(files, directory, force)

    def _with_cutoffs(self, names: list[str], share: bool = True) -> list[str]:
        """``names`` plus the cutoffs (and, with ``share``, the share of producing
        entrants ``p_in``) that :meth:`_check_interior` needs (``solve`` computes p_in
        itself where the corner rule needs it)."""
        need = {"phi_star", "p_in"} if share else {"phi_star"}
        if self.dist is not None and (not self.dist.continuous or self.dist.support[1] != sp.oo):
            need.update(admissibility.UPPER_CUTOFFS)
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

    def _check_interior(self, result: Mapping[str, object], values: Mapping[str, object],
                        share: bool = True) -> None:
        """Refuse corner solutions: cutoffs must lie where the derivation assumed.

        With ``share`` a share of producing entrants ``p_in`` above 1 is a corner too
        (:func:`~melitz_sym.admissibility.corner`: the derived 1/X where phi* rounds
        to the lower bound).  The reference passes False: its p_in is the quadrature
        of the density over [max(phi*, lower), upper], at most 1 but for the
        quadrature's error (4e-18 at 20 digits for a Weibull spike of relative width
        3e-16, k = 3.5e15), and its root finder itself refuses a cutoff below the
        lower bound."""
        if self.dist is None or "phi_star" not in result:
            return
        at = {s: sp.sympify(values[s.name]) for s in self.dist.symbols}
        lo, hi = (sp.N(e.subs(at), 30) for e in self.dist.support)
        uppers = {} if self._no_partners(values) else {
            n: result[n] for n in admissibility.UPPER_CUTOFFS if n in result}
        problem = admissibility.corner(self.dist.continuous, result["phi_star"], uppers, lo, hi,
                                       result.get("p_in") if self.dist.continuous and share
                                       else None)
        if problem:
            raise AdmissibilityError(problem)

    @staticmethod
    def _no_partners(values: Mapping[str, object]) -> bool:
        """The scalar parameters have n = 0 (autarky: no exporters whatever phi_x*)."""
        return "n" in values and bool(admissibility.exact("n", values["n"]).is_zero)

    def _without_partners(self, result: dict, values: Mapping[str, object]) -> dict:
        """``result`` with the counts of exporters and multinationals 0 at n = 0
        (:data:`melitz_sym.admissibility.NO_PARTNERS_ZERO`)."""
        if self._no_partners(values):
            result.update({k: type(result[k])(0) for k in admissibility.NO_PARTNERS_ZERO
                           if k in result})
        return result

    def _check_autarky(self, names: list[str], values: Mapping[str, object], cutoff) -> None:
        """``gains`` is welfare over autarky welfare with the same parameters: refuse it
        where autarky is a corner.  ``cutoff(**params)`` computes phi* (by the same path
        as the outputs) and raises the corner's AdmissibilityError."""
        if ("gains" not in names or "n" not in values or self.dist is None
                or "phi_star" not in self.outputs):
            return
        try:
            cutoff(**{**values, "n": 0})
        except AdmissibilityError as exc:
            raise AdmissibilityError(f"{admissibility.AUTARKY_CORNER}: {exc}") from None


class MultiCountryModel(Model):
    """A model of N asymmetric countries; parameters are scalars, vectors or matrices.

    ``solve(**params)`` computes the equilibrium with numpy (derived
    expressions, analytic Jacobians) and ``reference(dps, **params)`` with
    mpmath from the primitives (quadrature of the density, root finding).
    Matrices are given as nested lists or arrays, rows = origin.
    """

    def read(self, params: Mapping[str, object], check: bool = True) -> dict:
        """Canonical, shape-checked and (if ``check``) admissibility-checked parameter
        arrays."""
        d = self.derive()
        from .numeric import arrays as arrays_

        arrays = arrays_.read_parameters(d.parameter_shapes, self.canonical_params(params))
        if check:
            arrays_.check_entries(d, arrays)
        return arrays

    def check(self, **params: object) -> dict:
        """Check the parameters; return them as arrays (canonical names)."""
        return self.read(params)

    def solve(self, outputs: list[str] | None = None, errors: str = "raise",
              precision: str = "double", **params: object) -> dict:
        """Equilibrium outputs as arrays: scalars, vectors (per country) or
        matrices (per pair, rows = origin).

        ``errors="nan"`` returns every output filled with nan (in its shape)
        where the parameters violate a restriction or the equilibrium is a
        corner or cannot be computed, instead of raising; parameters that are
        not numbers or have the wrong shape raise either way."""
        if errors not in ("raise", "nan"):
            raise ParseError(f"errors must be 'raise' or 'nan', got {errors!r}")
        if precision != "double":
            raise ParseError(f"{self.name}: solve supports precision='double' only, got "
                             f"{precision!r}")
        names = self.output_names(outputs)
        import numpy as np

        from .numeric import arrays as arrays_

        d, arrays = self.derive(), self.read(params, check=False)
        try:
            arrays_.check_entries(d, arrays)
            with _numerical_failures("solve"):
                result = _numeric(self._plan.solver, "general_equilibrium")(d, arrays, names)
        except (AdmissibilityError, NumericalError):
            if errors == "raise":
                raise
            N = len(arrays["L"])
            shape = {"": (), "i": (N,), "ij": (N, N)}
            return {k: np.full(shape[d.shapes[k]], np.nan) for k in names}
        return {k: result[k] for k in names}

    def reference(self, dps: int = 50, outputs: list[str] | None = None,
                  **params: object) -> dict:
        """The same outputs from the primitives at ``dps`` digits (mpmath matrices
        as nested lists of mpf)."""
        names = self.output_names(outputs)
        values = self.read(params)
        with _numerical_failures("reference"):
            result = _numeric(self._plan.reference, "ge_reference")(
                self.derive(), self.declaration, values, dps, names)
        return {k: result[k] for k in names if k in result}

    def evaluate(self, dps: int = 50, outputs: list[str] | None = None,
                 **params: object) -> dict:
        """Not available: the outputs are arrays; use :meth:`solve` or :meth:`reference`."""
        raise MelitzError(f"{self.name}: results are vectors and matrices; use "
                          f"model({self.name!r}).solve(...) or .reference(...) from Python")


@contextmanager
def _numerical_failures(path: str):
    """An N-country equilibrium system that numpy or mpmath cannot solve at extreme
    parameters (a singular or overflowing Jacobian, a division by zero, mpmath's
    ``findroot`` without a root, or its LU decomposition of a singular matrix, which
    raises TypeError) is a :class:`NumericalError` naming the failure."""
    try:
        yield
    except MelitzError:
        raise
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise NumericalError(f"{path}: the equilibrium system cannot be solved at these "
                             f"parameters ({type(exc).__name__}: "
                             f"{(str(exc) or 'no message').splitlines()[0]})") from None


def _numeric(name: str, module: str):
    """The function ``name`` of ``melitz_sym.numeric.<module>``, or of another module of
    :mod:`melitz_sym.numeric` for ``"module:function"`` (imported on first use)."""
    import importlib

    if ":" in name:
        module, name = name.split(":", 1)
    return getattr(importlib.import_module(f".numeric.{module}", __package__), name)
