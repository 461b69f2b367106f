r"""Rewrite derived expressions into numerically stable forms before ``lambdify``.

Closed forms (:func:`closed_form`, :func:`log_of`)
    In the shifted symbols :math:`z = \sigma - 1` and :math:`e = k - (\sigma - 1)`
    (:mod:`melitz_sym.simplify`), each output is a product of powers of positive
    quantities and of sums of such products.  It is emitted as
    :math:`\exp(\log y)` with :math:`\log y = \sum_j c_j \log x_j`: exponents
    are combined (one coefficient per base, in partial fractions of :math:`z`,
    bases with the same coefficient under one log), so that nested powers
    become one exponent, exponents that cancel between factors cancel exactly,
    and :math:`b^k`, :math:`\tau^k`, :math:`f_x^{e/z}` never overflow on their
    own.  A sum of such powers is normalised by one of its terms and becomes
    ``logaddexp`` of the log-ratios of its terms to that one; with several
    sums the form whose reference terms are the largest is selected point by
    point (see :func:`log_of`).  Sums without symbolic powers (:math:`z + e`,
    :math:`1 + z`) are evaluated directly (``log1p`` for :math:`1 + x`).
    The log domain costs a relative error of about :math:`|\log y|` ulps, so an
    output near the ends of the double range (:math:`\tau^{-k}` with
    :math:`k \log\tau` in the hundreds) is accurate to some 1e-13, not 1e-15;
    ``pow`` would not do better, since its exponent (:math:`k/z`) is rounded
    too.  The solver passes :math:`z` and
    :math:`e` as arguments, computed once as ``sigma - 1`` and
    ``(k - sigma) + 1``: both are exact in floating point when :math:`e` is
    small (Sterbenz), so :math:`e` is never the difference of two rounded
    numbers.

Integrals of the normal density (:func:`erfc_form`)
    :math:`c + c\,\mathrm{erf}(u)` becomes :math:`2c\,\Phi(\sqrt2 u)` and
    :math:`c - c\,\mathrm{erf}(u)` becomes :math:`2c\,\Phi(-\sqrt2 u)`
    (``scipy.special.ndtr``): the survival function is :math:`\Phi(-z)`, never
    :math:`1 - \Phi(z)`.

Incomplete gamma functions (:func:`special_form`)
    :math:`\Gamma(s, x)` becomes :math:`\Gamma(s)\,Q(s, x)` with the
    regularised :math:`Q` (``scipy.special.gammaincc``) as one function node,
    so that a power of it is a power of the whole product (sympy's SciPy
    printer writes ``gamma(s)*gammaincc(s, x)`` without parentheses, and
    ``uppergamma(s, x)**a`` would come out as ``gamma(s)*gammaincc(s, x)**a``).
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p
from sympy.codegen.numpy_nodes import logaddexp

from ..simplify import shifted, shifts
from ..symbols import sym

#: Protected quantities passed to the compiled functions.
Z = sp.Symbol("z_sigma", positive=True)   # sigma - 1
E = sp.Symbol("e_k", positive=True)       # k - (sigma - 1)


def shifts_k(dist) -> bool:
    """Whether the closed forms of a model with distribution ``dist`` (None for
    none) are written in E = k - (sigma - 1) too: its reparametrisation shifts k."""
    return dist is not None and bool(dist.reparametrisation(sym("sigma") - 1)[0])


def protected(expr: sp.Expr, with_k: bool) -> sp.Expr:
    """``expr`` with sigma = 1 + Z (and k = Z + E): the protected quantities appear
    once.  Without the k shift (representative-firm models, where sigma < 1 may
    be admissible), a sum 1 + Z left as it is is sigma itself, exact as given:
    near sigma = 0, 1 + (sigma - 1) keeps only 2^-53/sigma of its digits
    (Cournot's n was 3e-6 off at sigma = 7e-13).  With it (sigma > 1, where
    1 + Z is exact up to sigma = 2), ``log1p(Z)`` stays grouped with the other
    logs of Z as the accuracy tables were measured."""
    forward, _ = shifts(with_k)
    z_dummy = forward[sym("sigma")] - 1
    mapping = {z_dummy: Z}
    if with_k:
        mapping[forward[sym("k")] - z_dummy] = E
    out = shifted(expr, with_k).xreplace(mapping)
    return out if with_k else out.xreplace({1 + Z: sym("sigma")})


def _has_symbolic_power(e: sp.Expr) -> bool:
    return any(not p.exp.is_Number for p in e.atoms(sp.Pow)) or e.has(sp.exp)


#: A sum of positive terms in the log domain: (coefficient, logs of its terms).
_Sum = tuple[sp.Expr, list[sp.Expr]]


def _log_expm1(x: sp.Expr) -> sp.Expr:
    """log(expm1(x)) for x > 0 as x + log(-expm1(-x)): e^x - 1 = e^x (1 - e^-x), no
    overflow for large x."""
    return x + sp.log(-expm1(-x))


def _log_parts(expr: sp.Expr) -> tuple[sp.Expr, list[_Sum]]:
    """log(expr) of a positive expression as ``linear + sum(c * log(sum(exp(l))))``.

    ``linear`` is a combination of logs of the bases; each sum of positive terms
    with symbolic powers is kept apart as (c, [l_1, l_2, ...]) so that
    :func:`log_of` can normalise it before the logs are combined.
    """
    if expr.is_Mul:
        parts = [_log_parts(a) for a in expr.args]
        return sp.Add(*[p[0] for p in parts]), [s for p in parts for s in p[1]]
    if expr.is_Pow:
        lin, sums = _log_parts(expr.base)
        return expr.exp * lin, [(expr.exp * c, logs) for c, logs in sums]
    if isinstance(expr, sp.exp):
        return expr.args[0], []
    if isinstance(expr, expm1):
        return _log_expm1(expr.args[0]), []
    if expr.is_Add:
        terms = sp.Add.make_args(expr)
        positive = all(t.could_extract_minus_sign() is False for t in terms)
        if positive and _has_symbolic_power(expr):
            return sp.S.Zero, [(sp.S.One, [log_of(t) for t in terms])]
        if len(terms) == 2 and sp.S.One in terms:
            rest = terms[1] if terms[0] == 1 else terms[0]
            return log1p(rest), []
    return sp.log(expr), []


def _combined(expr: sp.Expr) -> sp.Expr:
    """A combination of logs with one factored coefficient per log: ``sum c_j log(x_j)``."""
    kept = {a: sp.Dummy() for a in expr.atoms(logaddexp)}  # their arguments stay as they are
    expr = sp.expand(expr.xreplace(kept), log=False, power_exp=False, power_base=False,
                     multinomial=False).xreplace({d: a for a, d in kept.items()})
    logs = [a for a in expr.atoms(sp.log, log1p, logaddexp)]
    other: dict[sp.Expr, sp.Expr] = {}
    product: dict[sp.Expr, sp.Expr] = {}
    for a, coefficient in sp.collect(expr, logs, evaluate=False).items():
        for c in _partial_fractions(coefficient):
            if c == 0:
                continue
            sign = -1 if c.could_extract_minus_sign() else 1
            if isinstance(a, sp.log):
                product[sign * c] = product.get(sign * c, sp.S.One) * a.args[0] ** sign
            else:
                other[sign * c] = other.get(sign * c, sp.S.Zero) + sign * a
    return sp.Add(*[c * (other.get(c, 0) + _log_ratio(product.get(c, 1)))
                    for c in dict.fromkeys([*other, *product])])


def _partial_fractions(c: sp.Expr) -> list[sp.Expr]:
    """``c`` as a sum of partial fractions in Z and one polynomial part, e.g.
    ``(e + 2z)/(z (e + z)) = 1/z + 1/(e + z)`` (fewer roundings per term)."""
    parts = sp.Add.make_args(sp.apart(sp.factor(c), Z))
    poly = sp.Add(*[p for p in parts if not sp.fraction(p)[1].has(Z)])
    return [sp.factor(p) for p in parts if sp.fraction(p)[1].has(Z)] + [sp.factor(poly)]


def _log_ratio(x: sp.Expr) -> sp.Expr:
    """``log(x)``, as ``-log(1/x)`` when x is a reciprocal (one rounding less)."""
    num, den = sp.fraction(x)
    return -sp.log(den) if num == 1 else sp.log(x)


def _split_log(x: sp.Expr) -> sp.Expr:
    """``log(x)`` of a product as the sum of the logs of its positive factors
    (the others, such as -1 and ``expm1(-x)``, under one log): a product of
    parameters near the ends of the double range (``f z/(delta e f_e)`` at
    delta = 5e-324) would overflow or lose digits as a subnormal."""
    out, rest = sp.S.Zero, sp.S.One
    for f in sp.Mul.make_args(x):
        if not _positive(f):
            rest *= f
            continue
        base, power = (f.base, f.exp) if f.is_Pow and f.exp.is_Integer else (f, sp.S.One)
        out += power * sp.log(base)
    return out + (sp.log(rest) if rest != 1 else 0)


def _lse(logs: list[sp.Expr]) -> sp.Expr:
    """log(sum(exp(l))) of the logs ``l`` as nested ``logaddexp``."""
    out = logs[0]
    for lt in logs[1:]:
        out = logaddexp(out, lt)
    return out


def _reference(log_term: sp.Expr) -> sp.Expr:
    """The log of a term without its factors that may be zero (such as ``n``)."""
    return sp.Add(*[a for a in sp.Add.make_args(sp.expand(log_term, log=False))
                    if all(s.is_positive for s in a.free_symbols)])


#: At most this many choices of reference terms are compared (or selected between).
_MAX_CHOICES = 16


def _normalised(linear: sp.Expr, sums: list[_Sum], refs: tuple[int, ...]
                ) -> tuple[sp.Expr, tuple, sp.Expr]:
    """``linear + sum(c log S)`` with each sum S normalised by its term ``refs[s]``:
    the expression, its size (operations, then fewer ``logaddexp`` arguments
    that are not 0, then a canonical order, so that outputs sharing a sum
    share its normalised form) and the condition that every reference term
    is the largest of its sum."""
    ref_logs = [_reference(logs[j]) for (_, logs), j in zip(sums, refs)]
    lin = _combined(linear + sp.Add(*[c * r for (c, _), r in zip(sums, ref_logs)]))
    inner = [[_combined(lt - r) for lt in logs] for (_, logs), r in zip(sums, ref_logs)]
    largest = sp.And(*[x <= i[j] for i, j in zip(inner, refs) for x in i if x != i[j]])
    inner = [sorted(i, key=sp.default_sort_key) for i in inner]
    expr = _combined(lin + sp.Add(*[c * _lse(i) for (c, _), i in zip(sums, inner)]))
    size = (sp.count_ops(lin) + sum(sp.count_ops(x) for i in inner for x in i),
            -sum(x == 0 for i in inner for x in i), sp.default_sort_key(ref_logs))
    return expr, size, largest


def log_of(expr: sp.Expr) -> sp.Expr:
    r"""An expression for log(expr) of a positive expression, built from the tree.

    Logs of products and powers are combined into :math:`\sum_j c_j \log x_j`
    with one factored coefficient :math:`c_j` per group of bases (one log of
    their product), so that exponents such as :math:`e/z` that cancel between
    factors cancel exactly.  A sum of positive terms :math:`S = \sum_i t_i`
    with symbolic powers is normalised by one of its terms,
    :math:`\log S = \log t_r + \mathrm{logaddexp}_i(\log t_i - \log t_r)`
    (:math:`t_r` stripped of factors that may be zero, such as ``n``), so that
    :math:`\log t_r` cancels symbolically against the other factors instead
    of being added and subtracted in floating point (in
    :math:`f^{e/z}/(n f^{e/z} + \dots)` the large :math:`(e/z)\log f` never
    appears).  With one such sum, :math:`t_r` is the term that makes the
    expression shortest.  With several (ratios of sums, as in
    :math:`S_1^{a}/S_2^{b}` with large :math:`a \approx b`), the form is
    chosen point by point: each sum is normalised by its largest term there,
    so that every ``logaddexp`` is of order one and the large parts of the
    sums cancel symbolically.
    """
    linear, sums = _log_parts(expr)
    combos = list(itertools.islice(itertools.product(*[range(len(lg)) for _, lg in sums]),
                                   _MAX_CHOICES))
    forms = [_normalised(linear, sums, refs) for refs in combos]
    if len(sums) < 2:
        return min(forms, key=lambda f: f[1])[0]
    pieces = [(f, cond) for f, _, cond in forms[:-1]] + [(forms[-1][0], True)]
    return sp.Piecewise(*pieces)


def _positive(expr: sp.Expr, differences: bool = False) -> bool:
    """``expr > 0`` follows from its tree: products, powers (of any real exponent)
    and sums of positive factors, over positive symbols and numbers.  Exponents
    are not looked at (``tau**(-e - z)`` is positive).  With ``differences``,
    a sum without symbolic powers (``f_I - f_x``) and ``expm1(x)`` count as
    positive too: their sign is the admissibility's, and their log is nan
    where they are not (see :func:`_signed_power_sums`)."""
    if expr.is_Mul or (expr.is_Add and not differences):
        return all(_positive(a, differences) for a in expr.args)
    if expr.is_Add:
        return (all(_positive(a, differences) for a in expr.args)
                or not _has_symbolic_power(expr))
    if expr.is_Pow:
        return _positive(expr.base, differences) and expr.exp.is_extended_real is True
    if isinstance(expr, sp.exp):
        return expr.args[0].is_extended_real is True
    if differences and isinstance(expr, expm1):
        return True
    return expr.is_positive is True or (expr.is_nonnegative is True and expr.is_Symbol)


def _factored(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every sum of power products whose terms are not all positive
    factored as a polynomial in its powers (each symbolic power one variable), so
    that common factors cancel: the derived HMY cutoff divides
    :math:`(f_I - f_x)^3 (\\tau^z - 1)` by the same product expanded into eight
    terms, each of which overflows or underflows on its own."""
    def fix(add: sp.Expr) -> sp.Expr:
        if _positive(add):
            return add
        kept: dict[sp.Expr, sp.Dummy] = {}

        def symbolic(f: sp.Expr) -> bool:
            return isinstance(f, sp.exp) or (f.is_Pow and not f.exp.is_Number)

        def variable(f: sp.Expr) -> sp.Expr:
            if not symbolic(f):
                return f
            return sp.Mul(*[(kept.setdefault(p, sp.Dummy(positive=True)) if symbolic(p) else p)
                            ** m for p, m in _power_parts(f)])

        poly = sp.Add(*[sp.Mul(*map(variable, sp.Mul.make_args(t))) for t in add.args])
        less = {d: sp.Dummy(positive=True) for d in kept.values()}  # d - 1
        poly = sp.factor(poly).replace(lambda e: e.is_Add, lambda e: _pairs(e, less))
        back = {d: p for p, d in kept.items()}
        return poly.xreplace({m: expm1(_log_power(back[d])) for d, m in less.items()}
                             ).xreplace(back)

    for _ in range(3):  # factoring a sum may leave an expanded polynomial to factor
        new = expr.replace(lambda e: e.is_Add, fix)
        if new == expr:
            break
        expr = new
    return expr


