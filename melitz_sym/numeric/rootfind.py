"""The mpmath references' root finder: a safeguarded Newton iteration in a bracket,
then a Newton polish at full precision."""

from __future__ import annotations

from collections.abc import Callable

import mpmath

from ..errors import NumericalError

#: Largest :math:`|\log \varphi|` at which the mpmath paths look for a cutoff: beyond
#: :math:`e^{\pm 2^{13}} \approx 10^{\pm 3557}` no double path can hold the value, and
#: one evaluation of a residual costs time that grows with :math:`|\log \varphi|` (a
#: Weibull tail's incomplete gamma function took 13 s at :math:`2^{18}`, so the doubling
#: search ran for hours).  A bracket search that reaches it stops with
#: :func:`beyond_range`.
LOG_RANGE = 2**13
#: The refusal of a cutoff equation whose root lies below the support (both mpmath paths).
NO_SELECTION = ("no selection: the cutoff equation f j(phi*) + n f_x j(phi_x*) = delta f_e "
                "has its root below the lower bound of productivity {lower}: every entrant "
                "would produce")


def beyond_range(y, what: str = "the cutoff") -> NumericalError | None:
    """The error for a search that has reached ``y = log(phi)`` beyond :data:`LOG_RANGE`,
    or None within it."""
    if abs(y) <= LOG_RANGE:
        return None
    return NumericalError(f"{what} is not within exp(-{LOG_RANGE}) to exp({LOG_RANGE}) "
                          f"(about 1e-3557 to 1e3557), where the mpmath paths look for it: "
                          "the parameters are too extreme for any double result")


def newton_in_bracket(evaluate: Callable, lo, hi, dps: int, *, increasing: bool = False,
                      steps: int = 200, tol_digits: int = 13, polish: int = 6,
                      what: str = "the cutoff") -> list:
    r"""Root in ``y`` of the residual that ``evaluate(y) = (args, r, dr/dy)`` returns.

    At the working precision: Newton steps from the middle of the bracket
    ``[lo, hi]`` (the residual is decreasing, or ``increasing``), replaced by
    bisection where the step would leave the bracket, the slope has the wrong sign
    or the step is not half the step before it (Numerical Recipes' ``rtsafe``: a
    convex residual such as a Frechet tail at b = 1e308 otherwise took 200 Newton
    steps of 1/k each from the left of the root), for at most ``steps`` iterations
    or until a step is below ``10^-tol_digits`` relative; then at most ``polish``
    Newton steps at ``dps + 10`` digits until the step is below ``10^-(dps+2)``
    relative (convergence is quadratic), within :data:`LOG_RANGE`.
    Returns the ``args`` at the root.

    Raises
    ------
    NumericalError
        If the polish does not converge, or steps beyond :data:`LOG_RANGE`.
    """
    sign = -1 if increasing else 1
    y = (lo + hi) / 2
    last = hi - lo  # the step before the last (rtsafe's dxold)
    for _ in range(steps):
        _, r, dr = evaluate(y)
        lo, hi = (y, hi) if sign * r > 0 else (lo, y)
        new = y - r / dr if sign * dr < 0 else (lo + hi) / 2
        if not lo < new < hi or abs(2 * r) > abs(last * dr):
            new = (lo + hi) / 2  # out of the bracket, or not halving the step
        last = new - y
        done = abs(new - y) <= mpmath.mpf(10) ** -tol_digits * max(1, abs(y))
        y = new
        if done:
            break
    with mpmath.workdps(dps + 10):
        y = mpmath.mpf(y)
        tol = mpmath.mpf(10) ** -(dps + 2)
        for _ in range(polish):
            args, r, dr = evaluate(y)
            step = r / dr
            if abs(step) <= tol * max(1, abs(y)):
                return args
            y -= step
            if beyond_range(y):  # or nan: a step to y = 1e23 made mpmath.exp run out
                break  # of memory (melitz Pareto at k = 1.5e23)
    raise NumericalError(f"reference: the Newton polish of {what} did not converge")
