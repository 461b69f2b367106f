"""A point mass: every firm has productivity b (the Krugman limit)."""

from __future__ import annotations

import sympy as sp

from ..symbols import sym
from .base import Distribution


class Degenerate(Distribution):
    r"""All firms draw :math:`\varphi = b`.

    For a threshold :math:`x < b` every firm is above it, so
    :math:`S(x) = 1` and :math:`V(x) = b^{a}`; these are the defining
    integrals of the point mass, valid below ``b``.  Models using it require
    every cutoff to lie below ``b`` (all firms produce and export, as in
    Krugman 1980).
    """

    name = "degenerate"
    params = ("b",)
    continuous = False

    @property
    def support(self):
        return sym("b"), sym("b")

    def survival(self, x):
        return sp.Integer(1)

    def tail_moment(self, x, a):
        return sym("b") ** a

    def pdf(self, x):
        return sp.DiracDelta(x - sym("b"))