def _pairs(add: sp.Expr, less: dict[sp.Dummy, sp.Dummy]) -> sp.Expr:
    """``add`` with every pair of terms ``q d`` and ``-q`` (``d`` a key of ``less``)
    as ``q less[d]``, ``less[d]`` standing for d - 1."""
    terms = list(add.args)
    for i, t in enumerate(terms):
        for d in t.free_symbols & set(less):
            q = t / d
            if -q in terms[:i] + terms[i + 1:]:
                rest = [u for j, u in enumerate(terms) if j != i and u != -q]
                return _pairs(sp.Add(q * less[d], *rest), less)
    return add


def _log_power(p: sp.Expr) -> sp.Expr:
    """log of a power ``b^a`` (``a log b``) or of ``exp(a)`` (``a``)."""
    return p.args[0] if isinstance(p, sp.exp) else p.exp * sp.log(p.base)


def _power_parts(f: sp.Expr) -> list[tuple[sp.Expr, int]]:
    """A symbolic power as ``[(p_i, m_i)]`` with f = prod p_i^m_i, integer m_i and
    powers p_i of one factor of the base each with one term of the exponent
    (``tau^(e + 2z) = tau^e (tau^z)^2``, ``(f x)^(e/z) = f^(e/z) x^(e/z)``;
    the bases are positive where the form is used), so that the same power
    is one variable wherever it occurs."""
    if isinstance(f, sp.exp):
        factors = [(sp.E, f.args[0])]
    else:
        factors = [(b.base, b.exp * f.exp) if b.is_Pow else (b, f.exp)
                   for b in sp.Mul.make_args(f.base)]
    out = []
    for base, exponent in factors:
        for term in sp.Add.make_args(sp.expand(exponent)):
            m, rest = term.as_coeff_Mul()
            if m.is_Integer and rest != 1:
                out.append((sp.exp(rest) if base == sp.E else base ** rest, int(m)))
            else:
                out.append((sp.exp(term) if base == sp.E else base ** term, 1))
    return out


