"""R target: one file of vectorised functions (base R only), with a cutoff solver.

Every function works elementwise on numeric vectors of one length (or scalars),
like R's arithmetic.  Special functions are R's own, in forms without
cancellation: ``erfc(x)`` as ``2 pnorm(-sqrt(2) x)`` (the normal tail, accurate
deep into it), ``erf(x)`` as ``sign(x) pchisq(2 x^2, 1)`` (no ``1 - erfc``
near 0), the regularised incomplete gamma functions ``gammaincc(a, x)`` and
``gammainc(a, x)`` as ``pgamma(x, a, lower.tail = FALSE)`` and ``pgamma(x, a)``,
``log Gamma`` as ``lgamma``, ``log1p`` and ``expm1`` as R's.  A closed form is
printed as the numeric layer evaluates it
(:func:`~melitz_sym.export.codegen.vectorised`): its power form and its stable
form (with ``ms_logaddexp``) at every point, the stable one taken where a
guarded value of the power form is not a normal double (``ms_normal``).
Piecewise selections print as ``ifelse``.  With
no closed form, ``solve_cutoff`` is the vectorised safeguarded Newton iteration
of the NumPy target, written in R, with the solvers' status codes.
"""

from __future__ import annotations

from sympy.printing.rcode import RCodePrinter

from ..codegen import Plan, evaluation, guarded, vectorised
from . import comment, function_doc
from .special import LogPrinting, carried


class _Printer(LogPrinting, RCodePrinter):
    """sympy's R printer with the special functions of the plan (module docstring)."""

    def _print_erfc(self, expr):
        return f"(2 * pnorm(-sqrt(2) * ({self._print(expr.args[0])})))"

    def _print_erf(self, expr):
        x = self._print(expr.args[0])
        return f"(sign({x}) * pchisq(2 * ({x})^2, 1))"

    def _print_gammaincc(self, expr):
        a, x = expr.args
        return f"pgamma({self._print(x)}, {self._print(a)}, lower.tail = FALSE)"

    def _print_gammainc(self, expr):
        a, x = expr.args
        return f"pgamma({self._print(x)}, {self._print(a)})"

    def _print_gamma(self, expr):
        return f"gamma({self._print(expr.args[0])})"

    def _print_loggamma(self, expr):
        return f"lgamma({self._print(expr.args[0])})"


NORMAL = """
# ms_normal: x is a normal double (neither overflowed nor underflowed, nor NaN).
ms_normal <- function(x) !is.na(x) & x >= .Machine$double.xmin & x <= .Machine$double.xmax"""

LOGADDEXP = """
# ms_logaddexp: log(exp(a) + exp(b)) = max(a, b) + log1p(exp(-|a - b|)), no overflow.
ms_logaddexp <- function(a, b) {
  m <- pmax(a, b)
  ifelse(!is.na(m) & m == -Inf, m, m + log1p(exp(-abs(a - b))))
}"""

#: name -> (code, functions of the file it calls)
CARRIED = {"logaddexp": (LOGADDEXP, ())}

#: The closed forms' Forms are printed (see the module docstring).
FORMS = True


