"""MATLAB/Octave target: one function file per output (elementwise operators).

A closed form is printed as the numeric layer evaluates it
(:func:`~melitz_sym.export.codegen.vectorised`): its power form and its stable
form at every point, the stable one taken where a guarded value of the power
form is not a normal double; ``log1p``/``expm1``/``erfcx`` are the language's,
the normal distribution function Phi, its log and ``exp(a) Phi(x)`` local
functions ``ms_ndtr``, ``ms_log_ndtr``, ``ms_exp_ndtr`` (as scipy computes them),
``logaddexp`` and the elementwise selection (a Piecewise selection too) the
file's local functions ``ms_logaddexp`` and ``ms_select`` (no ``c.*a +
(~c).*b``, where an inf or nan of the branch not taken would leak).

The regularised upper and lower incomplete gamma functions ``gammaincc(a, x)``
and ``gammainc(a, x)`` are the language's ``gammainc(x, a, 'upper')`` and
``gammainc(x, a)`` (arguments swapped; sympy's Octave
printer writes ``uppergamma(a, x)`` as ``gammainc(x, a, 'upper').*gamma(a)``,
which is right, but does not know the regularised function on its own).
"""

from __future__ import annotations

from dataclasses import replace

from sympy.printing.octave import OctaveCodePrinter

from ..codegen import Plan, case_safe_names, evaluation, guarded, vectorised
from . import comment, function_doc
from .special import LogPrinting, carried


SELECT = """function r = ms_select(c, a, b)
  % a where c holds, else b, elementwise (a value of the branch not taken, inf or
  % nan, does not leak into the result as it would through c.*a + (~c).*b)
  r = b + zeros(size(a + b + c));
  m = c & true(size(r));
  a = a + zeros(size(r));
  r(m) = a(m);
end"""

NORMAL = """function ok = ms_normal(x)
  % x is a normal double: neither overflowed nor underflowed (nor nan)
  ok = x >= realmin & x <= realmax;
end"""

LOGADDEXP = """function r = ms_logaddexp(a, b)
  % log(exp(a) + exp(b)) = max(a, b) + log1p(exp(-|a - b|)): no overflow
  m = max(a, b);
  r = m + log1p(exp(-abs(a - b)));
  r(m == -Inf) = -Inf;
end"""

NDTR = """function r = ms_ndtr(x)
  % Phi(x), standard normal distribution function, as scipy's ndtr (z = x/sqrt(2)):
  % 1/2 + erf(z)/2 for |z| < 1/sqrt(2), else erfc(|z|)/2, or 1 minus it for z > 0
  z = x .* 0.70710678118654752;
  r = 0.5 .* erfc(abs(z));
  r(z > 0) = 1 - r(z > 0);
  m = abs(z) < 0.70710678118654752;
  r(m) = 0.5 + 0.5 .* erf(z(m));
end"""

LOG_NDTR = """function r = ms_log_ndtr(x)
  % log Phi(x), as scipy's log_ndtr (z = x/sqrt(2)): log(erfcx(-z)/2) - z^2 for
  % x < -1 (no underflow), else log1p(-erfc(z)/2)
  z = x .* 0.70710678118654752;
  r = log1p(-erfc(z) ./ 2);
  m = x < -1;
  r(m) = log(erfcx(-z(m)) ./ 2) - z(m) .* z(m);
end"""

EXP_NDTR = """function r = ms_exp_ndtr(a, x)
  % exp(a) Phi(x): that product, or exp(a + log Phi(x)) where it is not a normal double
  r = exp(a) .* ms_ndtr(x);
  m = ~(abs(r) >= realmin & abs(r) <= realmax);
  if any(m(:))
    a = a + zeros(size(r));
    x = x + zeros(size(r));
    r(m) = exp(a(m) + ms_log_ndtr(x(m)));
  end
end"""

#: name -> (local function, local functions it calls)
CARRIED = {"Piecewise": (SELECT, ()), "logaddexp": (LOGADDEXP, ()), "ndtr": (NDTR, ()),
           "log_ndtr": (LOG_NDTR, ()), "exp_ndtr": (EXP_NDTR, ("ndtr", "log_ndtr"))}

#: The closed forms' Forms are printed (see the module docstring).
FORMS = True
#: A Newton model's residual and outputs print solve's forms too.
NEWTON_FORMS = True


class _Printer(LogPrinting, OctaveCodePrinter):
    """sympy's Octave printer, with ``gammaincc(a, x)`` as ``gammainc(x, a, 'upper')``
    and ``gammainc(a, x)`` as ``gammainc(x, a)``, ``log1p``/``expm1`` as Octave's,
    ``logaddexp`` and Piecewise selections as the file's local functions
    ``ms_logaddexp`` and ``ms_select``."""

    def _print_Piecewise(self, expr):
        if expr.args[-1].cond != True:  # noqa: E712 (sympy's true)
            raise ValueError("a Piecewise needs a last (expr, True) branch")
        text = self._print(expr.args[-1].expr)
        for e, c in reversed(expr.args[:-1]):
            text = f"ms_select({self._print(c)}, {self._print(e)}, {text})"
        return text

    def _print_ndtr(self, expr):
        return f"ms_ndtr({self._print(expr.args[0])})"

    def _print_log_ndtr(self, expr):
        return f"ms_log_ndtr({self._print(expr.args[0])})"

    def _print_exp_ndtr(self, expr):
        return f"ms_exp_ndtr({self._print(expr.args[0])}, {self._print(expr.args[1])})"

    def _print_erfcx(self, expr):
        return f"erfcx({self._print(expr.args[0])})"

    def _print_gammaincc(self, expr):
        a, x = expr.args
        return f"gammainc({self._print(x)}, {self._print(a)}, 'upper')"

    def _print_gammainc(self, expr):
        a, x = expr.args
        return f"gammainc({self._print(x)}, {self._print(a)})"


def render(plan: Plan) -> dict[str, str]:
    """``PREFIX_<output>.m`` for each output; arguments may be arrays of one shape."""
    names = case_safe_names(plan)
    files = {}
    printer = _Printer()
    for f in plan.functions:
        fname = f"{plan.prefix}_{names[f.name]}"
        args = ", ".join(a.name for a in f.args)
        one = replace(plan, functions=(f,))
        local = carried(one, CARRIED)
        if guarded(one):
            local = [NORMAL] + ([] if SELECT in local else [SELECT]) + local
        lines = [f"function res = {fname}({args})",
                 comment(function_doc(plan, f) + [""] + plan.header(), "  %"),
                 *vectorised(evaluation([f]), printer.doprint, "  {} = {};", "ms_select"),
                 "end",
                 *[x for code in local for x in ("", code)]]
        files[f"{fname}.m"] = "\n".join(lines) + "\n"
    return files
