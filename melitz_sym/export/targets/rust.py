"""Rust target: a module of ``pub fn`` on ``f64`` (no crates needed).

Rust's standard library has no error function: a module whose expressions use
``erfc`` or ``erf`` carries private implementations of them (:data:`ERFC`,
:data:`ERF`), emitted only when used
(:mod:`melitz_sym.export.targets.erfc`).
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.rust import RustCodePrinter

from ..codegen import Plan, cse
from . import comment, function_doc
from .erfc import NOTE, SPECIAL, carried

ERFC = "\n" + comment(NOTE, "//") + """
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut s = 0.0;
    for n in (1..=12).rev() {
        let m = n as f64;
        s = -x2 / m * (1.0 / (2.0 * m + 1.0) + s);
    }
    1.1283791670955126 * (x + x * s)
}

fn erfc(x: f64) -> f64 {
    if x.abs() < 0.5 {
        return 1.0 - erf_series(x);
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x >= 27.3 {
        return 0.0;
    }
    let x2 = x * x;
    let mut t = 0.0;
    for n in (1..=(130.0 / x2) as i64 + 12).rev() {
        let m = n as f64;
        t = m * (2.0 * m - 1.0) / 2.0 / (x2 + 2.0 * m + 0.5 - t);
    }
    let h = (x * 4096.0).trunc() / 4096.0;
    x * 0.5641895835477563 / (x2 + 0.5 - t) * (-(x - h) * (x + h)).exp() * (-h * h).exp()
}
"""

ERF = """
// erf from the same series (|x| < 0.5) and erf(x) = sign(x) (1 - erfc(|x|)) (>= 0.52 there).
fn erf(x: f64) -> f64 {
    if x.abs() < 0.5 {
        erf_series(x)
    } else {
        (1.0 - erfc(x.abs())).copysign(x)
    }
}
"""


class _Printer(RustCodePrinter):
    """sympy's Rust printer, with the parentheses it drops around sums restored,
    and ``erfc``/``erf`` printed as calls of the module's own implementations.

    sympy 1.14 wraps the factors of a product in an implicit float cast and
    prints ``b*f*(sigma - 1)`` as ``b*f*sigma - 1.0``; a cast sum is
    parenthesised here.  It decides on those casts by the factors' assumptions:
    ``erfc(u)`` and ``erf(u)`` are declared real (else ``2*erfc(u)`` keeps an
    integer ``2``), and an integer result is printed as a float (``0.0``).  It
    prints a constant power of an integer (``sqrt(2)``) as a 15-digit float:
    here it gets 20 digits (rounds to the nearest double), as does a function
    of a number (``log(2)``, which it would print as ``2_i32.ln()``).
    """

    def __init__(self):
        plain = {name: [(lambda *args: True, name, 4)] for name in SPECIAL}  # name(args)
        super().__init__({"user_functions": plain})

    def doprint(self, expr, assign_to=None):
        expr = sp.sympify(expr)
        if expr.is_Integer:
            expr = sp.Float(expr)
        special = {e for e in expr.atoms(sp.Function) if type(e).__name__ in SPECIAL}
        expr = expr.xreplace({e: sp.Function(type(e).__name__, real=True)(*e.args)
                              for e in special})
        # a function of a number (log(2)) would be called on an integer: its value instead
        expr = expr.xreplace({e: e.evalf(20) for e in expr.atoms(sp.Function) if e.is_number})
        return super().doprint(expr, assign_to)

    def _print_Pow(self, expr):
        if expr.is_number and expr.base.is_Integer and not expr.exp.is_Integer:
            return self._print(expr.evalf(20))
        return super()._print_Pow(expr)

    def _print_TypeCast(self, expr):
        out = super()._print_TypeCast(expr)
        return f"({out})" if expr.expr.is_Add and not expr.explicit else out

    def _print_Mul(self, expr):
        # sympy prints an integer over sums (-1/(sigma - 1.0)): no integer / f64 in Rust
        coeff, rest = expr.as_coeff_Mul()
        den = sp.Mul.make_args(rest)
        if coeff.is_Integer and all(f.is_Pow and f.exp.is_negative for f in den):
            return f"{float(coeff)!r}/({self._print(sp.Mul(*[f.base ** -f.exp for f in den]))})"
        return super()._print_Mul(expr)


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
    lines += carried(plan, ERFC, ERF)
    return {f"{plan.prefix}.rs": "\n".join(lines) + "\n"}