_SOLVER = '''
# {p}_admissible: TRUE where every parameter is finite and the admissibility
# conditions hold.
{p}_admissible <- function({params}) {{
  is.finite({first}) & {finite} & ({condition})
}}

# {p}_solve_cutoff: the equilibrium cutoff phi_star, root of {p}_cutoff_residual above
# {p}_cutoff_lower, for vectors of parameters (recycled to one length).
# Safeguarded Newton iteration on y = log(phi_star), vectorised: the root of the
# decreasing residual is bracketed by doubling [lo, hi] (an end passed over becomes
# the other end), then Newton steps are taken and a bisection replaces any step that
# leaves the bracket; a residual that is NaN far up or far down ends the doubling on
# that side (NaN at both ends widens both) and a NaN inside the bracket moves the end
# that was NaN (or +Inf: an overflow, no value; a bracket closing on such an end is no
# root).  Converged where a Newton step (not a bisection) is below tol, or the bracket
# is a few ulps wide between ends with values.  Returns list(cutoff, status): status
# 0 where it converged, 1 where it did not, 2 where the parameters are inadmissible,
# 3 at a corner (the residual is negative at cutoff_lower: every entrant produces);
# cutoff is NaN unless the status is 0.  For gains, call it again with n = 0 for the autarky cutoff.
{p}_solve_cutoff <- function({params}, tol = 1e-15, iters = 200) {{
  len <- max(lengths(list({names})))
  args <- lapply(list({names}), function(a) rep_len(as.numeric(a), len))
  res <- function(phi) do.call({p}_cutoff_residual, c(list(phi), args))
  dres <- function(phi) do.call({p}_cutoff_residual_dphi, c(list(phi), args))
  bad <- !do.call({p}_admissible, args)
  bad[is.na(bad)] <- TRUE
  args <- lapply(args, function(a) ifelse(bad, NaN, a))
  lower <- rep_len(do.call({p}_cutoff_lower, args), len)
  corner <- !bad & lower > 0 & res(ifelse(lower > 0, lower, 1)) < 0
  corner[is.na(corner)] <- FALSE
  skip <- bad | corner
  args <- lapply(args, function(a) ifelse(corner, NaN, a))
  lo <- ifelse(!skip & lower > 0, log(ifelse(lower > 0, lower, 1)), -2)
  width <- rep(1, len)
  hi <- lo + width
  bracketed <- FALSE
  for (i in seq_len(200)) {{
    f_hi <- res(exp(hi))
    f_lo <- ifelse(lower <= 0, res(exp(lo)), 1)
    nan_hi <- is.nan(f_hi)
    nan_lo <- is.nan(f_lo)
    need_hi <- !skip & ((!nan_hi & f_hi > 0) | (nan_hi & nan_lo))
    need_lo <- !skip & ((!nan_lo & f_lo < 0) | (nan_hi & nan_lo))
    if (!any(need_hi | need_lo)) {{
      bracketed <- TRUE
      break
    }}
    width <- ifelse(need_hi | need_lo, 2 * width, width)
    up <- !nan_hi & f_hi > 0
    down <- !nan_lo & f_lo < 0
    new_lo <- ifelse(up, hi, lo)
    new_hi <- ifelse(down, lo, hi)
    lo <- ifelse(need_lo, new_lo - width, new_lo)
    hi <- ifelse(need_hi, new_hi + width, new_hi)
  }}
  failed <- if (bracketed) rep(FALSE, len) else need_hi | need_lo
  y <- 0.5 * (lo + hi)
  done <- skip
  for (i in seq_len(iters)) {{
    phi <- exp(y)
    f <- res(phi)
    nan <- is.nan(f)
    failed <- failed | (nan & nan_lo == nan_hi)
    to_lo <- (!nan & f > 0) | (nan & nan_lo & !nan_hi)
    to_hi <- (!nan & f < 0) | (nan & nan_hi & !nan_lo)
    lo <- ifelse(to_lo, y, lo)
    nan_lo <- ifelse(to_lo, nan | is.infinite(f), nan_lo)  # +inf: an overflow, no value
    hi <- ifelse(to_hi, y, hi)
    nan_hi <- ifelse(to_hi, nan, nan_hi)
    nxt <- y - f / (dres(phi) * phi)
    out <- !is.finite(nxt) | nxt <= lo | nxt >= hi
    out[is.na(out)] <- TRUE
    nxt <- ifelse(out, 0.5 * (lo + hi), nxt)
    scale <- pmax(1, abs(y))
    step_ok <- !out & is.finite(f) & abs(nxt - y) <= tol * scale  # a Newton step
    width_ok <- hi - lo <= 4e-16 * scale & !nan_lo & !nan_hi
    now <- step_ok | width_ok  # f == 0: a step of 0 where the slope is finite
    now[is.na(now)] <- FALSE
    done <- done | now
    y <- nxt
    if (all(done)) break
  }}
  status <- ifelse(bad, 2L, ifelse(corner, 3L, ifelse(failed | !done, 1L, 0L)))
  list(cutoff = ifelse(status == 0L, exp(y), NaN), status = status)
}}
'''


def render(plan: Plan) -> dict[str, str]:
    """``PREFIX.R``: one function ``PREFIX_<output>`` per output (base R, vectorised)."""
    printer = _Printer({"user_functions": {}})
    lines = [comment(plan.header(), "#")]
    lines += carried(plan, CARRIED) + ([NORMAL] if guarded(plan) else [])
    for f in plan.functions:
        args = ", ".join(a.name for a in f.args)
        lines += ["", comment(function_doc(plan, f), "#"),
                  f"{plan.prefix}_{f.name} <- function({args}) {{",
                  *vectorised(evaluation([f]), printer.doprint, "  {} <- {}", "ifelse"),
                  "  res", "}"]
    if plan.solver:
        names = ", ".join(p.name for p in plan.params)
        finite = " & ".join(f"is.finite({p.name})" for p in plan.params[1:])
        lines.append(_SOLVER.format(p=plan.prefix, params=names, names=names,
                                    first=plan.params[0].name, finite=finite or "TRUE",
                                    condition=printer.doprint(plan.admissible)).rstrip())
    return {f"{plan.prefix}.R": "\n".join(lines) + "\n"}
