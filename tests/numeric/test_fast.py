"""Guards of the vectorised solver (melitz_sym.numeric.fast): no silent nan, inf or corner.

Expected values: the corner condition phi* < b is checked against the Pareto
autarky cutoff of literature.md §2.1, b [(sigma-1) f / ((k-sigma+1) delta f_e)]^(1/k),
and W = rho phi* (L/(sigma f))^(1/(sigma-1)) (same section), evaluated here with mpmath.
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

import melitz_sym as ms
from melitz_sym.numeric import fast, stable

BASE = dict(sigma=3.8, k=4.6, b=0.5, f=1.0, f_e=0.05, delta=0.1, L=100.0)


def _literature_cutoff(p):
    sigma, k, b, f, f_e, delta = (mpmath.mpf(p[n]) for n in ("sigma", "k", "b", "f", "f_e",
                                                             "delta"))
    return b * ((sigma - 1) * f / ((k - sigma + 1) * delta * f_e)) ** (1 / k)


def test_corner_raises_naming_the_point_and_index():
    m = ms.model("melitz-closed")
    f_e = np.array([0.05, 0.1, 50.0, 100.0])
    assert _literature_cutoff({**BASE, "f_e": 50.0}) < BASE["b"]  # a true corner
    with pytest.raises(ms.AdmissibilityError, match=r"no selection.*at index 2.*f_e=50\.0"):
        m.solve(outputs=["W"], **{**BASE, "f_e": f_e})


def test_corner_is_nan_with_errors_nan():
    m = ms.model("melitz-closed")
    f_e = np.array([0.05, 50.0])
    out = m.solve(outputs=["W", "phi_star"], errors="nan", **{**BASE, "f_e": f_e})
    assert np.isnan(out["W"][1]) and np.isnan(out["phi_star"][1])
    want = _literature_cutoff(BASE)
    assert abs(out["phi_star"][0] - float(want)) <= 1e-14 * float(want)


def test_nonfinite_output_raises(monkeypatch):
    """A solver that returned inf at an admissible point is reported, not passed on."""
    m = ms.model("melitz-closed")
    real = fast._closed_block

    def broken(d, model, names, precision):
        run = real(d, model, names, precision)
        return lambda args: [np.full(np.shape(v), np.inf) if n == "W" else v
                             for n, v in zip(names, run(args))]

    monkeypatch.setattr(fast, "_closed_block", broken)
    with pytest.raises(ms.NumericalError, match="no finite value of W"):
        m.solve(outputs=["W"], **BASE)


def test_power_of_incomplete_gamma_compiles_as_a_whole():
    """uppergamma(s, x)**a evaluates as (Gamma(s) Q(s, x))**a (sympy's SciPy printer
    would bind the power to Q alone); the reference value is mpmath's gammainc."""
    s, x, a = sp.symbols("s x a", positive=True)
    fn = fast._compile((s, x, a), (stable.special_form(sp.uppergamma(s, x) ** a),))
    got = fn(2.5, 1.7, 0.4)[0]
    want = mpmath.gammainc(2.5, 1.7) ** 0.4
    assert abs(got - float(want)) <= 1e-14 * float(want)


def test_blocks_on_threads_give_the_single_thread_result(monkeypatch):
    """More points than one block: the threaded run equals the one-thread run
    bit for bit (each block is computed the same way), and an inadmissible point
    in a late block still raises."""
    m = ms.model("melitz", dist="lognormal")
    rng = np.random.default_rng(5)
    size = 2 * fast.BLOCK + 123
    p = dict(sigma=rng.uniform(1.5, 8, size), mu=0.1, s=0.8, f=1.0, f_x=2.0, f_e=0.02,
             delta=0.05, tau=1.6, n=3.0, L=50.0)
    monkeypatch.setattr(fast, "THREADS", 2)
    threaded = m.solve(outputs=["phi_star", "W"], **p)
    monkeypatch.setattr(fast, "THREADS", 1)
    single = m.solve(outputs=["phi_star", "W"], **p)
    for name in ("phi_star", "W"):
        assert np.isfinite(threaded[name]).all()
        assert np.array_equal(threaded[name], single[name])
    monkeypatch.setattr(fast, "THREADS", 2)
    p["sigma"][-1] = 0.9
    with pytest.raises(ms.AdmissibilityError, match=f"at index {size - 1}"):
        m.solve(outputs=["phi_star"], **p)


def test_newton_corner_below_a_bounded_support_raises():
    """No closed form, support (1, oo): with a large entry cost the cutoff equation
    has no root above the lower bound.  The mpmath reference (root finding on the
    primitives) says so; the fast path used to return phi* = 1 silently."""
    phi, lam = sp.symbols("phi lambda_", positive=True)
    m = ms.model("melitz-closed", dist=ms.Custom(lam * sp.exp(-lam * (phi - 1)), (1, sp.oo),
                                                 var=phi))
    p = dict(sigma=3.0, lambda_=2.0, f=1.0, delta=0.1, L=10.0)
    with pytest.raises(ms.AdmissibilityError, match="no selection"):
        m.reference(dps=20, outputs=["phi_star"], f_e=50.0, **p)
    with pytest.raises(ms.AdmissibilityError, match=r"no selection.*at index 1"):
        m.solve(outputs=["phi_star"], f_e=np.array([5.0, 50.0]), **p)
    out = m.solve(outputs=["phi_star", "W"], errors="nan", f_e=np.array([5.0, 50.0]), **p)
    assert np.isnan(out["phi_star"][1]) and np.isnan(out["W"][1])
    want = m.reference(dps=20, outputs=["phi_star"], f_e=5.0, **p)["phi_star"]
    assert abs(out["phi_star"][0] / float(want) - 1) < 1e-13


def test_extended_precision_rounds_the_closed_form_once():
    """precision="extended": W of melitz-closed within an ulp of the literature's
    W = rho phi* (L/(sigma f))^(1/(sigma-1)) at 50 digits, with log W up to ~140
    (double, in the log domain: 2e-14)."""
    m = ms.model("melitz-closed")
    sigma = np.linspace(1.1, 3.0, 41)
    p = {**BASE, "L": 1e6, "sigma": sigma, "k": sigma + 2.5}
    got = m.solve(outputs=["W"], precision="extended", **p)["W"]
    for i, s_ in enumerate(sigma):
        with mpmath.workdps(50):
            q = {**p, "sigma": s_, "k": s_ + 2.5}
            sg, L, f = (mpmath.mpf(q[n]) for n in ("sigma", "L", "f"))
            want = (sg - 1) / sg * _literature_cutoff(q) * (L / (sg * f)) ** (1 / (sg - 1))
            assert abs(mpmath.mpf(got[i]) / want - 1) <= 2.3e-16, (s_, got[i], want)


