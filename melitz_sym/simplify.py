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


def powdenest(expr: sp.Expr) -> sp.Expr:
    r"""``sympy.powdenest(expr, force=True)``, :math:`(a^b)^c = a^{bc}`, independent of the
    process's hashes.

    sympy's version substitutes the nested powers in the order of a set and gives
    the symbols of unknown sign positive dummies in the order of another, so
    equal inputs gave different (equal) results from one process to the next
    (the hashes of sympy's dummies, and of strings, change with each process).
    Here both orders are ``sympy.default_sort_key``'s.
    """
    def flat(base: sp.Expr, e: sp.Expr) -> tuple[bool | None, sp.Expr]:
        if not isinstance(base, (sp.Pow, sp.exp)):
            return base.is_positive, sp.Pow(base, e, evaluate=False)
        return flat(base.base, base.exp * e)

    reps = []
    for p in sorted(expr.atoms(sp.Pow, sp.exp), key=sp.default_sort_key):
        if isinstance(p.base, (sp.Pow, sp.exp)):
            ok, new = flat(*p.args)
            if ok is not False:
                reps.append((p, new))
    if reps:
        expr = expr.subs(reps)
    unknown = sorted((s for s in expr.free_symbols if s.is_positive is None),
                     key=sp.default_sort_key)
    positive = {s: sp.Dummy(s.name, positive=True, **s.assumptions0) for s in unknown}
    back = {d: s for s, d in positive.items()}
    return sp.powdenest(expr.subs(positive), force=False).xreplace(back)


def combine(expr: sp.Expr) -> sp.Expr:
    """Combine powers and cancel common factors of an expression in shifted symbols.

    Cheap (no ``simplify``): ``powdenest``/``expand_power_base``/``powsimp``
    with ``force=True`` (legitimate because every symbol is positive), then
    ``cancel`` and ``factor`` treating the powers as generators.  In the shifted
    symbols every base is a positive product, so sympy's power constructor
    stays fast; in ``sigma`` and ``k`` it is not (bases such as
    ``k - sigma + 1`` have no known sign).
    """
    e = sp.powsimp(sp.expand_power_base(powdenest(expr), force=True), force=True)
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


PAPER_MOVES = 120  #: candidate rewritings :func:`paper_form` tries (an operation budget)


def paper_form(expr: sp.Expr, memo: dict | None = None) -> sp.Expr:
    r"""``expr`` in the shortest form (``sympy.count_ops``) found by the rewritings papers use.

    Moves, each an identity for positive symbols (applied in the shifted symbols,
    ``sigma = 1 + z`` and, with ``sigma`` present, ``k = z + e``):

    * a sum normalised by one of its terms, :math:`A + B = A (1 + B/A)`, with the
      powers of the product combined so that :math:`A` can cancel against the
      factors around the sum (:math:`\tau^k f_x^{e/z} + n f^{e/z}` becomes
      :math:`1 + n \tau^{-k} (f/f_x)^{e/z}` in Melitz's :math:`\lambda`);
    * a sum collected in one of its symbols or powers, coefficients factored
      (:math:`\alpha k + 2\alpha - k c_D - c_D = \alpha (k + 2) - (k + 1) c_D`);
    * powers with opposite exponents merged into one ratio, :math:`a^c b^{-c} = (a/b)^c`.

    Greedy: each pass keeps the shortest candidate and the search stops when a
    pass finds none shorter, or after :data:`PAPER_MOVES` candidates in all (a
    count, never a time).  Used where closed forms are printed; the numeric layer
    keeps the derived forms.

    ``memo`` (a dict, empty at first) carries the rewritings of each sum and the
    expressions mapped back to ``sigma`` and ``k`` from one call to the next: the
    outputs of one model share their sums.  It changes the time, not the result.
    """
    expr = sp.sympify(expr)
    if not isinstance(expr, sp.Expr):  # a matrix of N-country closed forms: as derived
        return expr
    names = {s.name for s in expr.free_symbols}
    with_k = {"sigma", "k"} <= names
    z = shifted(expr, with_k)
    best, cost = z, sp.count_ops(expr)
    memo = {} if memo is None else memo
    local, back = memo.setdefault("moves", {}), memo.setdefault(("back", with_k), {})
    tried, seen, mapping = 0, set(), shifts(with_k)[1]
    while tried < PAPER_MOVES:
        improved = False
        for cand in _moves(best, local):
            tried += 1
            if tried > PAPER_MOVES:
                break
            if cand is None or cand in seen:  # tried, at a cost no lower than the best's
                continue
            seen.add(cand)
            out = _ratio_powers(sp.powsimp(sp.expand_power_base(cand, force=True), force=True))
            c = sp.count_ops(_rebuild(out, mapping, back))
            if c < cost:
                best, cost, improved = out, c, True
        if not improved:
            break
    return expr if best is z else _rebuild(best, mapping, back)


