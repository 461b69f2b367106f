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

from ..codegen import Plan, evaluation, guarded, newton_functions, straight_line, vectorised
from . import comment, function_doc
from .special import NORMAL_NOTE, LogPrinting, carried


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

    def _print_ndtr(self, expr):
        return f"pnorm({self._print(expr.args[0])})"

    def _print_log_ndtr(self, expr):
        return f"pnorm({self._print(expr.args[0])}, log.p = TRUE)"

    def _print_exp_ndtr(self, expr):
        return f"ms_exp_ndtr({self._print(expr.args[0])}, {self._print(expr.args[1])})"

    def _print_erfcx(self, expr):
        return f"ms_erfcx({self._print(expr.args[0])})"

    def _print_gamma(self, expr):
        return f"gamma({self._print(expr.args[0])})"

    def _print_loggamma(self, expr):
        return f"lgamma({self._print(expr.args[0])})"

    def _print_Min(self, expr):  # elementwise over vectors (min would reduce them)
        return f"pmin({', '.join(self._print(a) for a in expr.args)})"


NORMAL = """
# ms_normal: x is a normal double (neither overflowed nor underflowed, nor NaN).
ms_normal <- function(x) !is.na(x) & x >= .Machine$double.xmin & x <= .Machine$double.xmax"""

LOGADDEXP = """
# ms_logaddexp: log(exp(a) + exp(b)) = max(a, b) + log1p(exp(-|a - b|)), no overflow.
ms_logaddexp <- function(a, b) {
  m <- pmax(a, b)
  ifelse(!is.na(m) & m == -Inf, m, m + log1p(exp(-abs(a - b))))
}"""

EXP_NDTR = """
# ms_exp_ndtr: exp(a) pnorm(x), or exp(a + log pnorm(x)) where that is not a normal
# double (an overflowing exp or an underflowing pnorm).
ms_exp_ndtr <- function(a, x) {
  out <- exp(a) * pnorm(x)
  ok <- !is.na(out) & out >= .Machine$double.xmin & out <= .Machine$double.xmax
  ifelse(ok, out, exp(a + pnorm(x, log.p = TRUE)))
}"""

ERFCX = "\n" + comment(NORMAL_NOTE[-5:], "#") + """
ms_erfcx <- function(x) {
  h <- trunc(x * 4096) / 4096
  out <- exp(h * h) * exp((x - h) * (x + h)) * (2 * pnorm(-sqrt(2) * x))
  big <- !is.na(x) & x >= 0.5
  if (any(big)) {
    xb <- pmin(x[big], 1e8)
    x2 <- xb * xb
    levels <- floor(130 / x2) + 12
    t <- 0
    for (n in max(levels):1) {
      t <- ifelse(n <= levels, n * (2 * n - 1) / 2 / (x2 + 2 * n + 0.5 - t), t)
    }
    out[big] <- ifelse(x[big] > 1e8, 0.56418958354775628 / x[big],
                       xb * 0.56418958354775628 / (x2 + 0.5 - t))
  }
  out
}"""

#: name -> (code, functions of the file it calls)
CARRIED = {"logaddexp": (LOGADDEXP, ()), "exp_ndtr": (EXP_NDTR, ()), "erfcx": (ERFCX, ())}

#: The closed forms' Forms are printed (see the module docstring).
FORMS = True
#: A Newton model's residual, solver and outputs print solve's forms too.
NEWTON_FORMS = True


