"""Melitz (2003) with untruncated Pareto: derived closed forms vs the literature.

Every reference formula below is typed in independently from
/work/shared/reference/literature.md §2.1 ("Untruncated Pareto", tagged [D]:
Melitz (2003) / Melitz-Redding (2015) / Chaney (2008) notation, with the
Pareto shape theta written ``k`` as in the package).  Nothing is taken from
the package except the symbols.

Each quantity is checked twice:

(a) symbolically: log(derived / literature), with sigma = 1 + z and
    k = z + e (z, e positive Dummies), expanded with expand_log(force=True)
    (legitimate: every factor is positive) must simplify to 0;
(b) numerically: at 20 random admissible exact-rational points both sides
    agree to 1e-40 relative at 50 digits.
"""

from __future__ import annotations

import random
import signal

import mpmath
import pytest
import sympy as sp

import melitz_sym as ms
from melitz_sym.symbols import sym

sigma, k, b, f, f_x, f_e, delta, tau, n, L = (
    sym(s) for s in ["sigma", "k", "b", "f", "f_x", "f_e", "delta", "tau", "n", "L"])
rho = (sigma - 1) / sigma

# ---- literature.md §2.1 (untruncated Pareto), k = theta -----------------------
# Lambda = 1 + n tau^-theta (f_x/f)^(1 - theta/(sigma-1))
LAMBDA = 1 + n * tau ** (-k) * (f_x / f) ** (1 - k / (sigma - 1))
# Autarky cutoff: phi*_A = b [(sigma-1) f / ((theta-sigma+1) delta f_e)]^(1/theta)
PHI_A = b * ((sigma - 1) * f / ((k - sigma + 1) * delta * f_e)) ** (1 / k)
# Trade cutoff, written as in literature.md (first form, not via Lambda):
# phi*_T = b [(sigma-1)(f + n f_x tau^-theta (f_x/f)^(-theta/(sigma-1)))
#            / ((theta-sigma+1) delta f_e)]^(1/theta)
PHI_T = b * ((sigma - 1) * (f + n * f_x * tau ** (-k) * (f_x / f) ** (-k / (sigma - 1)))
             / ((k - sigma + 1) * delta * f_e)) ** (1 / k)
# p_x = tau^-theta (f_x/f)^(-theta/(sigma-1))
P_X = tau ** (-k) * (f_x / f) ** (-k / (sigma - 1))
# M = (theta-sigma+1) L / (sigma theta (f + n p_x f_x))
M_LIT = (k - sigma + 1) * L / (sigma * k * (f + n * P_X * f_x))

LITERATURE = {
    # literature.md §2.1 trade cutoff, Melitz (2003)/Melitz-Redding (2015)
    "phi_star": PHI_T,
    # literature.md §2.1 / O5: phi_x* = tau (f_x/f)^(1/(sigma-1)) phi*_T
    "phi_x_star": tau * (f_x / f) ** (1 / (sigma - 1)) * PHI_T,
    # literature.md §2.1: p_x = tau^-theta (f_x/f)^(-theta/(sigma-1))
    "p_x": P_X,
    # literature.md §2.1: phi_tilde = (theta/(theta-sigma+1))^(1/(sigma-1)) phi*
    "phi_tilde": (k / (k - sigma + 1)) ** (1 / (sigma - 1)) * PHI_T,
    # literature.md §2.1: M = (theta-sigma+1) L / (sigma theta (f + n p_x f_x))
    "M": M_LIT,
    # literature.md §2.1: M_e = (sigma-1) L / (sigma theta f_e), invariant to trade
    "M_e": (sigma - 1) * L / (sigma * k * f_e),
    # literature.md §2.1 / O6: M_x = p_x M
    "M_x": P_X * M_LIT,
    # literature.md §2.1 / O6: M_t = (1 + n p_x) M
    "M_t": (1 + n * P_X) * M_LIT,
    # literature.md §2.1: pi_bar = (sigma-1)/(theta-sigma+1) (f + n p_x f_x)
    "pi_bar": (sigma - 1) / (k - sigma + 1) * (f + n * P_X * f_x),
    # literature.md §2.1: P = (sigma f / L)^(1/(sigma-1)) / (rho phi*)
    "P": (sigma * f / L) ** (1 / (sigma - 1)) / (rho * PHI_T),
    # literature.md §2.1 / O14 / M16: W = rho phi* (L / (sigma f))^(1/(sigma-1))
    "W": rho * PHI_T * (L / (sigma * f)) ** (1 / (sigma - 1)),
    # literature.md §2.1: lambda = 1/Lambda
    "lam": 1 / LAMBDA,
    # literature.md §2.1 and §5 (ACR 2012): W_T/W_A = lambda^(-1/theta)
    "gains": (1 / LAMBDA) ** (-1 / k),
}

