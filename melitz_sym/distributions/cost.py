r"""Distributions of unit labour cost, and their partial moments.

Melitz and Ottaviano (2008) declare heterogeneity in the unit labour cost
:math:`c` a firm draws on entry, not in productivity.  A cost distribution is an
ordinary :class:`~melitz_sym.distributions.Distribution` whose variable is
:math:`c` (any of them, ``Custom(pdf, support)`` included, can be declared as
one with :class:`~melitz_sym.primitives.HeterogeneousCost`); with linear demand
profits are polynomials in :math:`c`, and what the models need are the
*partial moments*

.. math::  G_a(x) = \int_{\underline c}^{x} t^{a} g(t)\,dt, \qquad a = 0, 1, 2,

(:math:`G_0 = G`, the cdf) derived here by sympy from the declared density.
"""

from __future__ import annotations

import sympy as sp

from ..symbols import sym
from .base import Distribution


class ParetoCost(Distribution):
    r"""Pareto in unit cost: :math:`G(c) = (c/c_M)^k` on :math:`[0, c_M]`
    (Melitz and Ottaviano 2008, section 3.2).

    The same law as a Pareto productivity :math:`\varphi = 1/c` with lower bound
    :math:`b = 1/c_M`; declared here in cost, with the paper's parameters.
    """

    name = "pareto-cost"
    params = ("c_M", "k")

    @property
    def support(self):
        return sp.Integer(0), sym("c_M")

    def declared_cdf(self, x):
        return (x / sym("c_M")) ** sym("k")


def partial_moment(dist: Distribution, x: sp.Expr, a: int) -> sp.Expr:
    r""":math:`G_a(x) = \int_{lower}^{x} t^a g(t)\,dt`, integrated by sympy from the
    declared density (after the distribution's change of variables, if any); an
    integral sympy cannot do stays an unevaluated ``Integral``.

    Parameters
    ----------
    dist : Distribution
        The distribution (of unit cost in the models that use it).
    x : sympy.Expr
        The upper limit (a cost cutoff, :math:`c_D` or :math:`c_X`).
    a : int
        The order of the moment.

    Returns
    -------
    sympy.Expr
        :math:`G_a(x)`, simplified.
    """
    result = dist.moment_integral(a, dist.support[0], x)
    if result.has(sp.Integral):
        return result
    return sp.powsimp(sp.factor_terms(sp.simplify(result)), force=True)
