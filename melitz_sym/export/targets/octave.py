"""MATLAB/Octave target: one function file per output (elementwise operators).

A closed form is printed as the numeric layer evaluates it
(:func:`~melitz_sym.export.codegen.vectorised`): its power form and its stable
form at every point, the stable one taken where a guarded value of the power
form is not a normal double; ``log1p``/``expm1`` are the language's,
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

#: name -> (local function, local functions it calls)
CARRIED = {"Piecewise": (SELECT, ()), "logaddexp": (LOGADDEXP, ())}

#: The closed forms' Forms are printed (see the module docstring).
FORMS = True


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
