r"""Tail integrals of a declared density by quadrature in the log variable, at mpmath precision.

:class:`Tails` computes :math:`\int_x^{upper} t^a g(t)\,dt` from the declared density
:math:`g` (:meth:`Distribution.pdf`) of a productivity, centred on the peak of the
integrand and scaled by its width (see the class).  With ``reflected=True`` it is the
density of :math:`u = 1/t`, :math:`g(1/u)/u^2` on :math:`[1/upper, 1/lower]`, whose upper
tails are the *partial* moments of :math:`t`:

.. math::  \int_{lower}^{x} t^a g(t)\,dt = \int_{1/x}^{1/lower} u^{-a}\,g(1/u)\,u^{-2}\,du,

so that a cost density with its mass piled at the lower end (Pareto in cost,
:math:`k t^{k-1}` with :math:`k = 10^{-14}`) is a slow Pareto *tail*, which the
scaling makes exactly :math:`e^{-v}`.  Used by the references of productivity
(:mod:`.reference`, :mod:`.ge_reference`) and cost (:mod:`.cost_reference`) models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import mpmath
import sympy as sp

from ..distributions import Distribution
from ..errors import NumericalError
from .precise import FUNCTIONS

_MODULES = [FUNCTIONS, "mpmath"]
#: Doublings a bracket or range search takes at most: 2^200 of anything in log space is
#: beyond any float, so a search that has not ended by then never will.
BRACKET_STEPS = 200


def _exact(expr: sp.Expr) -> sp.Expr:
    """Replace float literals by their exact binary value (lambdify would round them)."""
    return expr.xreplace({f: sp.Rational(f) for f in expr.atoms(sp.Float)})


def mp_lambdify(symbols, expr):
    """``expr`` as an mpmath function of ``symbols`` (float literals made exact)."""
    return sp.lambdify(symbols, _exact(sp.sympify(expr)), modules=_MODULES)


@dataclass(frozen=True)
class _Density:
    """The integrand t^(a+1) g(t) of a tail integral in q = log t, compiled for mpmath.

    ``log_h(q, a, *params)`` is its logarithm, expanded, its terms linear in q
    collected into one (at a Pareto tail ``q (a - k)``, not ``q (a + 1) - q (k + 1)``,
    whose two terms at q = 1e105 would leave nothing of their difference), and split
    into the terms with q and ``log_c(a, *params)``, the terms without (computed once
    per integral), so that each evaluation of the integrand costs one ``exp``;
    ``slope`` and ``curvature`` are its first and second derivatives in q (sympy),
    used to place and scale the quadrature.
    """

    pdf: object
    log_h: object
    log_c: object
    slope: object
    curvature: object
    lower: object
    upper: object


_DENSITIES: dict[tuple[int, bool], tuple[Distribution, _Density]] = {}


def _density(dist: Distribution, reflected: bool) -> _Density:
    """The compiled integrand of ``dist`` (``reflected``: of u = 1/t), cached per object."""
    hit = _DENSITIES.get((id(dist), reflected))
    if hit is None or hit[0] is not dist:
        t, q, a = sp.Dummy("t", positive=True), sp.Dummy("q", real=True), sp.Dummy("a")
        lower, upper = dist.support
        g = dist.pdf(t)
        if reflected:  # the density of 1/t on [1/upper, 1/lower]
            g = dist.pdf(1 / t) / t**2
            lower, upper = (sp.Integer(0) if upper == sp.oo else 1 / upper,
                            sp.oo if lower == 0 else 1 / lower)
        log_h = sp.expand_log((a + 1) * q + sp.log(g.subs(t, sp.exp(q))), force=True)
        log_h = sp.collect(log_h, q)
        slope = sp.diff(log_h, q)
        log_c = sp.Add(*[term for term in sp.Add.make_args(log_h) if not term.has(q)])
        args = (q, a) + dist.symbols
        hit = _DENSITIES[(id(dist), reflected)] = (dist, _Density(
            mp_lambdify((t,) + dist.symbols, g), mp_lambdify(args, log_h - log_c),
            mp_lambdify((a,) + dist.symbols, log_c), mp_lambdify(args, slope),
            mp_lambdify(args, sp.diff(slope, q)), mp_lambdify(dist.symbols, lower),
            mp_lambdify(dist.symbols, upper)))
    return hit[1]


class Tails:
    r"""Tail integrals :math:`\int_x^{upper} t^a g(t)\,dt` at one parameter point.

    In :math:`q = \log t` the integrand is :math:`h(q) = t^{a+1} g(t)`.  It is
    integrated in :math:`v = (q - q_0)/w`, where :math:`q_0 \ge \log x` is the peak
    of :math:`h` (the lower end if :math:`h` decreases there) and :math:`w` its
    width: :math:`1/\sqrt{-(\log h)''}` at an interior peak, :math:`-1/(\log h)'`
    at a decreasing end.  A Pareto tail becomes exactly :math:`e^{-v}` on
    :math:`[0, \infty)`, whatever :math:`k - (\sigma - 1)`.

    With ``reflected=True`` the distribution is that of :math:`1/t` (see the module):
    ``integral(1/x, -a)`` is the partial moment :math:`\int_{lower}^x t^a g(t)\,dt`,
    and ``g``, ``lower`` and ``upper`` are those of :math:`1/t`.
    """

    def __init__(self, dist: Distribution, values: Mapping[sp.Symbol, mpmath.mpf],
                 reflected: bool = False) -> None:
        self._dens = _density(dist, reflected)
        self._p = [values[s] for s in dist.symbols]
        self.lower = mpmath.mpf(self._dens.lower(*self._p))
        self.upper = self._dens.upper(*self._p)

    def g(self, t) -> mpmath.mpf:
        """The density at t."""
        return self._dens.pdf(t, *self._p)

    def log_integrand(self, x, a) -> mpmath.mpf:
        r"""The log of the integrand in q = log t at t = x, :math:`\log(x^{a+1} g(x))`."""
        return self._dens.log_h(mpmath.log(x), a, *self._p) + self._dens.log_c(a, *self._p)

    def log_slope(self, x, a) -> mpmath.mpf:
        r"""The local power of the integrand at x, :math:`d\log(t^{a+1} g)/d\log t`."""
        return self._dens.slope(mpmath.log(x), a, *self._p)

    def _peak(self, q_lo, a, q_hi):
        """Peak q0 in [q_lo, q_hi] of log h and the width w there (20 digits suffice)."""
        p = self._p
        slope, curv = self._dens.slope, self._dens.curvature
        with mpmath.workdps(20):
            q0 = mpmath.mpf(q_lo)
            rising = slope(q0, a, *p) > 0
            if rising:  # rising at the lower end: bisect the zero of the slope
                step = mpmath.mpf(1)
                hi = q0 + step
                for _ in range(BRACKET_STEPS):  # hi reaches q_hi <= q_lo + 10^6 first
                    if not (slope(hi, a, *p) > 0 and hi < q_hi):
                        break
                    q0, step = hi, 2 * step
                    hi = q0 + step
                hi = min(hi, q_hi)
                for _ in range(60):
                    mid = (q0 + hi) / 2
                    q0, hi = (mid, hi) if slope(mid, a, *p) > 0 else (q0, mid)
            c, s0 = curv(q0, a, *p), slope(q0, a, *p)
            w = 1 / mpmath.sqrt(-c) if c < 0 else mpmath.inf
            if s0 < 0:
                w = min(w, -1 / s0)
            if not mpmath.isfinite(w):
                w = mpmath.mpf(1)
        # a peak at the lower end is q_lo exactly: mpmath.quad maps [0, inf] well, but
        # not [tiny, inf]
        return (+q0 if rising else q_lo), +w

    def integral(self, x, a) -> mpmath.mpf:
        """Quadrature of t^a g(t) over [x, upper] (x is raised to the lower bound)."""
        if self.lower > 0:
            x = max(x, self.lower)
        finite = mpmath.isfinite(self.upper)
        q_lo = mpmath.log(x)
        q_hi = mpmath.log(self.upper) if finite else q_lo + 10**6
        if q_hi <= q_lo:
            return mpmath.mpf(0)
        q0, w = self._peak(q_lo, a, q_hi)
        log_h, p = self._dens.log_h, self._p

        peak = log_h(q0, a, *p)
        v_end = mpmath.inf
        drop = (mpmath.mp.prec + 64) * mpmath.ln2  # log h below -drop: h is nothing
        if not finite:  # beyond v_end h < 2^-(prec+64): tanh-sinh nodes far out would
            # ask for exp(exp(q)) at q ~ 1e20 (a million-bit ln 2 for a light tail)
            v_end = mpmath.mpf(1)
            for _ in range(BRACKET_STEPS):
                if not log_h(q0 + w * v_end, a, *p) - peak > -drop:
                    break
                v_end *= 2
            else:
                raise NumericalError("reference: the integrand of a tail integral does not "
                                     f"decay within 2^{BRACKET_STEPS} widths of its peak")

        def h(v):  # scaled to 1 at the peak: mpmath.quad's tolerance is absolute
            if v > v_end:
                return mpmath.mpf(0)
            d = log_h(q0 + w * v, a, *p) - peak
            # below 2^-(prec+64) h is nothing; exp(-e^(1e29)) (Weibull k = 1e30) would
            # ask mpmath for ln 2 to 1e29 bits: a hang
            return mpmath.exp(d) if d > -drop else mpmath.mpf(0)

        pts = [(q_lo - q0) / w] + ([mpmath.mpf(0)] if q0 > q_lo else [])
        # h is below 2^-(prec+64) beyond v_end: [.., v_end] is the same integral to the
        # working precision, and tanh-sinh needs a third of the nodes of [.., inf]
        pts.append((q_hi - q0) / w if finite else v_end)
        return mpmath.quad(h, pts) * w * mpmath.exp(peak + self._dens.log_c(a, *p))


