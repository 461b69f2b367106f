"""Rust target: a module of ``pub fn`` on ``f64`` (no crates needed).

Rust's standard library has no error function, no (stable) gamma function and
no incomplete gamma function: a module whose expressions use ``erfc``,
``erf``, ``gamma``, ``gammaincc`` or ``gammainc`` carries private
implementations of them (:data:`ERFC`, :data:`ERF`, :data:`GAMMA`, and both
incomplete gamma functions on one core, :data:`INCGAMMA`), emitted only when
used (:mod:`melitz_sym.export.targets.special`).
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.rust import RustCodePrinter

from ..codegen import Plan, cse, unused_args
from . import comment, function_doc
from .special import (ERFC_NOTE, GAMMA_NOTE, GAMMAINCC_NOTE, LANCZOS, LANCZOS_G, SPECIAL,
                      carried, lgam1p_coefficients, literals)

ERFC = "\n" + comment(ERFC_NOTE, "//") + """
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

GAMMA = "\n" + comment(GAMMA_NOTE, "//") + """
const LANCZOS: [f64; 9] = [
    COEFS,
];

fn lanczos_sum(z: f64) -> f64 {
    let mut s = LANCZOS[0];
    for (i, c) in LANCZOS.iter().enumerate().skip(1) {
        s += c / (z + i as f64);
    }
    s
}

fn gamma(z: f64) -> f64 {
    if z < 0.5 {
        return gamma(z + 1.0) / z;
    }
    let t = z + (G - 0.5);
    let w = t.powf(0.5 * z - 0.25);
    (2.0 * PI).sqrt() * w * (w * (-t).exp()) * lanczos_sum(z - 1.0)
}

fn lgamma(z: f64) -> f64 {
    if z < 0.5 {
        return lgamma(z + 1.0) - z.ln();
    }
    let t = z + (G - 0.5);
    0.5 * (2.0 * PI).ln() + (z - 0.5) * t.ln() - t + lanczos_sum(z - 1.0).ln()
}
""".replace("COEFS", literals(LANCZOS, indent="    ")).replace("(G - 0.5)", f"{LANCZOS_G - 0.5!r}")

INCGAMMA = "\n" + comment(GAMMAINCC_NOTE, "//") + """
const INCGAMMA_TAYLOR: [f64; LEN] = [
    LGAM1P,
];

fn incgamma_lgam1p(a: f64) -> f64 {
    if a.abs() > 0.2 {
        return lgamma(1.0 + a);
    }
    a * INCGAMMA_TAYLOR.iter().rev().fold(0.0, |s, c| c + a * s)
}

fn incgamma_front(a: f64, x: f64) -> f64 {
    let la = a * x.ln();
    if x <= 700.0 && la < 700.0 && a < 170.0 {
        return x.powf(a) * (-x).exp() / gamma(a);
    }
    (la - x - lgamma(a)).exp()
}

fn incgamma(a: f64, x: f64, lower: bool) -> f64 {
    if !(x > 0.0) {
        return if x == 0.0 { if lower { 0.0 } else { 1.0 } } else { f64::NAN };
    }
    let p_series = if x > 1.1 {
        x < a
    } else if x <= 0.5 {
        -0.4 / x.ln() < a
    } else {
        x * 1.1 < a
    };
    if p_series {
        let (mut term, mut sum) = (1.0, 1.0);
        let mut n = 1.0;
        while n < 2000.0 && term > 1e-17 * sum {
            term *= x / (a + n);
            sum += term;
            n += 1.0;
        }
        let p = incgamma_front(a, x) / a * sum;
        return if lower { p } else { 1.0 - p };
    }
    if x <= 1.1 {
        let (mut fac, mut sum) = (1.0, 0.0);
        for i in 1..100 {
            let n = i as f64;
            fac *= -x / n;
            let term = fac / (a + n);
            sum += term;
            if term.abs() <= 1e-17 * sum.abs() {
                break;
            }
        }
        let y = a * x.ln() - incgamma_lgam1p(a);
        let rest = x.powf(a) / gamma(a) * sum;
        return if lower { y.exp() + rest } else { -y.exp_m1() - rest };
    }
    let tiny = 1e-300;
    let mut b = x + 1.0 - a;
    let (mut c, mut d) = (1.0 / tiny, 1.0 / b);
    let mut h = d;
    for i in 1..2000 {
        let n = i as f64;
        let an = -n * (n - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < tiny {
            d = tiny;
        }
        c = b + an / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() <= 1e-16 {
            break;
        }
    }
    let q = incgamma_front(a, x) * h;
    if lower { 1.0 - q } else { q }
}
""".replace("LGAM1P", literals(lgam1p_coefficients(), indent="    ")).replace(
    "LEN", str(len(lgam1p_coefficients())))

#: name -> (code, carried functions it calls)
CARRIED = {"erfc": (ERFC, ()), "erf": (ERF, ("erfc",)), "gamma": (GAMMA, ()),
           "incgamma": (INCGAMMA, ("gamma",)),
           "gammaincc": ("fn gammaincc(a: f64, x: f64) -> f64 {\n    incgamma(a, x, false)\n}",
                         ("incgamma",)),
           "gammainc": ("fn gammainc(a: f64, x: f64) -> f64 {\n    incgamma(a, x, true)\n}",
                        ("incgamma",))}


class _Printer(RustCodePrinter):
    """sympy's Rust printer, with the parentheses it drops around sums restored,
    and ``erfc``/``erf``/``gamma``/``gammaincc`` printed as calls of the module's own
    implementations.

    sympy 1.14 wraps the factors of a product in an implicit float cast and
    prints ``b*f*(sigma - 1)`` as ``b*f*sigma - 1.0``; a cast sum is
    parenthesised here.  It decides on those casts by the factors' assumptions:
    the carried functions (``erfc(u)``, ...) are declared real (else
    ``2*erfc(u)`` keeps an integer ``2``), an integer term of a sum is printed as
    a float (the factors of ``1 - t1/t0`` have no assumptions to decide by: every
    value printed here is an f64), and an integer result is printed as a float
    (``0.0``).  It
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

    def _print_Add(self, expr, order=None):
        if any(a.is_Integer for a in expr.args):
            expr = sp.Add(*[sp.Float(a) if a.is_Integer else a for a in expr.args],
                          evaluate=False)
        return super()._print_Add(expr, order)

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
             "#![allow(non_snake_case, clippy::all)]",
             "#[allow(unused_imports)]", "use std::f64::consts::*;"]
    printer = _Printer()
    for f in plan.functions:
        pairs, result = cse(f)
        unused = unused_args(f)  # every function takes all parameters: unused ones as _name
        args = ", ".join(f"{'_' * (a.name in unused)}{a.name}: f64" for a in f.args)
        lines += ["", comment(function_doc(plan, f), "///"), f"pub fn {f.name}({args}) -> f64 {{",
                  *[f"    let {t}: f64 = {printer.doprint(e)};" for t, e in pairs],
                  f"    {printer.doprint(result)}", "}"]
    lines += carried(plan, CARRIED)
    return {f"{plan.prefix}.rs": "\n".join(lines) + "\n"}
