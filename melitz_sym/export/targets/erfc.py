"""The error function for targets whose language has none (Rust, JavaScript).

Such a target carries its own ``erfc`` (and ``erf`` when an expression uses it),
one algorithm written out in its language; :data:`NOTE` documents it in the
generated file.  These are special functions, not model formulas.
"""

from __future__ import annotations

import sympy as sp

SPECIAL = ("erf", "erfc")


def carried(plan, erfc: str, erf: str) -> list[str]:
    """The code a target adds for ``plan``: its ``erfc`` code when an expression calls
    erfc or erf, and its ``erf`` code (which calls erfc) too when one calls erf."""
    used = {type(e).__name__ for f in plan.functions for e in f.expr.atoms(sp.Function)
            if type(e).__name__ in SPECIAL}
    return [erfc.rstrip()] * bool(used) + [erf.rstrip()] * ("erf" in used)


NOTE = [
    'erfc by series / continued fraction, written by melitz-sym (and erf, when used; a special',
    'function, not part of the model):',
    '* |x| < 0.5: Maclaurin series',
    '  erf(x) = 2/sqrt(pi) (x + x sum_{n>=1} (-1)^n x^(2n)/(n! (2n+1))),',
    '  summed from the smallest term (Horner); erfc = 1 - erf >= 0.47 there, no cancellation;',
    '* x >= 0.5: continued fraction',
    '  erfc(x) = x exp(-x^2)/sqrt(pi)',
    '            / (x^2 + 1/2 - (1*1/2)/(x^2 + 5/2 - (2*3/2)/(x^2 + 9/2 - ...)))',
    '  (n-th partial numerator n(2n-1)/2, denominator x^2 + 2n + 1/2), evaluated from the bottom',
    '  with 130/x^2 + 12 levels (converged to the last bit for every x >= 0.5), and',
    '  exp(-x^2) = exp(-h^2) exp(-(x - h)(x + h)) with h = x truncated to a multiple of 1/4096',
    '  (h^2 exact: no loss of relative accuracy in the deep tail); erfc(x) = 0 for x >= 27.3',
    '  (below the smallest double);',
    '* x <= -0.5: erfc(x) = 2 - erfc(-x).',
    'Relative error below 7e-16 (3 units in the last place) wherever the value is a normal',
    'double (tested against mpmath).',
]