def _rebuild(expr: sp.Expr, mapping: Mapping, memo: dict) -> sp.Expr:
    """``expr.xreplace(mapping)`` remembering every rebuilt subexpression in ``memo``.

    The candidates of :func:`paper_form` share most subexpressions, and rebuilding a
    power of a base of unknown sign in ``sigma`` is slow in sympy (its constructor
    asks for the imaginary part of the base when the exponent's denominator is a
    sum, as in ``(sigma - 1)**(1/(sigma - 1))``)."""
    if expr in memo:
        return memo[expr]
    if expr in mapping:
        out = mapping[expr]
    elif not expr.args:
        out = expr
    else:
        args = [_rebuild(a, mapping, memo) for a in expr.args]
        changed = any(a is not b for a, b in zip(args, expr.args))
        out = expr.func(*args) if changed else expr
    memo[expr] = out
    return out


def _moves(expr: sp.Expr, local: dict):
    """Candidate rewritings of ``expr``: each sum normalised by each of its nonzero
    terms, or collected in each of its symbols and powers (None for a candidate
    already given).  ``local`` keeps the rewritings of each sum (a sum recurs in the
    passes of :func:`paper_form`)."""
    done = set()
    for s in sp.preorder_traversal(expr):
        if not isinstance(s, sp.Add) or s.is_number:
            continue
        if s not in local:
            local[s] = list(_sum_moves(s))
        for new in local[s]:  # a sum met again gives the candidates it gave: None
            yield None if s in done else expr.xreplace({s: new})
        done.add(s)


def _sum_moves(s: sp.Add):
    """The rewritings of one sum ``s`` that :func:`_moves` tries."""
    for t in s.args:  # a term of known sign only: n f^c vanishes at n = 0
        if (t.is_positive or t.is_negative) and not t.is_number:
            sign = -1 if t.is_negative else 1  # -t (u/t) keeps -t positive in front
            inner = sp.Add(*[sign * sp.powsimp(powdenest(u / t), force=True)
                             for u in s.args])
            yield sign * t * inner
    for g in sorted(s.atoms(sp.Symbol, sp.Pow), key=sp.default_sort_key):
        c = sp.collect(s, g, func=sp.factor)
        if c != s:
            yield c


def _ratio_powers(expr: sp.Expr) -> sp.Expr:
    """``a^c b^(-c)`` as ``(a/b)^c`` in every product."""
    def merge(m: sp.Mul) -> sp.Expr:
        powers = [f for f in m.args if f.is_Pow and not f.exp.is_Number]
        rest = [f for f in m.args if f not in powers]
        while powers:
            p = powers.pop(0)
            q = next((q for q in powers if q.exp == -p.exp), None)
            if q is None:
                rest.append(p)
                continue
            powers.remove(q)
            if p.exp.could_extract_minus_sign():  # the positive exponent goes outside
                p, q = q, p
            rest.append(sp.Pow(p.base / q.base, p.exp))
        return sp.Mul(*rest)

    return expr.replace(lambda e: e.is_Mul, merge)