LOGNORMAL = dict(mu=0.3, s=0.6, f=1.0, f_x=2.5, f_e=0.02, delta=0.05, tau=1.7, n=4.0,
                 L=100.0)


@pytest.mark.slow
@pytest.mark.skipif(not fast._wide_long_double(), reason="long double is double here")
def test_extended_precision_solves_newton_models_within_an_ulp():
    """precision="extended" for a model solved by Newton (log-normal): every output
    within two ulps of the 50-digit mpmath reference (Model.reference: quadrature
    of the density and root finding on the primitives), where double misses
    p_in, p_x and M_x by tens of ulps at these points."""
    m = ms.model("melitz", dist="lognormal")
    sigma = np.array([1.8, 2.5, 3.8, 5.0, 7.5])
    got = m.solve(precision="extended", sigma=sigma, **LOGNORMAL)
    for i, s_ in enumerate(sigma):
        want = m.reference(dps=50, sigma=s_, **LOGNORMAL)
        assert {"p_in", "p_x", "M_x", "W"} <= set(want)
        for name in want:
            assert abs(mpmath.mpf(got[name][i]) / want[name] - 1) <= 4.5e-16, (s_, name)


def _against_reference(m, points: dict, precision: str, bound: float) -> None:
    """Every output of ``m.solve`` at ``points`` (name -> list of values) within
    ``bound`` of Model.reference at 30 digits."""
    if precision == "extended" and not fast._wide_long_double():
        pytest.skip("long double is double here")
    got = m.solve(precision=precision, **{k: np.array(v) for k, v in points.items()})
    for i in range(len(next(iter(points.values())))):
        want = m.reference(dps=30, **{k: v[i] for k, v in points.items()})
        for name, w in want.items():
            assert abs(mpmath.mpf(got[name][i]) / w - 1) <= bound, (i, name, got[name][i], w)


#: Frechet points where the cutoff's tail weight x = (b/phi*)^k is about 1e-4: the
#: derived sums of exponentials cancel to O(x) (stable.expm1_form) and the
#: residual overflows at the first Newton iterate y = 0 (nan, or an infinite slope).
FRECHET = dict(sigma=[7.080886479423986, 5.605818594293422],
               f=[2.2506627550056226, 0.7863251838399337],
               f_x=[9.579004201338401, 3.811782615488333],
               f_e=[0.00879999445129501, 0.008722849996509737],
               delta=[0.030719259180539277, 0.07737472175112543],
               tau=[2.0014823724046846, 1.7951563876498813], n=[2.0, 4.0],
               L=[8.53108014164544, 357.5978347351183], k=[8.80761985556741, 9.35522243519859],
               b=[2.4424756930382707, 1.8788616362633144])


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["double", "extended"])
def test_frechet_with_a_small_tail_weight_against_the_reference(precision):
    """Against Model.reference (mpmath, 30 digits): every output within 1e-14.  The
    first point was a NumericalError before stable.expm1_form (1 - e^(-x) was 0
    in a denominator); at the second the slope of the rewritten residual
    overflows at the first iterate y = 0, which a Newton step of -0 must not
    take for convergence (it returned phi* = 1)."""
    _against_reference(ms.model("melitz", dist="frechet"), FRECHET, precision, 1e-14)


#: HMY log-normal, the second point deep in the tail (p_I = 1e-40, the export/FDI
#: sales ratio 1e28): S(phi_x*) - S(phi_I*) and V(phi_x*) - V(phi_I*) were
#: differences of erfs near 1 (stable.erf_difference_form).
HMY = dict(sigma=[3.8, 1.7942887603658937], f=[1.0, 1.0], f_e=[0.02, 0.007736122083112524],
           delta=[0.05, 0.010107971522814578], L=[100.0, 100.0],
           tau=[1.4, 1.6395693086365726], f_x=[2.0, 2.9046630927630046], n=[2.0, 2.0],
           mu=[0.1, -0.24697494882461557], s=[0.9, 0.44108127893209104],
           f_I=[30.0, 16.507853200463074])


@pytest.mark.slow
@pytest.mark.parametrize("precision,bound", [("double", 1e-13), ("extended", 1e-14)])
def test_hmy_lognormal_against_the_reference(precision, bound):
    """Against Model.reference (mpmath, 30 digits; its generic layer has the FDI
    cutoff's tails of its own): the export/FDI ratio was off by 1.8e-5."""
    _against_reference(ms.model("hmy", dist="lognormal"), HMY, precision, bound)


def _standard_points(dist: str, size: int) -> dict[str, np.ndarray]:
    """Random points in the standard ranges of issue 3 for ``dist`` (its own shape
    parameters: k - (sigma - 1) in (0.1, 5) for truncated Pareto and Frechet,
    k in (0.3, 3) for Weibull, b_H/b in (e, e^5))."""
    rng = np.random.default_rng(["truncated-pareto", "frechet", "weibull"].index(dist))
    sigma, f = rng.uniform(1.5, 8, size), rng.uniform(0.5, 3, size)
    p = dict(sigma=sigma, f=f, f_x=f * rng.uniform(1, 5, size), f_e=rng.uniform(0.005, 0.05, size),
             delta=rng.uniform(0.01, 0.1, size), tau=rng.uniform(1, 3, size),
             n=rng.integers(0, 11, size).astype(float), L=np.exp(rng.uniform(0, 7, size)),
             b=rng.uniform(0.2, 3, size))
    p["k"] = (rng.uniform(0.3, 3, size) if dist == "weibull"
              else sigma - 1 + rng.uniform(0.1, 5, size))
    if dist == "truncated-pareto":
        p["b_H"] = p["b"] * np.exp(rng.uniform(1, 5, size))
    return p