Z = sp.Dummy("z", positive=True)
E = sp.Dummy("e", positive=True)


class _Timeout(Exception):
    pass


def _shift(expr: sp.Expr) -> sp.Expr:
    """sigma = 1 + z, k = z + e (z, e > 0), so sympy can combine powers."""
    return expr.subs(sigma, 1 + Z).subs(k, Z + E)


def log_ratio_is_zero(a: sp.Expr, c: sp.Expr, seconds: int = 20) -> bool:
    """True if sympy proves log(a/c) = 0 (a, c positive expressions)."""
    def handler(signum, frame):
        raise _Timeout

    old = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        ratio = sp.powsimp(sp.expand_power_base(_shift(a / c), force=True), force=True)
        return sp.simplify(sp.expand_log(sp.log(ratio), force=True)) == 0
    except _Timeout:
        pytest.fail(f"symbolic comparison took more than {seconds} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _rat(rng: random.Random, lo, hi) -> sp.Rational:
    return sp.Rational(round(rng.uniform(float(lo), float(hi)) * 10**6), 10**6)


def admissible_point(rng: random.Random, open_economy: bool = True) -> dict:
    """Exact rational admissible parameters with an interior cutoff (phi* >= b)."""
    s = _rat(rng, 1.5, 8)
    kk = _rat(rng, s - 1 + sp.Rational(1, 10), s + 5)
    ff = _rat(rng, 0.5, 3)
    dl = _rat(rng, 0.01, 1)
    if dl == 0:
        dl = sp.Rational(1, 100)
    pt = {sigma: s, k: kk, f: ff, delta: dl, L: _rat(rng, 1, 1000), b: _rat(rng, 0.2, 3)}
    # Interior autarky cutoff needs (sigma-1) f >= (k-sigma+1) delta f_e
    # (literature.md §1 restrictions); a trade cutoff is higher still.
    f_e_max = (s - 1) * ff / ((kk - s + 1) * dl)
    pt[f_e] = f_e_max * _rat(rng, 0.05, 0.95)
    if open_economy:
        pt[tau] = _rat(rng, 1, 3)
        pt[f_x] = ff * _rat(rng, 1.0001, 5)
        pt[n] = sp.Integer(rng.randint(0, 10))
        assert pt[tau] ** (s - 1) * pt[f_x] > ff
    return pt


POINTS = [admissible_point(random.Random(1000 + i)) for i in range(20)]


@pytest.fixture(scope="module")
def deriv():
    return ms.model("melitz", dist="pareto").derive()


@pytest.fixture(scope="module")
def model():
    return ms.model("melitz", dist="pareto")


def _n50(expr: sp.Expr, point: dict) -> mpmath.mpf:
    """expr at point, by mpmath at 50 digits from the exact rationals.

    (sp.N(expr.subs(point)) is avoided: sympy tries to find exact rational
    powers of large rationals and factors huge integers.)"""
    syms = sorted(point, key=lambda s: s.name)
    fn = sp.lambdify(syms, expr, modules="mpmath")
    with mpmath.workdps(50):
        return fn(*[mpmath.mpf(point[s].p) / point[s].q for s in syms])


TOL_40 = mpmath.mpf(10) ** -40


def _close(a, c, tol=TOL_40) -> bool:
    return abs(a - c) <= tol * max(abs(a), abs(c))


def test_points_are_interior():
    """Sanity of the sampler: phi* >= b at every point (literature.md §1 restriction)."""
    mpmath.mp.dps = 50
    for pt in POINTS:
        assert _n50(PHI_T, pt) >= _n50(b, pt)


@pytest.mark.parametrize("name", list(LITERATURE))
def test_symbolic(deriv, name):
    got = deriv.closed_form(name)
    assert got is not None, f"no closed form for {name}"
    assert log_ratio_is_zero(got, LITERATURE[name]), (
        f"{name}: derived {got} differs from literature {LITERATURE[name]}")


@pytest.mark.parametrize("name", list(LITERATURE))
def test_numeric(deriv, name):
    mpmath.mp.dps = 50
    got, ref = deriv.closed_form(name), LITERATURE[name]
    assert got is not None
    for pt in POINTS:
        a, c = _n50(got, pt), _n50(ref, pt)
        assert _close(a, c), f"{name} at {pt}: {a} vs {c}"


def test_symbolic_check_detects_a_wrong_formula(deriv):
    """Negative control: the symbolic comparison is not vacuous."""
    assert not log_ratio_is_zero(deriv.closed_form("phi_star"), PHI_T * tau ** (1 / k))
    assert not log_ratio_is_zero(deriv.closed_form("lam"), 1 / (1 + n * tau ** (-k)))


def test_gains_equal_acr(deriv):
    """literature.md §5, ACR (2012): gains = lam^(-1/theta) for the derived lam."""
    assert log_ratio_is_zero(deriv.closed_form("gains"), deriv.closed_form("lam") ** (-1 / k))


def test_trade_cutoff_is_autarky_times_lambda(deriv):
    """literature.md §2.1: phi*_T = phi*_A Lambda^(1/theta)."""
    assert log_ratio_is_zero(deriv.closed_form("phi_star"), PHI_A * LAMBDA ** (1 / k))
    # and n = 0 gives the autarky cutoff
    assert log_ratio_is_zero(deriv.closed_form("phi_star").subs(n, 0), PHI_A)


def test_evaluate_matches_literature(model):
    """The public numeric path m.evaluate(dps=50) agrees with literature.md §2.1."""
    mpmath.mp.dps = 50
    for pt in POINTS[:5]:
        params = {s.name: str(v) for s, v in pt.items()}
        out = model.evaluate(dps=50, **params)
        for name, ref in LITERATURE.items():
            zero = name in ("p_x", "M_x") and pt[n] == 0  # n = 0: no exporters
            assert out[name] == 0 if zero else _close(out[name], _n50(ref, pt)), (name, pt)


# ---- closed economy (model "melitz-closed") ----------------------------------

@pytest.fixture(scope="module")
def closed():
    return ms.model("melitz-closed", dist="pareto")


def test_closed_economy_cutoff_symbolic(closed):
    """literature.md §2.1 autarky cutoff, Melitz (2003) closed economy:
    phi*_A = b [(sigma-1) f / ((theta-sigma+1) delta f_e)]^(1/theta)."""
    got = closed.derive().closed_form("phi_star")
    assert got is not None, "melitz-closed/pareto has no closed-form cutoff"
    assert log_ratio_is_zero(got, PHI_A)


def test_closed_economy_cutoff_numeric(closed):
    """Same as above through m.evaluate at 50 digits (independent of closed forms)."""
    mpmath.mp.dps = 50
    for i in range(20):
        pt = admissible_point(random.Random(2000 + i), open_economy=False)
        out = closed.evaluate(dps=50, **{s.name: str(v) for s, v in pt.items()})
        assert _close(out["phi_star"], _n50(PHI_A, pt)), pt
        # literature.md §2.1: autarky M = (theta-sigma+1) L / (sigma theta f)
        assert _close(out["M"], _n50((k - sigma + 1) * L / (sigma * k * f), pt)), pt
