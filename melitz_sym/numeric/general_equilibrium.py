r"""Numpy solvers of the N-country models (Chaney 2008, asymmetric Melitz).

The pair expressions of a :class:`~melitz_sym.models.multicountry.MultiDerivation`
are compiled with ``lambdify`` and evaluated on :math:`N \times N` arrays
(origin parameters as columns, destination aggregates as rows).

**Chaney** has closed forms once the dividend :math:`\pi` (a constant), incomes
:math:`Y_i = (1+\pi) w_i L_i` and the multilateral resistance
:math:`\theta_j = [\sum_i (Y_i/Y) a_{ij}]^{-1/k}` are known.

**Asymmetric Melitz** is solved for :math:`u = (\ln w_i, \ln M_{e,i}, \ln A_j)`
from the 3N equations

* free entry :math:`\sum_j (\omega_{ij}/w_i) f_{ij} j_i(\varphi^*_{ij})/(\delta f_{e,i})
  - 1 = 0`, with :math:`\omega_{ij}` the wage the fixed cost is paid at (the
  derivation's pair term ``fe``),
* labour market :math:`\sum_j X_{ij}/(w_i L_i) - 1 = 0`, or with fixed costs paid
  in destination labour :math:`[\sum_j (X_{ij} - F_{ij}) + \sum_k F_{ki}]/(w_i L_i)
  - 1 = 0`,
* goods market :math:`\sum_i X_{ij}/(w_j L_j) - 1 = 0`, the one of country 0
  replaced by the normalisation :math:`\ln w_0 = 0` (Walras' law),

by Newton's method with backtracking on the residual norm.  The Jacobian is
exact: its entries are the sympy log-derivatives of the pair terms (direct
partials in the origin's wage, the destination's wage and demand shifter, cutoff
elasticities, :math:`\varphi\,\partial f/\partial\varphi`,
:math:`\partial\ln V/\partial\ln\varphi`) combined by the chain rule and summed
over pairs with numpy (:func:`_row_sums`, :func:`_column_sums`).  The start is
autarky (each country's own free-entry cutoff) with unit wages.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import lru_cache

import numpy as np
import sympy as sp

from ..admissibility import AUTARKY_CORNER
from ..errors import AdmissibilityError, NumericalError
from ..symbols import sym
from .fast import lambdify, newton_log


@lru_cache(maxsize=64)
def _lambdify(symbols: tuple, expr: sp.Expr):
    return lambdify(symbols, expr)


def _eval(expr: sp.Expr, env: Mapping[sp.Symbol, object]) -> np.ndarray:
    """Evaluate ``expr`` with the arrays of ``env`` (broadcasting)."""
    syms = tuple(sorted(expr.free_symbols, key=lambda s: s.name))
    missing = [s for s in syms if s not in env]
    if missing:
        raise KeyError(f"no value for {missing}")
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return np.asarray(_lambdify(syms, expr)(*[env[s] for s in syms]), dtype=float)


def _environment(d, arrays: Mapping[str, np.ndarray]) -> dict:
    """Parameter symbols -> arrays laid out for pairs (origin vectors as columns)."""
    env = {}
    for p in d.parameters:
        a = arrays[p.name]
        env[p] = a[:, None] if d.shapes[p.name] == "i" else a
    return env


# ----- Chaney (2008) ------------------------------------------------------------------
def solve_chaney(d, arrays: Mapping[str, np.ndarray], outputs: Collection[str] = ()) -> dict:
    """Equilibrium of Chaney (2008): closed forms after the market-level sums (every
    output, whatever ``outputs`` asks for)."""
    DIVIDEND, THETA, Y_I, Y_J, Y_W = (d.market[k] for k in ("pi", "theta_j", "Y_i", "Y_j", "Y"))
    env = _environment(d, arrays)
    pi = float(_eval(d.closed_forms["pi"], env))
    Y = (1 + pi) * arrays["w"] * arrays["L"]
    access = _eval(d.pair["access"], env)
    theta = ((Y[:, None] / Y.sum()) * access).sum(axis=0) ** (-1 / arrays["k"])
    env.update({DIVIDEND: pi, Y_I: Y[:, None], Y_J: Y[None, :], Y_W: Y.sum(),
                THETA: theta[None, :]})
    N = Y.size
    out = {"pi": np.asarray(pi), "Y": Y, "theta": theta}
    for name, expr in d.closed_forms.items():
        if name in out:
            continue
        value = _eval(expr, env)
        out[name] = (np.broadcast_to(value, (N, N)).copy() if d.shapes[name] == "ij"
                     else np.broadcast_to(value, (1, N))[0].copy())
    _finite(out)
    return out


def _finite(out: Mapping[str, np.ndarray]) -> None:
    for name, v in out.items():
        if not np.all(np.isfinite(v)):
            raise AdmissibilityError(f"{name} overflows double precision at these parameters")


# ----- asymmetric Melitz -------------------------------------------------------------
def _diagonal(env: Mapping[sp.Symbol, np.ndarray], N: int) -> dict:
    """The domestic pairs (i, i): matrices by their diagonal, columns as vectors."""
    return {s: (np.diag(v) if np.ndim(v) == 2 and v.shape[1] == N
                else np.ravel(np.broadcast_to(v, (N, 1)))) for s, v in env.items()}


def _row_sums(G: np.ndarray, by: Mapping[str, np.ndarray]) -> np.ndarray:
    r"""Jacobian (N x 3N) of the row sums :math:`R_i = \sum_j G_{ij}`.

    ``by`` holds the derivatives of the pair terms :math:`G_{ij}` with respect to
    the log unknowns they depend on: ``w`` (the origin's wage :math:`w_i`),
    ``w_d`` (the destination's wage :math:`w_j`), ``A`` (:math:`A_j`) and ``M_e``
    (:math:`M_{e,i}`).  :math:`\partial R_i/\partial\ln w_k = [k = i] \sum_j
    G^w_{ij} + G^{w_d}_{ik}`, and alike for the others.
    """
    N = G.shape[0]
    rows = np.arange(N)
    J = np.zeros((N, 3 * N))
    J[:, :N] = by["w_d"]
    J[rows, rows] += by["w"].sum(axis=1)
    J[rows, N + rows] = by["M_e"].sum(axis=1)
    J[:, 2 * N:] = by["A"]
    return J


def _column_sums(G: np.ndarray, by: Mapping[str, np.ndarray]) -> np.ndarray:
    r"""Jacobian (N x 3N) of the column sums :math:`C_j = \sum_i G_{ij}` (see
    :func:`_row_sums`): :math:`\partial C_j/\partial\ln w_k = G^w_{kj} + [k = j]
    \sum_i G^{w_d}_{ij}`, and alike for the others."""
    N = G.shape[0]
    rows = np.arange(N)
    J = np.zeros((N, 3 * N))
    J[:, :N] = by["w"].T
    J[rows, rows] += by["w_d"].sum(axis=0)
    J[:, N:2 * N] = by["M_e"].T
    J[rows, 2 * N + rows] = by["A"].sum(axis=0)
    return J


class AsymSystem:
    r"""Residual and exact Jacobian of the asymmetric Melitz equilibrium.

    Parameters
    ----------
    d : the derivation (its ``pair`` expressions).
    arrays : parameter arrays (checked), as returned by ``MultiCountryModel.read``.

    The pair expressions are functions of the origin's wage ``w``, the
    destination's wage ``w_d``, the destination's demand shifter ``A``, the
    origin's entrants ``M_e`` and the pair's cutoff ``phi_star``.  Where the
    derivation has fixed-cost payments to the destination's workers
    (``log_F``: destination-paid fixed costs) the labour market of ``i`` is
    :math:`\sum_j (X_{ij} - F_{ij}) + \sum_k F_{ki} = w_i L_i`, otherwise
    :math:`\sum_j X_{ij} = w_i L_i`.
    """

    #: The unknowns the pair expressions depend on, by their log derivatives.
    UNKNOWNS = ("w", "w_d", "A")

    def __init__(self, d, arrays: Mapping[str, np.ndarray]) -> None:
        self.d = d
        self.env = _environment(d, arrays)
        self.N = arrays["tau"].shape[0]
        self.L = arrays["L"]
        self.w_s, self.wd_s, self.A_s, self.Me_s = sym("w"), sym("w_d"), sym("A"), sym("M_e")
        self.phi_s = sym("phi_star")
        self.fixed_abroad = "log_F" in d.pair
        self.const = {k: _eval(d.pair[k], self.env) for k in ("cut_tau", "log_r_tau", "lower",
                                                             "upper")}

    def _compiled(self, name: str):
        """``d.pair[name]`` as a function of (w, w_d, M_e, A, phi*) with the parameters bound."""
        cache = self.__dict__.setdefault("_fns", {})
        if name not in cache:
            expr = self.d.pair[name]
            unknown = (self.w_s, self.wd_s, self.Me_s, self.A_s, self.phi_s)
            params = tuple(sorted(expr.free_symbols - set(unknown), key=lambda s: s.name))
            fn = _lambdify(unknown + params, expr)
            bound = [self.env[p] for p in params]
            cache[name] = lambda *args: fn(*args, *bound)
        return cache[name]

    def _derivatives(self, term: str, value: np.ndarray, direct: str, slope: str,
                     args: list, log: bool) -> dict:
        """d term_ij / d ln v for v = w_i, w_j, A_j (direct partial plus the cutoff's
        response), and d / d ln M_e_i; times the term's value where ``log``."""
        N = self.N
        scale = value if log else 1.0
        phi_part = self._compiled(slope)(*args)
        out = {v: np.broadcast_to(scale * (self._compiled(f"{direct}_{v}")(*args)
                                           + phi_part * self._compiled(f"cut_{v}")(*args)),
                                  (N, N))
               for v in self.UNKNOWNS}
        out["M_e"] = np.broadcast_to(value if log else 0.0, (N, N))
        return out

    def _pairs(self, u: np.ndarray, jacobian: bool):
        N = self.N
        w, Me, A = np.exp(u[:N]), np.exp(u[N:2 * N]), np.exp(u[2 * N:])
        args = [w[:, None], w[None, :], Me[:, None], A[None, :], None]
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            phi = self._compiled("phi_star")(*args)
            args[4] = phi
            fe = np.broadcast_to(self._compiled("fe")(*args), (N, N))
            logX = self._compiled("log_r")(*args) + self._compiled("log_V")(*args)
            X = np.broadcast_to(np.exp(logX), (N, N))
            out = {"w": w, "M_e": Me, "A": A, "phi": phi, "fe": fe, "X": X}
            if self.fixed_abroad:
                out["F"] = np.broadcast_to(np.exp(self._compiled("log_F")(*args)), (N, N))
            if jacobian:
                out["d_fe"] = self._derivatives("fe", fe, "fe", "fe_phi", args, log=False)
                out["d_X"] = self._derivatives("X", X, "log_r", "log_V_phi", args, log=True)
                if self.fixed_abroad:
                    out["d_F"] = self._derivatives("F", out["F"], "log_F", "log_F_phi", args,
                                                   log=True)
        return out

    def residual(self, u: np.ndarray, jacobian: bool = True):
        """Residual F(u) (and the Jacobian dF/du if ``jacobian``)."""
        N = self.N
        q = self._pairs(u, jacobian)
        w, X = q["w"], q["X"]
        income = w * self.L
        earned = X.sum(axis=1)  # what i's workers earn: sales, net of fixed costs abroad
        if self.fixed_abroad:
            earned = earned - q["F"].sum(axis=1) + q["F"].sum(axis=0)
        F = np.empty(3 * N)
        F[:N] = q["fe"].sum(axis=1) - 1
        F[N:2 * N] = earned / income - 1
        F[2 * N:] = X.sum(axis=0) / income - 1
        F[2 * N] = u[0]  # normalisation w_0 = 1 replaces one goods-market equation
        if not jacobian:
            return F, q
        rows = np.arange(N)
        J = np.zeros((3 * N, 3 * N))
        J[:N] = _row_sums(q["fe"], q["d_fe"])
        d_earned = _row_sums(X, q["d_X"])
        if self.fixed_abroad:
            d_earned += _column_sums(q["F"], q["d_F"]) - _row_sums(q["F"], q["d_F"])
        J[N:2 * N] = d_earned / income[:, None]
        J[N + rows, rows] -= earned / income  # d (1 / w_i) / d ln w_i
        J[2 * N:] = _column_sums(X, q["d_X"]) / income[:, None]
        J[2 * N + rows, rows] -= X.sum(axis=0) / income
        J[2 * N, :] = 0
        J[2 * N, 0] = 1
        return F, q, J

    def _autarky(self) -> dict:
        """The domestic pairs (i, i) at unit wages (origin and destination alike)."""
        env = _diagonal(self.env, self.N)
        env.update({self.w_s: np.ones(self.N), self.wd_s: np.ones(self.N)})
        return env

    def start(self) -> np.ndarray:
        """Autarky: each country's free-entry cutoff, unit wages, own labour market."""
        N = self.N
        env = self._autarky()
        env.update({self.phi_s: self.autarky_cutoffs(), self.Me_s: np.ones(N)})
        A = np.broadcast_to(_eval(self.d.pair["A_of_cut"], env), (N,))
        env[self.A_s] = A
        logX1 = _eval(self.d.pair["log_r"], env) + _eval(self.d.pair["log_V"], env)
        Me = self.L / np.exp(logX1)
        return np.concatenate([np.zeros(N), np.log(Me), np.log(A)])

    def autarky_cutoffs(self) -> np.ndarray:
        """Domestic cutoffs in autarky: f_ii j(phi) = delta f_e, per country."""
        N = self.N
        diag = self._autarky()
        if "phi_A" in self.d.pair:
            return np.broadcast_to(_eval(self.d.pair["phi_A"], diag), (N,)).copy()
        syms = tuple(sorted(self.d.pair["fe"].free_symbols - {self.phi_s},
                            key=lambda s: s.name))
        F = _lambdify((self.phi_s,) + syms, self.d.pair["fe"] - 1)
        dF = _lambdify((self.phi_s,) + syms, self.d.pair["fe_phi"])  # d/d log phi

        def residual_and_slope(y, *args):  # in y = log phi
            phi = np.exp(y)
            return F(phi, *args), dF(phi, *args)

        lower = np.broadcast_to(_eval(self.d.pair["lower"], diag), (N,))
        return np.exp(newton_log(residual_and_slope, lower, [diag[s] for s in syms]))


#: Halvings of the step in :func:`newton`'s line search before it gives up: 2^-60
#: of a Newton step is below the rounding of any iterate.
HALVINGS = 60
#: Largest Newton correction (in the logs of wages, entrants and demand shifters, so
#: relative) and largest effect of rounding (:func:`_accurate`) that :func:`newton`
#: accepts at a root: the relative accuracy solve promises the N-country models
#: (the tests ask 1e-9 of the reference).
ACCURACY = 1e-9


def newton(system: AsymSystem, u0: np.ndarray, tol: float = 1e-14,
           iters: int = 100, accurate: bool = True) -> tuple[np.ndarray, int]:
    """Damped Newton iteration on ``system`` from ``u0``; returns the root and iterations.

    Full steps are halved until the max-norm of the residual falls (Armijo), at
    most :data:`HALVINGS` times; below ``t = 1e-6`` any finite residual is
    accepted.  The residual and Jacobian of the accepted point are reused for
    the next step.  A point whose residual is below ``tol`` is a root only if the
    Newton correction there is below :data:`ACCURACY` too: where trade is nearly
    shut off (a trade cost of 1e6) the conditions barely move with the export
    cutoffs, and a small residual says little about them.  There, the
    effect of the residual's rounding on the root must be below :data:`ACCURACY`
    as well (:func:`_accurate`).  Without
    ``accurate`` (a start for a refinement in mpmath) neither is asked.

    Raises
    ------
    NumericalError
        Where the residual is not finite at the start or along the whole step
        (a point whose terms overflow), the Jacobian is singular, the
        equilibrium is too ill-conditioned for double precision, or the
        iteration has not converged after ``iters`` steps.
    """
    u = u0.copy()
    F, _, J = system.residual(u)
    norm = np.max(np.abs(F))
    if not np.isfinite(norm):
        raise NumericalError("melitz-asym: the equilibrium conditions are not finite at the "
                             "starting point (their terms overflow at these parameters)")
    for it in range(1, iters + 1):
        try:
            step = np.linalg.solve(J, -F)
        except np.linalg.LinAlgError:
            raise NumericalError(f"melitz-asym: the Jacobian of the equilibrium conditions is "
                                 f"singular at Newton step {it} (residual {norm:.3g})") from None
        t = 1.0
        for _ in range(HALVINGS):
            trial = u + t * step
            F_new, _, J_new = system.residual(trial)
            new_norm = np.max(np.abs(F_new))
            if np.isfinite(new_norm) and (new_norm <= (1 - 1e-4 * t) * norm or t < 1e-6
                                          or new_norm < tol):
                break
            t /= 2
        else:
            raise NumericalError(f"melitz-asym: no finite residual along Newton step {it} "
                                 f"(residual {norm:.3g}): the equilibrium conditions overflow "
                                 "at these parameters")
        u, F, J, norm = trial, F_new, J_new, new_norm
        if ((norm < tol or np.max(np.abs(t * step)) <= tol * max(1.0, np.max(np.abs(u))))
                and (not accurate or _accurate(J, F, it))):
            return u, it
    raise NumericalError(f"melitz-asym: Newton did not converge in {iters} iterations "
                         f"(residual {norm:.3g})")


def _accurate(J: np.ndarray, F: np.ndarray, it: int) -> bool:
    """Whether the Newton correction -J^-1 F is below :data:`ACCURACY`.  Raises a
    NumericalError where the rounding of the residual moves the root by more than
    that: |J^-1| (max-norm) times the residual's rounding, 2^-53 for each of its
    terms (shares of order one)."""
    try:
        inverse = np.linalg.inv(J)
    except np.linalg.LinAlgError:
        raise NumericalError(f"melitz-asym: the Jacobian of the equilibrium conditions is "
                             f"singular at Newton step {it}") from None
    rounding = np.linalg.norm(inverse, np.inf) * len(F) * np.finfo(float).epsneg
    if not rounding <= ACCURACY:
        raise NumericalError(
            f"melitz-asym: the equilibrium is too ill-conditioned for double precision at "
            f"these parameters (the rounding of its conditions moves it by up to "
            f"{rounding:.1g}, relative; trade nearly shut off?); m.reference(...) computes "
            "it in mpmath")
    return bool(np.max(np.abs(inverse @ F)) <= ACCURACY)


def solve_asym(d, arrays: Mapping[str, np.ndarray],
               outputs: Collection[str] = ("gains",), accurate: bool = True) -> dict:
    """Equilibrium of the asymmetric N-country Melitz model (outputs as arrays).

    ``gains`` (welfare over autarky welfare) is computed when ``outputs`` names it;
    then an autarky cutoff below the lower bound of productivity (in autarky
    every entrant would produce: a corner the equations omit) raises
    :class:`AdmissibilityError` (:data:`~melitz_sym.admissibility.AUTARKY_CORNER`).
    Without ``accurate``, the root is a start for a refinement (:func:`newton`)."""
    system = AsymSystem(d, arrays)
    with np.errstate(all="ignore"):  # overflow is caught: newton refuses a non-finite residual
        u, _ = newton(system, system.start(), accurate=accurate)
    F, q = system.residual(u, jacobian=False)
    X = q["X"]
    phi = np.broadcast_to(q["phi"], X.shape)
    _interior(system, phi)
    N = system.N
    w, A, Me = q["w"], q["A"], q["M_e"]
    L = arrays["L"]
    sigma, delta = arrays["sigma"], arrays["delta"]
    P = (A / (w * L)) ** (1 / (sigma - 1))
    diag = _diagonal(system.env, N)
    diag[system.phi_s] = np.diag(phi)
    W = np.broadcast_to(_eval(d.pair["W"], diag), (N,))
    env = dict(system.env)
    env[system.phi_s] = np.min(phi, axis=1, keepdims=True)
    survive = _survival(d, env, system.phi_s)
    lv = _eval(d.pair["log_V_phi"], {**system.env, system.phi_s: phi})
    if accurate:
        _flows_conditioned(lv)
    out = {"phi_star": phi.copy(), "X": X.copy(), "lam": X / X.sum(axis=0, keepdims=True),
           "w": w, "P": P, "A": A, "M_e": Me, "M": Me * survive / delta, "W": W.copy(),
           "eps": np.broadcast_to(system.const["log_r_tau"] + lv * system.const["cut_tau"],
                                  X.shape).copy()}
    if "gains" in outputs:
        phi_A = system.autarky_cutoffs()
        _autarky_interior(phi_A, np.diag(np.broadcast_to(system.const["lower"], (N, N))))
        diag[system.phi_s] = phi_A
        out["gains"] = W / np.broadcast_to(_eval(d.pair["W"], diag), (N,))
    _finite(out)
    return out


def _flows_conditioned(lv: np.ndarray) -> None:
    r"""Raise a NumericalError where rounding a cutoff to double moves a trade flow by
    more than :data:`ACCURACY`.

    A flow's relative error from its cutoff's is :math:`|\partial\ln X_{ij} /
    \partial\ln\varphi^*_{ij}|` (``lv``) times the cutoff's rounding, 2^-52: with a
    bounded support and a cutoff 1e-9 below its upper bound (:math:`X \propto
    b_H - \varphi^*`) the elasticity is 3e9 and the flow 3e-7 off.
    """
    rounding = np.max(np.abs(lv)) * np.finfo(float).eps
    if not rounding <= ACCURACY:
        i, j = (int(v) for v in np.unravel_index(np.argmax(np.abs(lv)), np.shape(lv)))
        raise NumericalError(
            f"melitz-asym: the trade flow X[{i},{j}] is too ill-conditioned for double "
            f"precision at these parameters (its elasticity in the cutoff phi_star[{i},{j}] "
            f"is {float(lv[i, j]):.3g}, so the cutoff's rounding moves it by up to "
            f"{rounding:.1g}, relative; a cutoff at the edge of the support?); "
            "m.reference(...) computes it in mpmath")


def _autarky_interior(phi_A: np.ndarray, lower: np.ndarray) -> None:
    """Raise the autarky corner's AdmissibilityError where phi_A[i] < lower[i]."""
    below = np.flatnonzero(~(phi_A >= lower))
    if below.size:
        i = int(below[0])
        raise AdmissibilityError(
            f"{AUTARKY_CORNER}: country {i}'s autarky cutoff {phi_A[i]:.6g} lies below its "
            f"lower bound of productivity {lower[i]:.6g} (every entrant would produce); ask "
            f"for the other outputs, or raise f[{i},{i}] or lower f_e[{i}]")


def _survival(d, env, phi_s) -> np.ndarray:
    """1 - G(phi) of the origin at the lowest of its cutoffs."""
    expr = d["survival"].rhs.subs(sym("x"), phi_s)
    return np.ravel(_eval(expr, env))


def _interior(system: AsymSystem, phi: np.ndarray) -> None:
    """Cutoffs must lie inside the support (otherwise a corner the equations omit)."""
    lo, hi = np.broadcast_to(system.const["lower"], phi.shape), system.const["upper"]
    below = phi < lo
    if below.any():
        i, j = (int(v) for v in np.argwhere(below)[0])
        raise AdmissibilityError(
            f"no selection: the cutoff phi_star[{i},{j}] = {phi[i, j]:.6g} lies below the "
            f"lower bound of productivity {lo[i, j]:.6g} of country {i}: every entrant "
            f"would serve market {j} (a corner); raise f[{i},{j}] or tau[{i},{j}]")
    above = phi >= np.broadcast_to(hi, phi.shape)
    if above.any():
        i, j = (int(v) for v in np.argwhere(above)[0])
        raise AdmissibilityError(f"no trade: the cutoff phi_star[{i},{j}] = {phi[i, j]:.6g} "
                                 f"is above the upper bound of productivity of country {i}")
