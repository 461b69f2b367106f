r"""Independent mpmath reference for the N-country models.

Nothing derived by sympy is used: the equilibrium conditions are written from
the primitives (CES pricing :math:`p = w\tau/(\rho\varphi)`, revenue
:math:`r = A p^{1-\sigma}`, zero profit at the cutoff, free entry, labour and
goods markets), every integral over productivity is a quadrature of the
declared density (:class:`melitz_sym.numeric.tail_quadrature.Tails`), and the system
is solved by ``mpmath.findroot`` (multidimensional Newton with a
finite-difference Jacobian) at ``dps`` digits.  The numpy solution is used only
as the starting point; the root is determined by the primitives.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import mpmath

from ..admissibility import AUTARKY_CORNER
from ..derivation import MultiDerivation
from ..errors import AdmissibilityError, NumericalError
from ..distributions import Distribution
from ..primitives import Declaration
from .general_equilibrium import solve_asym, solve_chaney
from .tail_quadrature import Tails


def _mp(a):
    """Nested lists of mpf from an array (exact binary values of the floats)."""
    if hasattr(a, "tolist"):
        a = a.tolist()
    if isinstance(a, list):
        return [_mp(v) for v in a]
    return mpmath.mpf(a)


def _tails(dist: Distribution, arrays: Mapping[str, object], N: int) -> list[Tails]:
    """One quadrature object per origin (distribution parameters may differ)."""
    out = []
    for i in range(N):
        values = {}
        for s in dist.symbols:
            v = arrays[s.name]
            values[s] = mpmath.mpf(float(v[i] if getattr(v, "ndim", 0) else v))
        out.append(Tails(dist, values))
    return out


def _cutoff(sigma, w, tau, f, A):
    """Zero profit r(phi)/sigma = w f with r = A (w tau/(rho phi))^(1-sigma), inverted."""
    rho = (sigma - 1) / sigma
    return (sigma * w * f / A) ** (1 / (sigma - 1)) * w * tau / rho


def _unit(sigma, w, tau):
    """(w tau / rho)^(1-sigma): revenue per unit of A and of phi^(sigma-1)."""
    return (w * tau * sigma / (sigma - 1)) ** (1 - sigma)


# ----- Chaney (2008) -------------------------------------------------------------------
def reference_chaney(d: MultiDerivation, decl: Declaration, arrays: Mapping[str, object],
                     dps: int = 30, outputs: Collection[str] = ()) -> dict:
    """Chaney (2008) from the primitives ``decl``: unknowns ln P_j and the dividend pi
    (the derivation ``d`` gives only the starting point, its numpy solution)."""
    dist = decl.dist
    start = solve_chaney(d, arrays)
    N = arrays["tau"].shape[0]
    with mpmath.workdps(dps + 10):
        sigma, alpha = mpmath.mpf(float(arrays["sigma"])), mpmath.mpf(float(arrays["alpha"]))
        w, L, tau, f = (_mp(arrays[n]) for n in ("w", "L", "tau", "f"))
        tails = _tails(dist, arrays, N)

        def state(x):
            P, pi = [mpmath.exp(v) for v in x[:N]], x[N]
            out = {"P": P, "pi": pi, "phi_star": [], "X": [], "M_x": [], "profit": 0}
            Y = [(1 + pi) * w[j] * L[j] for j in range(N)]
            A = [alpha * Y[j] * P[j] ** (sigma - 1) for j in range(N)]
            for i in range(N):
                rows = [[], [], []]
                for j in range(N):
                    # fixed cost f_ij in numeraire: zero profit r/sigma = f_ij
                    phi = _cutoff(sigma, 1, w[i] * tau[i][j], f[i][j], A[j])
                    V, S = tails[i].integral(phi, sigma - 1), tails[i].integral(phi, 0)
                    X = w[i] * L[i] * A[j] * _unit(sigma, w[i], tau[i][j]) * V
                    out["profit"] += X / sigma - w[i] * L[i] * f[i][j] * S
                    for row, v in zip(rows, (phi, X, w[i] * L[i] * S)):
                        row.append(v)
                for name, row in zip(("phi_star", "X", "M_x"), rows):
                    out[name].append(row)
            out["A"], out["Y"] = A, Y
            return out

        def equations(*x):
            s = state(x)
            eqs = [sum(s["X"][i][j] for i in range(N)) / s["A"][j]
                   / s["P"][j] ** (1 - sigma) - 1 for j in range(N)]
            eqs.append(s["profit"] / (s["pi"] * sum(w[i] * L[i] for i in range(N))) - 1)
            return eqs

        x0 = [mpmath.log(v) for v in _mp(start["P"])] + [mpmath.mpf(float(start["pi"]))]
        root = _findroot(equations, x0, "the equilibrium conditions")
        s = state(list(root))
        result = {"phi_star": s["phi_star"], "X": s["X"], "M_x": s["M_x"], "P": s["P"],
                  "W": [1 / p for p in s["P"]], "pi": s["pi"], "Y": s["Y"]}
    with mpmath.workdps(dps):
        return _round(result)


#: Steps of one unit in log phi when bracketing an autarky cutoff (e^400 covers any double).
BRACKET_STEPS = 400
#: Steps of the bracketing root finder for an autarky cutoff (it took at most 20 in
#: the tests, at 15 to 50 digits).
BRACKET_ITERATIONS = 200


#: Evaluations of the equilibrium conditions that the multidimensional solve may
#: spend, per n + 1 (n unknowns; a Jacobian costs n + 1).  mpmath's line search halves
#: its step until the norm decreases, without a limit: some 130 evaluations per step at
#: 30 digits where the Jacobian is nearly singular (melitz-asym Weibull with a country
#: of L = 6e-198 took 38 s to fail, 0.27 s per evaluation).  The solves of the tests
#: took at most 4.4 (n + 1) evaluations (n = 3 to 8).
EVALUATIONS = 12


class _Budget(Exception):
    """The equilibrium conditions were evaluated as often as the budget allows."""


def _findroot(equations, x0, what: str, solver: str = "secant", **options):
    """``mpmath.findroot`` (by default the secant method, Newton in several dimensions;
    the root verified at the working precision; ``options`` such as ``maxsteps`` go
    to the solver); a failure is a :class:`NumericalError` naming ``what`` was being
    solved.  In several dimensions the conditions are evaluated at most
    :data:`EVALUATIONS` (n + 1) times: a budget counted in evaluations, so that the
    verdict is the same on every machine."""
    if isinstance(x0, list):
        budget = EVALUATIONS * (len(x0) + 1)
        counted = equations

        def equations(*x):
            nonlocal budget
            budget -= 1
            if budget < 0:
                raise _Budget
            return counted(*x)
    try:
        return mpmath.findroot(equations, x0, solver=solver, verify=True, **options)
    except _Budget:
        raise NumericalError(f"reference: mpmath could not solve {what} at these "
                             f"parameters (no root within {EVALUATIONS * (len(x0) + 1)} "
                             "evaluations of the conditions; they may be nearly singular "
                             "here)") from None
    except (ValueError, ZeroDivisionError) as exc:
        raise NumericalError(f"reference: mpmath could not solve {what} at these "
                             f"parameters ({str(exc).splitlines()[0]})") from None


def _round(v):
    if isinstance(v, dict):
        return {k: _round(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_round(x) for x in v]
    return +v


# ----- asymmetric Melitz -----------------------------------------------------------------
def reference_asym(d: MultiDerivation, decl: Declaration, arrays: Mapping[str, object],
                   dps: int = 30, outputs: Collection[str] = ("gains",)) -> dict:
    """Asymmetric Melitz from the primitives ``decl``: unknowns ln w_i (i > 0), ln M_e_i,
    ln A_j (the derivation ``d`` gives only the starting point, its numpy solution).

    The fixed cost f_ij of serving a foreign market is paid at the wage of the
    origin or, as the export mode declares, of the destination (then i's
    workers also do the fixed work of foreign firms selling in i).  ``gains`` is
    computed when ``outputs`` names it: autarky is solved from its own free-entry
    condition, and a corner there (its cutoff below the lower bound of productivity)
    raises the same :class:`AdmissibilityError` as ``solve``."""
    dist = decl.dist
    abroad = decl.mode("export").fixed.paid_in == "destination"
    start = solve_asym(d, arrays, outputs, accurate=False)  # refined below
    N = arrays["tau"].shape[0]
    with mpmath.workdps(dps + 10):
        sigma, delta = mpmath.mpf(float(arrays["sigma"])), mpmath.mpf(float(arrays["delta"]))
        L, f_e, tau, f = (_mp(arrays[n]) for n in ("L", "f_e", "tau", "f"))
        tails = _tails(dist, arrays, N)

        def payer(i, j, w):
            """The wage the fixed cost f_ij is paid at."""
            return w[j] if abroad else w[i]

        def pair(i, j, w, A):
            # zero profit A (w_i tau/(rho phi))^(1-sigma)/sigma = w_payer f_ij, for phi
            phi = _cutoff(sigma, w[i], tau[i][j], payer(i, j, w) * f[i][j] / w[i], A[j])
            R = A[j] * _unit(sigma, w[i], tau[i][j]) * tails[i].integral(phi, sigma - 1)
            return phi, R, tails[i].integral(phi, 0)

        def state(x):
            w = [mpmath.mpf(1)] + [mpmath.exp(v) for v in x[:N - 1]]
            Me = [mpmath.exp(v) for v in x[N - 1:2 * N - 1]]
            A = [mpmath.exp(v) for v in x[2 * N - 1:]]
            return w, Me, A, [[pair(i, j, w, A) for j in range(N)] for i in range(N)]

        def equations(*x):
            w, Me, A, q = state(x)
            eqs = []
            for i in range(N):  # free entry: expected profits = delta w f_e
                profit = sum(R / sigma - payer(i, j, w) * f[i][j] * S
                             for j, (_, R, S) in enumerate(q[i]))
                eqs.append(profit / (delta * w[i] * f_e[i]) - 1)
            for i in range(N):  # labour in i: entry, variable, and fixed work done in i
                labour = Me[i] * f_e[i] + Me[i] / delta * sum(
                    (sigma - 1) / sigma * R / w[i] for _, R, _ in q[i])
                for k in range(N):  # fixed work for firms of origin k: in k or in i
                    for j in range(N):
                        if (j == i) if abroad else (k == i):
                            labour += Me[k] / delta * f[k][j] * q[k][j][2]
                eqs.append(labour / L[i] - 1)
            for j in range(1, N):  # price index: P_j^(1-sigma) = w_j L_j / A_j
                power = sum(Me[i] / delta * q[i][j][1] / A[j] for i in range(N))
                eqs.append(power * A[j] / (w[j] * L[j]) - 1)
            return eqs

        x0 = ([mpmath.log(v) for v in _mp(start["w"][1:])]
              + [mpmath.log(v) for v in _mp(start["M_e"])]
              + [mpmath.log(v) for v in _mp(start["A"])])
        root = _findroot(equations, x0, "the equilibrium conditions")
        w, Me, A, q = state(list(root))
        X = [[Me[i] / delta * q[i][j][1] for j in range(N)] for i in range(N)]
        P = [(A[j] / (w[j] * L[j])) ** (1 / (sigma - 1)) for j in range(N)]
        W = [w[j] / P[j] for j in range(N)]
        W_A = [_autarky_welfare(sigma, delta, L[i], f_e[i], f[i][i], tails[i], A[i], i)
               if "gains" in outputs else mpmath.nan for i in range(N)]
        result = {"phi_star": [[q[i][j][0] for j in range(N)] for i in range(N)], "X": X,
                  "lam": [[X[i][j] / sum(X[k][j] for k in range(N)) for j in range(N)]
                          for i in range(N)],
                  "w": w, "P": P, "A": A, "M_e": Me,
                  "M": [Me[i] / delta * tails[i].integral(min(q[i][j][0] for j in range(N)), 0)
                        for i in range(N)],
                  "W": W, "gains": [W[i] / W_A[i] for i in range(N)]}
    with mpmath.workdps(dps):
        return _round(result)


def _autarky_welfare(sigma, delta, L, f_e, f, tails: Tails, A0, i: int):
    """W = w/P in autarky (w = 1): free entry in A alone, then P from A = L P^(sigma-1).

    Free entry is solved in the log of the cutoff, which it decreases in: the
    bracket runs from the lower bound of productivity (where a cutoff below it
    is a corner) upwards, and the Pegasus method keeps the bracket (mpmath's
    Anderson ran out of its steps where free entry is strongly curved, a truncated
    Pareto at 30 digits; its Ridder took 65 steps at 50 digits, Pegasus 16); A
    follows from zero profit at the cutoff."""

    def expected(phi):  # expected profit over delta f_e, at zero profit r(phi)/sigma = f
        R_phi = sigma * f * phi ** (1 - sigma)  # r(t) = R_phi t^(sigma-1)
        return (R_phi * tails.integral(phi, sigma - 1) / sigma
                - f * tails.integral(phi, 0)) / (delta * f_e) - 1

    if tails.lower > 0 and expected(tails.lower) <= 0:
        raise AdmissibilityError(
            f"{AUTARKY_CORNER}: in autarky country {i}'s free entry holds with every entrant "
            "producing (its cutoff would lie below the lower bound of productivity "
            f"{mpmath.nstr(tails.lower, 6)})")
    lo = hi = mpmath.log(_cutoff(sigma, 1, 1, f, A0))  # the cutoff at the trade A: a guess
    for _ in range(BRACKET_STEPS):  # log phi up until expected < 0, down until > 0
        if expected(mpmath.exp(hi)) < 0 and expected(mpmath.exp(lo)) > 0:
            break
        lo = lo - 1 if expected(mpmath.exp(lo)) <= 0 else lo
        hi = hi + 1 if expected(mpmath.exp(hi)) >= 0 else hi
    else:
        raise NumericalError(f"reference: no bracket for country {i}'s autarky cutoff in "
                             f"{BRACKET_STEPS} steps of e")
    phi = mpmath.exp(_findroot(lambda y: expected(mpmath.exp(y)), (lo, hi),
                               f"country {i}'s autarky free entry", "pegasus",
                               maxsteps=BRACKET_ITERATIONS))
    A = sigma * f / ((sigma - 1) / sigma * phi) ** (sigma - 1)  # zero profit at phi
    return 1 / (A / L) ** (1 / (sigma - 1))