_SOLVER = '''
# {p}_admissible: TRUE where every parameter is finite and the admissibility
# conditions hold.
{p}_admissible <- function({params}) {{
  is.finite({first}) & {finite} & ({condition})
}}

{newton}
# {p}_solve_cutoff: the equilibrium cutoff phi_star, root of {p}_cutoff_residual above
# {p}_cutoff_lower, for vectors of parameters (recycled to one length).
# Safeguarded Newton iteration on y = log(phi_star), vectorised: the solver of
# melitz-sym's own solve (newton_log).  The residual R = P - c is a sum of
# exponentials of combined exponents, its parameter-only parts computed once
# (ms_newton_constants), R and dR/dy once per iteration (ms_newton_terms); the
# step is Newton's on log(P) - log(c) = log1p(R/c), nearly linear in y in the
# tails (the plain Newton step where that one leaves the bracket).  The search
# starts at y = log(lower) + 1 (lower > 0) or 0, inside the upper end
# log(cutoff_upper) where the support is bounded above; while one end of the bracket is
# open the step goes towards it (the Newton step while Newton steps shrink to
# less than half, at most 16 at first, else twice the previous step); once both
# ends are known a step that leaves the bracket or does not shrink to half the
# step before last is a bisection.  A NaN residual (an overflowed term, towards
# the lower end of the support) counts as positive; a bracket that closes onto a
# NaN or +Inf end (an overflow: no value) without a converged step is not a root.
# Converged where the Newton step is below tol relative to max(1, |y|) (a residual
# of exactly 0 is a step of 0 where the slope is finite and not 0) or the bracket
# is a few ulps wide.  Returns list(cutoff, status): status 0 where it converged, 1
# where it did not, 2 where the parameters are inadmissible, 3 at a corner (the
# residual is negative at cutoff_lower: every entrant produces); cutoff is NaN
# unless the status is 0.  For gains, call it again with n = 0 for the autarky
# cutoff.
{p}_solve_cutoff <- function({params}, tol = 1e-15, iters = 200) {{
  len <- max(lengths(list({names})))
  args <- lapply(list({names}), function(a) rep_len(as.numeric(a), len))
  bad <- !do.call({p}_admissible, args)
  bad[is.na(bad)] <- TRUE
  args <- lapply(args, function(a) ifelse(bad, NaN, a))
  lower <- rep_len(do.call({p}_cutoff_lower, args), len)
  corner <- !bad & lower > 0 &
    do.call({p}_cutoff_residual, c(list(ifelse(lower > 0, lower, 1)), args)) < 0
  corner[is.na(corner)] <- FALSE
  done <- bad | corner
  consts <- do.call(ms_newton_constants, args)
  bounded <- !is.na(lower) & lower > 0
  lo <- ifelse(bounded, log(ifelse(bounded, lower, 1)), -Inf)
  hi <- {upper}
  hi[is.na(hi)] <- Inf
  top <- hi
  y <- ifelse(bounded, lo + 1, 0)
  y <- ifelse(y < hi, y, ifelse(bounded, 0.5 * (lo + hi), hi - 1))
  done <- done | !(hi > lo)  # the search's top at or below its lower end: no room
  dx <- rep(0, len)
  dx_old <- rep(Inf, len)
  dn <- rep(0, len)
  lo_nan <- rep(FALSE, len)
  out <- rep(NaN, len)
  for (i in seq_len(iters)) {{
    terms <- do.call(ms_newton_terms, c(list(y), consts))
    f <- terms[[1]]
    df <- terms[[2]]
    nan <- is.na(f)
    lo_nan <- ifelse(nan | f == Inf, TRUE, ifelse(f > 0, FALSE, lo_nan))
    lo <- ifelse(nan | f > 0, y, lo)
    hi <- ifelse(!nan & f < 0, y, hi)
    plain <- ifelse(is.finite(df), f / df, NaN)
    far <- !is.na(terms[[3]] + terms[[4]]) & terms[[4]] > 0 & terms[[3]] > 0 & is.finite(df)
    step <- ifelse(far, log1p(f / ifelse(far, terms[[4]], 1)) * terms[[3]] / df, plain)
    newton <- y - step
    inside <- !is.na(newton) & newton > lo & newton < hi
    use <- !inside & !is.na(plain) & y - plain > lo & y - plain < hi
    newton <- ifelse(use, y - plain, newton)
    step <- ifelse(use, plain, step)
    inside <- inside | use
    size <- abs(step)
    scale <- pmax(1, abs(y))
    converged <- !is.na(size) & size <= tol * scale
    narrow <- hi - lo <= 4e-16 * scale
    now <- !done & (converged | narrow)
    out <- ifelse(now, ifelse(narrow & !converged & lo_nan, NaN, ifelse(inside, newton, y)), out)
    done <- done | now
    if (all(done)) break
    both <- is.finite(lo) & is.finite(hi)
    bisect <- !inside | size > 0.5 * dx_old
    grow <- pmax(2 * dx, 16)
    reach <- ifelse(inside & size < 0.5 * dn, size,
                    pmin(ifelse(inside, pmax(size, 2 * dx), grow), grow))
    new <- ifelse(both, ifelse(bisect, 0.5 * (lo + hi), newton),
                  y + ifelse(is.finite(lo), reach, -reach))
    if (i > 1) dx_old <- dx
    dx <- ifelse(both & bisect, Inf, abs(new - y))
    dn <- size
    y <- new
  }}
{tails}  beyond <- !is.na(out) & out > log(.Machine$double.xmax)  # no root past a double
  beyond <- beyond | (!is.na(out) & top - out < 2^-11)  # nor within 2^-11 of the top
  status <- ifelse(bad, 2L, ifelse(corner, 3L, ifelse(!done | is.na(out) | beyond, 1L, 0L)))
  list(cutoff = ifelse(status == 0L, exp(out), NaN), status = status)
}}
'''


