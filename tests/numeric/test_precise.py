"""The derived expressions at high precision (Model.evaluate, what CLI ``solve`` prints).

Expected values come from the independent mpmath reference (Model.reference:
quadrature of the declared density and its own root finder), never from evaluate.
"""

from __future__ import annotations

import mpmath
import pytest

import melitz_sym as ms
from melitz_sym.cli import main

TRUNCATED = dict(sigma="3.8", f_e="1", delta="0.1", L="100", k="3.4", b="1", b_H="20")
OPEN = dict(tau="1.5", f_x="1.5", n="1", f_I="8")


@pytest.mark.parametrize("name, extra, f", [("melitz-closed", {}, "5.456235903359676e-186"),
                                            ("hmy", OPEN, "1.6161297586119198e-221")])
def test_corner_below_the_support_is_no_selection_as_in_the_reference(name, extra, f,
                                                                      capsys):
    """Issue 20 (long fuzz profile): CLI solve of truncated Pareto at a tiny f raised
    IndexError (mpmath's bare ZeroDivisionError had no message line); the root lies
    below b, and evaluate refuses it with the reference's words."""
    m = ms.model(name, "truncated-pareto")
    params = {**TRUNCATED, **{k: v for k, v in extra.items() if k in m.parameters}, "f": f}
    for path in (m.evaluate, m.reference):
        with pytest.raises(ms.AdmissibilityError, match="no selection: .* below the lower "
                                                         "bound of productivity 1.0"):
            path(dps=20, **params)
    argv = ["solve", name, "--dist", "truncated-pareto", "--dps", "20"]
    assert main(argv + [f"--set={k}={v}" for k, v in params.items()]) == 2
    err = capsys.readouterr().err
    assert err.startswith("melitz-sym: error: no selection") and err.count("\n") == 1


@pytest.mark.parametrize("dist, params", [
    ("weibull", dict(k="1.5", b="1")), ("lognormal", dict(mu="0", s="0.5")),
    ("truncated-pareto", dict(k="3.4", b="1", b_H="20")), ("frechet", dict(k="4", b="1"))])
def test_cutoff_root_agrees_with_the_reference(dist, params):
    """The bracketed safeguarded Newton iteration finds the reference's cutoff to the
    digits asked (20) at an ordinary point of every distribution without a closed form."""
    m = ms.model("melitz", dist)
    point = dict(sigma="3.8", f="1", f_e="1", delta="0.1", L="100", tau="1.5", f_x="1.5",
                 n="1", **params)
    got = m.evaluate(dps=20, outputs=["phi_star", "phi_x_star"], **point)
    want = m.reference(dps=25, outputs=["phi_star", "phi_x_star"], **point)
    for name in got:
        assert abs(got[name] / want[name] - 1) < 1e-18


@pytest.mark.parametrize("n", [1000, 10**4, 10**6])
def test_truncated_pareto_with_many_partners(n):
    """Issue 20: truncated-Pareto evaluate with n >= 1000 said "no root" where solve and
    reference found phi*.  It agrees with the reference (quadrature of the density)
    and with solve."""
    m = ms.model("melitz", "truncated-pareto")
    point = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=1.5, f_x=1.5, n=n, k=3.4,
                 b=1.0, b_H=20.0)
    got = m.evaluate(dps=20, outputs=["phi_star"], **point)["phi_star"]
    want = m.reference(dps=20, outputs=["phi_star"], **point)["phi_star"]
    assert abs(got / want - 1) < 1e-15
    assert abs(float(m.solve(outputs=["phi_star"], **point)["phi_star"]) / want - 1) < 1e-13


