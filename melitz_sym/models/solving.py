"""Equation-solving rules used by the derivations.

The rules are deliberately narrow: a rule that is unsure returns ``None``
(the numeric path then solves the equation) rather than a wrong closed form.
"""

from __future__ import annotations

import sympy as sp

from ..derivation import TimeLimitExceeded, time_limit
from ..simplify import shifted, unshift


def solve_power_law(expr: sp.Expr, x: sp.Symbol) -> sp.Expr | None:
    r"""Solve ``expr = 0`` for ``x > 0`` when ``expr = C x^p - D``.

    The rule: the log-derivative :math:`x\,\partial_x(expr + D)/(expr + D)`
    must simplify to a constant :math:`p \neq 0` free of ``x``, where ``D`` is
    the part of ``expr`` free of ``x``.  Then :math:`C = (expr + D)/x^p` and
    :math:`x = (D/C)^{1/p}`.

    Returns
    -------
    The positive root, or None if ``expr`` is not of that form.
    """
    num, den = sp.fraction(sp.together(expr))
    if den.has(x):  # the denominator is a positive power: keep the numerator
        expr = num
    expr = sp.expand(expr)
    terms = sp.Add.make_args(expr)
    D = -sp.Add(*[t for t in terms if not t.has(x)])
    power_part = sp.Add(*[t for t in terms if t.has(x)])
    if power_part == 0 or any(x in f.free_symbols for f in power_part.atoms(sp.Function)):
        return None  # x inside exp, erf, gamma, ...: not a power law
    try:
        with time_limit(10):
            p = _simplify_shifted(x * sp.diff(power_part, x) / power_part)
            if p.has(x) or p == 0:
                return None
            C = _simplify_shifted(sp.powsimp(sp.expand_power_base(power_part / x**p,
                                                                  force=True), force=True))
    except TimeLimitExceeded:
        return None
    if C.has(x):
        return None
    return (D / C) ** (1 / p)


def _simplify_shifted(e: sp.Expr) -> sp.Expr:
    """simplify() with sigma = 1 + z, z > 0, so powers of sigma - 1 combine."""
    return unshift(sp.simplify(sp.factor_terms(shifted(e, with_k=False))), with_k=False)
