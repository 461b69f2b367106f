"""Melitz with a density no paper covers.

Shifted exponential g = lam exp(-lam (phi - 1)) on [1, oo).

The reference is computed here from the primitives only (mpmath, 50 digits):
tail integrals by quadrature, the export cutoff from literature.md O5, the
cutoff equation O12 solved by findroot, then W (O14), lam (O15) and M (O13).
It is compared with m.evaluate(dps=50) to 1e-25 relative.

(The gamma-type density phi exp(-phi) on (0, oo) is not tested here: not
attempted within the time budget of this suite.)
"""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

import melitz_sym as ms

PHI = sp.Symbol("phi", positive=True)
LAMBDA = sp.Symbol("lambda_", positive=True)

POINTS = [
    dict(sigma="3", f="1", f_e="0.1", delta="0.1", L="1", tau="2", f_x="2", n="1", lambda_="0.5"),
    dict(sigma="3.8", f="1.5", f_e="0.2", delta="0.05", L="100", tau="1.3", f_x="2.5", n="3",
         lambda_="1.7"),
    dict(sigma="2.2", f="0.7", f_e="0.05", delta="0.3", L="40", tau="1.1", f_x="1.2", n="0",
         lambda_="0.9"),
    dict(sigma="5.5", f="2", f_e="0.3", delta="0.02", L="7", tau="2.5", f_x="4", n="9",
         lambda_="2.5"),
]


def reference(p: dict) -> dict:
    """Independent solution from the primitives (literature.md §1.1-1.2)."""
    with mpmath.workdps(50):
        sigma, f, f_e, delta, L, tau, f_x, n, lam = (
            mpmath.mpf(sp.Rational(p[k]).p) / sp.Rational(p[k]).q
            for k in ("sigma", "f", "f_e", "delta", "L", "tau", "f_x", "n", "lambda_"))

        def g(t):
            return lam * mpmath.exp(-lam * (t - 1))

        def S(x):  # survival 1 - G(x)
            return mpmath.quad(g, [x, x + 1, mpmath.inf])

        def V(x):  # tail moment int_x^oo t^(sigma-1) g(t) dt (literature.md §2)
            return mpmath.quad(lambda t: t ** (sigma - 1) * g(t), [x, x + 1, mpmath.inf])

        def j(x):  # literature.md §2: j = V x^(1-sigma) - S
            return V(x) * x ** (1 - sigma) - S(x)

        def kfun(x):  # literature.md §2: k = V x^(1-sigma)/S - 1
            return V(x) * x ** (1 - sigma) / S(x) - 1

        def phi_x(phi):  # literature.md O5
            return tau * (f_x / f) ** (1 / (sigma - 1)) * phi

        def residual(y):  # literature.md O12 in log phi
            phi = mpmath.exp(y)
            return f * j(phi) + n * f_x * j(phi_x(phi)) - delta * f_e

        # bracket the root in log phi above the lower bound 1 (residual decreasing, M13)
        lo, hi = mpmath.mpf(0), mpmath.mpf(1)
        assert residual(lo) > 0, "cutoff below the lower bound 1: choose another point"
        while residual(hi) > 0:
            lo, hi = hi, hi + 1
        y = mpmath.findroot(residual, (lo, hi), solver="anderson")
        y = mpmath.findroot(residual, y, solver="secant", tol=mpmath.mpf(10) ** -90)
        phi = mpmath.exp(y)
        px_star = phi_x(phi)
        rho = (sigma - 1) / sigma
        p_x = S(px_star) / S(phi) if n else mpmath.mpf(0)  # O6; none without partners
        pi_bar = delta * f_e / S(phi)  # literature.md O11
        M = L / (sigma * (pi_bar + f + p_x * n * f_x))  # literature.md O13
        W = rho * phi * (L / (sigma * f)) ** (1 / (sigma - 1))  # literature.md O14
        dom = f * (kfun(phi) + 1)
        lam_share = dom / (dom + n * p_x * f_x * (kfun(px_star) + 1))  # literature.md O15
        return {"phi_star": phi, "phi_x_star": px_star, "p_x": p_x, "pi_bar": pi_bar,
                "M": M, "W": W, "lam": lam_share}


@pytest.fixture(scope="module")
def model():
    m = ms.model("melitz", dist=ms.Custom(LAMBDA * sp.exp(-LAMBDA * (PHI - 1)), (1, sp.oo),
                                           var=PHI))
    m.derive()
    return m


def test_parameters(model):
    assert "lambda_" in model.parameters
    assert "k" not in model.parameters and "b" not in model.parameters


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS, ids=[f"p{i}" for i in range(len(POINTS))])
def test_against_primitives(model, point):
    ref = reference(point)
    assert ref["phi_star"] > 1
    # workdps: m.evaluate rounds its result to the caller's mpmath precision
    # (see test_krugman.py::test_evaluate_precision_independent_of_global_dps)
    with mpmath.workdps(50):
        out = model.evaluate(dps=50, **point)
        for name, want in ref.items():
            got = out[name]
            assert abs(got - want) <= mpmath.mpf(10) ** -25 * abs(want), (name, got, want)


def test_every_step_rechecks(model):
    """d.check() samples the density's own parameter (lambda_) too."""
    how = model.derive().check()
    assert set(how) == set(model.derive().names)
    assert set(how.values()) <= {"declared", "symbolic", "numeric"}


def test_latex_lists_the_density_parameter(model):
    tex = model.latex()
    assert r"\lambda" in tex and "parameter of the declared density" in tex


def test_verify_with_a_density_parameter(model):
    v = ms.verify(model, r"W = \rho \varphi^* (L/(\sigma f))^{1/(\sigma-1)}")
    assert v.holds
    wrong = ms.verify(model, r"W = \rho \varphi^* (L/(\sigma f))^{1/\sigma}")
    assert not wrong.holds and wrong.counterexample is not None