def _signed_power_sums(expr: sp.Expr) -> sp.Expr:
    r"""``expr`` (positive, with sums of powers whose terms are not all positive)
    in a form that is positive by its tree up to differences of parameters
    (:func:`_positive` with ``differences``): the sums factored
    (:func:`_factored`), then a power less its value at a zero exponent as
    ``expm1`` (:func:`powm1_form`: :math:`n\tau^z X - nX = nX\,\mathrm{expm1}(z\log\tau)`,
    whose log is :math:`z\log\tau + \log(-\mathrm{expm1}(-z\log\tau))`).  Its log
    domain form is then finite wherever the value fits in a double; a difference
    that is not positive (outside the admissible set) makes it nan, never a
    wrong number."""
    return powm1_form(_factored(expr))


@lru_cache(maxsize=512)
def closed_form(expr: sp.Expr, with_k: bool) -> sp.Expr:
    """The stable form of a closed form, in Z (and E).

    exp(:func:`log_of` expr) when the expression is positive by its tree
    (:func:`_positive`); otherwise the expression in the protected quantities
    with its differences of powers in expm1 form (:func:`powm1_form`).  Cached:
    solving for another set of outputs reuses the forms.
    """
    expr = protected(expr, with_k)
    if _positive(expr):
        logs = log_of(expr)
        # a form chosen point by point (a Piecewise) is one the power form does not
        # fold: there the logs of products stay, for the digits of f_x/f at f ~ f_x
        return sp.exp(logs if logs.has(sp.Piecewise) else _split_logs(logs))
    if any(not _positive(a) and _has_symbolic_power(a) for a in expr.atoms(sp.Add)):
        form = _signed_power_sums(expr)
        if _positive(form, differences=True):
            # the differences as symbols: the log domain's expansions leave them whole
            kept = {a: sp.Dummy(positive=True) for a in form.atoms(sp.Add)
                    if not all(_positive(t, differences=True) for t in a.args)}
            logs = _split_logs(log_of(form.xreplace(kept)))
            return sp.exp(logs.xreplace({d: a for a, d in kept.items()}))
    # differences of powers as expm1 all the same (hmy's export/FDI sales ratio holds
    # f f_x tau^z - f f_x: 7e-7 of it lost at tau = 1 + 1e-15)
    return powm1_form(expr)


