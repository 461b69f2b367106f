"""Simplification under the model's sign restrictions.

sympy cannot combine powers of ``sigma - 1`` or ``k - (sigma - 1)`` without
knowing their signs.  The remedy (one of DESIGN.md's known traps) is to
reparametrise: ``sigma = 1 + z`` and, for distributions whose moment condition
is ``k > sigma - 1``, ``k = z + e`` with ``z, e > 0``.  Expressions are
simplified in the shifted symbols and mapped back, which also keeps
``k - sigma + 1`` together as one quantity.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp

from .symbols import sym

_Z = sp.Dummy("z", positive=True)
_E = sp.Dummy("e", positive=True)


def shifts(with_k: bool = True) -> tuple[dict, dict]:
    """Forward and backward substitutions ``sigma = 1 + z`` (and ``k = z + e``)."""
    sigma, k = sym("sigma"), sym("k")
    forward = {sigma: 1 + _Z}
    backward = {_Z: sigma - 1}
    if with_k:
        forward[k] = _Z + _E
        backward = {_E: k - sigma + 1, _Z: sigma - 1}
    return forward, backward


def subs_seq(expr: sp.Expr, mapping: Mapping) -> sp.Expr:
    """Substitute one symbol at a time, in order (``xreplace``: symbols only, fast)."""
    for old, new in mapping.items():
        expr = expr.xreplace({old: new})
    return expr


def combine(expr: sp.Expr) -> sp.Expr:
    """Combine powers and cancel common factors of an expression in shifted symbols.

    Cheap (no ``simplify``): ``powdenest``/``expand_power_base``/``powsimp``
    with ``force=True`` (legitimate because every symbol is positive), then
    ``cancel`` and ``factor`` treating the powers as generators.  In the shifted
    symbols every base is a positive product, so sympy's power constructor
    stays fast; in ``sigma`` and ``k`` it is not (bases such as
    ``k - sigma + 1`` have no known sign).
    """
    e = sp.powsimp(sp.expand_power_base(sp.powdenest(expr, force=True), force=True), force=True)
    if not e.has(sp.Integral):
        e = sp.factor(sp.cancel(e))
    return sp.powsimp(_cancel_exponents(e), force=True, deep=True)


def _cancel_exponents(expr: sp.Expr) -> sp.Expr:
    """Write every symbolic exponent as one cancelled fraction."""
    return expr.replace(lambda p: p.is_Pow and not p.exp.is_Number,
                        lambda p: sp.Pow(p.base, sp.factor(sp.cancel(p.exp))))


def shifted(expr: sp.Expr, with_k: bool = True) -> sp.Expr:
    """``expr`` in the shifted symbols ``z = sigma - 1`` (and ``e = k - sigma + 1``)."""
    return subs_seq(sp.sympify(expr), shifts(with_k)[0])


def unshift(expr: sp.Expr, with_k: bool = True) -> sp.Expr:
    """``expr`` back in ``sigma`` and ``k`` (substitution only: combine powers before)."""
    return subs_seq(expr, shifts(with_k)[1])


def tidy(expr: sp.Expr, with_k: bool = False) -> sp.Expr:
    """:func:`combine` applied in the shifted symbols, result in ``sigma`` and ``k``."""
    return unshift(combine(shifted(expr, with_k)), with_k)


def positive_as_ratio(expr: sp.Expr) -> sp.Expr | None:
    """``P/Q`` with powers combined when ``expr = (P - Q)/D`` for positive ``P``, ``Q`` and
    ``D`` (the positive and the negative terms of the numerator, each factored), so that
    ``expr > 0`` exactly when ``P/Q > 1``; None when the signs are not known.

    A condition such as ``L c_M^(k+2)/2 - f_e gamma (k+1)(k+2) c_M^k > 0`` becomes
    ``L c_M^2 / (2 f_e gamma (k+1)(k+2)) > 1``, and ``L alpha^(k+2) > ... c_M^k`` becomes
    ``L alpha^2 (alpha/c_M)^k / ... > 1``: fewer operations, and no overflow of a power
    of order ``k`` where its ratio is moderate.
    """
    num, den = sp.fraction(sp.together(expr))
    if not den.is_positive:
        return None
    terms = sp.Add.make_args(sp.expand(sp.expand_power_exp(num)))
    plus = sp.factor(sp.Add(*[t for t in terms if t.as_coeff_Mul()[0] > 0]))
    minus = sp.factor(-sp.Add(*[t for t in terms if t.as_coeff_Mul()[0] < 0]))
    if not (plus.is_positive and minus.is_positive):
        return None
    return sp.powsimp(sp.expand_power_exp(plus / minus), combine="base", force=True)