def test_incomplete_gamma_within_its_budget():
    """Issue 20: Weibull evaluate at sigma = 1e300 ran for hours in mpmath's gammainc
    (an integer order of 6.7e299), and orders near 1e6 raised mpmath's NoConvergence
    or a MemoryError: each is a NumericalError naming the function; an order within
    the budget is computed (sigma = 1e5: the reference's cutoff)."""
    from melitz_sym.numeric import precise

    m = ms.model("melitz-closed", "weibull")
    point = dict(f="1", f_e="1", delta="0.1", L="100", k="1.5", b="1")
    with pytest.raises(ms.NumericalError, match="incomplete gamma function of order "
                                                "6.6666667e\\+299"):
        m.evaluate(dps=20, outputs=["phi_star"], sigma="1e300", **point)
    got = m.evaluate(dps=20, outputs=["phi_star"], sigma="1e5", **point)["phi_star"]
    want = m.reference(dps=20, outputs=["phi_star"], sigma="1e5", **point)["phi_star"]
    assert abs(got / want - 1) < 1e-15
    with pytest.raises(ms.NumericalError, match="does not converge"):
        precise.gammainc(mpmath.mpf("1000000.3"), mpmath.mpf(2e6))


def test_guard_digits_for_parameters_of_extreme_magnitude():
    """k = 1e308 with selection (p_in = 1/280): at dps + 10 digits k - sigma + 1 and k
    cancelled, M_t came out as M/2 and phi_tilde_t as 3.6e+1103037127...; with guard
    digits for the parameters' magnitudes M_t = M + n M_x (M_x ~ 1e-2.8e307: M_t = M)
    and phi_tilde_t = phi* to the digits asked."""
    m = ms.model("melitz", "pareto")
    got = m.evaluate(dps=30, outputs=["M", "M_t", "phi_star", "phi_tilde_t", "p_in"],
                     sigma="3.8", k="1e308", b="0.5", f="1", f_x="2", f_e="1e-300",
                     delta="1e-10", tau="1.5", n="1", L="100")
    assert abs(got["M_t"] / got["M"] - 1) < 1e-29
    assert abs(got["phi_tilde_t"] / got["phi_star"] - 1) < 1e-29
    assert abs(got["p_in"] * 280 - 1) < 1e-29


def test_exp_of_an_astronomical_argument_within_memory(capsys):
    """Issue 20 (long fuzz profile): melitz-closed Frechet at k = 3.86e16 computed
    exp((b/phi)^k) with (b/phi)^k ~ 10^(10^16) below the cutoff, and mpmath's exp
    shifted a mantissa by that many bits: MemoryError in evaluate, reference and CLI
    solve.  exp of a negative such argument is 0 (below 10^(-8e18)), of a positive one
    an overflow, which every mpmath path reports as a NumericalError."""
    from melitz_sym.numeric import precise

    huge = mpmath.mpf(2) ** 65
    assert precise.exp(-huge) == 0
    with pytest.raises(OverflowError):
        precise.exp(huge)
    assert precise.exp(mpmath.mpf(2) ** 63) == mpmath.exp(mpmath.mpf(2) ** 63)
    point = dict(sigma="3.8", f="1.0", delta="0.1", L="100", b="1.0",
                 k="3.86406068147383e16", f_e="1.000022990124822")
    m = ms.model("melitz-closed", "frechet")
    for path in (m.evaluate, m.reference):
        with pytest.raises(ms.NumericalError):
            path(**point)
    assert main(["solve", "melitz-closed", "--dist", "frechet",
                 *[a for k, v in point.items() for a in ("--set", f"{k}={v}")]]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error" in err.lower()


def test_cutoff_search_counts_its_incomplete_gamma_calls(monkeypatch):
    """Found by the long fuzz (issue 20): evaluate of hmy Frechet at L = 1e308 ran past
    60 s (135 s under load) with 2447 calls of the incomplete gamma function: the
    compiled residual repeated the same call dozens of times and the slope was
    mpmath's numerical derivative at raised precision.  The expressions are now
    compiled with common subexpressions once and the slope is sympy's derivative
    (284 calls, 12 s under load); the root agrees with the reference."""
    from melitz_sym.numeric import precise

    calls = []
    precise._compiled.cache_clear()  # compiled again, with the counting function
    gammainc = precise.FUNCTIONS["gammainc"]
    monkeypatch.setitem(precise.FUNCTIONS, "gammainc",
                        lambda *a, **k: calls.append(1) or gammainc(*a, **k))
    m = ms.model("hmy", "frechet")
    params = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=1e308, tau=1.5, f_x=1.5, n=1.0,
                  f_I=8.0, k=4.0, b=1.0)
    got = m.evaluate(dps=20, outputs=["phi_star"], **params)["phi_star"]
    assert 0 < len(calls) <= 400
    want = m.reference(dps=20, outputs=["phi_star"], **params)["phi_star"]
    assert abs(got / want - 1) < 1e-15
    precise._compiled.cache_clear()  # no compiled function keeps the counting one


