r"""Numbers of a two-country model of unit costs (Melitz and Ottaviano 2008, section 4).

The derivation's interface: vector and matrix parameters (``L``, ``tau``) enter its
expressions through their entries, the symbols ``L_1``, ``L_2`` (1-based) and
``tau_12``, ``tau_21`` (origin, destination; ``tau[i, i] = 1``); per-country
cutoffs are ``c_D_1``, ``c_D_2``.  ``d.closed_forms["c_D"]`` gives the cutoffs,
``d.outputs`` every output in the cutoffs (as matrices: a column per country, or
origin x destination).

* :func:`solve_mo_asym` evaluates the closed-form cutoffs, then the outputs in
  them (numpy, double);
* :func:`reference_mo_asym` is independent of both: at ``dps`` digits it integrates
  the declared cost density (``mpmath.quad``) for the partial moments, solves the
  two generic free-entry equations (steps ``free_entry_1``, ``free_entry_2``) for
  the log cutoffs by a damped Newton iteration (from the common cutoff solving the
  first equation with both cutoffs equal), then the generic sellers equations (steps
  ``sellers`` and ``N``) for the entrants, and evaluates the generic steps.

A cutoff at or above the upper end of the cost support or at or above ``alpha``, a
trade cost ``tau[i, j] = 1`` between the countries, or no entrants in a country are
corners, refused with :class:`~melitz_sym.errors.AdmissibilityError`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import mpmath
import numpy as np
import sympy as sp

from ..derivation import MultiDerivation
from ..primitives import Declaration
from ..errors import AdmissibilityError, NumericalError
from ..tails import PARTIAL
from .cost_reference import Moments
from .precise import FUNCTIONS

COUNTRIES = (1, 2)


def _entries(arrays: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Scalars, and the entries of L and tau, by symbol name; two countries only."""
    L, tau = np.asarray(arrays["L"], float), np.asarray(arrays["tau"], float)
    if L.shape != (2,) or tau.shape != (2, 2):
        raise AdmissibilityError(
            f"inadmissible parameters: Melitz-Ottaviano with asymmetric countries is derived "
            f"for two countries (L of 2 entries, tau 2 x 2), got L of shape {L.shape}")
    for i, j in ((0, 1), (1, 0)):
        if not tau[i, j] > 1:
            raise AdmissibilityError(
                f"inadmissible parameters: trade from country {i + 1} is costly "
                f"[tau[{i},{j}] > 1] fails at tau[{i},{j}]={tau[i, j]:g}: with free trade "
                "out of one country only, the cutoffs are not both interior")
    out = {k: float(v) for k, v in arrays.items() if np.ndim(v) == 0}
    out.update({"L_1": float(L[0]), "L_2": float(L[1]), "tau_12": float(tau[0, 1]),
                "tau_21": float(tau[1, 0])})
    return out


def _interior(c_D, values: Mapping[str, object], upper) -> None:
    """Refuse a cutoff at or above the upper end of the support or alpha (a corner)."""
    for i, c in enumerate(c_D):
        for bound, words in ((upper, "the upper end of the cost support (not every entrant "
                                     "produces)"),
                             (values["alpha"], "the demand intercept alpha (a positive "
                                               "number of sellers)")):
            if bound is not None and not c < bound:
                raise AdmissibilityError(
                    f"the cost cutoff c_D of country {i + 1} lies below {words} fails: "
                    f"c_D[{i}] = {float(c):.8g} >= {float(bound):.8g}")


def _entrants(N_E) -> None:
    """Refuse an equilibrium without entrants in a country (a corner)."""
    for i, n in enumerate(N_E):
        if not n > 0:
            raise AdmissibilityError(
                f"entry in every country: the entrants N_E of country {i + 1} are positive "
                f"fails: N_E[{i}] = {float(n):.8g} (the country is too small, or trades too "
                "freely, for its firms to enter: a corner the conditions do not describe)")


#: Rescalings of the entrants' equations (:func:`_entrants_solved`) at most: each gains
#: the digits findroot's absolute tolerance lost, so a few suffice at any scale.
RESCALES = 12