#: Max relative error of the default path over the 12 points of each distribution
#: (measured: 6.7e-15 truncated Pareto, 4.0e-15 Frechet, 8.1e-13 Weibull, whose
#: scipy gammaincc carries about (phi_x*/b)^k ulps deep in the tail).
DIST_BOUND = {"truncated-pareto": 2e-14, "frechet": 2e-14, "weibull": 2e-12}


@pytest.mark.slow
@pytest.mark.parametrize("dist", list(DIST_BOUND))
def test_every_distribution_against_the_reference(dist):
    """The distributions without accuracy tables, at 12 random standard points,
    against Model.reference (mpmath, 30 digits): within DIST_BOUND where the
    reference finds an interior equilibrium and the true value fits in a double,
    nan (errors="nan") exactly where it reports a corner.  Such points found a
    NumericalError for Frechet and a ZeroDivisionError in the truncated-Pareto
    reference.  The known limit: Weibull with the share of exporters below the
    double range (p_x ~ 1e-462) may have no phi_tilde_x, phi_tilde_t, M_t (nan here,
    NumericalError with errors="raise"): its tail moments underflow, and their
    ratio needs a scaled incomplete gamma function (where they are subnormal rather
    than 0, the point is recomputed in long double and has them)."""
    m = ms.model("melitz", dist=dist)
    points = {k: v for k, v in _standard_points(dist, 12).items() if k in m.parameters}
    got = m.solve(errors="nan", **points)
    interior = 0
    for i in range(12):
        try:
            want = m.reference(dps=30, **{k: v[i] for k, v in points.items()})
        except ms.AdmissibilityError:
            assert np.isnan(got["phi_star"][i]), i
            continue
        interior += 1
        for name, w in want.items():
            if np.isnan(got[name][i]):  # the known limit: a Weibull tail beyond double
                assert dist == "weibull" and want["p_x"] < 2.3e-308, (i, name)
                assert name in ("phi_tilde_x", "phi_tilde_t", "M_t"), (i, name)
            elif 2.3e-308 < abs(w) < 1.7e308:
                assert abs(mpmath.mpf(got[name][i]) / w - 1) <= DIST_BOUND[dist], (i, name)
    assert interior >= 6


@pytest.mark.skipif(not fast._wide_long_double(), reason="long double is double here")
def test_adaptive_precision_is_extended_for_newton_models():
    m = ms.model("melitz", dist="lognormal")
    p = {**LOGNORMAL, "sigma": np.linspace(1.5, 8.0, 30)}
    adaptive = m.solve(outputs=["phi_star", "p_x"], precision="adaptive", **p)
    extended = m.solve(outputs=["phi_star", "p_x"], precision="extended", **p)
    for n, v in extended.items():
        assert np.array_equal(adaptive[n], v), n


def test_extended_precision_is_refused_where_long_double_is_double(monkeypatch):
    monkeypatch.setattr(fast.np, "longdouble", np.float64)
    with pytest.raises(ms.MelitzError, match="53-bit significand"):
        ms.model("melitz-closed").solve(precision="extended", **BASE)


def test_adaptive_precision_recomputes_the_points_with_a_large_error_estimate():
    """precision="adaptive" is the long double result (rounded once) where some
    output's stable.log_magnitude exceeds MAGNITUDE_LIMIT, and a double result
    elsewhere: there it agrees with precision="double" within the error bound
    of each (the same forms, but their common subexpressions are shared with
    the estimates, so they are rounded in another order).  Both kinds of point
    occur here."""
    m = ms.model("melitz", dist="pareto")
    d = m.derive()
    rng = np.random.default_rng(11)
    sigma = rng.uniform(1.5, 8, 400)
    p = dict(sigma=sigma, k=sigma - 1 + rng.uniform(0.1, 5, 400), b=1.0, f=1.0, f_x=2.5,
             f_e=0.02, delta=0.05, tau=rng.uniform(1, 3, 400), n=3.0, L=rng.uniform(1, 1e3, 400))
    names = ["phi_star", "W", "p_x"]
    got = m.solve(outputs=names, precision="adaptive", **p)
    double = m.solve(outputs=names, **p)
    extended = m.solve(outputs=names, precision="extended", **p)
    order = tuple(d.parameters)
    forms = tuple(stable.closed_form(d.closed_forms[n], True) for n in names)
    # one function per form: a list of outputs, some constant, is a ragged array for
    # the lambdify of sympy 1.13 (the floor)
    magnitudes = [sp.lambdify((stable.Z, stable.E) + order, stable.log_magnitude(f), "numpy")
                  for f in forms]
    args = [np.broadcast_to(np.asarray(p[s_.name], float), sigma.shape) for s_ in order]
    mags = [np.broadcast_to(g(*fast._protected_args(order, args), *args), sigma.shape)
            for g in magnitudes]
    redo = np.any([v > fast.MAGNITUDE_LIMIT for v in mags], axis=0)
    assert 0 < redo.sum() < redo.size
    limit = 4 * 2.0**-53 * (fast.MAGNITUDE_LIMIT + 6)  # twice the bound of test_accuracy
    for n in names:
        assert np.array_equal(got[n][redo], extended[n][redo]), n
        assert np.all(np.abs(got[n][~redo] / double[n][~redo] - 1) <= limit), n


@pytest.mark.parametrize("model,p", [
    ("melitz-closed", {**BASE, "sigma": np.linspace(1.2, 3.0, 50), "k": 6.0, "L": 1e6}),
    ("melitz-lognormal", {**LOGNORMAL, "sigma": np.linspace(1.5, 8.0, 20)})])
def test_adaptive_precision_is_double_where_long_double_is_double(monkeypatch, model, p):
    m = (ms.model("melitz", dist="lognormal") if model == "melitz-lognormal"
         else ms.model(model))
    double = m.solve(**p)
    monkeypatch.setattr(fast.np, "longdouble", np.float64)
    adaptive = m.solve(precision="adaptive", **p)
    for n, v in double.items():
        assert np.array_equal(adaptive[n], v), n


def test_precision_must_be_a_known_word():
    with pytest.raises(ValueError, match="precision must be"):
        ms.model("melitz-closed").solve(precision="quad", **BASE)


