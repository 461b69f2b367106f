"""Vectorised quadrature of integrals sympy leaves unevaluated (melitz_sym.numeric.quadrature).

Expected values: antiderivatives worked out by hand (power laws) and mpmath's
own tanh-sinh quadrature at 40 digits with breakpoints where the integrand
lives, both computed here; at model level, Model.reference (mpmath quadrature
of the declared density and root finding, the independent path).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import melitz_sym as ms
from melitz_sym.numeric import quadrature

t, a, k = sp.symbols("t a k", positive=True)


def _quad(integrand, infinite=True):
    params = tuple(sorted(integrand.free_symbols - {t}, key=sp.default_sort_key))
    return quadrature.FUNCTIONS[quadrature._function(integrand, t, params, infinite)]


def test_gaussian_tail_moment_against_mpmath():
    """int_x^oo t^a e^{t(2-t)} dt from the body to far in the tail (1e-82)."""
    fn = _quad(t ** a * sp.exp(t * (2 - t)))
    x = np.array([1e-3, 0.5, 1.0, 2.0, 5.0, 20.0])
    av = np.array([1e-3, 0.5, 2.0, 2.0, 7.0, 59.0])
    got = fn(x, av)
    with mpmath.workdps(40):
        for xi, ai, gi in zip(x, av, got):
            xi, ai = mpmath.mpf(xi), mpmath.mpf(ai)
            pts = [xi + j * mpmath.mpf("0.005") for j in range(100)] + [xi + 1, xi + 10,
                                                                        mpmath.inf]
            want = mpmath.quad(lambda u, ai=ai: u ** ai * mpmath.exp(u * (2 - u)), pts)
            # the integrand itself is computed in double: exp of an exponent near -183
            # at x = 20 carries ~|exponent| ulps
            assert abs(gi / want - 1) <= 3e-13, (xi, ai, gi, want)


def test_power_tail_and_finite_range_against_antiderivatives():
    """int_x^oo t^(a-k-1) dt = x^(a-k)/(k-a) and int_x^b t^a dt = (b^(a+1) - x^(a+1))/(a+1)."""
    x = np.array([0.5, 1.0, 3.0, 100.0])
    av, kv = np.array([0.5, 2.0, 6.0, 3.0]), np.array([2.5, 4.0, 7.5, 5.0])
    got = _quad(t ** (a - k - 1))(x, av, kv)
    want = x ** (av - kv) / (kv - av)
    assert np.all(np.abs(got / want - 1) <= 1e-13), got / want - 1
    b = np.array([1.0, 2.0, 3.5, 1e4])
    got = _quad(t ** a, infinite=False)(x, b, av)
    want = (b ** (av + 1) - x ** (av + 1)) / (av + 1)
    assert np.all(np.abs(got / want - 1) <= 1e-13), got / want - 1


def test_integral_that_does_not_settle_is_nan():
    """A tail as slow as t^-1.0001 is not negligible at the last node (4e18): nan,
    which the solver reports, never a truncated number."""
    got = _quad(t ** (a - k - 1))(np.array([1.0, 1.0]), np.array([2.0, 2.0]),
                                  np.array([2.0001, 4.0]))
    assert np.isnan(got[0]) and abs(got[1] - 0.5) <= 1e-15


@pytest.fixture(scope="module")
def half_normal():
    """A density with no antiderivative for its tail moment: the half-normal above 1."""
    phi = sp.Symbol("phi", positive=True)
    m = ms.model("melitz", dist=ms.Custom(2 / sp.sqrt(sp.pi) * sp.exp(-(phi - 1) ** 2),
                                          (1, sp.oo), var=phi))
    assert m.derive().cutoff_residual.has(sp.Integral)
    return m


@pytest.mark.slow
def test_model_without_closed_tail_moment_solves_against_reference(half_normal):
    base = dict(f=1.0, f_x=2.0, f_e=0.1, delta=0.1, n=2.0, L=10.0)
    sigma, tau = np.array([1.5, 3.0, 8.0]), np.array([1.0, 1.3, 3.0])
    fast = half_normal.solve(sigma=sigma, tau=tau, **base)
    for i in range(3):
        ref = half_normal.reference(dps=30, sigma=sigma[i], tau=tau[i], **base)
        for name in ("phi_star", "phi_x_star", "phi_tilde", "P", "W", "lam"):
            assert abs(fast[name][i] / ref[name] - 1) <= 1e-13, (i, name)
        for name in ("p_x", "M_x"):  # elasticity to phi_x* ~ 2 phi_x*^2 in the Gaussian tail
            assert abs(fast[name][i] / ref[name] - 1) <= 2e-13, (i, name)