def _entrants_solved(eqs: list, compile_, point: dict, dps: int) -> list:
    r"""The entrants :math:`N_{E,i}` from the equations ``eqs`` = 0 (sellers in each
    market equal to its number of firms) at ``point``, to ``dps`` digits relative.

    ``findroot`` stops at an absolute tolerance: from N_E = 1 at gamma = 6.4e-183
    (N_E ~ 4e-43) it stopped at N_E = -3.9e-19 and refused the point.  So the unknowns
    are scaled, :math:`N_E = s x`, by the magnitude of the previous solution, and the
    equations solved again from :math:`x = N_E / s` until the scale holds (at most
    :data:`RESCALES` times): the tolerance is then relative."""
    unknowns = sorted({s for e in eqs for s in e.free_symbols if s.name.startswith("N_E_")},
                      key=lambda s: s.name)
    compiled = [compile_(e) for e in eqs]
    tol = mpmath.mpf(10) ** (-dps - 5)
    n = [mpmath.mpf(1)] * len(unknowns)
    for _ in range(RESCALES):
        scale = max(abs(v) for v in n) or mpmath.mpf(1)

        def entrants(*x, scale=scale):
            p = {**point, **{u.name: scale * x[i] for i, u in enumerate(unknowns)}}
            return [f(p) for f in compiled]

        n = [scale * x for x in mpmath.findroot(entrants, [v / scale for v in n], tol=tol,
                                                   maxsteps=200)]
        if scale / 2 <= max(abs(v) for v in n) <= 2 * scale:
            return n
    raise NumericalError("reference: the entrants' scale does not settle at these parameters")


#: Newton steps on the free-entry equations at most (:func:`_newton`); an ordinary point
#: takes 5 to 8, k = 0.001 (nearly collinear equations) 7.
NEWTON_STEPS = 40
#: Halvings of one Newton step at most.
HALVINGS = 40


def _newton(residual, y0: list, dps: int) -> list:
    r"""Root of ``residual`` (two equations in the log cutoffs) by Newton's method from
    ``y0``, to a step of :math:`10^{-(dps+5)}` relative (or :math:`10^{-(dps+2)}` where
    no shorter step lowers the decrement: the working precision's noise).

    A step is damped (halved) until the *Newton decrement* falls,
    :math:`\|J(y)^{-1} F(y + \lambda s)\| < \|J(y)^{-1} F(y)\|` (Deuflhard's natural
    monotonicity test, invariant to a rescaling of the equations).  ``mpmath.findroot``
    asks the residual's max-norm to fall: where the two free-entry equations are nearly
    collinear (Pareto cost with k = 0.001: each country's entrants sell at home and
    abroad at nearly the same cost) it halved every step and crept towards a point that
    is no root for 200 steps of quadratures (minutes).  At most :data:`NEWTON_STEPS`
    steps of :data:`HALVINGS` halvings; then a :class:`NumericalError`."""
    tol = mpmath.mpf(10) ** (-dps - 5)
    y = mpmath.matrix(y0)
    f = mpmath.matrix(residual(*y))
    for _ in range(NEWTON_STEPS):
        try:
            J = mpmath.jacobian(lambda *v: residual(*v), list(y))
            s = mpmath.lu_solve(J, -f)
        except ZeroDivisionError:
            break
        size, scale = mpmath.norm(s), max(1, mpmath.norm(y))
        if size <= tol * scale:
            return list(y + s)
        lam = mpmath.mpf(1)
        for _ in range(HALVINGS):
            y1 = y + lam * s
            f1 = mpmath.matrix(residual(*y1))
            if mpmath.norm(mpmath.lu_solve(J, -f1)) < size:
                y, f = y1, f1
                break
            lam /= 2
        else:  # no step lowers the decrement: converged to the working precision's noise,
            if size <= 1000 * tol * scale:  # or stuck
                return list(y)
            break
    raise NumericalError("reference: the free-entry equations have no root found by "
                         f"{NEWTON_STEPS} damped Newton steps from equal cutoffs")


def _symbols(e: sp.Basic) -> list[sp.Symbol]:
    return sorted(e.free_symbols, key=lambda s: s.name)


