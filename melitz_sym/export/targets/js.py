"""JavaScript target: an ES module exporting one function per output."""

from __future__ import annotations

import sympy as sp

from ..codegen import Plan, cse
from . import comment, function_doc


def render(plan: Plan) -> dict[str, str]:
    """``PREFIX.mjs``: ``export function <output>(...)`` each."""
    lines = [comment(plan.header(), "//")]
    for f in plan.functions:
        pairs, result = cse(f)
        args = ", ".join(a.name for a in f.args)
        lines += ["", "/**", comment(function_doc(plan, f), " *"), " */",
                  f"export function {f.name}({args}) {{",
                  *[f"  const {t} = {sp.jscode(e)};" for t, e in pairs],
                  f"  return {sp.jscode(result)};", "}"]
    return {f"{plan.prefix}.mjs": "\n".join(lines) + "\n"}
