r"""The undefined functions of a derivation's generic layer.

In the generic layer of a heterogeneous-firm derivation the distribution enters
only through

* the survival function :math:`S(x) = 1 - G(x) = \int_x^{\bar\varphi} g(t)\,dt`, and
* the tail moment :math:`V(x) = \int_x^{\bar\varphi} t^{\sigma-1} g(t)\,dt`,

kept as undefined sympy functions until the specialisation inserts what sympy
integrated from the declared density.  The numeric reference evaluates the
generic layer with its own quadrature of the density in their place.
"""

from __future__ import annotations

import sympy as sp

S = sp.Function("S", positive=True)
V = sp.Function("V", positive=True)

#: Partial moments of a unit-cost distribution, :math:`G_a(x) = \int^x t^a g(t)\,dt`
#: for a = 0, 1, 2 (:math:`G_0` the cdf), undefined in the generic layer of a model with
#: heterogeneous costs and linear demand (Melitz-Ottaviano 2008), whose profits are
#: quadratic in cost; see :func:`melitz_sym.distributions.partial_moment`.
PARTIAL = tuple(sp.Function(f"G_{a}", positive=True) for a in range(3))