def _split_logs(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every log of a product as :func:`_split_log`: the stable form
    takes the log of each parameter (melitz Pareto phi* at delta = 4.4e-219,
    f_e = 4e-254: delta f_e is 0 in double, phi* = 8.9e138); the power form
    folds them again where the product is a normal double
    (:func:`melitz_sym.numeric.power_form.power_form`)."""
    return expr.replace(lambda e: isinstance(e, sp.log) and e.args[0].is_Mul,
                        lambda e: _split_log(e.args[0]))


#: A log whose argument is 0 (``log(n)`` at n = 0) counts this much; it enters
#: :func:`log_magnitude` only with weight exp(-inf) = 0 (inside ``logaddexp``).
_LOG_CAP = 800


def _abs_bound(e: sp.Expr) -> sp.Expr:
    r"""Running-error weight of ``e``: :math:`|x|` of every leaf, summed over
    the terms of a sum and multiplied over the factors of a product; a log
    counts :math:`|\log x| + 1` (its argument is a product rounded a few
    times), ``logaddexp`` its value plus its arguments' weights times their
    softmax weights :math:`e^{a_i - \mathrm{lse}}`."""
    if e.is_Add:
        return sp.Add(*[_abs_bound(a) for a in e.args])
    if e.is_Mul:
        return sp.Mul(*[_abs_bound(a) for a in e.args])
    if isinstance(e, sp.Piecewise):
        return sp.Piecewise(*[(_abs_bound(x), c) for x, c in e.args])
    if isinstance(e, (sp.log, log1p)):
        return (sp.Abs(e) if e.args[0].is_positive else sp.Min(sp.Abs(e), _LOG_CAP)) + 1
    if isinstance(e, logaddexp):
        return sp.Abs(e) + 1 + sp.Add(*[sp.exp(a - e) * _abs_bound(a) for a in e.args])
    return sp.Abs(e)


def log_magnitude(form: sp.Expr) -> sp.Expr:
    r"""Error estimate of a stable form in the log domain, in units of the
    unit roundoff u = 2^-53.

    In :math:`\exp(\sum_j c_j \log x_j)` every rounding in the exponent is an
    absolute error there, hence a relative error of the output: about u times
    the sum of the magnitudes of the exponent's terms (:func:`_abs_bound`),
    which exceeds :math:`|\log y|` where large terms cancel.  A form with no
    ``exp`` (not evaluated in the log domain) has magnitude 0.
    """
    return sp.Add(*[_abs_bound(x.args[0]) for x in form.atoms(sp.exp)])


class ndtr(sp.Function):  # noqa: N801 (the scipy name)
    r"""Standard normal cdf :math:`\Phi(x)`, kept unevaluated (sympy would turn
    ``erfc(-u)`` back into ``2 - erfc(u)``); compiled to ``scipy.special.ndtr``."""

    def _eval_derivative(self, x):  # pragma: no cover - not differentiated
        return sp.exp(-self.args[0] ** 2 / 2) / sp.sqrt(2 * sp.pi) * sp.diff(self.args[0], x)


def erfc_form(expr: sp.Expr) -> sp.Expr:
    r"""Rewrite every sum that is a polynomial in ``erf(u)`` in powers of
    :math:`\Phi(\sqrt2 u) = (1 + \mathrm{erf}(u))/2` or of
    :math:`\Phi(-\sqrt2 u) = (1 - \mathrm{erf}(u))/2`, whichever leaves fewer terms.

    So K + K erf(u) becomes 2K Phi(sqrt(2) u), K - K erf(u) becomes
    2K Phi(-sqrt(2) u) and K erf(u)^2 + 2K erf(u) + K becomes 4K Phi(sqrt(2) u)^2,
    for any common factor K (a number, or an expression such as
    ``f (phi* tau)^(sigma-1) / 2``).  Phi is :class:`ndtr`, so no survival
    function is ever computed as 1 - Phi(z); a sum that gets no shorter keeps its erf.
    """

    def choices(g: sp.Expr) -> list[sp.Expr]:  # erf(u) = sign (2 Phi(sign sqrt(2) u) - 1)
        return [sign * (2 * ndtr(_normal_argument(sign * sp.sqrt(2) * g.args[0])) - 1)
                for sign in (1, -1)]

    return _rewrite_polynomials(expr, sp.erf, choices)


def _rewrite_polynomials(expr: sp.Expr, kind: type, choices, deep: bool = True) -> sp.Expr:
    r"""Rewrite every sum that is a polynomial in functions ``g`` of type ``kind``
    with ``g`` replaced by one of ``choices(g)`` (expressions equal to ``g``),
    expanded (with ``deep=False`` the top level only, not the functions' arguments),
    where that leaves fewer terms; a sum that gets no shorter is kept.

    One ``g`` is rewritten at a time, else two together: in the HMY log-normal
    revenue :math:`n\tau^{\sigma-1}\mathrm{erf}(u) - n\tau^{\sigma-1}
    - n\,\mathrm{erf}(u) - n\,\mathrm{erf}(v)` neither erf alone shortens the sum,
    both together take it from four terms to three and remove the difference
    :math:`n\tau^{\sigma-1}(\mathrm{erf}(u) - 1)` of nearly equal numbers (1.7e-4 of
    r_bar lost at n = 5e16)."""

    def polynomial(add: sp.Expr, g: sp.Expr) -> bool:
        return all(not p.has(g) or p == g or (p.is_Pow and p.base == g and p.exp.is_Integer
                                               and p.exp > 0)
                   for p in (t.as_independent(g, as_Add=False)[1] for t in add.args))

    def rewritten(add: sp.Expr, with_: dict) -> sp.Expr:
        out = []
        for t in add.args:
            c, p = t.as_independent(*with_, as_Add=False)
            out += [c * u for u in sp.Add.make_args(sp.expand(p.xreplace(with_), deep=deep))]
        return sp.Add(*out)

    def fix(add: sp.Expr) -> sp.Expr:
        gs = [g for g in sorted(add.atoms(kind), key=sp.default_sort_key) if polynomial(add, g)]
        for size in (1, 2):
            for some in itertools.combinations(gs, size):
                for ws in itertools.product(*[choices(g) for g in some]):
                    new = rewritten(add, dict(zip(some, ws)))
                    if len(sp.Add.make_args(new)) < len(add.args):
                        return fix(new)
        return add

    return expr.replace(lambda e: e.is_Add and e.has(kind), fix)


class gammaincc(sp.Function):  # noqa: N801 (the scipy name)
    r"""Regularised upper incomplete gamma :math:`Q(s, x) = \Gamma(s, x)/\Gamma(s)`,
    kept unevaluated; compiled to ``scipy.special.gammaincc``."""

    def fdiff(self, argindex=2):
        if argindex != 2:
            raise sp.ArgumentIndexError(self, argindex)
        s, x = self.args
        return -x ** (s - 1) * sp.exp(-x) / sp.gamma(s)


class gammainc(sp.Function):  # noqa: N801 (the scipy name)
    r"""Regularised lower incomplete gamma :math:`P(s, x) = \gamma(s, x)/\Gamma(s)
    = 1 - Q(s, x)`, kept unevaluated; compiled to ``scipy.special.gammainc``."""

    def fdiff(self, argindex=2):
        if argindex != 2:
            raise sp.ArgumentIndexError(self, argindex)
        s, x = self.args
        return x ** (s - 1) * sp.exp(-x) / sp.gamma(s)


def special_form(expr: sp.Expr) -> sp.Expr:
    r""":func:`erfc_form`, and every ``uppergamma(s, x)`` as ``gamma(s) gammaincc(s, x)``;
    then every sum that is a polynomial in :math:`Q(s, x)` in powers of
    :math:`P(s, x) = 1 - Q(s, x)` (``gammainc``) where that leaves fewer terms, so
    that :math:`\Gamma(s) - \Gamma(s) Q(s, x)` (the Frechet tail moment, with
    :math:`Q \approx 1` for small x) is :math:`\Gamma(s) P(s, x)`, not a difference
    of nearly equal numbers."""
    expr = erfc_form(expr)
    expr = expr.replace(sp.uppergamma, lambda s, x: sp.gamma(s) * gammaincc(s, x))
    # not in the arguments: hmy Frechet's (f tau^z - f)/(f_I - f_x) would become
    # f tau^(z+1)/(f_I tau - f_x tau) - f/(f_I - f_x), a difference expm1_form does not see
    return _rewrite_polynomials(expr, gammaincc, lambda g: [1 - gammainc(*g.args)], False)


def lowergamma_form(expr: sp.Expr) -> sp.Expr:
    r"""Every pair of terms :math:`c\,\Gamma(s) - c\,\Gamma(s, x)` of a sum as the lower
    function :math:`c\,\gamma(s, x)`, in sympy's own functions (for mpmath; the
    numeric path's :func:`special_form` does the same in scipy's).  The Frechet tail
    moment :math:`\Gamma(s) - \Gamma(s, x)` at :math:`x = 10^{-160}` is
    :math:`10^{-48}` of either term, so their difference keeps 48 digits fewer than
    it is computed with."""

    def fix(add: sp.Expr) -> sp.Expr:
        terms = list(add.args)
        for t in terms:
            for g in t.atoms(sp.uppergamma):
                c, p = t.as_independent(g, as_Add=False)
                whole = -c * sp.gamma(g.args[0])
                if p == g and whole in terms:
                    rest = [u for u in terms if u not in (t, whole)]
                    return fix(sp.Add(-c * sp.lowergamma(*g.args), *rest))
        return add

    return expr.replace(lambda e: e.is_Add and e.has(sp.uppergamma), fix)


def erf_difference_form(expr: sp.Expr) -> sp.Expr:
    r"""Every group of terms :math:`r \sum_i c_i \mathrm{erf}(u_i)` of a sum (a common
    rest :math:`r`, numbers :math:`c_i`, signs taken out of the arguments, which
    sympy writes as it likes; a pair :math:`c\,\mathrm{erf}(u) + c\,\mathrm{erf}(v)` is
    :math:`c\,\mathrm{erf}(u) - c\,\mathrm{erf}(-v)`) with :math:`\sum_i c_i = 0`, such as
    :math:`S(\varphi_x^*) - S(\varphi_I^*)` (the HMY exporters that do not
    invest), written as a difference of tails, which is exact since the
    :math:`c_i` add up to 0:

    .. math:: -2r\sum_i c_i\,\Phi(-\sqrt2 u_i) \text{ where } u_1 \ge 0,
              \qquad 2r\sum_i c_i\,\Phi(\sqrt2 u_i) \text{ elsewhere}.

    Near :math:`\mathrm{erf} = \pm 1` the difference of the erfs loses the
    tails' ratio to one in ulps; the tails do not.  For the numeric path (the
    form is a Piecewise)."""

    def fix(add: sp.Expr) -> sp.Expr:
        groups: dict[sp.Expr, list] = {}
        for t in add.args:
            c, rest = t.as_coeff_Mul()
            erfs = [f for f in sp.Mul.make_args(rest) if isinstance(f, sp.erf)]
            if len(erfs) == 1:
                others = sp.Mul(*[f for f in sp.Mul.make_args(rest) if f is not erfs[0]])
                u = erfs[0].args[0]
                if u.could_extract_minus_sign():  # erf(-u) = -erf(u)
                    c, u = -c, -u
                groups.setdefault(others, []).append((c, u, t))
        for m in groups.values():  # a pair c erf(u) + c erf(v) is c erf(u) - c erf(-v)
            if len(m) == 2 and m[0][0] == m[1][0]:
                c, u, t = m[1]
                m[1] = (-c, -u, t)
        done = [m for m in groups.values() if len(m) > 1 and sum(c for c, _, _ in m) == 0]
        if not done:
            return add
        used = {t for m in done for *_, t in m}
        out = [t for t in add.args if t not in used]
        for rest, members in groups.items():
            if any(m is members for m in done):
                u_1 = members[0][1]
                upper = -2 * rest * sp.Add(*[c * ndtr(_normal_argument(-sp.sqrt(2) * u))
                                              for c, u, _ in members])
                lower = 2 * rest * sp.Add(*[c * ndtr(_normal_argument(sp.sqrt(2) * u))
                                             for c, u, _ in members])
                out.append(sp.Piecewise((upper, u_1 >= 0), (lower, True)))
        return sp.Add(*out)

    return expr.replace(lambda e: e.is_Add and e.has(sp.erf), fix)


def gamma_difference_form(expr: sp.Expr, upper: type, lower: type) -> sp.Expr:
    r"""Every group of terms :math:`r \sum_i c_i U(s, u_i)` of a sum (a common rest
    :math:`r` and order :math:`s`, numbers :math:`c_i` that add up to 0) of upper
    incomplete gamma functions ``upper`` (:class:`gammaincc`; sympy's ``uppergamma``
    for mpmath), such as :math:`V(\varphi_x^*) - V(\varphi_I^*)`
    (the Weibull HMY exporters that do not invest), as

    .. math:: -r\sum_i c_i\,L(s, u_i) \text{ where } u_1 < s,
              \qquad r\sum_i c_i\,U(s, u_i) \text{ elsewhere},

    with ``lower`` the lower function (:class:`gammainc`; ``lowergamma``), exact since
    the :math:`c_i` add up to 0.  Below the bulk of the gamma law (:math:`u < s`) the
    upper functions are all near their whole and their difference loses their
    ratio to one (hmy Weibull at f_e = 1.3e61: :math:`\Gamma(s, a) - \Gamma(s, b)` is
    4.8e-92 of either; solve gave export_fdi_ratio = 0); the lower ones are not."""

    def fix(add: sp.Expr) -> sp.Expr:
        groups: dict[tuple, list] = {}
        for t in add.args:
            c, rest = t.as_coeff_Mul()
            found = [f for f in sp.Mul.make_args(rest) if isinstance(f, upper)]
            if len(found) == 1:
                others = sp.Mul(*[f for f in sp.Mul.make_args(rest) if f is not found[0]])
                s_i, u = found[0].args
                groups.setdefault((others, s_i), []).append((c, u, t))
        done = [(key, m) for key, m in groups.items()
                if len(m) > 1 and sum(c for c, _, _ in m) == 0]
        if not done:
            return add
        used = {t for _, m in done for *_, t in m}
        out = [t for t in add.args if t not in used]
        for (rest, order), m in done:
            out.append(sp.Piecewise(
                (-rest * sp.Add(*[c * lower(order, u) for c, u, _ in m]), m[0][1] < order),
                (rest * sp.Add(*[c * upper(order, u) for c, u, _ in m]), True)))
        return sp.Add(*out)

    return expr.replace(lambda e: e.is_Add and e.has(upper), fix)


def numeric_form(expr: sp.Expr) -> sp.Expr:
    """The form the numeric path (and the Newton forms of generated code) compiles:
    :func:`special_form`, then :func:`gamma_difference_form`,
    :func:`erf_difference_form`, :func:`expm1_form`, :func:`factored_sums`,
    :func:`powm1_form`, :func:`positive_powers_out` and :func:`inverse_powers`."""
    return inverse_powers(positive_powers_out(powm1_form(factored_sums(expm1_form(
        erf_difference_form(gamma_difference_form(special_form(expr), gammaincc, gammainc)))))))


#: The most terms :func:`factored_sums` expands a sum into before factoring it
#: (sympy's factor grows with them; the truncated Pareto's phi_tilde_t has 88).
FACTOR_MAX_TERMS = 256


def _expanded_terms(term: sp.Expr) -> int | None:
    """The number of terms ``term`` (a product) expands into, or None when that is
    not a count of terms: a sum in a base other than a positive integer power of a
    sum of sum-free terms (as inside a power with a symbolic exponent)."""
    n = 1
    for f in term.args if term.is_Mul else (term,):
        base, exp = (f.base, f.exp) if f.is_Pow else (f, sp.S.One)
        if not base.has(sp.Add):
            continue
        if not (base.is_Add and exp.is_Integer and exp > 0
                and not any(a.has(sp.Add) for a in base.args)):
            return None
        n *= len(base.args) ** int(exp)
    return n


def _power_polynomial(add: sp.Expr) -> bool:
    """``add`` is a sum of three or more terms without functions, with (some) powers
    with symbolic exponents, that expands into at most :data:`FACTOR_MAX_TERMS`
    terms (:func:`_expanded_terms`): a polynomial in those powers (and in the
    symbols, ``sigma - 1``)."""
    if len(add.args) < 3 or add.atoms(sp.Function) or all(
            p.exp.is_Number for p in add.atoms(sp.Pow)):
        return False
    counts = [_expanded_terms(t) for t in add.args]
    return None not in counts and sum(counts) <= FACTOR_MAX_TERMS


def factored_sums(expr: sp.Expr) -> sp.Expr:
    r"""Every sum that is a polynomial in powers with symbolic exponents
    (:func:`_power_polynomial`) as sympy factors it, the powers of products split
    first (:math:`(b b_H^4)^k = b^k (b_H^k)^4`).  The derivation expands products of
    differences: the denominator of the truncated Pareto's :math:`\tilde\varphi_t`
    has 34 terms that cancel to
    :math:`(b_H^k - \varphi^{*k})^2 (k - \sigma + 1)(\dots)^2`, of order
    :math:`k^2` as :math:`k \to 0` (0.087 where the value is 16.9 at k = 1e-5,
    issue 20); factored, each difference is one :func:`powm1_form` can write
    without cancellation."""
    def fix(add: sp.Expr) -> sp.Expr:
        if not _power_polynomial(add):
            return add
        factored = sp.factor(sp.expand(sp.expand_power_base(add), power_base=True))
        return factored if factored.is_Mul else add

    return expr.replace(lambda e: e.is_Add, fix)


def inverse_powers(expr: sp.Expr) -> sp.Expr:
    r"""Every power of a power :math:`(X^a)^{1/a}` as :math:`X`.  The derivation
    writes :math:`\tilde\varphi^{\sigma-1}` as such a power of a product, whose
    factors sympy may have split over signs it does not know:
    :math:`((k - \sigma + 1)^{1/(\sigma-1)})^{\sigma-1}` is nan in real arithmetic
    for the truncated Pareto at :math:`k < \sigma - 1` (where the product is positive);
    it is :math:`k - \sigma + 1`, and elsewhere the same value with two roundings
    less.  Not in an expression with a normal cdf or an incomplete gamma function
    (as :func:`positive_powers_out`): there the inner power's overflow (an inf the
    solver refuses) marks points where the rest of the form is not accurate either
    (hmy log-normal at delta = 6e-237, n = 8.3e281: without it Newton took a root
    160 times too small)."""
    if _special(expr):
        return expr
    return expr.replace(lambda e: e.is_Pow and e.base.is_Pow
                        and sp.simplify(e.exp * e.base.exp - 1) == 0, lambda e: e.base.base)


def _special(expr: sp.Expr) -> bool:
    """``expr`` holds a normal cdf or an incomplete gamma function."""
    return any(isinstance(f, (ndtr, sp.erf, gammaincc, gammainc, sp.uppergamma))
               for f in expr.atoms(sp.Function))


def positive_powers_out(expr: sp.Expr) -> sp.Expr:
    r"""Every power :math:`(A W)^p` of a product with factors :math:`A` positive by
    their tree (:func:`_positive_factor`; factors common to the terms of a sum
    taken out first) and a real exponent as :math:`A^p W^p`
    (for :math:`A > 0`, :math:`\arg(A W) = \arg W`: the same value on the principal
    branch), inner powers first: :math:`((b^k W)^{1/z})^z` is :math:`b^k (W^{1/z})^z`;
    a power of a power of a positive base is one power (:math:`(b^{k/z})^z = b^k`).
    A scale such as :math:`b^k` then is a factor of the terms, whose exponents
    :func:`exp_terms` combines with the others' (:math:`b^k \varphi^{-k}`), instead
    of a number in a power that underflows to a subnormal at :math:`b = 2.35\times
    10^{-95}` (M was 2.2e-3 off, issue 20).  Not in an expression with a normal cdf
    or an incomplete gamma function: near sigma = 1 the power :math:`1/(\sigma-1)`
    of a factor alone over- or underflows where that of the product does not (the
    log-normal's phi_tilde_t at sigma = 1 + 1e-3 was nan)."""
    def split(pw: sp.Expr) -> sp.Expr:
        base = sp.Mul(*[sp.factor_terms(sp.expand_power_base(a)) if a.is_Add else a
                        for a in sp.Mul.make_args(pw.base)])
        factors = [b for a in sp.Mul.make_args(base) for b in sp.Mul.make_args(a)]
        out = [a for a in factors if _positive_factor(a)]
        if not out or len(out) == len(factors):
            return pw
        rest = [a for a in factors if a not in out]
        return sp.Mul(*[power(a, pw.exp) for a in out]) * sp.Mul(*rest) ** pw.exp

    def power(a: sp.Expr, p: sp.Expr) -> sp.Expr:  # a^p of a positive a, one power
        return a.base ** sp.cancel(a.exp * p) if a.is_Pow else a ** p

    if _special(expr):
        return expr
    expr = expr.replace(lambda e: e.is_Pow and e.base.is_Pow and _positive_factor(e.base.base),
                        lambda e: power(e.base, e.exp))
    return expr.replace(lambda e: (e.is_Pow and not e.exp.is_Integer
                                   and e.exp.is_real is not False
                                   and (e.base.is_Mul or e.base.is_Add)), split)


def _power_split(t: sp.Expr, every: bool = False) -> tuple[sp.Expr, sp.Expr, list[sp.Expr]]:
    """``t`` as (number, rest, powers): the powers are its factors :math:`x^a` with a
    positive base and a symbolic exponent (with ``every``, any exponent, and the
    positive symbols) and its exponentials (powers of a product of positive bases
    split, powers of one base joined: ``(b b_H)^k`` is ``b^k b_H^k``,
    ``tau^sigma/tau`` is ``tau^(sigma-1)``); the rest is every other factor."""
    c, m = t.as_coeff_Mul()
    rest, powers = [], []
    for f in sp.Mul.make_args(sp.expand_power_base(sp.powsimp(m))):
        power = f.is_Pow and f.base.is_positive and (every or not f.exp.is_Number)
        own = every and f.is_Symbol and f.is_positive
        (powers if power or own or isinstance(f, sp.exp) else rest).append(f)
    return c, sp.Mul(*rest), powers


def _power_log(f: sp.Expr) -> sp.Expr:
    """log of a power :math:`x^a`, an exponential or a positive symbol (a factor of
    :func:`_power_split`)."""
    if isinstance(f, sp.exp):
        return f.args[0]
    return f.exp * sp.log(f.base) if f.is_Pow else sp.log(f)


def _collected_log(d: sp.Expr, symbolic: bool) -> sp.Expr | None:
    r"""A sum of logs ``d`` as :math:`A + \sum_j a_j \log r_j`, one ratio or product
    :math:`r_j` of bases per coefficient :math:`a_j` (``k log(b/phi)``: no large
    logs that cancel in floating point) and the rest :math:`A` (the terms that
    are not one log times a coefficient: the log-normal's :math:`\log x \log y` is
    not :math:`\log((\log x)\dots)`; it was the log of a negative number at
    f < 1, hmy log-normal at f = 1e-9); with ``symbolic``, None where a
    coefficient is a number."""
    d = sp.expand(d, log=True)
    logs = sorted(d.atoms(sp.log), key=sp.default_sort_key)
    plain, ratios = sp.S.Zero, {}
    for a, coefficient in sp.collect(d, logs, evaluate=False).items():
        coefficient = sp.factor(coefficient)
        if symbolic and not coefficient.free_symbols:
            return None
        if not isinstance(a, sp.log):  # not a log (exponents of exp, log(x) log(y))
            plain += a * coefficient
            continue
        sign = -1 if coefficient.could_extract_minus_sign() else 1
        ratios[sign * coefficient] = ratios.get(sign * coefficient, sp.S.One) * a.args[0] ** sign
    return plain + sp.Add(*[c * _log_ratio(r) for c, r in ratios.items()])


def _log_ratio_of(num: sp.Expr, den: sp.Expr) -> sp.Expr | None:
    r""":math:`\log(num/den)` of two products of powers (:func:`_power_split`) as
    :func:`_collected_log` (``k log(b/b_H)``, computed without cancellation), or
    None where it is 0 or a coefficient is a number (the ratio does not tend to
    one as the exponents vanish: nothing cancels)."""
    d = sp.expand(sp.Add(*[_power_log(f) for f in sp.Mul.make_args(num) if f != 1])
                  - sp.Add(*[_power_log(f) for f in sp.Mul.make_args(den) if f != 1]), log=True)
    return None if d == 0 else _collected_log(d, True)


def product_form(expr: sp.Expr) -> sp.Expr:
    r"""Every product with two or more powers of positive bases with symbolic
    exponents (or exponentials, :func:`_power_split`) as its other factors times
    one :math:`\exp(\sum_j a_j \log r_j)` (:func:`_collected_log`), inner products
    first: :math:`\varphi^k (b/\varphi)^k b_H^{-k} e^{D}` does not underflow
    or overflow factor by factor where the product is a normal double (the
    truncated Pareto at :math:`b = 2.35\times 10^{-95}`, where :math:`\varphi^{*k}`
    is subnormal; issue 20).  Where the other factors hold one sum of terms with
    exponentials, the exponential goes into each term (the terms of
    :math:`M_t` are of order :math:`(b_H/\varphi^*)^k`, its scale :math:`b^k`).  Not
    in an expression with a normal cdf or an incomplete gamma function (as
    :func:`positive_powers_out`: the log-normal's forms are left as they were)."""
    if _special(expr):  # as positive_powers_out
        return expr

    def fix(mul: sp.Expr) -> sp.Expr:
        c, rest, powers = _power_split(mul)
        if sum(bool(isinstance(f, sp.exp) or (f.is_Pow and f.base.is_positive
                                               and not f.exp.is_Number)) for f in mul.args) < 2:
            return mul
        exps = [f.args[0] for f in powers if isinstance(f, sp.exp)]  # as they are
        logs = _collected_log(sp.Add(*[_power_log(f) for f in powers
                                       if not isinstance(f, sp.exp)]), False)
        sums = [f for f in sp.Mul.make_args(rest) if f.is_Add and f.has(sp.exp)]
        if len(sums) == 1:  # the scale into the terms of a sum of exponentials
            others = sp.Mul(*[f for f in sp.Mul.make_args(rest) if f is not sums[0]])
            return c * others * sp.Add(*[fix(t * sp.exp(logs + sp.Add(*exps)))
                                         for t in sums[0].args])
        return c * rest * sp.exp(logs + sp.Add(*exps))

    return expr.replace(lambda e: e.is_Mul, fix)


def powm1_form(expr: sp.Expr) -> sp.Expr:
    r"""Differences of powers without cancellation: the terms :math:`c\,r\,G\,P`
    and :math:`-c\,r\,G\,Q` of a sum (a number :math:`c`, a common rest :math:`r`,
    common powers :math:`G`, products :math:`P`, :math:`Q` of powers of positive
    bases with symbolic exponents, :func:`_power_split`), whose ratio
    :math:`P/Q = e^D` tends to one as the exponents vanish (every coefficient of
    :math:`D = \log(P/Q)` is symbolic, :func:`_log_ratio_of`), become
    :math:`c\,r\,G\,(P - Q)` with

    .. math:: P - Q = Q\,\mathrm{expm1}(D) \text{ where } D \le 0,
              \qquad -P\,\mathrm{expm1}(-D) \text{ elsewhere}

    (the larger power times a number in (-1, 0]: neither overflows where the terms
    do not), or :math:`\mathrm{expm1}(D)` alone where :math:`Q = 1` (a power less
    one).  :math:`P - Q` keeps only :math:`2^{-53}/|D|` of its digits as
    :math:`D \to 0`: HMY's FDI cutoff has :math:`f (\tau^{\sigma-1} - 1)` in a
    denominator, and p_I was 2.4e-4 off at tau = 1 + 2e-12; the truncated Pareto's
    mass :math:`b^k - b_H^k` (and :math:`b_H^k - \varphi^k`) is of order
    :math:`k`, and phi* was 1.1e-7 off at k = 4.5e-9 (issue 20).  The common
    powers :math:`G` stay outside, so that a scale such as :math:`b^k` cancels
    against the other factors (:func:`positive_powers_out`), and so do the
    factors common to the terms of the sum that is left (``k D - z D`` is
    ``(k - z) D``)."""
    def fix(add: sp.Expr) -> sp.Expr:
        terms = list(add.args)
        parts = [_power_split(t, True) for t in terms]
        for i, (c, rest, powers) in enumerate(parts):
            if not powers:
                continue
            for j, (c_j, rest_j, powers_j) in enumerate(parts):
                if j == i or c_j != -c or rest_j != rest:
                    continue
                common = [f for f in powers if f in powers_j]
                p = sp.Mul(*[f for f in powers if f not in common])
                q = sp.Mul(*[f for f in powers_j if f not in common])
                if q != 1 and sp.default_sort_key(q) < sp.default_sort_key(p):
                    continue  # one orientation per pair
                d = _log_ratio_of(p, q)
                if d is None:
                    continue
                if q == 1:
                    difference = expm1(d)
                elif p == 1:
                    difference = -expm1(-d)
                else:
                    low = sp.Piecewise((d, d <= 0), (-d, True))  # -|D|: no branch overflows
                    difference = q * sp.exp(sp.Piecewise((0, d <= 0), (d, True))) * sp.Piecewise(
                        (expm1(low), d <= 0), (-expm1(low), True))
                others = [v for m, v in enumerate(terms) if m not in (i, j)]
                out = sp.Add(c * rest * sp.Mul(*common) * difference, *others)
                return sp.factor_terms(fix(out)) if out.is_Add else out
        return add

    return expr.replace(lambda e: e.is_Add, fix)


def _exponent_parts(term: sp.Expr) -> tuple[sp.Expr, dict[sp.Expr, int]] | None:
    """``term`` as (rest, {b: m}) with term = rest * exp(sum m b), every m an integer
    (the parts b with their powers of products expanded, so that (b/phi)^k and
    b^k/phi^k are one part), or None when an m is not an integer."""
    exps = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.exp)]
    powers: dict[sp.Expr, int] = {}
    # the sums inside powers stay as they are: expanded, (f tau^z - f)/(f_I - f_x) is
    # f tau^z/(f_I - f_x) - f/(f_I - f_x), which cancels near tau = 1 (hmy Frechet at
    # tau = 1 + 1e-15: M_I 2% off)
    exponent = sp.expand_power_base(sp.expand(sp.Add(*[f.args[0] for f in exps]), deep=False))
    for part in sp.Add.make_args(exponent) if exponent != 0 else ():
        m, b = part.as_coeff_Mul()
        if not m.is_Integer:
            return None
        powers[b] = powers.get(b, 0) + int(m)
    return sp.Mul(*[f for f in sp.Mul.make_args(term) if f not in exps]), powers