#: No root where the residual's elasticity |dR/dy| / c times the root's tolerance
#: 2^-52 max(1, |y|) exceeds 2^-26, or where a factor g of a term t of the residual
#: (ms_newton_tails: c, dR/dy, then g and t at g = the smallest normal double, for
#: each) is below that double while t there exceeds 2^-53 |c|: the term keeps too few
#: bits to place the root.
_TAILS = """\
  at <- ifelse(is.na(out), 0, out)
  tails <- do.call(ms_newton_tails, c(list(at), consts))
  steep <- tails[[1]] != 0 &
    abs(tails[[2]]) * 2^-52 * pmax(1, abs(at)) > 2^-26 * abs(tails[[1]])
  out[!is.na(steep) & steep] <- NaN
  for (k in 2 * seq_len(length(tails) %/% 2 - 1) + 1) {
    lost <- abs(tails[[k]]) < .Machine$double.xmin &
      abs(tails[[k + 1]]) > 2^-53 * abs(tails[[1]])
    out[!is.na(lost) & lost] <- NaN
  }
"""


def _newton(plan: Plan, show) -> str:
    """``ms_newton_constants`` (the hoisted parts of the residual, a list) and
    ``ms_newton_terms`` (R, dR/dy, P and c): the residual as the iteration uses it
    (:func:`~melitz_sym.export.codegen.newton_functions`)."""
    once, every, tails = newton_functions(plan)
    out = []
    for name, funcs, args in (("ms_newton_constants", once, plan.params),
                              ("ms_newton_terms", every, every[0].args),
                              ("ms_newton_tails", tails, every[0].args)):
        def define(n: str, value) -> list[str]:
            return [f"  {n} <- {value if isinstance(value, str) else show(value)}"]

        def store(i: int, value, kind: str, funcs=funcs) -> list[str]:
            return [f"  ms_{funcs[i].name} <- {show(value)}"]

        lines = straight_line(evaluation(funcs), define, store, None)
        result = ", ".join(f"{f.name} = ms_{f.name}" for f in funcs)
        out += [f"{name} <- function({', '.join(a.name for a in args)}) {{", *lines,
                f"  list({result})", "}", ""]
    return "\n".join(out)


def render(plan: Plan) -> dict[str, str]:
    """``PREFIX.R``: one function ``PREFIX_<output>`` per output (base R, vectorised)."""
    printer = _Printer({"user_functions": {}})
    lines = [comment(plan.header(), "#")]
    lines += carried(plan, CARRIED, solver=True) + ([NORMAL] if guarded(plan) else [])
    for f in plan.functions:
        args = ", ".join(a.name for a in f.args)
        lines += ["", comment(function_doc(plan, f), "#"),
                  f"{plan.prefix}_{f.name} <- function({args}) {{",
                  *vectorised(evaluation([f]), printer.doprint, "  {} <- {}", "ifelse"),
                  "  res", "}"]
    if plan.solver:
        names = ", ".join(p.name for p in plan.params)
        finite = " & ".join(f"is.finite({p.name})" for p in plan.params[1:])
        newton = _newton(plan, printer.doprint)
        lines.append(_SOLVER.format(p=plan.prefix, params=names, names=names,
                                    first=plan.params[0].name, finite=finite or "TRUE",
                                    condition=printer.doprint(plan.admissible),
                                    newton=newton, tails=_TAILS,
                                    upper=f"rep_len(log(do.call({plan.prefix}_cutoff_upper, "
                                    "args)), len)" if plan.bounded_above
                                    else "rep(Inf, len)").rstrip())
    return {f"{plan.prefix}.R": "\n".join(lines) + "\n"}
