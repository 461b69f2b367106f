r"""The normal-distribution functions of the fast path in long double.

``scipy.special`` works in double: its :math:`\Phi(x)` carries about
:math:`x^2` ulps of the rounding of :math:`x^2` in the tail, and even a
correctly rounded double :math:`\Phi` is not enough where the model amplifies
it (the log-normal cutoff equation is a difference of two tail moments, whose
root carries their rounding times :math:`1/(\sigma-1)`, and an output such as
:math:`p_{in} = \Phi((\mu - \log\varphi^*)/s)` multiplies the root's error by
the tail's elasticity :math:`|x|/s`).  So the long double path
(``precision="extended"``) has its own:

* :func:`erfcx` (:math:`e^{w^2}\mathrm{erfc}(w)`): for :math:`0 \le w \le 32`
  a piecewise polynomial in :math:`t = 4/(4 + w)` (:data:`INTERVALS` pieces of
  degree :data:`DEGREE - 1`, Chebyshev fits by ``mpmath.chebyfit`` at 25
  digits, made on first use; the fit error is below 1e-22 relatively, the
  long double rounding 5.4e-20), above 32 the asymptotic series
  :math:`\frac{1}{w\sqrt\pi}\sum_n (-1)^n (2n-1)!!/(2w^2)^n` (eight terms, below
  1e-20), and for :math:`w < 0` the reflection :math:`2e^{w^2} - \mathrm{erfcx}(-w)`;
* :func:`ndtr` :math:`\Phi(x) = \tfrac12\mathrm{erfcx}(|x|/\sqrt2)e^{-x^2/2}` for
  :math:`x < 0` (and one minus that of :math:`-x` above), with :math:`x^2` in
  long double: no argument's rounding is amplified;
* :func:`log_ndtr` and :func:`exp_ndtr` (:math:`e^A\Phi(x)`, whose exponent is
  combined as :math:`A - x^2/2`: no overflow of :math:`e^A` on its own) from the same.

Every other special function (gamma, incomplete gamma, ...) is evaluated in
double (``scipy.special``) at the rounded arguments.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath
import numpy as np
import scipy.special

LD = np.longdouble
W_MAX = 32        # erfcx: piecewise polynomial below, asymptotic series above
INTERVALS = 16    # pieces of t = 4/(4 + w) in [4/(4 + W_MAX), 1]
DEGREE = 12       # coefficients per piece
_SERIES = 8       # terms of the asymptotic series
_SQRT_HALF = np.sqrt(LD(0.5))
_SQRT_PI = np.sqrt(LD("3.141592653589793238462643383279502884"))


@lru_cache(maxsize=1)
def _table() -> tuple[object, object, np.ndarray]:
    """(t_0, h, coefficients): piece i covers t in [t_0 + i h, t_0 + (i+1) h];
    column i of the coefficients (rows: highest power first) is its polynomial in
    u = (t - centre)/(h/2) in [-1, 1]."""
    with mpmath.workdps(25):
        t0 = mpmath.mpf(4) / (4 + W_MAX)
        h = (1 - t0) / INTERVALS
        rows = []
        for i in range(INTERVALS):
            centre = t0 + (i + mpmath.mpf(1) / 2) * h

            def f(u, centre=centre):
                w = 4 / (centre + h / 2 * u) - 4
                return mpmath.erfc(w) * mpmath.exp(w * w)

            rows.append([mpmath.nstr(c, 25) for c in mpmath.chebyfit(f, [-1, 1], DEGREE)])
        return (LD(mpmath.nstr(t0, 25)), LD(mpmath.nstr(h, 25)),
                np.ascontiguousarray(np.array(rows).astype(LD).T))


def _erfcx_nonnegative(w: np.ndarray) -> np.ndarray:
    t0, h, coefficients = _table()
    t = 4 / (4 + np.minimum(w, W_MAX))
    piece = np.clip(((t - t0) / h).astype(np.intp), 0, INTERVALS - 1)
    u = (t - (t0 + (piece + LD(0.5)) * h)) / (h / 2)
    out = coefficients[0][piece]
    for column in coefficients[1:]:
        out = out * u + column[piece]
    far = w > W_MAX
    if far.any():
        out = np.array(out)  # a long double scalar takes no item assignment
        v = w[far]
        q = 1 / (2 * v * v)
        term = total = np.ones_like(v)
        for n in range(1, _SERIES):
            term = -term * (2 * n - 1) * q
            total = total + term
        out[far] = total / (v * _SQRT_PI)
    return out


def erfcx(w) -> np.ndarray:
    r"""Scaled complementary error function :math:`e^{w^2}\mathrm{erfc}(w)` in long double."""
    w = np.asarray(w, LD)
    out = _erfcx_nonnegative(np.abs(np.where(np.isnan(w), 0, w)))
    with np.errstate(over="ignore"):
        out = np.where(w < 0, 2 * np.exp(w * w) - out, out)
    return np.where(np.isnan(w), w, out)


def _lower_tail(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\tfrac12\mathrm{erfcx}(|x|/\sqrt2)` and :math:`x^2/2`: :math:`\Phi(-|x|)` is
    their product with :math:`e^{-x^2/2}`."""
    return erfcx(np.abs(x) * _SQRT_HALF) / 2, x * x / 2


def ndtr(x) -> np.ndarray:
    r"""Standard normal cdf :math:`\Phi(x)` in long double."""
    x = np.asarray(x, LD)
    scale, half_square = _lower_tail(x)
    tail = scale * np.exp(-half_square)
    return np.where(x < 0, tail, 1 - tail)


def log_ndtr(x) -> np.ndarray:
    r""":math:`\log\Phi(x)` in long double."""
    x = np.asarray(x, LD)
    scale, half_square = _lower_tail(x)
    return np.where(x < 0, np.log(scale) - half_square, np.log1p(-scale * np.exp(-half_square)))


def exp_ndtr(A, x) -> np.ndarray:
    r""":math:`e^{A}\Phi(x)` in long double, as one exponential in the lower tail."""
    A, x = np.asarray(A, LD), np.asarray(x, LD)
    scale, half_square = _lower_tail(x)
    return np.where(x < 0, scale * np.exp(A - half_square),
                    np.exp(A) * (1 - scale * np.exp(-half_square)))


def _in_double(fn: np.ufunc):
    """``fn`` (a double precision ufunc) at long double arguments, rounded to double."""
    def call(*args):
        return np.asarray(fn(*[np.asarray(a, float) for a in args])).astype(LD)
    call.__name__ = fn.__name__
    return call


#: The ``scipy.special`` functions that the long double path evaluates in double
#: (:func:`_in_double`): every one without a long double version above or in numpy.
_OWN = {"ndtr": ndtr, "log_ndtr": log_ndtr, "exp_ndtr": exp_ndtr, "erfcx": erfcx}
IN_DOUBLE = {name: _in_double(fn) for name, fn in vars(scipy.special).items()
             if isinstance(fn, np.ufunc) and not hasattr(np, name) and name not in _OWN}

#: ``lambdify`` modules of the long double path: the functions above, every other
#: ``scipy.special`` function in double (:data:`IN_DOUBLE`), numpy's own (which
#: take long double) before scipy's.
MODULES = [_OWN, IN_DOUBLE, "numpy", "scipy"]