def test_newton_log_refuses_a_jump_from_nan_to_negative():
    """Issue 20 (long fuzz profile): a residual that overflows to nan below some y and is
    negative above it has no root there, yet the bracket closed on the jump and returned
    it as a root (status 0 in the generated NumPy module).  Such a point is nan; a nan
    end with a genuine sign change beyond it still converges."""
    def jump(y, a):
        r = np.where(y < a, np.nan, -1.0)
        return r, np.zeros_like(y)

    assert np.isnan(fast.newton_log(jump, np.array([0.0]), [np.array([-1.64])])).all()

    def overflow(y, a):  # nan below y = -5 (the left side overflows), root at y = a
        r = np.where(y < -5, np.nan, np.exp(-(y - a)) - 1)
        return r, -np.exp(-(y - a))

    got = fast.newton_log(overflow, np.array([0.0]), [np.array([-3.0])])
    assert got == pytest.approx(-3.0, abs=1e-14)


def test_newton_log_refuses_a_jump_from_plus_inf_to_negative():
    """Issue 20 (long fuzz profile): melitz-closed Weibull at f = 5e-324 overflows to
    +inf below phi = 9.8e-116 and is -delta f_e above, so the bracket closed on the
    jump and the generated NumPy module returned it with status 0 (the reference's root
    is 9.54e-116).  A +inf end is no finite positive residual beside a root: nan."""
    def jump(y, a):
        return np.where(y < a, np.inf, -0.1), np.where(y < a, np.nan, 0.0)

    assert np.isnan(fast.newton_log(jump, np.array([0.0]), [np.array([-264.8])])).all()


def test_weibull_at_the_smallest_double_f_against_the_reference():
    """Issue 20 (long fuzz profile), melitz-closed Weibull at f = 5e-324: evaluate (and
    CLI solve) ran past 60 s in mpmath's upper incomplete gamma at tiny arguments and
    384 digits; it now agrees with the reference (m.reference: phi* =
    9.5415398506515039e-116); solve, which cannot hold the terms in double, refuses."""
    m = ms.model("melitz-closed", "weibull")
    point = dict(sigma=3.8, f=5e-324, f_e=1.0, delta=0.1, L=100, k=1.5, b=1.0)
    got = m.evaluate(outputs=["phi_star"], **point)["phi_star"]
    assert abs(got / mpmath.mpf("9.5415398506515039e-116") - 1) < 1e-15
    with pytest.raises(ms.NumericalError):
        m.solve(outputs=["phi_star"], **point)


def test_hmy_frechet_with_an_overflowing_residual_is_refused_not_wrong():
    """hmy Frechet at sigma = 2.00001, f_e = 7e286: m.solve gave phi* = 0.194 where the
    reference (quadrature) gives 3.3e-286; now a NumericalError that points to it."""
    m = ms.model("hmy", "frechet")
    params = dict(sigma=2.00001, f=1.0, f_e=7.44623190119693e+286, delta=0.1, L=100,
                  tau=1.5, f_x=1.5, n=1, f_I=8.0, k=4.0, b=1.0)
    assert float(m.reference(dps=20, outputs=["phi_star"], **params)["phi_star"]) == \
        pytest.approx(3.31308982167181e-286, rel=1e-12)
    with pytest.raises(ms.NumericalError, match="no finite value of phi_star.*m.reference"):
        m.solve(outputs=["phi_star"], **params)


def test_corner_hidden_by_rounding_is_found_by_the_share_of_producers():
    """Issue 20: melitz Pareto at k = 1e300 returned p_in = 3.6e298 (a probability above
    one) with phi* = b: phi* = b X^(1/k) rounds to b for any X, and X < 1 (every entrant
    would produce) is seen in p_in = 1/X.  solve and evaluate refuse it as no selection;
    the reference cannot integrate such a tail and says so."""
    m = ms.model("melitz", "pareto")
    params = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=1.5, f_x=1.5, n=1,
                  k=1e300, b=1.0)
    for call in (lambda: m.solve(outputs=["W"], **params),
                 lambda: m.evaluate(dps=20, outputs=["W"], **params)):
        with pytest.raises(ms.AdmissibilityError, match="no selection: the share of entrants "
                                                        "that would produce, p_in = 3.57143e"
                                                        "\\+298, exceeds 1"):
            call()
    assert np.isnan(m.solve(outputs=["W"], errors="nan", **params)["W"])
    with pytest.raises(ms.NumericalError, match="does not decay"):
        m.reference(dps=20, outputs=["W"], **params)


def test_share_of_producers_is_computed_only_where_phi_star_is_near_its_lower_bound(
        monkeypatch):
    """m.solve computes p_in, when it is not asked for, only at the points whose phi*
    is within fast.SHARE_GAP of b, where it decides the corner (the point above);
    at an ordinary point beside it, phi* far above b says p_in < 1 (issue 19: p_in
    at every point cost 12% of solve's time).  The error names the corner with the
    p_in its mask was computed from."""
    m = ms.model("melitz", "pareto")
    points = []
    block = fast._block

    def spy(d, model, names, precision):
        run = block(d, model, names, precision)
        if names != ["p_in"]:
            return run
        return lambda args: (points.append(max(np.size(a) for a in args)), run(args))[1]

    monkeypatch.setattr(fast, "_block", spy)
    params = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=1.5, f_x=1.5, n=1,
                  k=np.array([1e300, 4.6, 4.6]), b=1.0)
    out = m.solve(outputs=["W", "phi_star"], errors="nan", **params)
    assert np.isnan(out["W"][0]) and np.all(np.isfinite(out["W"][1:]))
    assert out["phi_star"][1] > 1.5 and points == [1]
    points.clear()
    m.solve(outputs=["W", "p_in"], errors="nan", **params)  # asked for: computed with W
    assert points == []
    with pytest.raises(ms.AdmissibilityError, match="no selection"):
        m.solve(outputs=["W", "phi_star"], **params)
    assert points == [1, 1]  # in its block, and once more for the error (not twice)


