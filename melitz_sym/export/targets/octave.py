"""MATLAB/Octave target: one function file per output (elementwise operators).

The regularised upper and lower incomplete gamma functions ``gammaincc(a, x)``
and ``gammainc(a, x)`` are the language's ``gammainc(x, a, 'upper')`` and
``gammainc(x, a)`` (arguments swapped; sympy's Octave
printer writes ``uppergamma(a, x)`` as ``gammainc(x, a, 'upper').*gamma(a)``,
which is right, but does not know the regularised function on its own).
"""

from __future__ import annotations

from sympy.printing.octave import OctaveCodePrinter

from ..codegen import Plan, case_safe_names, cse
from . import comment, function_doc


class _Printer(OctaveCodePrinter):
    """sympy's Octave printer, with ``gammaincc(a, x)`` as ``gammainc(x, a, 'upper')``
    and ``gammainc(a, x)`` as ``gammainc(x, a)``."""

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
        pairs, result = cse(f)
        args = ", ".join(a.name for a in f.args)
        lines = [f"function res = {fname}({args})",
                 comment(function_doc(plan, f) + [""] + plan.header(), "  %"),
                 *[f"  {t} = {printer.doprint(e)};" for t, e in pairs],
                 f"  res = {printer.doprint(result)};", "end"]
        files[f"{fname}.m"] = "\n".join(lines) + "\n"
    return files
