"""Equation-solving rules used by the derivations.

The rules are deliberately narrow: a rule that is unsure returns ``None``
(the numeric path then solves the equation) rather than a wrong closed form.
"""

from __future__ import annotations

import sympy as sp

from ..simplify import shifted, unshift

#: Largest ``count_ops`` of an expression the rule gives to ``simplify`` (an
#: operation budget, not a time limit: the power laws of the built-in models need
#: at most 327; the inputs refused (600 and more) ran for 2 s to minutes and failed).
POWER_LAW_MAX_OPS = 400


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
    p = _simplify_shifted(x * sp.diff(power_part, x) / power_part)
    if p is None or p.has(x) or p == 0:
        return None
    C = _simplify_shifted(sp.powsimp(sp.expand_power_base(power_part / x**p, force=True),
                                     force=True))
    if C is None or C.has(x):
        return None
    return (D / C) ** (1 / p)


def _simplify_shifted(e: sp.Expr) -> sp.Expr | None:
    """simplify() with sigma = 1 + z, z > 0, so powers of sigma - 1 combine; None above
    :data:`POWER_LAW_MAX_OPS` operations."""
    e = sp.factor_terms(shifted(e, with_k=False))
    if sp.count_ops(e) > POWER_LAW_MAX_OPS:
        return None
    return unshift(sp.simplify(e), with_k=False)
