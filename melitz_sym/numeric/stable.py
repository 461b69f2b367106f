r"""Rewrite derived expressions into numerically stable forms before ``lambdify``.

Closed forms (:func:`log_domain`)
    In the shifted symbols :math:`z = \sigma - 1` and :math:`e = k - (\sigma - 1)`
    (:mod:`melitz_sym.simplify`), each output is a product of powers of positive
    quantities and of sums of such products.  It is emitted as
    :math:`\exp(\log y)` with :math:`\log y` a sum of ``exponent * log(base)``
    terms, so that nested powers become one combined exponent and
    :math:`b^k`, :math:`\tau^k`, :math:`f_x^{e/z}` never overflow on their own;
    a sum of such powers becomes ``logaddexp`` of the logs of its terms.  Sums
    without symbolic powers (:math:`z + e`, :math:`1 + z`) are evaluated
    directly (``log1p`` for :math:`1 + x`).  The solver passes :math:`z` and
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

import sympy as sp
from sympy.codegen.cfunctions import log1p
from sympy.codegen.numpy_nodes import logaddexp

from ..simplify import shifted, shifts
from ..symbols import sym

#: Protected quantities passed to the compiled functions.
Z = sp.Symbol("z_sigma", positive=True)   # sigma - 1
E = sp.Symbol("e_k", positive=True)       # k - (sigma - 1)


def protected(expr: sp.Expr, with_k: bool) -> sp.Expr:
    """``expr`` with sigma = 1 + Z (and k = Z + E): the protected quantities appear once."""
    forward, _ = shifts(with_k)
    z_dummy = forward[sym("sigma")] - 1
    mapping = {z_dummy: Z}
    if with_k:
        mapping[forward[sym("k")] - z_dummy] = E
    return shifted(expr, with_k).xreplace(mapping)


def _has_symbolic_power(e: sp.Expr) -> bool:
    return any(not p.exp.is_Number for p in e.atoms(sp.Pow)) or e.has(sp.exp)


def log_of(expr: sp.Expr) -> sp.Expr:
    """An expression for log(expr) of a positive expression, built from the tree."""
    if expr.is_Mul:
        return sp.Add(*[log_of(a) for a in expr.args])
    if expr.is_Pow:
        return expr.exp * log_of(expr.base)
    if isinstance(expr, sp.exp):
        return expr.args[0]
    if expr.is_Add:
        terms = sp.Add.make_args(expr)
        positive = all(t.could_extract_minus_sign() is False for t in terms)
        if positive and _has_symbolic_power(expr):
            logs = [log_of(t) for t in terms]
            out = logs[0]
            for lt in logs[1:]:
                out = logaddexp(out, lt)
            return out
        if len(terms) == 2 and sp.S.One in terms:
            rest = terms[1] if terms[0] == 1 else terms[0]
            return log1p(rest)
        return sp.log(expr)
    if expr.is_Number:
        return sp.log(expr)
    return sp.log(expr)


def _positive_sums(expr: sp.Expr) -> bool:
    """Every sum in ``expr`` has only terms of positive sign (so ``expr > 0``)."""
    return all(t.could_extract_minus_sign() is False
               for a in expr.atoms(sp.Add) for t in a.args) and expr.could_extract_minus_sign() \
        is False


def closed_form(expr: sp.Expr, with_k: bool) -> sp.Expr:
    """The stable form of a closed form, in Z (and E).

    exp(log expr) when every sum in it is a sum of positive terms (the output is
    positive); otherwise the expression in the protected quantities as it is.
    """
    expr = protected(expr, with_k)
    return sp.exp(log_of(expr)) if _positive_sums(expr) else expr


class ndtr(sp.Function):  # noqa: N801 (the scipy name)
    r"""Standard normal cdf :math:`\Phi(x)`, kept unevaluated (sympy would turn
    ``erfc(-u)`` back into ``2 - erfc(u)``); compiled to ``scipy.special.ndtr``."""

    def _eval_derivative(self, x):  # pragma: no cover - not differentiated
        return sp.exp(-self.args[0] ** 2 / 2) / sp.sqrt(2 * sp.pi) * sp.diff(self.args[0], x)


def erfc_form(expr: sp.Expr) -> sp.Expr:
    """Rewrite K + K erf(u) as 2K Phi(sqrt(2) u) and K - K erf(u) as 2K Phi(-sqrt(2) u).

    K is any common factor of two terms of a sum (a number, or an expression
    such as ``f (phi* tau)^(sigma-1) / 2``).  Phi is :class:`ndtr`, so no
    survival function is ever computed as 1 - Phi(z).
    """

    def fix(add: sp.Expr) -> sp.Expr:
        terms = list(sp.Add.make_args(add))
        for i, t in enumerate(terms):
            erfs = [a for a in sp.Mul.make_args(t) if isinstance(a, sp.erf)]
            if not erfs:
                continue
            u = erfs[0].args[0]
            K = t / erfs[0]
            for j, other in enumerate(terms):
                if j == i:
                    continue
                if other == K:
                    new = 2 * K * ndtr(sp.sqrt(2) * u)
                elif other == -K:
                    new = -2 * K * ndtr(-sp.sqrt(2) * u)
                else:
                    continue
                rest = [x for m, x in enumerate(terms) if m not in (i, j)]
                return fix(sp.Add(new, *rest)) if rest else new
        return add

    return expr.replace(lambda e: e.is_Add and e.has(sp.erf), fix)


class gammaincc(sp.Function):  # noqa: N801 (the scipy name)
    r"""Regularised upper incomplete gamma :math:`Q(s, x) = \Gamma(s, x)/\Gamma(s)`,
    kept unevaluated; compiled to ``scipy.special.gammaincc``."""


def special_form(expr: sp.Expr) -> sp.Expr:
    """:func:`erfc_form`, and every ``uppergamma(s, x)`` as ``gamma(s) gammaincc(s, x)``."""
    expr = erfc_form(expr)
    return expr.replace(sp.uppergamma, lambda s, x: sp.gamma(s) * gammaincc(s, x))


class erfc(sp.Function):  # noqa: N801 (the name the code printers know)
    r"""Complementary error function, kept unevaluated: sympy's ``erfc(-u)`` would
    become ``2 - erfc(u)``.  Named ``erfc`` so that every code printer prints it
    as its language's ``erfc``."""


def code_form(expr: sp.Expr) -> sp.Expr:
    r"""Stable form for generated code: :func:`special_form`, with
    :math:`\Phi(x) = \mathrm{erfc}(-x/\sqrt2)/2` in the languages' own ``erfc``."""
    return special_form(expr).replace(ndtr, lambda x: erfc(-x / sp.sqrt(2)) / 2)