def expm1_form(expr: sp.Expr) -> sp.Expr:
    r"""Differences of exponentials with :math:`\mathrm{expm1}(a) = e^a - 1`.

    The terms of a sum that share a rest :math:`r` (up to a number :math:`c_i`)
    and carry exponentials :math:`e^{\sum_b m_{ib} b}` (integer :math:`m_{ib}`)
    are :math:`r \sum_i c_i \prod_b w_b^{m_{ib}}`, a polynomial in
    :math:`w_b = e^b` (after a common factor :math:`\prod_b w_b^{\min_i m_{ib}}`).
    Where its coefficients sum to zero, it vanishes as every :math:`b \to 0` and
    its terms cancel catastrophically for small :math:`b`: it is rewritten in
    :math:`\mathrm{expm1}(b) = w_b - 1` (expanded), which has no such constant.
    So the Frechet survival weight :math:`1 - e^{-x}` (:math:`x = (b/\varphi)^k`) is
    :math:`-\mathrm{expm1}(-x)`, and the sums that sympy expanded over
    :math:`e^{x + x_x}` (the cutoff residual; the denominator of
    :math:`\tilde\varphi_t`, where :math:`e^{x_x} - 2e^{x + x_x} + e^{2x + x_x}`
    is :math:`e^{x_x}\mathrm{expm1}(x)^2`) lose an ulp or two for small
    :math:`x` instead of :math:`1/x` (all of them below 1e-16 or so).
    For the numeric path only (Fortran has no ``expm1``)."""

    def fix(add: sp.Expr) -> sp.Expr:
        groups: dict[sp.Expr, list] = {}
        keep = []
        for t in add.args:
            parts = _exponent_parts(t)
            if parts is None:
                keep.append(t)
                continue
            c, rest = parts[0].as_coeff_Mul()
            groups.setdefault(rest, []).append((c, parts[1], t))
        out, changed = [], False
        for rest, members in groups.items():
            if len(members) < 2 or sum(c for c, _, _ in members) != 0:
                out += [t for _, _, t in members]  # as they were
                continue
            bases = {b for _, p, _ in members for b in p}
            low = {b: min(p.get(b, 0) for _, p, _ in members) for b in bases}
            e = {b: sp.Dummy() for b in bases}
            poly = sp.expand(sp.Add(*[c * sp.Mul(*[(1 + e[b]) ** (p.get(b, 0) - low[b])
                                                   for b in bases]) for c, p, _ in members]))
            out.append(rest * sp.exp(sp.Add(*[m * b for b, m in low.items()]))
                       * poly.xreplace({e[b]: expm1(b) for b in bases}))
            changed = True
        return sp.Add(*keep, *out) if changed else add

    return expr.replace(lambda e: e.is_Add and e.has(sp.exp), fix)


