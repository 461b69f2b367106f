"""Log-normal productivity distribution."""

from __future__ import annotations

import sympy as sp

from ..symbols import sym
from .base import Distribution, Substitution


class LogNormal(Distribution):
    r"""Log-normal: :math:`\ln\varphi \sim N(\mu, s^2)` on :math:`(0, \infty)`.

    Integrals are taken in :math:`u = \ln\varphi` (sympy's integrator does not
    finish on the moment in :math:`\varphi`).
    """

    name = "lognormal"
    params = ("mu", "s")

    @property
    def support(self):
        return sp.Integer(0), sp.oo

    def declared_pdf(self, x):
        mu, s = sym("mu"), sym("s")
        return sp.exp(-((sp.log(x) - mu) ** 2) / (2 * s**2)) / (x * s * sp.sqrt(2 * sp.pi))

    def substitution(self):
        u, t = sym("u"), sp.Dummy("t", positive=True)
        return Substitution(u, sp.exp(u), sp.Lambda(t, sp.log(t)))
