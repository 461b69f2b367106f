"""Krugman (1980) closed forms vs literature.md §5 ("Krugman (1980) and Armington as limits")."""

from __future__ import annotations

import random

import mpmath
import pytest
import sympy as sp

import melitz_sym as ms
from melitz_sym.symbols import sym

sigma, b, f, tau, n, L = (sym(s) for s in "sigma b f tau n L".split())

# literature.md §5, Krugman (1980): M_i = L_i / (sigma f_i)
M_LIT = L / (sigma * f)
# literature.md §5, Krugman (1980), symmetric n+1 countries: lambda = 1/(1 + n tau^(1-sigma))
LAM_LIT = 1 / (1 + n * tau ** (1 - sigma))
# literature.md §5: W/W_A = lambda^(-1/(sigma-1)) (ACR with epsilon = 1 - sigma)
GAINS_LIT = LAM_LIT ** (-1 / (sigma - 1))
# literature.md §1.1 M4 (pricing rule p = 1/(rho phi)): markup sigma/(sigma-1)
MARKUP_LIT = sigma / (sigma - 1)

Z = sp.Dummy("z", positive=True)


def same(a: sp.Expr, c: sp.Expr) -> bool:
    """log(a/c) simplifies to 0 with sigma = 1 + z (z > 0)."""
    r = sp.powsimp(sp.expand_power_base((a / c).subs(sigma, 1 + Z), force=True), force=True)
    return sp.simplify(sp.expand_log(sp.log(r), force=True)) == 0


@pytest.fixture(scope="module")
def model():
    return ms.model("krugman")


@pytest.fixture(scope="module")
def deriv(model):
    return model.derive()


def test_parameters(model):
    assert set(model.parameters) == {"sigma", "b", "f", "tau", "n", "L"}


@pytest.mark.parametrize("name, ref", [("M", M_LIT), ("lam", LAM_LIT), ("gains", GAINS_LIT),
                                       ("markup", MARKUP_LIT)])
def test_closed_form_symbolic(deriv, name, ref):
    got = deriv.closed_form(name)
    assert got is not None
    assert same(got, ref), f"{name}: {got} vs {ref}"


def test_markup_independent_of_market_size_and_trade(deriv):
    """literature.md §5 / Krugman (1980): constant CES markup, no pro-competitive effect."""
    markup = deriv.closed_form("markup")
    for v in (L, tau, n):
        assert sp.simplify(sp.diff(markup, v)) == 0
    assert v not in markup.free_symbols


def test_numeric(model):
    """m.evaluate at 50 digits vs the literature formulas at random admissible points."""
    rng = random.Random(1980)
    for _ in range(10):
        pt = {sigma: sp.Rational(rng.randint(1_500_000, 8_000_000), 10**6),
              b: sp.Rational(rng.randint(200_000, 3_000_000), 10**6),
              f: sp.Rational(rng.randint(500_000, 3_000_000), 10**6),
              tau: sp.Rational(rng.randint(1_000_000, 3_000_000), 10**6),
              n: sp.Integer(rng.randint(0, 10)),
              L: sp.Rational(rng.randint(1, 1000))}
        # workdps: evaluate rounds its result to the caller's precision (bug, tested below)
        with mpmath.workdps(50):
            out = model.evaluate(dps=50, **{s.name: str(v) for s, v in pt.items()})
        syms = sorted(pt, key=lambda s: s.name)
        with mpmath.workdps(50):
            args = [mpmath.mpf(pt[s].p) / pt[s].q for s in syms]
            for name, ref in [("M", M_LIT), ("lam", LAM_LIT), ("gains", GAINS_LIT),
                              ("markup", MARKUP_LIT)]:
                want = sp.lambdify(syms, ref, modules="mpmath")(*args)
                assert abs(out[name] - want) <= mpmath.mpf(10) ** -40 * abs(want), (name, pt)


def test_check_passes(deriv):
    result = deriv.check()
    assert set(result) == set(deriv.names)
    assert set(result.values()) <= {"symbolic", "numeric", "declared"}
    assert {"markup", "free_entry", "M", "lam", "acr"} <= set(result)


def test_evaluate_precision_independent_of_global_dps(model):
    """m.evaluate(dps=50) must return 50-digit numbers even when the caller left
    mpmath at its default 15 digits."""
    assert mpmath.mp.dps == 15
    out = model.evaluate(dps=50, sigma="395057/250000", b="1", f="1306509/500000", tau="2",
                         n="1", L="7")
    with mpmath.workdps(50):
        want = mpmath.mpf(7) / (mpmath.mpf(1306509) / 500000 * mpmath.mpf(395057) / 250000)
        assert abs(out["M"] - want) <= mpmath.mpf(10) ** -40 * want


@pytest.mark.parametrize("change", [dict(L=35311231.0), dict(L=1e300), dict(f=1e300),
                                    dict(f=1e-300), dict(n=1e300)])
def test_reference_at_extreme_scales(model, change):
    """Found by tests/test_fuzz.py: the reference's root finding failed at L = 3.5e7
    (findroot's absolute tolerance; a ValueError traceback) and returned nan at
    f = 1e300; its equations are now scaled to order one."""
    params = {**dict(sigma=3.8, b=1.0, f=1.0, tau=1.5, n=1, L=100.0), **change}
    want = model.reference(dps=30, **params)
    got = model.solve(**params)
    for name, w in want.items():
        assert abs(float(got[name]) / float(w) - 1) < 1e-12, name
