"""Tail integrals in the log variable (melitz_sym.numeric.tail_quadrature).

Reference values: the partial moments of the Pareto law of unit cost, G(c) = (c/c_M)^k
on [0, c_M] (Melitz and Ottaviano 2008, section 3.2), integrated by hand:
G_a(x) = k/(k + a) x^(k + a) c_M^(-k).
"""

from __future__ import annotations

import mpmath
import pytest

from melitz_sym.distributions import ParetoCost
from melitz_sym.numeric.tail_quadrature import Tails


@pytest.mark.parametrize("k", ["2", "0.001", "1e-14", "1.6e-105"])
def test_reflected_tails_are_the_partial_moments_of_a_piled_up_cost_density(k):
    """Issue 20: at k = 1e-14 the mass of k c^(k-1) lies within e^(-1e14) of 0; the
    reflected tail (the density of 1/c) is an exact exponential in its scaled log."""
    dist = ParetoCost()
    with mpmath.workdps(30):
        K, c_M, x = mpmath.mpf(k), mpmath.mpf("1.5"), mpmath.mpf("0.0115")
        tails = Tails(dist, dict(zip(dist.symbols, [c_M, K])), reflected=True)
        for a in range(3):
            got = tails.integral(1 / x, -a)
            assert abs(got / (K / (K + a) * x ** (K + a) * c_M ** -K) - 1) < mpmath.mpf(10) ** -27
