r"""Vectorised quadrature of the integrals sympy leaves unevaluated.

A :class:`~melitz_sym.distributions.custom.Custom` density whose tail moment
:math:`\int_x^{b} t^{a} g(t)\,dt` has no antiderivative keeps it as a sympy
``Integral``.  :func:`with_quadrature` replaces every such integral by a call
of a function that evaluates it at all points at once by double-exponential
quadrature (Takahasi and Mori 1974; Bailey, Jeyabalan and Li 2005):

* an infinite upper end by the exp-sinh rule,
  :math:`t = x + e^{u}`, :math:`u = \tfrac{\pi}{2}\sinh s`,
  :math:`dt = e^{u}\,\tfrac{\pi}{2}\cosh s\,ds`;
* a finite one by the tanh-sinh rule,
  :math:`t = x + (b - x)/(1 + e^{-2u})`,
  :math:`dt = (b - x)\,\tfrac{\pi}{2}\cosh s / (2\cosh^2 u)\,ds`,

both with the trapezoidal rule in :math:`s \in [-S, S]`, the integrand with its
exponents combined so that it underflows to 0 far out instead of inf * 0.  The
step is halved (new nodes only) from 1/4 to 1/128 until two successive sums
agree to 1e-10 relatively; the error of the rule shrinks like :math:`e^{-c/h}`, so the last
sum is then within about the square of that, far below 1e-13.  A point that
does not settle, or whose integrand is not negligible at the last node of an
infinite range, gets nan: the solver reports it instead of returning a wrong
number.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
import sympy as sp

from . import stable

S = 4.0          # nodes in s in [-S, S]: e^u spans 1e-19 .. 4e18 (exp-sinh)
FIRST, LAST = 2, 7   # steps h = 2^-FIRST .. 2^-LAST
RTOL = 1e-10     # agreement of successive sums that stops the halving
CHUNK = 1024     # points per vectorised evaluation (chunk x nodes temporaries)

#: name -> callable, for the namespace of ``lambdify``.
FUNCTIONS: dict[str, object] = {}
_names = itertools.count()


def _nodes(level: int, infinite: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes new at step 2^-level (all of them at ``FIRST``): s, the position
    ``d`` in (0, 1) or (0, inf) and the weight per unit length ``w`` (h included)."""
    h = 2.0 ** -level
    j = np.arange(-S / h, S / h + 1)
    if level > FIRST:
        j = j[j % 2 == 1]
    s = j * h
    u = np.pi / 2 * np.sinh(s)
    if infinite:
        return s, np.exp(u), h * np.exp(u) * np.pi / 2 * np.cosh(s)
    e = np.exp(-2 * np.abs(u))
    d = np.where(u > 0, 1 / (1 + e), e / (1 + e))
    return s, d, h * np.pi / 2 * np.cosh(s) * 2 * e / (1 + e) ** 2


def integrate(g, lower: np.ndarray, upper: np.ndarray | None, params: list) -> np.ndarray:
    r""":math:`\int_{lower}^{upper} g(t, *params)\,dt` per point (``upper=None``: to
    infinity); ``g`` is vectorised in ``t`` and its parameters."""
    shape = np.broadcast_shapes(*map(np.shape, [lower, *([] if upper is None else [upper]),
                                                *params]))
    flat = [np.broadcast_to(v, shape).reshape(-1) for v in
            [lower, *([] if upper is None else [upper]), *params]]
    out = np.empty(int(np.prod(shape)))
    for start in range(0, out.size, CHUNK):
        sl = slice(start, start + CHUNK)
        out[sl] = _chunk(g, [v[sl] for v in flat], upper is None)
    return out.reshape(shape)


def _chunk(g, values: list, infinite: bool) -> np.ndarray:
    lower = values[0][:, None]
    width = None if infinite else (values[1][:, None] - lower)
    params = [v[:, None] for v in values[(1 if infinite else 2):]]

    def part(level: int) -> tuple[np.ndarray, np.ndarray]:
        """Sum over the new nodes and the size of the last-node terms."""
        _, d, w = _nodes(level, infinite)
        t = lower + d if infinite else lower + width * d
        with np.errstate(all="ignore"):
            terms = g(t, *params) * (w if infinite else width * w)
        terms = np.broadcast_to(terms, t.shape)
        return terms.sum(axis=1), np.abs(terms[:, [0, -1]]).max(axis=1)

    total, ends = part(FIRST)
    done = np.zeros(total.shape, bool)
    result = np.full(total.shape, np.nan)
    for level in range(FIRST + 1, LAST + 1):
        extra, _ = part(level)
        new = total / 2 + extra
        settled = ~done & np.isfinite(new) & (np.abs(new - total) <= RTOL * np.abs(new)) & (
            ends <= 1e-16 * np.abs(new))
        result[settled] = new[settled]
        done |= settled
        total = new
        if done.all():
            break
    return result


@lru_cache(maxsize=128)
def _function(integrand: sp.Expr, var: sp.Symbol, params: tuple, infinite: bool) -> str:
    r"""Name of a registered function (lower[, upper], *params) -> the integral.
    The integrand's exponents are combined (:func:`stable.exp_terms`), so that
    :math:`t^{a} e^{-t^2}` far out is :math:`e^{a\log t - t^2} = 0`, not inf * 0."""
    g = sp.lambdify((var,) + params, stable.exp_sum(stable.exp_terms(integrand)), "numpy")
    name = f"quad_{next(_names)}"
    if infinite:
        FUNCTIONS[name] = lambda lower, *p: integrate(g, lower, None, list(p))
    else:
        FUNCTIONS[name] = lambda lower, upper, *p: integrate(g, lower, upper, list(p))
    return name


def with_quadrature(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every one-dimensional ``Integral`` replaced by a call of a
    registered vectorised quadrature function (see :data:`FUNCTIONS`)."""

    def call(integral: sp.Integral) -> sp.Expr:
        (var, lower, upper), = integral.limits
        params = tuple(sorted(integral.function.free_symbols - {var}, key=sp.default_sort_key))
        infinite = upper == sp.oo
        name = _function(integral.function, var, params, infinite)
        return sp.Function(name)(lower, *([] if infinite else [upper]), *params)

    return expr.replace(lambda e: isinstance(e, sp.Integral), call)