class erfc(sp.Function):  # noqa: N801 (the name the code printers know)
    r"""Complementary error function, kept unevaluated: sympy's ``erfc(-u)`` would
    become ``2 - erfc(u)``.  Named ``erfc`` so that every code printer prints it
    as its language's ``erfc``."""


def code_form(expr: sp.Expr) -> sp.Expr:
    r"""Stable form for generated code: :func:`special_form`, with
    :math:`\Phi(x) = \mathrm{erfc}(-x/\sqrt2)/2` in the languages' own ``erfc``,
    and sympy's polar numbers (``exp_polar(i pi)``, which ``integrate`` leaves in
    the arguments of functions such as ``lerchphi`` to mark a branch) as the
    ordinary numbers they are at the principal branch."""
    return special_form(expr).replace(ndtr, lambda x: erfc(-x / sp.sqrt(2)) / 2).replace(
        sp.exp_polar, sp.exp)


def _normal_argument(x: sp.Expr) -> sp.Expr:
    """The argument of Phi as one fraction with common factors taken out:
    ``sqrt(2) (sqrt(2) mu/(2 s) - sqrt(2) log(phi)/(2 s))`` is ``(mu - log(phi))/s``."""
    return sp.factor_terms(sp.expand_mul(x, deep=False))


class exp_ndtr(sp.Function):  # noqa: N801
    r""":math:`e^{A}\,\Phi(x)` as one node (arguments ``A, x``), compiled to
    ``exp(A) * ndtr(x)``: each factor is rounded once, which is more accurate
    than :math:`\exp(A + \log\Phi(x))` (whose exponent is a rounded sum of two
    large numbers of opposite sign); where that product overflows or
    underflows, the numeric layer evaluates the exponent form instead."""

    nargs = 2


