"""The independent mpmath reference (Model.reference) against other paths.

Sources of the expected values, all computed in this file:
* the derived closed forms evaluated at 50 digits (Model.evaluate): a different
  path (sympy's integrated tail moments and the power-law solution), so
  agreement to 45 digits checks the quadrature and root finding of the reference;
* literature.md §2.1 (untruncated Pareto, Melitz 2003 / Chaney 2008): the
  autarky cutoff phi* = b [(sigma-1) f / ((k-sigma+1) delta f_e)]^(1/k);
* Krugman (1980): the closed forms of the derivation at 50 digits.
"""

from __future__ import annotations

from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp

import melitz_sym as ms
from melitz_sym.errors import AdmissibilityError

PARETO = dict(sigma="3.8", k="3.4", b="1", f="1", f_x="2", f_e="0.1", delta="0.05",
              tau="1.5", n="3", L="100", f_I="9")
LOGNORMAL = dict(sigma="3.8", f="1", f_x="2", f_e="0.1", delta="0.05", tau="1.5", n="3",
                 L="100", mu="0.1", s="0.7")


def _rel(a, b):
    return abs(a - b) / abs(b)


@pytest.mark.parametrize("model", ["melitz", "melitz-closed", "hmy"])
def test_pareto_reference_matches_closed_forms_to_45_digits(model):
    """HMY has a third cutoff (phi_I*, FDI), with its own tails in the generic layer."""
    m = ms.model(model)
    point = {k: v for k, v in PARETO.items() if k in m.parameters}
    with mpmath.workdps(50):
        ref = m.reference(dps=50, **point)
        closed = m.evaluate(dps=50, **point)
        assert set(ref) == set(closed) - {"eps"}
        for name, want in closed.items():
            if name in ref:
                assert _rel(ref[name], want) < mpmath.mpf(10) ** -45, name


def test_autarky_cutoff_matches_literature():
    """literature.md §2.1: phi* = b [(sigma-1) f / ((k-sigma+1) delta f_e)]^(1/k)."""
    m = ms.model("melitz-closed")
    p = {k: v for k, v in PARETO.items() if k in m.parameters}
    with mpmath.workdps(50):
        sigma, k, b, f, f_e, delta = (mpmath.mpf(p[x]) for x in
                                      ("sigma", "k", "b", "f", "f_e", "delta"))
        want = b * ((sigma - 1) * f / ((k - sigma + 1) * delta * f_e)) ** (1 / k)
        assert _rel(m.reference(**p)["phi_star"], want) < mpmath.mpf(10) ** -45


def test_tiny_moment_gap_is_resolved():
    """k - (sigma - 1) = 1e-12: the tail moment integral decays like t^(-1-1e-12)."""
    m = ms.model("melitz-closed")
    p = dict(PARETO, k="2.800000000001")
    p = {k: v for k, v in p.items() if k in m.parameters}
    p["f_e"] = "1e-14"
    with mpmath.workdps(50):
        ref, closed = m.reference(**p), m.evaluate(**p)
        for name in ref:
            assert _rel(ref[name], closed[name]) < mpmath.mpf(10) ** -40, name


def test_inputs_are_exact():
    """Strings and Rationals are exact; a float is its binary value, not 0.1."""
    m = ms.model("melitz-closed")
    p = {k: v for k, v in PARETO.items() if k in m.parameters}
    with mpmath.workdps(50):
        a = m.reference(outputs=["W"], **p)["W"]
        b = m.reference(outputs=["W"], **dict(p, f_e=sp.Rational(1, 10)))["W"]
        c = m.reference(outputs=["W"], **dict(p, f_e=0.1))["W"]
        assert _rel(a, b) < mpmath.mpf(10) ** -48
        assert _rel(a, c) > mpmath.mpf(10) ** -20  # 0.1 as a double differs by ~5e-18


def test_corner_is_refused():
    m = ms.model("melitz-closed")
    p = {k: v for k, v in PARETO.items() if k in m.parameters}
    with pytest.raises(AdmissibilityError, match="no selection"):
        m.reference(**dict(p, f_e="100"))


def test_krugman_reference_from_steps():
    m = ms.model("krugman")
    p = dict(sigma="3.8", b="1.3", f="1", tau="1.5", n="3", L="100")
    with mpmath.workdps(50):
        ref, closed = m.reference(**p), m.evaluate(**p)
        assert set(ref) == set(closed)
        for name in ref:
            assert _rel(ref[name], closed[name]) < mpmath.mpf(10) ** -45, name


