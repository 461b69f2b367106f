"""JavaScript target: an ES module exporting one function per output.

JavaScript's ``Math`` has no error function: a module whose expressions use
``erfc`` or ``erf`` carries private (not exported) implementations of them
(:data:`ERFC`, :data:`ERF`), emitted only when used
(:mod:`melitz_sym.export.targets.erfc`).
"""

from __future__ import annotations

import sympy as sp

from ..codegen import Plan, cse
from . import comment, function_doc
from .erfc import NOTE, SPECIAL, carried

ERFC = "\n" + comment(NOTE, "//") + """
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
  const x2 = x * x;
  let t = 0;
  for (let n = Math.floor(130 / x2) + 12; n > 0; n--) {
    t = n * (2 * n - 1) / 2 / (x2 + 2 * n + 0.5 - t);
  }
  const h = Math.trunc(x * 4096) / 4096;
  return x * 0.5641895835477563 / (x2 + 0.5 - t) * Math.exp(-(x - h) * (x + h)) * Math.exp(-h * h);
}
"""

ERF = """
// erf from the same series (|x| < 0.5) and erf(x) = sign(x) (1 - erfc(|x|)) (>= 0.52 there).
function erf(x) {
  return Math.abs(x) < 0.5 ? erf_series(x) : Math.sign(x) * (1 - erfc(Math.abs(x)));
}
"""


def render(plan: Plan) -> dict[str, str]:
    """``PREFIX.mjs``: ``export function <output>(...)`` each."""
    lines = [comment(plan.header(), "//")]
    plain = {name: name for name in SPECIAL}  # the module's own erfc(x), erf(x)
    for f in plan.functions:
        pairs, result = cse(f)
        args = ", ".join(a.name for a in f.args)
        lines += ["", "/**", comment(function_doc(plan, f), " *"), " */",
                  f"export function {f.name}({args}) {{",
                  *[f"  const {t} = {sp.jscode(e, user_functions=plain)};" for t, e in pairs],
                  f"  return {sp.jscode(result, user_functions=plain)};", "}"]
    lines += carried(plan, ERFC, ERF)
    return {f"{plan.prefix}.mjs": "\n".join(lines) + "\n"}