class log_ndtr(sp.Function):  # noqa: N801 (the scipy name)
    r""":math:`\log\Phi(x)`, compiled to ``scipy.special.log_ndtr`` (accurate far into
    both tails).  Its derivative :math:`\varphi(x)/\Phi(x)` is
    :math:`\exp(-x^2/2 - \log\Phi(x))/\sqrt{2\pi}`: no overflow, no 0/0."""

    def fdiff(self, argindex=1):
        x = self.args[0]
        return sp.exp(-x**2 / 2 - self - sp.log(2 * sp.pi) / 2)


def _positive_factor(e: sp.Expr) -> bool:
    """``e`` is positive for every admissible real value of its symbols."""
    if isinstance(e, (ndtr, sp.exp)):
        return True
    if isinstance(e, (expm1, gammainc, gammaincc)):  # at a positive x (P, Q where defined)
        return _positive_factor(e.args[-1])
    if e.is_Pow:
        return _positive_factor(e.base) and all(s.is_real for s in e.exp.free_symbols)
    if e.is_Mul:
        return all(_positive_factor(a) for a in e.args)
    return e.is_positive is True


def _log_factor(e: sp.Expr) -> sp.Expr:
    """log of a positive factor (:func:`_positive_factor`) as an expanded sum:
    log Phi(x) is ``log_ndtr(x)``, powers and products become sums of logs."""

    def log(a: sp.Expr) -> sp.Expr:
        if a.is_Mul:
            return sp.Add(*[log(b) for b in a.args])
        if a.is_Pow:
            return a.exp * log(a.base)
        if isinstance(a, sp.exp):
            return a.args[0]
        if isinstance(a, ndtr):
            return log_ndtr(a.args[0])
        if isinstance(a, expm1):
            return _log_expm1(a.args[0])
        return sp.log(a)

    return sp.expand(log(e))


def exp_terms(expr: sp.Expr) -> list[tuple[sp.Expr, sp.Expr]]:
    r"""``expr`` as :math:`\sum_i c_i \exp(L_i)`: the pairs :math:`(c_i, L_i)`.

    Each term of the expanded sum is split into the factors known to be positive
    (powers of positive parameters, exp, Phi, and at a positive argument expm1 and
    the regularised incomplete gamma functions), whose logarithms are combined into
    the expanded exponent :math:`L_i` (``log_ndtr`` for Phi, :math:`x +
    \log(-\mathrm{expm1}(-x))` for expm1(x)), and the rest :math:`c_i` (numbers,
    ``n``, integrals).  Exponents are combined before ``exp`` is taken, so that
    :math:`e^{(\sigma-1)\mu + (\sigma-1)^2 s^2/2}\,\Phi(x)` does not overflow, nor
    hmy's Frechet term :math:`n\,P(s, u)/\mathrm{expm1}(u)\cdots` at n = 1e182 (its
    first factors' product was past the doubles before the small ones came in), and
    ratios such as :math:`\Phi(x)/\Phi(x)` cancel exactly.
    """
    out = []
    for t in sp.Add.make_args(sp.expand_mul(expr, deep=False)):
        c, rest = t.as_coeff_Mul()
        coeff, logs = [c], []
        for factor in sp.Mul.make_args(rest):
            (logs.append(_log_factor(factor)) if _positive_factor(factor)
             else coeff.append(factor))
        out.append((sp.Mul(*coeff), sp.Add(*logs)))
    return out