def test_krugman_fast_path_against_reference():
    m = ms.model("krugman")
    rng = np.random.default_rng(1980)
    pts = dict(sigma=rng.uniform(1.5, 8, 20), b=rng.uniform(0.2, 3, 20),
               f=rng.uniform(0.5, 3, 20), tau=rng.uniform(1, 3, 20),
               n=rng.integers(0, 11, 20).astype(float), L=rng.uniform(1, 1000, 20))
    fast = m.solve(**pts)
    worst = 0.0
    for i in range(20):
        ref = m.reference(dps=30, **{k: v[i] for k, v in pts.items()})
        for name, want in ref.items():
            worst = max(worst, float(_rel(mpmath.mpf(fast[name][i]), want)))
    assert worst <= 2e-15


def _residual_at_reference(m, params: dict, dps: int) -> tuple[mpmath.mpf, mpmath.mpf]:
    """The reference cutoff phi* and the derived (closed-form) residual there,
    relative to delta f_e, at dps + 10 digits."""
    d = m.derive()
    with mpmath.workdps(dps + 10):
        phi = m.reference(dps=dps, outputs=["phi_star"], **params)["phi_star"]
        values = {s: mpmath.mpf(params[s.name]) for s in d.parameters}
        f = sp.lambdify([d.cutoff] + list(values), d.cutoff_residual, "mpmath")
        scale = mpmath.mpf(params["delta"]) * mpmath.mpf(params["f_e"])
        return phi, abs(f(phi, *values.values())) / scale


def test_lognormal_reference_satisfies_the_cutoff_equation():
    """The reference cutoff is a root of the derived (closed-form) residual to 45 digits."""
    _, residual = _residual_at_reference(ms.model("melitz", dist="lognormal"), LOGNORMAL, 50)
    assert residual < mpmath.mpf(10) ** -45


@pytest.mark.slow
def test_custom_distribution_fast_and_reference_agree():
    phi, lam = sp.Symbol("phi", positive=True), sp.Symbol("lambda_", positive=True)
    m = ms.model("melitz", dist=ms.Custom(lam * sp.exp(-lam * (phi - 1)), (1, sp.oo), var=phi))
    pts = [dict(sigma=3.0, f=1.0, f_e=0.1, delta=0.1, L=1.0, tau=2.0, f_x=2.0, n=1.0,
                lambda_=0.5),
           dict(sigma=3.8, f=1.5, f_e=0.2, delta=0.05, L=100.0, tau=1.3, f_x=2.5, n=3.0,
                lambda_=1.7)]
    for p in pts:
        ref = m.reference(dps=30, **p)
        fast = m.solve(**p)
        for name, want in ref.items():
            assert _rel(mpmath.mpf(float(fast[name])), want) < 1e-13, name


#: Truncated Pareto with the root's phi_x* below the upper bound b_H = 34.4, where the
#: bracket's search for a negative residual passes phi_x* = b_H (the tails are 0 there).
TRUNCATED = dict(sigma="6.03", f="1.28", f_x="2.14", f_e="0.0237", delta="0.0134",
                 tau="1.29", n="8", L="2.7", k="7.65", b="1.86", b_H="34.4")


def test_truncated_pareto_reference_past_the_upper_bound():
    """The search used to divide 0 by 0 (ZeroDivisionError) beyond b_H; the reference
    cutoff is a root of the derived (closed-form) residual to 25 digits, and the
    fast path agrees with it."""
    m = ms.model("melitz", dist="truncated-pareto")
    phi, residual = _residual_at_reference(m, TRUNCATED, 30)
    assert residual < mpmath.mpf(10) ** -25
    fast = m.solve(outputs=["phi_star"], **{k: float(v) for k, v in TRUNCATED.items()})
    assert _rel(mpmath.mpf(float(fast["phi_star"])), phi) < 1e-14


def test_truncated_pareto_without_exporters_is_refused():
    """phi_x* above b_H at the root: no firm exports, an AdmissibilityError that says
    so (it used to be a ZeroDivisionError)."""
    m = ms.model("melitz", dist="truncated-pareto")
    with pytest.raises(AdmissibilityError, match="no exporters"):
        m.reference(dps=30, **dict(TRUNCATED, b_H="8.09", f_x="6"))