@pytest.mark.parametrize("dist, point, want", [
    ("frechet", dict(k=4.0, b=1.0, delta=7.449807581310619e-160),
     dict(phi_star="7.7738235165499169179e+39", phi_tilde_t="1.2159591740905408959e+40")),
    ("lognormal", dict(mu=0.0, s=0.5, f=5e-324),
     dict(phi_star="1.1040591031831624448e-115", phi_tilde_t="1.4222282202908138231"))])
def test_extreme_tails_against_an_independent_computation(dist, point, want):
    """Issue 20 (long fuzz): melitz Frechet at delta = 7.4e-160 divided by zero at the
    working precision (190 digits): 1 - e^(-x) at x = (b/phi*)^k = 1e-160 and its
    square in phi_tilde_t's denominator (now expm1), and Gamma(s) - Gamma(s, x), 1e-48
    of its terms, left the cutoff's Newton polish unconverged (now the lower
    incomplete gamma function).  Log-normal at f = 5e-324 (phi* = 1.1e-115): the long
    fuzz found phi* 4e-3 off; it was already right when this test was written.
    Expected: extreme_tails.py (an independent computation at 60 digits: closed-form
    partial moments, bisection on the cutoff equation), which Model.reference matches
    to its 20 digits (the doubles as given, at their binary values)."""
    m = ms.model("melitz", dist)
    base = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=1.5, f_x=1.5, n=1)
    got = m.evaluate(dps=20, outputs=list(want), **{**base, **point})
    for name, value in want.items():
        assert abs(got[name] / mpmath.mpf(value) - 1) < 1e-18, name


def test_evaluate_gives_real_numbers_below_the_moment_condition():
    """Truncated Pareto at k = 1 < sigma - 1: M, M_e, M_x and M_t came out as mpc with an
    imaginary residue of 1e-33 (a power of k - sigma + 1 < 0 on the principal branch);
    they are real and agree with the reference (mpmath quadrature of the primitives)."""
    m = ms.model("melitz", dist="truncated-pareto")
    p = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=1.5, f_x=1.5, n=1, k=1.0, b=1.0,
             b_H=20.0)
    got = m.evaluate(dps=20, **p)
    want = m.reference(dps=20, **p)
    for name in ("M", "M_e", "M_x", "M_t"):
        assert isinstance(got[name], mpmath.mpf), name
        assert abs(got[name] / want[name] - 1) < 1e-15, name


def test_evaluate_with_a_fixed_cost_below_one_in_a_log_normal_model():
    """hmy log-normal at f = 1e-9 (found by the fuzz): the log form of a difference of
    powers took log(f)^2 (from the normal density's exponent) as the log of log(f),
    and the residual's slope compared a complex number: a TypeError traceback from
    evaluate and CLI solve.  It agrees with the reference (mpmath quadrature)."""
    m = ms.model("hmy", dist="lognormal")
    p = dict(sigma=3.8, f=1e-9, f_e=1.0, delta=0.1, L=100, tau=1.5, f_x=1.5, n=1, f_I=8.0,
             mu=0.0, s=0.5)
    got = m.evaluate(dps=20, **p)
    want = m.reference(dps=20, **p)
    for name in ("phi_star", "M", "p_x"):
        assert abs(got[name] / want[name] - 1) < 1e-15, name
