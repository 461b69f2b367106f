r"""Calibration: parameters that reproduce observed firm-level moments.

The moments are defined from the derivation, by sympy, not typed in:

* ``share_exporters`` :math:`= M_x / M`, the share of producers that export
  (the derived masses; equal to the survival ratio
  :math:`[1 - G(\varphi_x^*)] / [1 - G(\varphi^*)]`);
* ``export_intensity`` :math:`= n\,r_x / (r_d + n\,r_x)`, exports over total
  sales of exporters, from the derived revenue functions ``revenue`` and
  ``revenue_x`` at the average exporter :math:`\tilde\varphi_x` (under CES the
  ratio is the same for every exporter, and sympy finds it free of
  :math:`\varphi`).

With heterogeneous unit costs (Melitz and Ottaviano 2008) the producers are the
costs below the cutoff :math:`c_D` and the exporters those below :math:`c_X`:
``share_exporters`` :math:`= G(c_X)/G(c_D)` and ``export_intensity``
:math:`= n\int^{c_X} r_x\,dG / \int^{c_X}(r_d + n\,r_x)\,dG` (sales of all
exporters: under linear demand the ratio differs from firm to firm), the
integrals in the partial moments the derivation integrated from the declared
density.  The cutoff is then ``c_D`` where it reads ``phi_star`` below.

Given targets for as many moments as free parameters (by default ``tau`` for
export intensity and ``f_x`` for the share of exporters), :func:`calibrate`
first tries **symbolic inversion**: with the closed-form cutoff substituted,
each equation :math:`m_i(\theta) = \hat m_i` whose numerator is a balance of
two powers :math:`A x^p + B x^q` of one free parameter is solved for it,
:math:`x = (-B/A)^{1/(p-q)}`, and the root substituted into the others
(Pareto; sympy's ``solve`` is not used: it is slow and returns every branch).
Where no closed form exists (log-normal, truncated Pareto, ...) it solves
**numerically** with :func:`scipy.optimize.root` in logarithms of the free
parameters, the cutoff coming from the vectorised solver.

With **more targets than free parameters** the moments cannot all be matched
in general: :func:`calibrate` then minimises the sum of squared gaps
:math:`\sum_i (m_i(\theta) - \hat m_i)^2` over the logarithms of the free
parameters with :func:`scipy.optimize.least_squares` (method ``"least-squares"``)
and reports the fit: every moment beside its target, and the objective.

Either way the fit is re-evaluated on the independent mpmath path and the
calibrated parameters are checked against every restriction: targets that no
admissible parameters reproduce raise :class:`AdmissibilityError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy as sp

from . import admissibility
from .errors import AdmissibilityError, MelitzError, UnknownNameError
from .symbols import canonical, sym

MOMENTS = {
    "share_exporters": "share of producers that export, M_x / M",
    "export_intensity": "exports over total sales of exporters",
}
DEFAULT_FREE = {"export_intensity": "tau", "share_exporters": "f_x"}


def moments(model) -> dict[str, sp.Expr]:
    r"""The moments of :data:`MOMENTS`, derived from the model's derivation.

    ``share_exporters`` is :math:`M_x / M` (the derived masses) and
    ``export_intensity`` :math:`n\,r_x / (r_d + n\,r_x)` from the derived revenue
    functions (at the average exporter :math:`\tilde\varphi_x` where the ratio
    depends on productivity); with unit costs the integrals over the exporters'
    costs (see the module docstring).

    Parameters
    ----------
    model : Model
        An open-economy model.

    Returns
    -------
    dict
        Moment name -> sympy expression in the parameters and the cutoff
        (``phi_star``, or ``c_D`` with unit costs).

    Raises
    ------
    UnknownNameError
        If the model has no exporters.
    """
    d = model.derive()
    if "c_X" in d.outputs and "revenue_x" in d.names:
        return _cost_moments(d)
    if not {"M_x", "M"} <= set(d.outputs) or "revenue_x" not in d.names:
        raise UnknownNameError(f"{model.name} has no exporters: the moments "
                               f"{', '.join(MOMENTS)} need an open-economy model")
    phi, n = sym("phi"), sym("n")
    r_d, r_x = d["revenue"].rhs, d["revenue_x"].rhs
    intensity = sp.simplify(n * r_x / (r_d + n * r_x))
    if phi in intensity.free_symbols:  # not CES: aggregate over exporters
        intensity = intensity.subs(phi, d.outputs["phi_tilde_x"])
    return {"share_exporters": sp.simplify(d.outputs["M_x"] / d.outputs["M"]),
            "export_intensity": intensity}


def _cost_moments(d) -> dict[str, sp.Expr]:
    """The moments of a model of unit costs (the exporters are the costs below c_X)."""
    from .models.melitz_ottaviano import expected

    c_D, c_X, n, p_max = sym("c_D"), sym("c_X"), sym("n"), sym("p_max")
    at = {p_max: c_D}  # symmetric markets: every choke price is the cutoff c_D
    r_d, r_x = d["revenue"].rhs.subs(at), d["revenue_x"].rhs.subs(at)
    c_X_of = d.outputs["c_X"]

    def integral(h: sp.Expr, x: sp.Expr) -> sp.Expr:
        return d.concretize(expected(h, x)).subs(c_X, c_X_of)

    exporters = integral(sp.Integer(1), c_X)
    return {"share_exporters": sp.simplify(exporters / integral(sp.Integer(1), c_D)),
            "export_intensity": sp.simplify(integral(n * r_x, c_X)
                                            / integral(r_d + n * r_x, c_X))}


def _cutoff(model) -> sp.Symbol:
    """The symbol of the cutoff the moments are written in."""
    return model.derive().cutoff


@dataclass
class Calibration:
    """Result of :func:`calibrate`.

    Attributes
    ----------
    params : dict
        Every parameter of the model (floats), the free ones calibrated.
    free : list of str
        Names of the calibrated parameters.
    method : str
        ``"symbolic"``, ``"numeric"`` (as many targets as free parameters) or
        ``"least-squares"`` (more targets).
    fit : dict
        Moment -> (target, value at the calibrated parameters on the mpmath path).
    formulas : dict
        Free parameter -> sympy expression in the targets (symbolic only).
    """

    params: dict[str, float]
    free: list[str]
    method: str
    fit: dict[str, tuple[float, float]]
    formulas: dict[str, sp.Expr] = field(default_factory=dict)

    @property
    def max_error(self) -> float:
        """Largest absolute gap between a target and its fitted moment."""
        return max(abs(t - v) for t, v in self.fit.values())

    def _repr_html_(self) -> str:
        """Jupyter display: the calibrated parameters and the fit, moment by moment."""
        from .display import card

        rows = [(f, f"{self.params[f]:.12g}") for f in self.free]
        rows += [(t, f"target {target:.12g}, model {value:.12g}, gap {value - target:.2e}")
                 for t, (target, value) in self.fit.items()]
        if self.method == "least-squares":
            rows.append(("sum of squared gaps", f"{self.objective:.6e}"))
        return card(f"calibration ({self.method})", rows)

    @property
    def objective(self) -> float:
        r"""The sum of squared gaps :math:`\sum_i (m_i - \hat m_i)^2` of the fit
        (zero up to rounding when the targets are matched exactly)."""
        return sum((v - t) ** 2 for t, v in self.fit.values())


def _target_symbol(name: str) -> sp.Symbol:
    return sp.Symbol(f"{name}_target", positive=True)


def calibrate(model, targets: Mapping[str, object], free: list[str] | None = None,
              **params: object) -> Calibration:
    r"""Choose the ``free`` parameters so that the model's moments equal ``targets``.

    Solves :math:`m_i(\theta) = \hat m_i` for the free parameters :math:`\theta`
    (symbolically where the closed-form cutoff allows, else numerically), or with
    more targets than free parameters minimises
    :math:`\sum_i (m_i(\theta) - \hat m_i)^2` (see the module docstring).

    Parameters
    ----------
    model : Model
        An open-economy model (``melitz``, ...).
    targets : mapping
        Moment name (see :data:`MOMENTS`) -> observed value, strictly between 0 and 1.
    free : list of str or None
        Parameters to calibrate, at most as many as targets (default: ``tau`` for
        ``export_intensity``, ``f_x`` for ``share_exporters``); fewer free parameters
        than targets make a least-squares fit.
    **params : object
        Every other parameter of the model; values given for free parameters are
        starting points of the numeric search.

    Returns
    -------
    Calibration
        The calibrated parameters, the method and the fit re-evaluated on the
        independent mpmath path.

    Raises
    ------
    AdmissibilityError
        For targets that no admissible parameters reproduce, or missing parameters.
    UnknownNameError
        For an unknown moment.
    MelitzError
        For no targets, or more free parameters than targets.
    """
    exprs = moments(model)
    bad = [t for t in targets if t not in exprs]
    if bad:
        raise UnknownNameError(f"unknown moment {', '.join(map(repr, bad))}; moments are: "
                               f"{', '.join(exprs)}")
    if not targets:
        raise MelitzError("give at least one target, e.g. share_exporters=0.18")
    free = [canonical(f) for f in (free or [DEFAULT_FREE[t] for t in targets])]
    if not free or len(free) > len(targets):
        raise MelitzError(f"{len(targets)} target(s) determine at most as many free "
                          f"parameters (at least one), got {', '.join(free) or 'none'}")
    for t, value in targets.items():
        admissibility.exact(t, value)  # the one reading of a number (ParseError for text,
        # complex, lists; AdmissibilityError for nan, inf and magnitudes past a double)
        if not 0 < float(value) < 1:
            raise AdmissibilityError(f"infeasible target {t}={value}: a share lies strictly "
                                     "between 0 and 1")
    params = {canonical(k): v for k, v in params.items()}
    for k, v in params.items():
        admissibility.exact(k, v)
    known = {k: v for k, v in params.items() if k not in free}
    missing = [p for p in model.parameters if p not in known and p not in free]
    if missing:
        raise AdmissibilityError(f"{model.name}: missing parameter(s) {', '.join(missing)}")
    # the restrictions on the given parameters alone hold before any inversion (f < 0
    # would otherwise read as "no real value of f_x reproduces the targets")
    admissibility.check([r for r in model.derive().restrictions
                         if {s.name for s in r.symbols} <= set(known)], known)
    solution = None if len(free) < len(targets) else _symbolic(model, exprs, targets, free,
                                                                known)
    method = "symbolic"
    formulas: dict[str, sp.Expr] = {}
    if solution is not None:
        formulas, values = solution
    elif len(free) < len(targets):
        method, values = "least-squares", _numeric(model, exprs, targets, free, known, params,
                                                   exact=False)
    else:
        method, values = "numeric", _numeric(model, exprs, targets, free, known, params)
    full = {**known, **values}
    _check_feasible(model, targets, full)
    fit = _fit(model, exprs, targets, full)
    return Calibration({k: float(sp.sympify(v)) for k, v in full.items()}, free, method,
                       fit, formulas)


def _symbolic(model, exprs, targets, free, known):
    """Inverse formulas and values, or None when sympy finds no unique inverse."""
    d = model.derive()
    cutoff = d.closed_forms.get(d.cutoff.name)
    if cutoff is None:
        return None
    eqs = [exprs[t].subs(d.cutoff, cutoff) - _target_symbol(t) for t in targets]
    sol = _invert(eqs, [sym(f) for f in free])
    if sol is None:
        return None
    formulas = {s.name: sp.simplify(e) for s, e in sol.items()}
    at = {sym(k): sp.nsimplify(v, rational=True) if isinstance(v, float) else sp.sympify(v)
          for k, v in known.items()}
    at.update({_target_symbol(t): sp.sympify(str(v)) for t, v in targets.items()})
    values = {}
    for name, e in formulas.items():
        v = e.evalf(30, subs=at)  # numerically: e.subs would raise exact rationals to
        # rational powers (f = 4.5e53 as an integer to the power 17/14: minutes)
        if not v.is_real:
            return formulas, {name: sp.nan}
        values[name] = v
    return formulas, values


def _invert(eqs: list[sp.Expr], unknowns: list[sp.Symbol]) -> dict | None:
    """Solve ``eqs = 0`` one equation at a time, each a two-power balance in one unknown.

    The solution of each equation (see :func:`_two_power_root`) is substituted
    into the remaining ones.  None if some equation does not fit.
    """
    eqs, unknowns, sol = list(eqs), list(unknowns), {}
    while eqs:
        found = next(((i, x, r) for i in range(len(eqs)) for x in unknowns
                      if (r := _two_power_root(eqs[i], x)) is not None), None)
        if found is None:
            return None
        i, x, root = found
        sol = {k: v.subs(x, root) for k, v in sol.items()}
        sol[x] = root
        unknowns.remove(x)
        eqs = [e.subs(x, root) for j, e in enumerate(eqs) if j != i]
    return sol


def _two_power_root(expr: sp.Expr, x: sp.Symbol) -> sp.Expr | None:
    r"""The positive root of ``expr = 0`` when its numerator is :math:`A x^p + B x^q`.

    Terms of the numerator are grouped by their power of ``x`` (the
    log-derivative :math:`x\,t'/t`, which must simplify to a constant); with
    exactly two powers :math:`p \neq q` the root is
    :math:`x = (-B/A)^{1/(p-q)}`.  None otherwise.
    """
    num = sp.expand(sp.fraction(sp.together(expr))[0])
    groups: dict[sp.Expr, sp.Expr] = {}
    for t in sp.Add.make_args(num):
        power = sp.simplify(x * sp.diff(t, x) / t) if t.has(x) else sp.Integer(0)
        if power.has(x):
            return None
        coef = sp.powsimp(sp.expand_power_base(t / x**power, force=True), force=True)
        if coef.has(x):
            return None
        groups[power] = groups.get(power, 0) + coef
    if len(groups) != 2:
        return None
    (p, a), (q, b) = groups.items()
    return sp.powsimp((-b / a) ** (1 / (p - q)), force=True)


def _numeric(model, exprs, targets, free, known, start, exact: bool = True
             ) -> dict[str, sp.Expr]:
    """Solve moments = targets with :func:`scipy.optimize.root` in log(parameter), or
    (``exact=False``, more targets than free parameters) minimise the sum of squared
    gaps with :func:`scipy.optimize.least_squares`.

    Starts from the best few points of a multiplicative grid around ``start``
    (factors 2**-4 ... 2**4 per free parameter), all evaluated in one
    vectorised solve; inadmissible points are skipped.  The least-squares fit
    keeps the start whose local minimum has the smallest objective.
    """
    import itertools

    import numpy as np
    from scipy.optimize import least_squares, root

    from .numeric.fast import lambdify

    cut = _cutoff(model)
    order = [sym(p) for p in model.parameters] + [cut]
    fns = [lambdify(order, exprs[t]) for t in targets]
    base = {k: float(sp.sympify(v)) for k, v in known.items()}
    goal = np.array([float(v) for v in targets.values()])

    def gap(u: np.ndarray) -> np.ndarray:  # u: (..., len(free)) logs of the free parameters
        vals = {**base, **{f: np.exp(u[..., j]) for j, f in enumerate(free)}}
        phi = model.solve(outputs=[cut.name], errors="nan", **vals)[cut.name]
        args = [np.broadcast_to(vals[p], phi.shape) for p in model.parameters] + [phi]
        return np.stack([np.broadcast_to(fn(*args), phi.shape) for fn in fns], -1) - goal

    x0 = np.log([float(sp.sympify(start.get(f, 1.5 if f == "tau" else 1))) for f in free])
    grid = x0 + np.log(2) * np.array(list(itertools.product(range(-4, 5), repeat=len(free))))
    best = None
    with np.errstate(all="ignore"):
        norms = np.linalg.norm(gap(grid), axis=-1)
        for i in np.argsort(np.where(np.isfinite(norms), norms, np.inf))[:6]:
            if not np.isfinite(norms[i]):
                break
            if not exact:
                fit = least_squares(lambda u: np.nan_to_num(gap(u), nan=1e3), grid[i],
                                    jac="3-point", xtol=1e-15, ftol=1e-15, gtol=1e-15)
                cost = float(np.sum(gap(fit.x) ** 2))
                if fit.status > 0 and np.isfinite(cost) and (best is None or cost < best[1]):
                    best = (fit.x, cost)
                continue
            sol = root(lambda u: np.nan_to_num(gap(u), nan=1e3), grid[i], method="hybr",
                       options={"xtol": 1e-14})
            err = np.max(np.abs(gap(sol.x)))
            if best is None or err < best[1]:
                best = (sol.x, err)
            if err < 1e-10:
                return {f: sp.Float(float(np.exp(x)), 17) for f, x in zip(free, sol.x)}
    if not exact and best is not None:
        return {f: sp.Float(float(np.exp(x)), 17) for f, x in zip(free, best[0])}
    closest = (f" (closest: {', '.join(f'{f}={np.exp(x):.6g}' for f, x in zip(free, best[0]))})"
               if best is not None else "")
    raise AdmissibilityError(f"infeasible targets {_show(targets)}: no admissible values of "
                             f"{', '.join(free)} reproduce them{closest}")


def _show(targets) -> str:
    return ", ".join(f"{k}={v}" for k, v in targets.items())


def _check_feasible(model, targets, full) -> None:
    bad = [k for k, v in full.items() if sp.sympify(v) is sp.nan]
    if bad:
        raise AdmissibilityError(f"infeasible targets {_show(targets)}: no real value of "
                                 f"{', '.join(bad)} reproduces them")
    try:
        model.check(**full)
    except AdmissibilityError as exc:
        raise AdmissibilityError(f"infeasible targets {_show(targets)}: the matching "
                                 f"parameters violate a restriction: {exc}") from None


def _fit(model, exprs, targets, full) -> dict[str, tuple[float, float]]:
    """Moments at the calibrated parameters, with the cutoff from the mpmath path."""
    cut = _cutoff(model)
    phi = model.evaluate(dps=30, outputs=[cut.name], **{k: str(v) for k, v in full.items()})
    at = {sym(k): sp.sympify(str(v)) for k, v in full.items()}
    at[cut] = phi[cut.name]
    return {t: (float(targets[t]), float(sp.N(exprs[t].subs(at), 30))) for t in targets}