WEIBULL_CLOSED = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, k=1.5, b=1.0)
FRECHET_CLOSED = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, k=4.0, b=1.0)


@pytest.mark.parametrize("what", ["evaluate", "reference"])
def test_weibull_cutoff_beyond_any_double_is_refused_quickly(what):
    """Found by the long fuzz profile (issue 20): melitz-closed Weibull at sigma = 1 + 1e-12
    has its cutoff near exp(-1e11); evaluate's bracket search ran for hours inside mpmath's
    gammainc and reference raised OverflowError.  Both stop at |log phi| = 2^13 with a
    NumericalError (a count of bracket steps, not a time)."""
    m = ms.model("melitz-closed", dist="weibull")
    with pytest.raises(ms.NumericalError, match="not within exp"):
        getattr(m, what)(dps=20, **{**WEIBULL_CLOSED, "sigma": 1.000000000001})


def test_frechet_reference_converges_where_the_cutoff_passes_the_double_range(tmp_path):
    """Found by the fuzz suite: melitz-closed Frechet at b = 1e308 (phi* = 2.195e308, just
    past the largest double).  The reference's Newton iteration crept 1/k per step from
    the left of the root and ran past a minute (now it bisects when a step does not halve
    the one before); solve refuses the point; the generated NumPy solver reports status 1
    (it raised ValueError)."""
    import importlib.util

    m = ms.model("melitz-closed", dist="frechet")
    params = {**FRECHET_CLOSED, "b": 1e308}
    phi = m.reference(dps=20, outputs=["phi_star"], **params)["phi_star"]
    assert mpmath.mpf("2.19e308") < phi < mpmath.mpf("2.2e308")  # beyond any double
    with pytest.raises(ms.NumericalError, match="no finite value"):
        m.solve(**params)
    path = Path(m.codegen("numpy", tmp_path)[0])
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cutoff, status = module.solve_cutoff(*(float(params[p.name]) for p in m.derive().parameters),
                                         status=True)
    assert int(status) == 1 and cutoff != cutoff  # nan


@pytest.mark.parametrize("point", [dict(sigma="3.8", f="1", phi="1", L="100"),
                                   dict(sigma="0.7", f="2.5", phi="0.3", L="40"),
                                   dict(sigma="5", f="1e-6", phi="2", L="1e9"),
                                   # fuzz: the condition cancels 57 digits here
                                   dict(sigma="0.9999997255105045",
                                        f="1.5864553481023265e-111", phi="1", L="100")])
def test_cournot_reference_against_the_literature(point):
    """Issue 20: model('cournot').reference() raised (no independent path).  It now
    solves the symmetric first-order condition for n numerically; expected values from
    the seed document's Cournot model with free entry (Epifani 2002, Sec. 2), typed
    here: n = (L/(sigma f))^(1/2), p = sigma n/(sigma n - 1)/phi, zero profit
    q = f phi (sigma n - 1), l = f + q/phi, W = 1/p; and the derived closed forms
    (m.solve) agree too."""
    m = ms.model("cournot")
    got = m.reference(dps=40, **point)
    with mpmath.workdps(60):
        sigma, f, phi, L = (mpmath.mpf(point[k]) for k in ("sigma", "f", "phi", "L"))
        n = mpmath.sqrt(L / (sigma * f))
        p = sigma * n / (sigma * n - 1) / phi
        q = f * phi * (sigma * n - 1)
        want = {"n": n, "p": p, "markup": p * phi, "q": q, "l": f + q / phi,
                "q_per_l": q / (f + q / phi), "W": 1 / p}
    assert set(got) == set(want)
    for k in want:
        assert _rel(got[k], want[k]) < mpmath.mpf(10) ** -38, k
    fast = m.solve(**{k: float(v) for k, v in point.items()})
    for k in want:
        assert float(fast[k]) == pytest.approx(float(want[k]), rel=1e-13)