def exp_terms_diff(terms: list[tuple[sp.Expr, sp.Expr]], y: sp.Symbol
                   ) -> list[tuple[sp.Expr, sp.Expr]]:
    r"""Derivative in ``y`` of :math:`\sum_i c_i e^{L_i}` in the same form.

    Every term of :math:`c_i L_i' e^{L_i}` has its exponential factors merged
    into the exponent, so that equal terms of opposite sign (the densities from
    differentiating :math:`\Phi` in the limits of a tail moment and in its
    survival weight) cancel symbolically instead of in floating point.
    """
    out = []
    for c, L in terms:
        for k in sp.Add.make_args(sp.expand(sp.diff(L, y))):
            kc, kr = k.as_coeff_Mul()
            extra, rest = sp.S.Zero, [c * kc]
            for factor in sp.Mul.make_args(kr):
                if _positive_factor(factor):
                    extra += _log_factor(factor)
                else:
                    rest.append(factor)
            out.append((sp.Mul(*rest), sp.expand(L + extra)))
        if c.has(y):
            out.append((sp.diff(c, y), L))
    return out


class erfcx(sp.Function):  # noqa: N801 (the scipy name)
    r"""Scaled complementary error function :math:`e^{x^2}\mathrm{erfc}(x)`, kept
    unevaluated; compiled to ``scipy.special.erfcx`` (no underflow for large x)."""


def ratio_form(expr: sp.Expr, cutoff: sp.Symbol) -> sp.Expr:
    r"""Every product :math:`e^{A}(\Phi(a)/\Phi(b))^p` (or :math:`\Phi(a)/\Phi(b)`)
    whose arguments differ by a quantity :math:`d = a - b` free of the
    ``cutoff`` (as in :math:`\tilde\varphi_x = e^{\mu + z s^2/2}
    (\Phi(a)/\Phi(b))^{1/z}` with :math:`d = s z`, or the export probability
    :math:`p_x = \Phi(b - D)/\Phi(b)` with :math:`D = (\log\tau +
    \log(f_x/f)/z)/s`) as, where both arguments are negative,

    .. math:: \exp\big(A - p d (a + b)/2\big)
              \big(\mathrm{erfcx}(-a/\sqrt2)/\mathrm{erfcx}(-b/\sqrt2)\big)^p

    (from :math:`\Phi(x) = \mathrm{erfcx}(-x/\sqrt2) e^{-x^2/2}/2`), with
    :math:`p d` cancelled and the exponent expanded symbolically where that
    makes it shorter (for :math:`\tilde\varphi_x` it is
    :math:`\log\varphi_x^*`).  No Phi underflows to 0/0 deep in the tail, the
    rounding of the arguments costs :math:`|d|` ulps instead of :math:`a^2`,
    and near sigma = 1 the large power :math:`1/z` meets only a ratio of two
    numbers of order one.  Elsewhere the product stays as it is."""

    def free(a: sp.Expr, b: sp.Expr) -> bool:
        return not sp.expand(a - b).has(cutoff)

    def power(e: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Expr, list] | None:
        """(a, b, p, [factor]) of a product of exponentials and one power
        (Phi(a)/Phi(b))^p, or None."""
        factors = sp.Mul.make_args(e)
        if not any(isinstance(f, sp.exp) for f in factors):
            return None
        for f in factors:
            if f.is_Pow and not f.exp.is_Number:
                num, den = sp.fraction(f.base)
                if isinstance(num, ndtr) and isinstance(den, ndtr) and free(num.args[0],
                                                                            den.args[0]):
                    return num.args[0], den.args[0], f.exp, [f]
        return None

    def quotient(e: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Expr, list] | None:
        """(a, b, 1, [Phi(a), 1/Phi(b)]) of a product with one Phi above and one
        below the line, or None."""
        factors = sp.Mul.make_args(e)
        nums = [f for f in factors if isinstance(f, ndtr)]
        dens = [f for f in factors if f.is_Pow and f.exp == -1 and isinstance(f.base, ndtr)]
        if len(nums) == 1 and len(dens) == 1 and free(nums[0].args[0], dens[0].base.args[0]):
            return nums[0].args[0], dens[0].base.args[0], sp.S.One, [nums[0], dens[0]]
        return None

    def fix(e: sp.Expr, ratio) -> sp.Expr:
        a, b, p, used = ratio(e)
        exps = [f for f in sp.Mul.make_args(e) if isinstance(f, sp.exp)]
        rest = [f for f in sp.Mul.make_args(e) if f not in used and f not in exps]
        A = sp.Add(*[f.args[0] for f in exps]) - p * sp.factor(sp.expand(a - b)) * (a + b) / 2
        A = min(A, sp.expand(A), key=sp.count_ops)
        tail = sp.Mul(*rest) * sp.exp(A) * (erfcx(-a / sp.sqrt(2)) / erfcx(-b / sp.sqrt(2))) ** p
        return sp.Piecewise((tail, sp.And(a < 0, b < 0)), (e, True))

    expr = expr.replace(lambda e: e.is_Mul and power(e) is not None, lambda e: fix(e, power))
    # a quotient only as the whole expression (p_x): inside the sums of M or P
    # the tail form's exponentials overflow near sigma = 1
    return fix(expr, quotient) if expr.is_Mul and quotient(expr) is not None else expr


def in_z(expr: sp.Expr) -> sp.Expr:
    r"""``expr`` with sigma = 1 + Z, every sum that held sigma expanded, so that
    :math:`s\sigma - s` is :math:`s Z`: near sigma = 1 a divisor
    :math:`s\sigma - s` computed from sigma loses :math:`1/z` ulps; then
    :func:`gamma_order_form`."""
    sigma = sym("sigma")
    return gamma_order_form(expr.replace(
        lambda e: e.is_Add and e.has(sigma),
        lambda e: sp.expand(e.xreplace({sigma: 1 + Z}), power_exp=False, power_base=False,
                            log=False, multinomial=False)).xreplace({sigma: 1 + Z}))


#: The gamma functions whose order :func:`gamma_order_form` puts over one denominator.
_GAMMAS = (sp.gamma, sp.uppergamma, sp.lowergamma, gammainc, gammaincc)


def gamma_order_form(expr: sp.Expr) -> sp.Expr:
    r"""Every order of a gamma function that is a sum over one denominator: the
    Frechet moments' :math:`1 - Z/k` as :math:`(k - Z)/k`, whose difference is exact
    near :math:`k = Z` (Sterbenz), while :math:`1 - Z/k` keeps only
    :math:`2^{-53}/(1 - Z/k)` of its digits: at :math:`k - \sigma + 1 = 10^{-9}`
    that moved phi* by 1.6e-8 (melitz Frechet)."""
    return expr.replace(lambda e: isinstance(e, _GAMMAS) and e.args[0].is_Add,
                        lambda e: e.func(sp.together(e.args[0]), *e.args[1:]))


def exp_form(expr: sp.Expr) -> sp.Expr:
    r"""``expr`` with every sum that holds a normal cdf written as a sum of
    exponentials with combined exponents (:func:`exp_terms`), so that
    :math:`(f_x/f)^{1/(\sigma-1)}\,\Phi(\dots)` is one exponential and does
    not overflow on its own.

    The price is about :math:`|L|` ulps per exponent :math:`L`: the numeric
    layer uses this form only where the plain one is not finite.  (Powers such
    as :math:`(\Phi(a)/\Phi(b))^{1/(\sigma-1)}` are left alone: in the log
    domain near sigma = 1 they lose up to 1e-7, worse than an honest inf.)
    """
    return expr.replace(lambda e: e.is_Add and e.has(ndtr),
                        lambda e: exp_sum(exp_terms(e)))


def exp_sum(terms: list[tuple[sp.Expr, sp.Expr]]) -> sp.Expr:
    r""":math:`\sum_i c_i \exp(L_i)`; equal terms of opposite sign cancel here.
    A term whose exponent is one :math:`\log\Phi(x)` plus logs (of parameters:
    no overflow) and a rest :math:`A` is :math:`c_i` times the product of
    those parameters times :math:`\Phi(x)` (``ndtr``: no log and exp) or, with a
    rest, times :class:`exp_ndtr` :math:`(A, x)`: a term of the residual and
    its derivative share that node."""
    def term(c: sp.Expr, L: sp.Expr) -> sp.Expr:
        parts = sp.Add.make_args(L)
        phis = [a for a in parts if isinstance(a, log_ndtr)]
        if len(phis) != 1:
            return c * sp.exp(L)
        logs = sp.Add(*[a for a in parts if isinstance(a, sp.log)])
        rest = L - phis[0] - logs
        phi = ndtr(phis[0].args[0]) if rest == 0 else exp_ndtr(rest, phis[0].args[0])
        return c * sp.exp(logs) * phi

    return sp.Add(*[term(c, L) for c, L in terms])
