"""Rust target: a module of ``pub fn`` on ``f64`` (no crates needed).

A closed form is printed as the numeric layer evaluates it (as the C target
does, :func:`~melitz_sym.export.codegen.straight_line`): its power form, and
where one of its guarded values is not a normal double (``ms_normal``) its
stable form, with ``ln_1p``/``exp_m1`` and a private ``logaddexp``
(:data:`LOGADDEXP`); a Piecewise selection as ``if``/``else``.

Rust's standard library has no error function, no (stable) gamma function and
no incomplete gamma function: a module whose expressions use ``erfc``,
``erf``, ``gamma``, ``gammaincc`` or ``gammainc`` carries private
implementations of them (:data:`ERFC`, :data:`ERF`, :data:`GAMMA`, and both
incomplete gamma functions on one core, :data:`INCGAMMA`), emitted only when
used (:mod:`melitz_sym.export.targets.special`).
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.codeprinter import CodePrinter
from sympy.printing.rust import RustCodePrinter

from ..codegen import Plan, evaluation, guarded, straight_line, unused_args
from . import comment, function_doc
from .special import (ERFC_NOTE, GAMMA_NOTE, GAMMAINCC_NOTE, LANCZOS, LANCZOS_G, NORMAL_NOTE,
                      SPECIAL,
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
    let h = (x * 4096.0).trunc() / 4096.0;
    erfcx(x) * (-(x - h) * (x + h)).exp() * (-h * h).exp()
}

// erfcx(x) = exp(x^2) erfc(x): the continued fraction above for x >= 0.5 (see also the
// note on Phi), exp(x^2) erfc(x) below, exp(x^2) split as exp(-x^2) is above.
fn erfcx(x: f64) -> f64 {
    if x < 0.5 {
        let h = (x * 4096.0).trunc() / 4096.0;
        return (h * h).exp() * ((x - h) * (x + h)).exp() * erfc(x);
    }
    if x > 1e8 {
        return 0.5641895835477563 / x;
    }
    let x2 = x * x;
    let mut t = 0.0;
    for n in (1..=(130.0 / x2) as i64 + 12).rev() {
        let m = n as f64;
        t = m * (2.0 * m - 1.0) / 2.0 / (x2 + 2.0 * m + 0.5 - t);
    }
    x * 0.5641895835477563 / (x2 + 0.5 - t)
}
"""

NDTR = "\n" + comment(NORMAL_NOTE[:9], "//") + """
fn ndtr(x: f64) -> f64 {
    let z = x * 0.7071067811865476;
    if z.abs() < 0.7071067811865476 {
        return 0.5 + 0.5 * erf(z);
    }
    let y = 0.5 * erfc(z.abs());
    if z > 0.0 {
        1.0 - y
    } else {
        y
    }
}
"""

LOG_NDTR = """
fn log_ndtr(x: f64) -> f64 {
    let z = x * 0.7071067811865476;
    if x < -1.0 {
        return (erfcx(-z) / 2.0).ln() - z * z;
    }
    (-erfc(z) / 2.0).ln_1p()
}
"""

