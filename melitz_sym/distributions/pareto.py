"""Pareto and truncated Pareto productivity distributions."""

from __future__ import annotations

import sympy as sp

from ..admissibility import Restriction
from ..symbols import sym
from .base import Distribution


class Pareto(Distribution):
    r"""Pareto: :math:`g(\varphi) = k b^k \varphi^{-k-1}` on :math:`[b, \infty)`.

    The tail moment of order :math:`\sigma - 1` is finite only for
    :math:`k > \sigma - 1`; the integration is done with
    :math:`k = \sigma - 1 + \epsilon`, :math:`\epsilon > 0`.
    """

    name = "pareto"
    params = ("k", "b")

    @property
    def support(self):
        return sym("b"), sp.oo

    def declared_pdf(self, x):
        k, b = sym("k"), sym("b")
        return k * b**k * x ** (-k - 1)

    def restrictions(self, a):
        k = sym("k")
        return [Restriction(k > a, "the productivity distribution has a finite "
                            "(sigma-1)-th moment")]

    def reparametrisation(self, a):
        k, e = sym("k"), sym("e")
        return {k: a + e}, {e: k - a}


class TruncatedPareto(Distribution):
    r"""Pareto truncated above at :math:`b_H`.

    :math:`g(\varphi) = k b^k \varphi^{-k-1} / (1 - (b/b_H)^k)` on
    :math:`[b, b_H]`.  Every moment is finite; any ``k > 0`` is admissible.
    """

    name = "truncated-pareto"
    params = ("k", "b", "b_H")

    @property
    def support(self):
        return sym("b"), sym("b_H")

    def declared_pdf(self, x):
        k, b, b_H = sym("k"), sym("b"), sym("b_H")
        return k * b**k * x ** (-k - 1) / (1 - (b / b_H) ** k)

    def restrictions(self, a):
        b, b_H = sym("b"), sym("b_H")
        return [Restriction(b_H > b, "the upper bound exceeds the lower bound")]