@pytest.mark.parametrize("change, admissible", [
    ({}, True),
    ({"sigma": (3, 0.5)}, False),                         # a bound fails
    ({"delta": (0, 1.5)}, False),                         # an upper bound fails
    ({"n": (2, 0.0), "f_x": (2, 0.5)}, True),             # a guard off where it would fail
    ({"f_x": (4, 0.5), "tau": (4, 1.0)}, False),          # a guarded condition fails
    ({"k": (1, 2.0)}, False),                             # a relation of two parameters
    ({"L": (5, np.inf)}, False),                          # not finite, no restriction fails
    ({"b": (6, np.nan)}, False),
    ({"tau": (7, -np.inf)}, False),
    ({"n": (slice(None), 0.0), "f_x": (0, 0.5)}, True),   # the guard off everywhere
    ({"f_x": (slice(None), 0.5), "tau": (slice(None), 3.0)}, True),  # f_x < f: the power
    ({"f_x": (3, 1.0), "tau": (3, 1.0)}, False),          # f_x tau^(sigma-1) = f: not >
    ({"f_x": (3, 1.0 + 2**-52), "tau": (slice(None), 1.0)}, True),   # one ulp above f
])
def test_block_checks_by_extremes_agree_with_the_masks(change, admissible):
    """solve checks a block first by each parameter's minimum and maximum
    (fast._admissible): its mask equals finiteness and every restriction's mask
    (fast.admissible_mask), whatever fails."""
    m = ms.model("melitz", "pareto")
    d = m.derive()
    values = {k: np.full(8, v) for k, v in dict(
        sigma=3.8, k=4.6, b=0.5, f=1.0, f_x=2.5, f_e=0.05, delta=0.1, tau=1.7, n=3.0,
        L=100.0).items()}
    for name, (at, v) in change.items():
        values[name][at] = v
    values = {p.name: values[p.name] for p in d.parameters}
    with np.errstate(invalid="ignore"):
        want = fast._finite(values, 8) & fast.admissible_mask(d, values)[0]
    got = fast._admissible(tuple(d.restrictions), values, 8)
    assert got.tolist() == want.tolist()
    assert got.all() == admissible


def test_selection_into_exporting_needs_no_power_where_the_bounds_hold(monkeypatch):
    """Where a block meets tau >= 1, sigma > 1 and f_x > 0, f_x tau^(sigma-1) > f
    follows from f_x > f (fast._sufficient): the power is computed only where
    that fails.  k > sigma - 1 and HMY's f_I > f_x tau^(sigma-1) (the power on
    the smaller side) have no cheaper condition."""
    m = ms.model("melitz", "pareto")
    restrictions = tuple(m.derive().restrictions)
    bounds = fast._by_extremes(restrictions)[0]
    by_words = {r.words.split(":")[0]: r.condition for r in restrictions}
    names, fn = fast._sufficient(by_words["selection into exporting"], bounds)
    assert names == ("f", "f_x") and fn(1.0, 1.0 + 2**-52) and not fn(1.0, 1.0)
    assert fast._sufficient(restrictions[-1].condition, bounds) is None  # k > sigma - 1
    hmy = tuple(ms.model("hmy", "pareto").derive().restrictions)
    f_I = [r.condition for r in hmy if "f_I" in str(r.condition.lhs)]
    assert f_I and fast._sufficient(f_I[0], fast._by_extremes(hmy)[0]) is None
    masked = []
    real = fast.restriction_masks
    monkeypatch.setattr(fast, "restriction_masks",
                        lambda rs, values: masked.append(rs) or real(rs, values))
    params = dict(sigma=3.8, k=4.6, b=0.5, f=1.0, f_x=np.array([2.5, 1.5]), f_e=0.05,
                  delta=0.1, tau=1.7, n=np.array([0.0, 3.0]), L=100.0)
    m.solve(outputs=["phi_star"], **params)
    assert [[str(r.condition) for r in rs] for rs in masked] == [["k > sigma - 1"]]


@pytest.mark.parametrize("name, dist, params, error, match", [
    ("melitz-closed", "degenerate", dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100.0,
                                         b=1.7976931348623e308),
     ms.NumericalError, "no finite value of W"),
    ("melitz", "truncated-pareto", dict(sigma=3.8, f=1.5, f_e=500.0, delta=0.05, L=100.0,
                                        tau=1.3, f_x=2.5, n=3.0, k=3.4, b=1.0, b_H=10.0),
     ms.AdmissibilityError, "no selection"),
])
def test_errors_come_without_numpy_warnings(name, dist, params, error, match):
    """The error path prints no numpy RuntimeWarning before the error: the corner
    rule's lo (1 + 1e-12) is inf at b = 1.7976931348623e308 (found by the fuzz,
    session 23), and at a corner the share of producing entrants takes log(0)
    (18 warnings for the truncated Pareto corner of the codegen status tests)."""
    m = ms.model(name, dist)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error, match=match):
            m.solve(outputs=["phi_star", "W"], **params)


def test_degenerate_output_beyond_a_double_is_named():
    """Issue 20: melitz-closed degenerate at f = 1e308: r_bar = sigma f = 3.8e308 does not
    fit a double; solve names it (and points to evaluate: a degenerate distribution has
    no reference) and gives the outputs that fit (P from evaluate at 30 digits)."""
    m = ms.model("melitz-closed", "degenerate")
    params = dict(sigma=3.8, f=1e308, f_e=1.0, delta=0.1, L=100, b=1.0)
    with pytest.raises(ms.NumericalError, match=r"no finite value of r_bar .*beyond the range "
                                                r"of a double.*m.evaluate\(...\)"):
        m.solve(**params)
    want = m.evaluate(dps=30, outputs=["P"], **params)["P"]
    assert m.solve(outputs=["P"], **params)["P"] == pytest.approx(float(want), rel=1e-13)


@pytest.mark.parametrize("name", ["melitz", "hmy", "melitz-closed"])
@pytest.mark.parametrize("gap", [1e-5, 1e-9])
def test_truncated_pareto_near_k_sigma_minus_one(name, gap):
    """Issue 20: truncated Pareto with k just above sigma - 1: solve's P was 1.5e-6 off
    at k - sigma + 1 = 1e-5, 4.6% at 1e-7 and 93% at 1e-9 (the price index's defining
    sum, expanded, cancels; it is now 1/W by the welfare_cutoff step), and every other
    output lost 2^-53/e (r_bar 4e-7 at 1e-9): within POLE_GAP of the pole the points
    are computed in mpmath.  Reference: the quadrature path at the same double k."""
    m = ms.model(name, "truncated-pareto")
    base = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=1.5, f_x=1.5, n=1, b=1.0,
                b_H=20.0, f_I=8.0)
    params = {k: v for k, v in base.items() if k in m.parameters}
    params["k"] = 3.8 - 1 + gap
    ref = m.reference(dps=30, **params)
    got = m.solve(**params)
    for o, want in ref.items():
        assert float(got[o]) == pytest.approx(float(want), rel=1e-9), o


