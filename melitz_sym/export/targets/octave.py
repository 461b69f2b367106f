"""MATLAB/Octave target: one function file per output (elementwise operators)."""

from __future__ import annotations

import sympy as sp

from ..codegen import Plan, case_safe_names, cse
from . import comment, function_doc


def render(plan: Plan) -> dict[str, str]:
    """``PREFIX_<output>.m`` for each output; arguments may be arrays of one shape."""
    names = case_safe_names(plan)
    files = {}
    for f in plan.functions:
        fname = f"{plan.prefix}_{names[f.name]}"
        pairs, result = cse(f)
        args = ", ".join(a.name for a in f.args)
        lines = [f"function res = {fname}({args})",
                 comment(function_doc(plan, f) + [""] + plan.header(), "  %"),
                 *[f"  {t} = {sp.octave_code(e)};" for t, e in pairs],
                 f"  res = {sp.octave_code(result)};", "end"]
        files[f"{fname}.m"] = "\n".join(lines) + "\n"
    return files