def test_quadrature_never_exponentiates_a_vanishing_tail():
    """Issue 20: hmy Weibull reference at k = 1e30 hung in mpmath (exp(-e^(1e29)) asks
    for ln 2 to 1e29 bits); a node where log h is below -(prec + 64) ln 2 is 0, so the
    reference answers (here: the tail decays in no range it can integrate)."""
    import signal

    def hung(signum, frame):
        raise AssertionError("the reference ran past 120 s")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(120)  # detects a regression to the hang; decides nothing else
    m = ms.model("hmy", "weibull")
    params = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=1.5, f_x=1.5, n=1,
                  f_I=8.0, k=1e30, b=1.0)
    try:
        with pytest.raises(ms.NumericalError, match="does not decay"):
            m.reference(dps=20, **params)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_n_country_failures_of_numpy_or_mpmath_are_numerical_errors():
    """Issue 20: melitz-ottaviano-asym at extreme inputs raised ZeroDivisionError,
    OverflowError (solve), mpmath's 'matrix is numerically singular', 'Could not find
    root' and a TypeError from its LU decomposition (reference)."""
    m = ms.model("melitz-ottaviano-asym", "pareto")
    base = dict(alpha=10, gamma=1, eta=1, c_M=1, k=2, f_e=0.01, L=[100, 150],
                tau=[[1, 1.6], [1.4, 1]])
    for path, change in (("solve", dict(k=1e-30)), ("solve", dict(k=1e30)),
                         ("reference", dict(alpha=1e30)), ("reference", dict(L=[100, 1e30])),
                         ("reference", dict(f_e=1e-30))):
        call = m.solve if path == "solve" else lambda **p: m.reference(dps=20, **p)
        with pytest.raises(ms.MelitzError):
            call(**{**base, **change})


def test_difference_of_tails_keeps_the_digits_asked(monkeypatch):
    """Issue 20 (long fuzz): hmy with Weibull productivity at f_e = 5e16 has
    V(phi_x*) - V(phi_I*) = 1e-23 of either tail; at dps = 20 (30 working digits) the
    reference's export_fdi_ratio was 5.3e-9 off evaluate's.  It now measures the digits
    the difference lost and computes again with that many more.  Expected: evaluate at
    40 digits (the closed forms)."""
    from melitz_sym.numeric import reference

    m = ms.model("hmy", dist="weibull")
    p = dict(sigma=3.8, f=1.0, f_e=5e16, delta=0.1, L=100, tau=1.5, f_x=1.5, n=1,
             f_I=8.0, k=1.5, b=1.0)
    names = ["export_fdi_ratio", "M_x"]
    passes = []
    inner = reference._reference_melitz
    monkeypatch.setattr(reference, "_reference_melitz",
                        lambda *a: passes.append(a[4]) or inner(*a))
    r20 = m.reference(dps=20, outputs=names, **p)
    assert passes == [20, 43]  # 23 digits lost
    ev = m.evaluate(dps=40, outputs=names, **p)
    for name in names:
        assert _rel(r20[name], ev[name]) < 1e-19


def test_the_autarky_check_of_gains_needs_no_exporters_tails(monkeypatch):
    """Fuzz long profile (issue 20): hmy Frechet at f_e = 2.8e175 took over 60 s.  The
    reference of gains checks that autarky is not a corner with a reference of phi* and
    p_in at n = 0, and that one also integrated the tails above phi* and retried with
    the digits their difference lost, although at n = 0 they are multiplied by 0 in the
    cutoff equation.  Now it does neither: one pass for autarky (the point itself still
    needs two), and gains agrees with evaluate at 40 digits."""
    from melitz_sym.numeric import reference

    m = ms.model("hmy", dist="weibull")
    p = dict(sigma=3.8, f=1.0, f_e=5e16, delta=0.1, L=100, tau=1.5, f_x=1.5, n=1,
             f_I=8.0, k=1.5, b=1.0)
    passes = []
    inner = reference._reference_melitz
    monkeypatch.setattr(reference, "_reference_melitz",
                        lambda *a: passes.append((a[3]["n"], a[4])) or inner(*a))
    got = m.reference(dps=20, outputs=["gains"], **p)
    assert passes == [(1, 20), (1, 43), (0, 20)]
    assert _rel(got["gains"], m.evaluate(dps=40, outputs=["gains"], **p)["gains"]) < 1e-19