@pytest.mark.parametrize("tau", [1 + 2e-14, 1 + 2e-12, 1 + 1e-10])
def test_hmy_lognormal_fdi_near_free_trade(tau):
    """Issue 20: hmy log-normal near tau = 1: p_I was 2.4e-4 off at tau = 1 + 2e-12
    (tau^(sigma-1) - 1 in the FDI cutoff cancelled; now expm1), and evaluate divided
    by zero (1 - erf(15) at 30 digits; now erfc).  Reference: quadrature."""
    m = ms.model("hmy", "lognormal")
    params = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=tau, f_x=1.5, n=1,
                  f_I=8.0, mu=0.0, s=0.5)
    ref = m.reference(dps=25, **params)
    for got in (m.solve(**params), m.evaluate(dps=20, **params)):
        for o, want in ref.items():
            assert float(got[o]) == pytest.approx(float(want), rel=1e-12), o


def test_restrictions_overflowing_to_inf_compare_without_a_warning():
    """Issue 20: at sigma = 1e308 the restriction f_x tau^(sigma-1) > f overflows to inf
    (numpy's RuntimeWarning, printed beside the CLI's error); inf compares as it should
    and the point is refused by the moment restriction, without a warning."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ms.AdmissibilityError, match=r"k > sigma - 1"):
            ms.model("melitz").solve(sigma=1e308, k=4.6, b=1.0, f=1.0, f_x=1.5, f_e=1.0,
                                     delta=0.1, tau=1.5, n=1, L=100)


_TRUNCATED_BASE = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=1.1, f_x=1.1, n=1,
                       k=3.4, b=1.0, b_H=20.0)


@pytest.mark.parametrize("name", ["melitz-closed", "melitz"])
@pytest.mark.parametrize("change", [dict(k=4.5e-9), dict(k=1e-12), dict(k=1e-5),
                                    dict(k=1e-14), dict(b=1e-60)])
def test_truncated_pareto_at_small_k_and_small_b(name, change):
    """Issue 20 (long fuzz): truncated Pareto at k -> 0, where b^k - b_H^k and
    b_H^k - phi^k are of order k (phi* was 1.1e-7 off at k = 4.5e-9, 5e-3 at
    k = 1e-14; melitz found no root), and at b = 1e-60, where (b phi*^4)^k underflows
    (phi_tilde_t was 0.0 where the value is 6.26e-60).  Every output within the
    fuzz's 1e-8 (measured: 1e-10 or better).  tau = f_x = 1.1 so that there are
    exporters at k -> 0.  Reference: m.reference(dps=30), the quadrature path."""
    m = ms.model(name, "truncated-pareto")
    params = {p: v for p, v in {**_TRUNCATED_BASE, **change}.items() if p in m.parameters}
    ref = m.reference(dps=30, **params)
    got = m.solve(**params)
    for o, want in ref.items():
        assert float(got[o]) == pytest.approx(float(want), rel=1e-10), o


@pytest.mark.parametrize("b", [2.35e-95, 1e-200])
def test_melitz_closed_truncated_pareto_with_b_to_the_k_subnormal(b):
    """Issue 20: melitz-closed truncated Pareto at b = 2.35e-95 (b^3.4 is subnormal)
    and 1e-200 (it underflows to 0): solve refused every output (M no finite value);
    with the scale b^k in the log domain they agree with m.reference(dps=30)."""
    m = ms.model("melitz-closed", "truncated-pareto")
    params = {p: v for p, v in {**_TRUNCATED_BASE, "b": b}.items() if p in m.parameters}
    ref = m.reference(dps=30, **params)
    got = m.solve(**params)
    for o, want in ref.items():
        assert float(got[o]) == pytest.approx(float(want), rel=1e-10), o


#: Issue 20 (long fuzz): melitz with a Newton cutoff where a product of tail
#: probabilities is below the normal doubles: Phi(-27)^2 = 1e-320 (log-normal,
#: f_e = 5.7e-162) and expm1((b/phi*)^k)^2 = 7e-320 (Frechet, delta = 7.4e-160) in
#: phi_tilde_t's ratio of tail sums.  Expected: extreme_tails.py (an independent
#: computation at 60 digits with closed-form partial moments), which Model.reference
#: (mpmath quadrature, 20 digits) matches.
SUBNORMAL = [("lognormal", dict(mu=0.0, s=0.5, f_e=5.7e-162), "770640.13947418542543"),
             ("frechet", dict(k=4.0, b=1.0, delta=7.449807581310619e-160),
              "1.2159591740905408959e+40")]
SUBNORMAL_BASE = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=1.5, f_x=1.5, n=1)


@pytest.mark.skipif(not fast._wide_long_double(), reason="long double is double here")
@pytest.mark.parametrize("dist, point, want", SUBNORMAL)
def test_subnormal_intermediate_results_are_recomputed_in_long_double(dist, point, want):
    """phi_tilde_t was 3.7e-3 (log-normal) and 3.7e-6 (Frechet) off: the points with a
    subnormal intermediate result are evaluated again in long double.  The same point
    beside an ordinary one in one array gives the same values (per point, not per
    block); the ordinary one is compared in an array of the same length (numpy's
    vectorised power may differ from its scalar loop in the last bit)."""
    m = ms.model("melitz", dist)
    params = {**SUBNORMAL_BASE, **point}
    got = m.solve(outputs=["phi_tilde_t", "phi_star"], **params)["phi_tilde_t"]
    assert abs(mpmath.mpf(float(got)) / mpmath.mpf(want) - 1) < 1e-13
    name, value = next((k, v) for k, v in point.items() if k in SUBNORMAL_BASE)
    pair = m.solve(outputs=["phi_tilde_t"], **{**params, name: np.array(
        [SUBNORMAL_BASE[name], value])})["phi_tilde_t"]
    assert pair[1] == got
    alone = m.solve(outputs=["phi_tilde_t"], **{**params, name: np.full(2, SUBNORMAL_BASE[name])}
                    )["phi_tilde_t"]
    assert pair[0] == alone[0]


@pytest.mark.parametrize("dist, point, want", SUBNORMAL)
def test_subnormal_intermediate_results_are_refused_without_long_double(dist, point, want,
                                                                        monkeypatch):
    """Where long double is double the same points are a NumericalError, never the
    number that lost its digits (with errors="nan": nan)."""
    monkeypatch.setattr(fast, "_wide_long_double", lambda: False)
    m = ms.model("melitz", dist)
    params = {**SUBNORMAL_BASE, **point}
    with pytest.raises(ms.NumericalError, match="phi_tilde_t"):
        m.solve(outputs=["phi_tilde_t"], **params)
    assert np.isnan(m.solve(outputs=["phi_tilde_t"], errors="nan", **params)["phi_tilde_t"])


#: krugman with subnormal f and L (long fuzz profile): M = L/(sigma f) (Krugman 1980;
#: 1/sigma at f = L) came out 0, P and W 10% and 5% off
SUBNORMAL_PARAMETERS = dict(sigma=3.8, b=1.0, f=5e-324, tau=1.5, n=1, L=5e-324)


@pytest.mark.skipif(not fast._wide_long_double(), reason="long double is double here")
def test_points_with_a_subnormal_parameter_are_recomputed_in_long_double():
    """A product of subnormal parameters rounds to a subnormal of a few bits: those points
    are evaluated again in long double, beside ordinary points in the same array."""
    m = ms.model("krugman")
    got = m.solve(outputs=["M", "P", "W"], **{**SUBNORMAL_PARAMETERS,
                                                 "f": np.array([1.0, 5e-324])})
    ref = m.reference(dps=30, outputs=["M", "P", "W"], **SUBNORMAL_PARAMETERS)
    assert abs(got["M"][1] * 3.8 - 1) < 1e-15
    for n in ("P", "W"):
        assert abs(got[n][1] / float(ref[n]) - 1) < 1e-14
    assert got["M"][0] == m.solve(outputs=["M"], **{**SUBNORMAL_PARAMETERS, "f": 1.0})["M"]


def test_points_with_a_subnormal_parameter_are_refused_without_long_double(monkeypatch):
    monkeypatch.setattr(fast, "_wide_long_double", lambda: False)
    with pytest.raises(ms.NumericalError, match="M"):
        ms.model("krugman").solve(outputs=["M"], **SUBNORMAL_PARAMETERS)


def test_rounded_nodes_stop_at_piecewise():
    """The nodes checked for subnormal values: every intermediate result outside the
    Piecewise branches (whose unused branch is evaluated too)."""
    x, y = sp.symbols("x y", positive=True)
    form = x * y + sp.Piecewise((x**2 * y, x < 1), (y, True))
    nodes = fast.rounded_nodes(form)
    assert x * y in nodes and form in nodes and sp.Piecewise((x**2 * y, x < 1), (y, True)) in nodes
    assert x**2 * y not in nodes and x not in nodes


#: The truncated Pareto with a tiny lower bound: phi_tilde_t's denominator carries
#: (b_H/phi*)^k beyond 1.8e308 (1e323 at b = 2.35e-95, 1e680 at b = 1e-200) and the
#: double value was 0.0 with every other output right.
OVERFLOW = [2.35e-95, 1e-200]
OVERFLOW_BASE = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=1.5, f_x=1.5, n=1,
                     k=3.4, b_H=20.0)


@pytest.mark.skipif(not fast._wide_long_double(), reason="long double is double here")
@pytest.mark.parametrize("b", OVERFLOW)
def test_overflowed_intermediate_results_are_recomputed_in_long_double(b):
    """Against the reference (mpmath, 30 digits): every output within 1e-12."""
    m = ms.model("melitz", dist="truncated-pareto")
    got = m.solve(b=b, **OVERFLOW_BASE)
    want = m.reference(dps=30, b=b, **OVERFLOW_BASE)
    for name, w in want.items():
        assert abs(mpmath.mpf(float(got[name])) / w - 1) < 1e-12, name


@pytest.mark.skipif(not fast._wide_long_double(), reason="long double is double here")
def test_an_output_that_underflowed_to_zero_is_recomputed_in_long_double():
    """Fuzz long profile (issue 20): melitz truncated Pareto at L = 2.1e-116 with
    b_H = 5e75 gave M = M_e = M_x = M_t = 0.0 (L times (b/b_H)^k = 1e-257 underflows past
    the subnormals) where the reference gives M = 7.9e-118.  A 0 output is recomputed in
    long double; M_x at n = 0, a 0 of the formula, stays 0, and the other outputs of
    such a point keep their double values."""
    m = ms.model("melitz", dist="truncated-pareto")
    p = dict(OVERFLOW_BASE, L=2.106361611784488e-116, b=1.0, b_H=5.016852200660098e+75)
    got = m.solve(**p)
    want = m.reference(dps=30, **p)
    for name, w in want.items():
        assert abs(mpmath.mpf(float(got[name])) / w - 1) < 1e-12, name
    at_zero = m.solve(**{**p, "n": np.array([0.0, 1.0])})
    assert at_zero["M_x"][0] == 0 and at_zero["M_x"][1] == got["M_x"]
    assert at_zero["phi_tilde"][0] == m.solve(**{**p, "n": 0.0})["phi_tilde"]


@pytest.mark.parametrize("b", OVERFLOW)
def test_overflowed_intermediate_results_are_refused_without_long_double(b, monkeypatch):
    """Where long double is double: a NumericalError naming phi_tilde_t, not 0.0."""
    monkeypatch.setattr(fast, "_wide_long_double", lambda: False)
    m = ms.model("melitz", dist="truncated-pareto")
    with pytest.raises(ms.NumericalError, match="phi_tilde_t"):
        m.solve(outputs=["phi_tilde_t"], b=b, **OVERFLOW_BASE)


def test_piecewise_conditions_broadcast_scalars_with_arrays():
    """A closed form with a Piecewise whose condition is an And (hmy Pareto's stable
    forms) at one array parameter and scalar others: the admissibility message, not
    numpy's 'inhomogeneous shape' ValueError (the fuzz's f_I = [1, 2] at
    f_x = 2.4e16), and at admissible values the numbers of single points."""
    m = ms.model("hmy", dist="pareto")
    base = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=1.5, f_x=1.5, n=1, k=3.4,
                b=1.0)
    with pytest.raises(ms.AdmissibilityError, match="FDI firms"):
        m.solve(**{**base, "f_x": 2.375151176522583e16, "f_I": [1.0, 2.0]})
    got = m.solve(outputs=["phi_star", "p_x"], **{**base, "f_I": [8.0, 1e300]})
    for i, f_I in enumerate((8.0, 1e300)):
        one = m.solve(outputs=["phi_star", "p_x"], **{**base, "f_I": f_I})
        assert got["phi_star"][i] == one["phi_star"] and got["p_x"][i] == one["p_x"]


def test_hoisting_keeps_conditions_and_hoists_every_parameter():
    """The Newton residual's parameter-only parts become hoisted symbols, but a
    Piecewise condition stays a condition: its default ``True`` as a hoisted
    double printed ``c_3 = true`` in the generated C of the truncated Pareto,
    and a bare parameter (a Symbol is a sympy Boolean too) must still be hoisted."""
    y, k, b = sp.symbols("y k b", real=True)
    expr = sp.Piecewise((k * sp.exp(y), k * y <= 0), (b, True))
    (core,), consts, meaning = fast._hoist((expr,), y)
    assert core.free_symbols <= {y, *consts}
    assert set(meaning) == {k, b}
    assert core.args[-1].cond is sp.true
    assert core.subs(dict(zip(consts, meaning))) == expr


@pytest.mark.parametrize("dist, p, ordinary", [
    # the residual's term f Phi(x) is 1e300 times a subnormal Phi near the root: solve
    # returned phi* = 2.28e8 (m.reference: 6.51e8) when asked for phi* alone
    ("lognormal", dict(sigma=3.8, f=9.99999999999869e+299, f_e=6.426391103701053e-61,
                       delta=0.1, L=100, mu=0.0, s=0.5), dict(f=1.0)),
    # f exp(-x) with exp(-x) subnormal: phi* = 80.93 (m.reference: 82.09)
    ("weibull", dict(sigma=3.8, f=2.9088064182126256e+184, f_e=6.879337028308575e-141,
                     delta=0.1, L=100, k=1.5, b=1.0), dict(f=1.0)),
    # k = 1.1e16: phi* = 1 + 4.2e-16 (by hand: (b/phi*)^k = delta f_e (k - z)/(f z)
    # = 8.9e-3 = p_in) rounds to b = 1, and p_in came out 4.2e-18
    ("truncated-pareto", dict(sigma=3.8, f=4.4703468631419176e+16, f_e=1.0, delta=0.1,
                              L=100, k=1.1137526631027136e+16, b=1.0, b_H=20.0),
     dict(f=1.0, k=4.0)),
])
def test_a_root_that_does_not_determine_the_equilibrium_is_refused(dist, p, ordinary):
    """Issue 20 (long fuzz profile), melitz-closed: where a term of the residual that
    matters has a factor that underflowed at the root, or the outputs are steeper in
    log(phi*) than its rounding allows, a NumericalError (nan with errors="nan",
    beside an ordinary point).  An exporters' tail that underflows where it is
    negligible (melitz log-normal near sigma = 1, test_accuracy) is still solved."""
    m = ms.model("melitz-closed", dist=dist)
    with pytest.raises(ms.NumericalError, match="no finite value of phi_star"):
        m.solve(outputs=["phi_star", "p_in"], **p)
    got = m.solve(outputs=["phi_star"], errors="nan",
                  **{**p, **{n: np.array([p[n], v]) for n, v in ordinary.items()}})
    assert np.isnan(got["phi_star"][0]) and np.isfinite(got["phi_star"][1])


def test_frechet_moment_near_its_pole_keeps_its_order_exact():
    """Fuzz long profile (issue 20): melitz and melitz-closed with Frechet productivity at
    k - sigma + 1 = 1e-9 gave phi* 1.6e-8 off the reference (5947.65255 for
    5947.65246): the order of Gamma(1 - (sigma-1)/k) was computed as 1 - z/k, which
    keeps only 2^-53/3.6e-10 of its digits.  As (k - z)/k it is exact (Sterbenz).
    Independent check: the mpmath reference from the primitives."""
    for name in ("melitz", "melitz-closed"):
        m = ms.model(name, "frechet")
        params = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, k=2.800000001, b=1.0)
        if name == "melitz":
            params.update(tau=1.5, f_x=1.5, n=1)
        got = float(m.solve(outputs=["phi_star"], **params)["phi_star"])
        want = float(m.reference(dps=20, outputs=["phi_star"], **params)["phi_star"])
        assert got == pytest.approx(want, rel=1e-12), name


def test_hmy_frechet_multinationals_at_tau_near_one():
    """Fuzz long profile (issue 20): hmy Frechet at tau = 1 + 1e-15 gave M_I 2% off the
    reference (5.49e-22 for 5.60e-22): expm1_form expanded the sums inside the powers
    of its exponent, so (f tau^z - f)/(f_I - f_x) became f tau^z/(f_I - f_x) -
    f/(f_I - f_x), which cancels; now the sums inside powers are kept, and
    tau^z - 1 is expm1(z log tau).  Independent check: the mpmath reference."""
    m = ms.model("hmy", "frechet")
    params = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=1.000000000000001,
                  f_x=1.5, n=1, f_I=8.0, k=4.0, b=1.0)
    got = m.solve(outputs=["M_I", "p_I"], **params)
    want = m.reference(dps=20, outputs=["M_I", "p_I"], **params)
    for name in ("M_I", "p_I"):
        assert float(got[name]) == pytest.approx(float(want[name]), rel=1e-12), name


def test_newton_log_on_a_support_unbounded_at_both_ends_warns_nothing():
    """Issue 20 (fuzz of the generated NumPy module, log-normal): the start of the search
    took (lo + hi)/2 of -inf and inf outside the ignored floating-point errors, and
    every call printed numpy's RuntimeWarning 'invalid value encountered in add'."""
    import warnings

    c = np.array([0.5, 2.0, 40.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = fast.newton_log(lambda y, c: (c - np.exp(y), -np.exp(y)), np.zeros(3), [c])
    np.testing.assert_allclose(y, np.log(c), rtol=1e-15)
