"""JavaScript target: an ES module exporting one function per output.

A closed form is printed as the numeric layer evaluates it (as the C target
does, :func:`~melitz_sym.export.codegen.straight_line`): its power form, and
where one of its guarded values is not a normal double (``ms_normal``) its
stable form, with ``Math.log1p``/``Math.expm1`` and a private ``logaddexp``
(:data:`LOGADDEXP`); a Piecewise selection as a conditional expression.

JavaScript's ``Math`` has no error function, no gamma function and no
incomplete gamma function: a module whose expressions use ``erfc``, ``erf``,
``gamma``, ``gammaincc`` or ``gammainc`` carries private (not exported)
implementations of them (:data:`ERFC`, :data:`ERF`, :data:`GAMMA`, and both
incomplete gamma functions on one core, :data:`INCGAMMA`), emitted only when
used (:mod:`melitz_sym.export.targets.special`).
"""

from __future__ import annotations

import sympy as sp

from ..codegen import Plan, evaluation, guarded, straight_line
from . import comment, function_doc
from .special import (ERFC_NOTE, GAMMA_NOTE, GAMMAINCC_NOTE, LANCZOS, LANCZOS_G, NORMAL_NOTE,
                      SPECIAL,
                      carried, lgam1p_coefficients, literals)

ERFC = "\n" + comment(ERFC_NOTE, "//") + """
function erf_series(x) {
  const x2 = x * x;
  let s = 0;
  for (let n = 12; n > 0; n--) {
    s = -x2 / n * (1 / (2 * n + 1) + s);
  }
  return 1.1283791670955126 * (x + x * s);
}

function erfc(x) {
  if (Math.abs(x) < 0.5) {
    return 1 - erf_series(x);
  }
  if (x < 0) {
    return 2 - erfc(-x);
  }
  if (x >= 27.3) {
    return 0;
  }
  const h = Math.trunc(x * 4096) / 4096;
  return erfcx(x) * Math.exp(-(x - h) * (x + h)) * Math.exp(-h * h);
}

// erfcx(x) = exp(x^2) erfc(x): the continued fraction above for x >= 0.5 (see also the
// note on Phi), exp(x^2) erfc(x) below, exp(x^2) split as exp(-x^2) is above.
function erfcx(x) {
  if (x < 0.5) {
    const h = Math.trunc(x * 4096) / 4096;
    return Math.exp(h * h) * Math.exp((x - h) * (x + h)) * erfc(x);
  }
  if (x > 1e8) {
    return 0.5641895835477563 / x;
  }
  const x2 = x * x;
  let t = 0;
  for (let n = Math.floor(130 / x2) + 12; n > 0; n--) {
    t = n * (2 * n - 1) / 2 / (x2 + 2 * n + 0.5 - t);
  }
  return x * 0.5641895835477563 / (x2 + 0.5 - t);
}
"""

NDTR = "\n" + comment(NORMAL_NOTE[:9], "//") + """
function ndtr(x) {
  const z = x * 0.7071067811865476;
  if (Math.abs(z) < 0.7071067811865476) {
    return 0.5 + 0.5 * erf(z);
  }
  const y = 0.5 * erfc(Math.abs(z));
  return z > 0 ? 1 - y : y;
}
"""

LOG_NDTR = """
function log_ndtr(x) {
  const z = x * 0.7071067811865476;
  if (x < -1) {
    return Math.log(erfcx(-z) / 2) - z * z;
  }
  return Math.log1p(-erfc(z) / 2);
}
"""

EXP_NDTR = """
function exp_ndtr(a, x) {
  const out = Math.exp(a) * ndtr(x);
  if (Math.abs(out) >= 2.2250738585072014e-308 && Math.abs(out) <= Number.MAX_VALUE) {
    return out;
  }
  return Math.exp(a + log_ndtr(x));
}
"""

ERF = """
// erf from the same series (|x| < 0.5) and erf(x) = sign(x) (1 - erfc(|x|)) (>= 0.52 there).
function erf(x) {
  return Math.abs(x) < 0.5 ? erf_series(x) : Math.sign(x) * (1 - erfc(Math.abs(x)));
}
"""

GAMMA = "\n" + comment(GAMMA_NOTE, "//") + """
const LANCZOS = [
  COEFS,
];

function lanczos_sum(z) {
  let s = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) {
    s += LANCZOS[i] / (z + i);
  }
  return s;
}

function gamma(z) {
  if (z < 0.5) {
    return gamma(z + 1) / z;
  }
  const t = z + (G - 0.5);
  const w = Math.pow(t, 0.5 * z - 0.25);
  return Math.sqrt(2 * Math.PI) * w * (w * Math.exp(-t)) * lanczos_sum(z - 1);
}

function lgamma(z) {
  if (z < 0.5) {
    return lgamma(z + 1) - Math.log(z);
  }
  const t = z + (G - 0.5);
  return 0.5 * Math.log(2 * Math.PI) + (z - 0.5) * Math.log(t) - t + Math.log(lanczos_sum(z - 1));
}
""".replace("COEFS", literals(LANCZOS, indent="  ")).replace("(G - 0.5)", f"{LANCZOS_G - 0.5!r}")