def solve_mo_asym(d: MultiDerivation, arrays: Mapping[str, np.ndarray],
                  outputs: Collection[str] = ()) -> dict:
    """The outputs (arrays: per country, or origin x destination) in double precision
    (every output, whatever ``outputs`` asks for)."""
    values = _entries(arrays)
    c_D = d.closed_forms["c_D"]
    cut = [float(sp.lambdify(_symbols(e), e, "numpy")(*[values[s.name] for s in _symbols(e)]))
           for e in c_D]
    upper = values.get("c_M")
    _interior(cut, values, upper)
    at = {**values, **{f"c_D_{i}": cut[i - 1] for i in COUNTRIES}}
    out = {}
    for name, m in d.outputs.items():
        fn = sp.lambdify(_symbols(m), m, "numpy")
        v = np.array(fn(*[at[s.name] for s in _symbols(m)]), float)
        out[name] = v.reshape(-1) if m.shape[1] == 1 else v
    _entrants(out["N_E"])
    bad = [k for k, v in out.items() if not np.isfinite(v).all()]
    if bad:
        raise NumericalError(f"no finite value of {', '.join(bad)}; reference(...) computes "
                             "this point in mpmath")
    return out


def reference_mo_asym(d: MultiDerivation, decl: Declaration,
                      arrays: Mapping[str, np.ndarray], dps: int = 50,
                      outputs: Collection[str] = ()) -> dict:
    """The outputs at ``dps`` digits from the primitives ``decl`` (nested lists of mpf;
    every output, whatever ``outputs`` asks for)."""
    dist = decl.dist
    values = _entries(arrays)
    with mpmath.workdps(dps + 10):
        at = {k: mpmath.mpf(v) for k, v in values.items()}
        mom = Moments(dist, {s: at[s.name] for s in dist.symbols})
        memo: dict = {}

        def moment(x, a: int):
            if x not in memo:
                memo[x] = mom.at(x)
            return memo[x][a]

        funcs = {G.__name__: (lambda x, a=a: moment(x, a)) for a, G in enumerate(PARTIAL)}

        def compile_(e: sp.Basic):
            syms = _symbols(e)
            fn = sp.lambdify(syms, e, modules=[funcs, FUNCTIONS, "mpmath"])
            return lambda point: fn(*[point[s.name] for s in syms])

        entry = [compile_(d[f"free_entry_{i}"].lhs - d[f"free_entry_{i}"].rhs)
                 for i in COUNTRIES]

        def residual(*y):
            point = {**at, **{f"c_D_{i}": mpmath.exp(y[i - 1]) for i in COUNTRIES}}
            return [f(point) for f in entry]

        with mpmath.workdps(25):  # a common start: the first equation with equal cutoffs
            lo, hi = mpmath.mpf(-60), mpmath.log(mom.upper) if mpmath.isfinite(mom.upper) \
                else mpmath.mpf(5)
            if residual(hi, hi)[0] <= 0:
                raise AdmissibilityError("selection: the cost cutoffs lie below the upper "
                                         "end of the cost support fails: expected profit "
                                         "there is below the entry cost")
            for _ in range(12):  # down to log c_D = -60 * 2^12, far below any double
                if residual(lo, lo)[0] < 0:  # (gamma = 6.4e-183: log c_D ~ -105, and
                    break  # Newton from -60 gains 1/(k + 2) a step)
                lo *= 2
            for _ in range(80):  # bisection: expected profit rises with the cutoffs
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if residual(mid, mid)[0] < 0 else (lo, mid)
            start = (lo + hi) / 2
        y = _newton(residual, [start, start], dps)
        cut = [mpmath.exp(y[i]) for i in range(2)]
        _interior(cut, at, mom.upper if mpmath.isfinite(mom.upper) else None)
        point = {**at, **{f"c_D_{i}": cut[i - 1] for i in COUNTRIES}}
        sellers, N_eq = d["sellers"].rhs, d["N"].rhs
        n = _entrants_solved([sellers[j] - N_eq[j] for j in range(2)], compile_, point, dps)
        _entrants([n[0], n[1]])
        point.update({f"N_E_{i}": n[i - 1] for i in COUNTRIES})
        out = {"c_D": cut, "N_E": [n[0], n[1]],
               "c_X": [[compile_(e)(point) for e in row]
                       for row in d["cutoffs"].rhs.tolist()],
               "N": [compile_(e)(point) for e in N_eq]}
        for name, step in (("p_bar", "p_bar"), ("c_bar", "c_bar"),
                           ("markup_bar", "markup_bar"), ("W", "welfare")):
            out[name] = [compile_(e)(point) for e in d[step].rhs]
    with mpmath.workdps(dps):
        return {k: [[+x for x in r] if isinstance(r, list) else +r for r in v]
                for k, v in out.items()}
