"""Long double normal functions of the fast path (melitz_sym.numeric.extended).

Expected values: mpmath at 40 digits (erfc, ncdf, exp) at the exact values of
the long double arguments; bounds in units of the long double unit roundoff
2^-64, with the x^2 ulps of the rounding of x^2/2 in the tail allowed for.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from melitz_sym.numeric import extended

LD = np.longdouble
U = 2.0**-64


def _mp(v) -> mpmath.mpf:
    """The exact value of a long double: its significand, scaled to an integer,
    is the sum of two doubles."""
    mantissa, exponent = np.frexp(LD(v))
    whole = mantissa * LD(2.0**64)
    hi = float(whole)
    return mpmath.ldexp(mpmath.mpf(hi) + mpmath.mpf(float(whole - LD(hi))), int(exponent) - 64)


def _rel(got, want) -> float:
    return float(abs((_mp(got) - want) / want))


pytestmark = pytest.mark.skipif(np.finfo(LD).nmant < 63,
                                reason="long double is double on this platform")


def test_erfcx_is_within_a_few_long_double_ulps():
    """Both sides of every piece of the fit, the switch to the asymptotic series
    at 32, tiny and huge arguments and the reflection below 0 (where
    2 exp(w^2) carries the rounding of w^2).  Near w = 0 the rounding of
    t = 4/(4 + w), magnified by the piece's width, costs up to 8 units
    (measured 7.9 over 5000 points)."""
    rng = np.random.default_rng(5)
    w = np.concatenate([rng.uniform(0, 60, 400), np.exp(rng.uniform(-30, 14, 200)),
                        rng.uniform(-6, 0, 100), [0.0, 32.0, np.nextafter(32.0, 0), 1e150]])
    w = w.astype(LD) / 3 * 3  # long double values with bits below the double's
    got = extended.erfcx(w)
    with mpmath.workdps(40):
        for g, x in zip(got, w):
            x = _mp(x)
            want = mpmath.exp(x * x) * mpmath.erfc(x)
            assert _rel(g, want) <= (16 if x >= 0 else 16 + 2 * x * x) * U, (x, g)


def test_erfcx_propagates_nan_and_overflows_to_inf_far_left():
    got = extended.erfcx(np.array([np.nan, -200.0], LD))
    assert np.isnan(got[0]) and got[1] == np.inf


@pytest.mark.parametrize("side", ["lower", "upper"])
def test_ndtr_and_log_ndtr(side):
    rng = np.random.default_rng(6)
    x = (rng.uniform(-60, 0, 300) if side == "lower" else rng.uniform(0, 9, 300)).astype(LD)
    phi, log_phi = extended.ndtr(x), extended.log_ndtr(x)
    with mpmath.workdps(40):
        for p, lp, v in zip(phi, log_phi, x):
            v = _mp(v)
            want = mpmath.ncdf(v)
            assert _rel(p, want) <= (16 + v * v) * U, (v, p)
            assert float(abs(_mp(lp) - mpmath.log(want))) <= (16 + v * v) * U, (v, lp)


def test_exp_ndtr_combines_the_exponent():
    """e^A Phi(x) with e^A and Phi(x) far outside the double range on their own
    (A = x^2/2 + 10, x down to -150) and with x above 0."""
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(-150, -40, 100), rng.uniform(0, 5, 50)]).astype(LD)
    A = x * x / 2 + 10
    got = extended.exp_ndtr(A, x)
    with mpmath.workdps(40):
        for g, a, v in zip(got, A, x):
            a, v = _mp(a), _mp(v)
            want = mpmath.exp(a) * mpmath.ncdf(v)
            assert _rel(g, want) <= (16 + 2 * abs(a) + v * v) * U, (a, v, g)


def test_erfcx_of_a_far_long_double_scalar():
    """A 0-d long double argument beyond W_MAX (the fuzz's melitz log-normal at
    s = -6.9e16 reached it through the long double recomputation): the asymptotic
    series, not a TypeError on item assignment."""
    w = np.longdouble(2) * extended.W_MAX
    got = extended.erfcx(np.asarray(w))
    assert abs(float(got) / float(mpmath.erfc(mpmath.mpf(float(w))) * mpmath.exp(
        mpmath.mpf(float(w)) ** 2)) - 1) < 1e-15