INCGAMMA = "\n" + comment(GAMMAINCC_NOTE, "//") + """
const INCGAMMA_TAYLOR = [
  LGAM1P,
];

function incgamma_lgam1p(a) {
  if (Math.abs(a) > 0.2) {
    return lgamma(1 + a);
  }
  let s = 0;
  for (let k = INCGAMMA_TAYLOR.length - 1; k >= 0; k--) {
    s = INCGAMMA_TAYLOR[k] + a * s;
  }
  return a * s;
}

function incgamma_front(a, x) {
  const la = a * Math.log(x);
  if (x <= 700 && la < 700 && a < 170) {
    return Math.pow(x, a) * Math.exp(-x) / gamma(a);
  }
  return Math.exp(la - x - lgamma(a));
}

function incgamma(a, x, lower) {
  if (!(x > 0)) {
    return x === 0 ? (lower ? 0 : 1) : NaN;
  }
  if (x > 1.1 ? x < a : x <= 0.5 ? -0.4 / Math.log(x) < a : x * 1.1 < a) {
    let term = 1, sum = 1;
    for (let n = 1; n < 2000 && term > 1e-17 * sum; n++) {
      term *= x / (a + n);
      sum += term;
    }
    const p = incgamma_front(a, x) / a * sum;
    return lower ? p : 1 - p;
  }
  if (x <= 1.1) {
    let fac = 1, sum = 0;
    for (let n = 1; n < 100; n++) {
      fac *= -x / n;
      const term = fac / (a + n);
      sum += term;
      if (Math.abs(term) <= 1e-17 * Math.abs(sum)) {
        break;
      }
    }
    const y = a * Math.log(x) - incgamma_lgam1p(a);
    const rest = Math.pow(x, a) / gamma(a) * sum;
    return lower ? Math.exp(y) + rest : -Math.expm1(y) - rest;
  }
  const tiny = 1e-300;
  let b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (let n = 1; n < 2000; n++) {
    const an = -n * (n - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) {
      d = tiny;
    }
    c = b + an / c;
    if (Math.abs(c) < tiny) {
      c = tiny;
    }
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) <= 1e-16) {
      break;
    }
  }
  const q = incgamma_front(a, x) * h;
  return lower ? 1 - q : q;
}
""".replace("LGAM1P", literals(lgam1p_coefficients(), indent="  "))

LOGADDEXP = """
// logaddexp(a, b) = log(exp(a) + exp(b)) = max(a, b) + log1p(exp(-|a - b|)): no overflow.
function logaddexp(a, b) {
  const m = a > b ? a : b;
  if (m === -Infinity) {
    return m;
  }
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}"""

NORMAL = """
// x is a normal double: neither overflowed nor underflowed (nor NaN).
function ms_normal(x) {
  return x >= 2.2250738585072014e-308 && x <= Number.MAX_VALUE;
}"""

#: The closed forms' Forms are printed (see the module docstring).
FORMS = True
#: A Newton model's residual and outputs print solve's forms too.
NEWTON_FORMS = True

#: name -> (code, carried functions it calls)
CARRIED = {"logaddexp": (LOGADDEXP, ()),
           "erfc": (ERFC, ()), "erfcx": ("", ("erfc",)), "erf": (ERF, ("erfc",)),
           "ndtr": (NDTR, ("erf",)), "log_ndtr": (LOG_NDTR, ("erfc",)),
           "exp_ndtr": (EXP_NDTR, ("ndtr", "log_ndtr")), "gamma": (GAMMA, ()),
           "incgamma": (INCGAMMA, ("gamma",)),
           "gammaincc": ("function gammaincc(a, x) {\n  return incgamma(a, x, false);\n}",
                         ("incgamma",)),
           "gammainc": ("function gammainc(a, x) {\n  return incgamma(a, x, true);\n}",
                        ("incgamma",))}


#: The module's own erfc(x), gamma(x), logaddexp(a, b), ...; Math's log1p and expm1.
_OWN = {**{name: name for name in SPECIAL}, "logaddexp": "logaddexp",
        "log1p": "Math.log1p", "expm1": "Math.expm1"}


def _js(e: sp.Expr) -> str:
    return sp.jscode(e, user_functions=_OWN)


def _body(f) -> list[str]:
    """The body of ``f``'s function: its forms as the numeric layer evaluates them
    (:func:`~melitz_sym.export.codegen.straight_line`)."""

    def define(name: str, value) -> list[str]:
        return [f"  const {name} = {value if isinstance(value, str) else _js(value)};"]

    def put(i: int, value: sp.Expr, kind: str) -> list[str]:
        return ["  " * (kind == "fast") + f"  return {_js(value)};"]

    def when_normal(guards: list, lines: list[str]) -> list[str]:
        tests = " && ".join(f"ms_normal({_js(g)})" for g in guards)
        return [f"  if ({tests}) {{", *lines, "  }"]

    return straight_line(evaluation([f]), define, put, when_normal)


def render(plan: Plan) -> dict[str, str]:
    """``PREFIX.mjs``: ``export function <output>(...)`` each."""
    lines = [comment(plan.header(), "//")]
    for f in plan.functions:
        args = ", ".join(a.name for a in f.args)
        lines += ["", "/**", comment(function_doc(plan, f), " *"), " */",
                  f"export function {f.name}({args}) {{", *_body(f), "}"]
    lines += [c for c in carried(plan, CARRIED) if c] + ([NORMAL] if guarded(plan) else [])
    return {f"{plan.prefix}.mjs": "\n".join(lines) + "\n"}