def test_a_difference_of_tails_no_retry_recovers_is_refused_at_once(monkeypatch):
    """Fuzz long profile (issue 20): hmy Frechet at f_e = 3.7e16 puts the cutoffs near
    1e-5, where the density is about exp(-1e20): the difference of the tails at phi_x* and
    phi_I* is 0 in the quadrature at 20 digits, and the reference doubled its digits pass
    after pass (20, 84, 208, ...: over a minute).  It bounds the difference by the log of
    the integrand at the ends instead, and refuses after one pass."""
    from melitz_sym.numeric import reference

    m = ms.model("hmy", dist="frechet")
    p = dict(sigma=3.8, f=1.0, f_e=3.659829065211851e16, delta=0.1, L=100, tau=1.5,
             f_x=1.5, n=1, f_I=8.0, k=4.0, b=1.0)
    passes = []
    inner = reference._reference_melitz
    monkeypatch.setattr(reference, "_reference_melitz",
                        lambda *a: passes.append(a[4]) or inner(*a))
    with pytest.raises(ms.NumericalError, match=r"loses 2\.\d+e\+19 digits"):
        m.reference(dps=20, outputs=["export_fdi_ratio"], **p)
    assert passes == [20]


def test_newton_polish_stays_in_the_bracket():
    """melitz Pareto at k = 1.5e23, b = 6.9e48 (found by the fuzz; solve refuses it as
    no selection): the polish at raised precision stepped to y = log(phi*) ~ 1e23
    and mpmath.exp ran out of memory, a MemoryError traceback.  A step longer than
    the bracket is no convergence: a NumericalError."""
    m = ms.model("melitz", dist="pareto")
    with pytest.raises(ms.MelitzError):
        m.reference(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=1.5, f_x=1.5, n=1,
                    k=1.480782968825677e23, b=6.885234639350444e48)


def test_a_share_of_producers_one_by_quadrature_is_not_a_corner():
    """Fuzz long profile (issue 20): melitz-closed Weibull at k = 3.5e15 is a spike of
    relative width 3e-16 at b = 1, and phi* = 0.9665 lies below it, so every entrant
    but a fraction exp(-0.9665^k) = exp(-1.2e14) produces: an interior point with
    p_in = 1 in any double.  At 20 digits the quadrature gave p_in = 1 + 4.3e-18 and
    the reference refused the point as "no selection: p_in exceeds 1", while solve
    answered.  The reference's p_in integrates the density from max(phi*, lower), so
    above one it is the quadrature's error, not a corner; its root finder refuses a
    cutoff below the lower bound itself.  Independent check: the mpmath closed form
    of the Weibull survival, exp(-(phi*/b)^k), is 1 to 30 digits at the cutoff."""
    m = ms.model("melitz-closed", "weibull")
    params = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, k=3534018065899267.0, b=1.0)
    ref = m.reference(dps=20, **params)
    with mpmath.workdps(30):
        assert mpmath.exp(-mpmath.mpf(ref["phi_star"]) ** mpmath.mpf(params["k"])) == 1
    fast = m.solve(**params)
    for name in ("phi_star", "p_in", "M", "W", "P"):
        assert abs(float(fast[name]) / float(ref[name]) - 1) < 1e-12, name


def test_a_sign_at_the_lower_bound_lost_to_cancellation_is_not_no_selection():
    """Fuzz long profile (issue 20): melitz-closed Pareto at k = 8.8e136 and delta = 1e-303.
    The residual at phi* = b is f a/(k - a) - delta f_e = 3.2e-137 - 1e-303 > 0, but its
    terms V(b)/b^a and S(b) cancel to 0 at 20 digits: the reference said "no selection"
    where solve rightly answers p_in = delta f_e (k - sigma + 1)/((sigma - 1) f) = 3.2e-167
    (the cutoff condition of Melitz 2003 with Pareto productivity).  It refuses as a
    NumericalError now; where the sign holds (delta = 1, k = 1e30: 2.8e-30 - 1) it is
    still "no selection"."""
    m = ms.model("melitz-closed", "pareto")
    p = dict(sigma=3.8, f=1, f_e=1, L=100, b=1, delta=1.024939339764485e-303,
             k=8.800664588158532e136)
    with pytest.raises(ms.NumericalError, match="lost to cancellation"):
        m.reference(dps=30, **p)
    p_in = p["delta"] * (p["k"] - 2.8) / 2.8
    assert _rel(m.solve(**p)["p_in"], p_in) < 1e-13
    with pytest.raises(AdmissibilityError, match="no selection"):
        m.reference(dps=30, **dict(p, delta=1, k=1e30))
    # and where the tails at the lower end are 0 in the quadrature (a spike at b: truncated
    # Pareto at k = 1e308), "no selection" as before (the change raised a TypeError)
    with pytest.raises(AdmissibilityError, match="no selection"):
        ms.model("melitz-closed", "truncated-pareto").reference(
            dps=20, **dict(p, delta=0.1, k=1e308, b_H=20.0))