EXP_NDTR = """
fn exp_ndtr(a: f64, x: f64) -> f64 {
    let out = a.exp() * ndtr(x);
    if out.abs() >= f64::MIN_POSITIVE && out.abs() <= f64::MAX {
        return out;
    }
    (a + log_ndtr(x)).exp()
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

LOGADDEXP = """
// logaddexp(a, b) = log(exp(a) + exp(b)) = max(a, b) + ln_1p(exp(-|a - b|)): no overflow.
fn logaddexp(a: f64, b: f64) -> f64 {
    let m = if a > b { a } else { b };
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + (-(a - b).abs()).exp().ln_1p()
}"""

NORMAL = """
// x is a normal double: neither overflowed nor underflowed (nor nan).
fn ms_normal(x: f64) -> bool {
    x >= f64::MIN_POSITIVE && x <= f64::MAX
}"""

#: The closed forms' Forms are printed (see the module docstring).
FORMS = True
#: A Newton model's residual and outputs print solve's forms too.
NEWTON_FORMS = True

#: Functions the module carries and calls as ``name(args)``.
_PLAIN = SPECIAL + ("logaddexp",)

#: name -> (code, carried functions it calls)
CARRIED = {"logaddexp": (LOGADDEXP, ()),
           "erfc": (ERFC, ()), "erfcx": ("", ("erfc",)), "erf": (ERF, ("erfc",)),
           "ndtr": (NDTR, ("erf",)), "log_ndtr": (LOG_NDTR, ("erfc",)),
           "exp_ndtr": (EXP_NDTR, ("ndtr", "log_ndtr")), "gamma": (GAMMA, ()),
           "incgamma": (INCGAMMA, ("gamma",)),
           "gammaincc": ("fn gammaincc(a: f64, x: f64) -> f64 {\n    incgamma(a, x, false)\n}",
                         ("incgamma",)),
           "gammainc": ("fn gammainc(a: f64, x: f64) -> f64 {\n    incgamma(a, x, true)\n}",
                        ("incgamma",))}


class _Printer(RustCodePrinter):
    """sympy's Rust printer, with arithmetic printed as sympy's C printer does
    (every value printed here is an f64), ``erfc``/``gamma``/``logaddexp``/...
    as calls of the module's own implementations and ``log1p``/``expm1`` as
    ``ln_1p``/``exp_m1``.

    sympy 1.14's wraps each factor of a product and each term of a sum in an
    implicit float cast, decided by their assumptions: it then prints ``x/y``
    as ``x*y.recip()`` (two roundings where C has one) and drops the
    parentheses around a cast sum (``b*f*(sigma - 1)`` as ``b*f*sigma - 1.0``).
    Here products and sums are printed as by the C printer, every integer
    constant as a float (``2.0*x``, ``x + 1.0``, an integer result ``0.0``; an
    integer power stays ``x.powi(2)``).  It prints a constant power of an
    integer (``sqrt(2)``) as a 15-digit float: here it gets 20 digits (rounds to
    the nearest double), as does a function of a number (``log(2)``, which it
    would print as ``2_i32.ln()``).
    """

    def __init__(self):
        plain = {name: [(lambda *args: True, name, 4)] for name in _PLAIN}  # name(args)
        methods = {"log1p": "ln_1p", "expm1": "exp_m1"}  # x.ln_1p()
        plain.update({k: [(lambda *args: True, v, 2)] for k, v in methods.items()})
        super().__init__({"user_functions": plain})

    def doprint(self, expr, assign_to=None):
        expr = sp.sympify(expr)
        if expr.is_Integer:
            expr = sp.Float(expr)
        # a function of a number (log(2)) would be called on an integer: its value instead
        expr = expr.xreplace({e: e.evalf(20) for e in expr.atoms(sp.Function) if e.is_number})
        return super().doprint(expr, assign_to)

    def _print_Function(self, expr):
        # an integer argument (logaddexp(0, x)) as a float: no i32 where f64 is expected
        if any(a.is_Integer for a in expr.args):
            expr = expr.func(*[sp.Float(a) if a.is_Integer else a for a in expr.args])
        return super()._print_Function(expr)

    def _print_Piecewise(self, expr):
        # if c { a } else if d { b } else { e }: sympy's parenthesises the conditions,
        # which rustc warns about (unused_parens)
        if expr.args[-1].cond != True:  # noqa: E712 (sympy's true)
            raise ValueError("a Piecewise needs a last (expr, True) branch")
        text = " else ".join(f"if {self._print(c)} {{ {self._print(e)} }}"
                             for e, c in expr.args[:-1])
        return f"{text} else {{ {self._print(expr.args[-1].expr)} }}"

    def _print_Min(self, expr):  # f64::min is a method: a.min(b).min(c)
        first, *rest = expr.args
        return f"({self._print(first)})" + "".join(f".min({self._print(a)})" for a in rest)

    def _print_Pow(self, expr):
        if expr.is_number and expr.base.is_Integer and not expr.exp.is_Integer:
            return self._print(expr.evalf(20))
        return super()._print_Pow(expr)

    def _print_Add(self, expr, order=None):
        if any(a.is_Integer for a in expr.args):
            expr = sp.Add(*[sp.Float(a) if a.is_Integer else a for a in expr.args],
                          evaluate=False)
        return CodePrinter._print_Add(self, expr, order)

    def _print_Mul(self, expr):
        coeff, rest = expr.as_coeff_Mul()
        den = sp.Mul.make_args(rest)
        if coeff.is_Integer and all(f.is_Pow and f.exp.is_negative for f in den):
            # an integer over a product (1/(delta*f_e)): no integer / f64 in Rust
            return f"{float(coeff)!r}/({self._print(sp.Mul(*[f.base ** -f.exp for f in den]))})"
        if coeff.is_Integer and abs(coeff) != 1:
            expr = sp.Mul(sp.Float(coeff), rest, evaluate=False)
        return CodePrinter._print_Mul(self, expr)


def _body(f) -> list[str]:
    """The body of ``f``'s function: its forms as the numeric layer evaluates them
    (:func:`~melitz_sym.export.codegen.straight_line`), the last value the result."""
    printer = _Printer()

    def define(name: str, value) -> list[str]:
        text = re.sub(r"\b1\b", "1.0", value) if isinstance(value, str) else printer.doprint(value)
        return [f"    let {name}: f64 = {text};"]

    def put(i: int, value: sp.Expr, kind: str) -> list[str]:
        if kind == "fast":
            return [f"        return {printer.doprint(value)};"]
        return [f"    {printer.doprint(value)}"]

    def when_normal(guards: list, lines: list[str]) -> list[str]:
        tests = " && ".join(f"ms_normal({printer.doprint(g)})" for g in guards)
        return [f"    if {tests} {{", *lines, "    }"]

    return straight_line(evaluation([f]), define, put, when_normal)


def render(plan: Plan) -> dict[str, str]:
    """``PREFIX.rs``: one ``pub fn <output>`` each (the module is the namespace)."""
    lines = [comment(plan.header(), "//!"),
             "#![allow(non_snake_case, clippy::all)]",
             "#[allow(unused_imports)]", "use std::f64::consts::*;"]
    for f in plan.functions:
        unused = unused_args(f)  # every function takes all parameters: unused ones as _name
        args = ", ".join(f"{'_' * (a.name in unused)}{a.name}: f64" for a in f.args)
        lines += ["", comment(function_doc(plan, f), "///"), f"pub fn {f.name}({args}) -> f64 {{",
                  *_body(f), "}"]
    lines += [c for c in carried(plan, CARRIED) if c] + ([NORMAL] if guarded(plan) else [])
    return {f"{plan.prefix}.rs": "\n".join(lines) + "\n"}
