"""Rust target: a module of ``pub fn`` on ``f64`` (no crates needed)."""

from __future__ import annotations

from sympy.printing.rust import RustCodePrinter

from ..codegen import Plan, cse
from . import comment, function_doc


class _Printer(RustCodePrinter):
    """sympy's Rust printer, with the parentheses it drops around sums restored.

    sympy 1.14 wraps the factors of a product in an implicit float cast and
    prints ``b*f*(sigma - 1)`` as ``b*f*sigma - 1.0``; a cast sum is
    parenthesised here.
    """

    def _print_TypeCast(self, expr):
        out = super()._print_TypeCast(expr)
        return f"({out})" if expr.expr.is_Add and not expr.explicit else out


def render(plan: Plan) -> dict[str, str]:
    """``PREFIX.rs``: one ``pub fn <output>`` each (the module is the namespace)."""
    lines = [comment(plan.header(), "//!"),
             "#![allow(non_snake_case, unused_variables, clippy::all)]",
             "#[allow(unused_imports)]", "use std::f64::consts::*;"]
    printer = _Printer()
    for f in plan.functions:
        pairs, result = cse(f)
        args = ", ".join(f"{a.name}: f64" for a in f.args)
        lines += ["", comment(function_doc(plan, f), "///"), f"pub fn {f.name}({args}) -> f64 {{",
                  *[f"    let {t}: f64 = {printer.doprint(e)};" for t, e in pairs],
                  f"    {printer.doprint(result)}", "}"]
    return {f"{plan.prefix}.rs": "\n".join(lines) + "\n"}
