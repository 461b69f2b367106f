"""Extreme-value productivity distributions: Frechet and Weibull.

Both are declared by their cdf; tail moments come out as incomplete gamma
functions after the change of variables :math:`u = (\\varphi/b)^{\\mp k}`.
"""

from __future__ import annotations

import sympy as sp

from ..admissibility import Restriction
from ..symbols import sym
from .base import Distribution, Substitution


class Frechet(Distribution):
    r"""Frechet: :math:`G(\varphi) = \exp(-(\varphi/b)^{-k})` on :math:`(0, \infty)`."""

    name = "frechet"
    params = ("k", "b")

    @property
    def support(self):
        return sp.Integer(0), sp.oo

    def declared_cdf(self, x):
        k, b = sym("k"), sym("b")
        return sp.exp(-((x / b) ** (-k)))

    def restrictions(self, a):
        return [Restriction(sym("k") > a, "the productivity distribution has a finite "
                            "(sigma-1)-th moment")]

    def substitution(self):
        k, b = sym("k"), sym("b")
        u, t = sp.Dummy("u", positive=True), sp.Dummy("t", positive=True)
        return Substitution(u, b * u ** (-1 / k), sp.Lambda(t, (t / b) ** (-k)))


class Weibull(Distribution):
    r"""Weibull: :math:`G(\varphi) = 1 - \exp(-(\varphi/b)^{k})` on :math:`(0, \infty)`."""

    name = "weibull"
    params = ("k", "b")

    @property
    def support(self):
        return sp.Integer(0), sp.oo

    def declared_cdf(self, x):
        k, b = sym("k"), sym("b")
        return 1 - sp.exp(-((x / b) ** k))

    def substitution(self):
        k, b = sym("k"), sym("b")
        u, t = sp.Dummy("u", positive=True), sp.Dummy("t", positive=True)
        return Substitution(u, b * u ** (1 / k), sp.Lambda(t, (t / b) ** k))
