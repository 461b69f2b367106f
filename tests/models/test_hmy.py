"""Helpman, Melitz & Yeaple (2004) with Pareto productivity vs literature.md §4.

literature.md §4 writes HMY in unit labour requirements a = 1/phi with G(a) = (a/a_bar)^k,
B = (1 - alpha) alpha^(eps-1) A and eps = sigma.  The references below are typed in from
there ([M] setup, [D] FE and S_X/S_I) and evaluated with mpmath; the equilibrium is also
recomputed from the primitives by quadrature (profit of every mode integrated against the
Pareto density, free entry solved for the demand shifter with findroot).
"""

from __future__ import annotations

import random

import mpmath
import numpy as np
import pytest

import melitz_sym as ms

PARAMS = ("sigma", "f", "f_x", "f_I", "f_e", "delta", "tau", "n", "L", "k", "b")


def points(count: int, seed: int = 2004) -> list[dict]:
    """Random admissible points (exact decimal strings), sorting with a margin."""
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        p = {"sigma": rng.uniform(1.5, 5), "f": rng.uniform(0.5, 2), "f_e": rng.uniform(0.5, 3),
             "delta": rng.uniform(0.05, 1), "tau": rng.uniform(1.1, 2), "n": rng.uniform(1, 6),
             "L": rng.uniform(10, 500), "b": rng.uniform(0.2, 1)}
        p["k"] = p["sigma"] - 1 + rng.uniform(0.3, 4)
        p["f_x"] = p["f"] * p["tau"] ** (1 - p["sigma"]) * rng.uniform(1.3, 3)
        p["f_I"] = p["f_x"] * p["tau"] ** (p["sigma"] - 1) * rng.uniform(1.3, 3)
        p = {k: f"{v:.6f}" for k, v in p.items()}
        # interior cutoff (phi* > b) and sorting must survive the rounding
        if (float(p["f_I"]) > float(p["f_x"]) * float(p["tau"]) ** (float(p["sigma"]) - 1) * 1.1
                and float(p["f_x"]) * float(p["tau"]) ** (float(p["sigma"]) - 1)
                > 1.1 * float(p["f"])):
            out.append(p)
    return out


@pytest.fixture(scope="module")
def model():
    return ms.model("hmy", dist="pareto")


@pytest.fixture(scope="module")
def deriv(model):
    return model.derive()


@pytest.fixture(scope="module")
def solved(model):
    """Admissible points with an interior cutoff, and their mpmath evaluation."""
    out = []
    for p in points(40):
        try:
            out.append((p, model.evaluate(dps=50, **p)))
        except ms.AdmissibilityError:  # corner: every entrant produces
            continue
        if len(out) == 5:
            break
    assert len(out) == 5
    return out


def mp(p: dict) -> dict:
    return {k: mpmath.mpf(v) for k, v in p.items()}


def test_registered(model):
    assert "hmy" in ms.models()
    assert set(model.parameters) == set(PARAMS)
    for name in ("phi_star", "phi_x_star", "phi_I_star", "export_fdi_ratio", "W", "lam",
                 "gains", "eps"):
        assert name in model.outputs


@pytest.mark.slow
def test_check_passes(deriv):
    how = deriv.check()
    assert how["fdi_cutoff"] in ("symbolic", "numeric")
    assert how["cutoff_equation"] == "symbolic"
    assert deriv.closed_form("phi_star") is not None


def test_cutoff_conditions_literature(solved):
    """literature.md §4: (a_D)^(1-eps) B = f_D, (tau a_X)^(1-eps) B = f_X,
    (a_I)^(1-eps) B [1 - tau^(1-eps)] = f_I - f_X, with a = 1/phi, eps = sigma and
    B backed out of the first condition; sorting a_I < a_X < a_D."""
    with mpmath.workdps(50):
        for p, r in solved:
            q = mp(p)
            e = q["sigma"]
            a_D, a_X, a_I = 1 / r["phi_star"], 1 / r["phi_x_star"], 1 / r["phi_I_star"]
            B = q["f"] / a_D ** (1 - e)
            assert abs((q["tau"] * a_X) ** (1 - e) * B / q["f_x"] - 1) < 1e-40
            assert abs(a_I ** (1 - e) * B * (1 - q["tau"] ** (1 - e))
                       / (q["f_I"] - q["f_x"]) - 1) < 1e-40
            assert a_I < a_X < a_D


def test_free_entry_literature(solved):
    """literature.md §4 FE with G(a) = (a b)^k (a_bar = 1/b) and
    V(a) = k/(k - eps + 1) a_bar^(-k) a^(k - eps + 1); the right side is delta f_e
    (HMY's f_E is the per-period flow delta f_e of this package)."""
    with mpmath.workdps(50):
        for p, r in solved:
            q = mp(p)
            e, k = q["sigma"], q["k"]

            def G(a, q=q, k=k):
                return (a * q["b"]) ** k

            def V(a, q=q, k=k, e=e):
                return k / (k - e + 1) * q["b"] ** k * a ** (k - e + 1)

            def term(a, e=e, G=G, V=V):
                return V(a) * a ** (e - 1) - G(a)

            a_D, a_X, a_I = 1 / r["phi_star"], 1 / r["phi_x_star"], 1 / r["phi_I_star"]
            lhs = (q["f"] * term(a_D) + q["n"] * q["f_x"] * term(a_X)
                   + q["n"] * (q["f_I"] - q["f_x"]) * term(a_I))
            assert abs(lhs / (q["delta"] * q["f_e"]) - 1) < 1e-40


def test_export_fdi_ratio_literature(solved):
    """literature.md §4 [D]: S_X/S_I = tau^(1-eps) [((f_I - f_X)/(f_X (tau^(eps-1) - 1)))
    ^((k-eps+1)/(eps-1)) - 1]."""
    with mpmath.workdps(50):
        for p, r in solved:
            q = mp(p)
            e, k, t = q["sigma"], q["k"], q["tau"]
            lit = t ** (1 - e) * (((q["f_I"] - q["f_x"]) / (q["f_x"] * (t ** (e - 1) - 1)))
                                  ** ((k - e + 1) / (e - 1)) - 1)
            assert abs(r["export_fdi_ratio"] / lit - 1) < 1e-40


def test_ratio_falls_with_dispersion(deriv, solved):
    """literature.md §4 [M]: more heterogeneity (lower k) means less exports relative to
    affiliate sales: the derived ratio rises with k."""
    m = ms.model("hmy", dist="pareto")
    for p, r in solved[:3]:
        k = float(p["k"])
        higher = m.evaluate(dps=30, outputs=["export_fdi_ratio"], **{**p, "k": f"{k + 0.25}"})
        assert higher["export_fdi_ratio"] > r["export_fdi_ratio"]


def test_equilibrium_from_primitives(solved):
    """Independent path: solve free entry E[max(0, pi(phi))] = delta f_e for the demand
    shifter A, where pi = pi_D + n max(0, pi_X, pi_I) is integrated by quadrature against
    the Pareto density k b^k phi^(-k-1); cutoffs then follow from each profit condition."""
    for p, r in solved[:3]:
        with mpmath.workdps(30):
            q = mp(p)
            s, k, b, n = q["sigma"], q["k"], q["b"], q["n"]
            rho = (s - 1) / s

            def cutoffs(A, q=q, s=s, rho=rho):
                c = A * rho ** (s - 1) / s  # operating profit = c phi^(sigma-1)
                phi_d = (q["f"] / c) ** (1 / (s - 1))
                phi_x = mpmath.findroot(lambda x: c * (x / q["tau"]) ** (s - 1) - q["f_x"],
                                        phi_d)
                phi_i = mpmath.findroot(
                    lambda x: c * x ** (s - 1) * (1 - q["tau"] ** (1 - s)) - (q["f_I"] - q["f_x"]),
                    phi_x)
                return c, phi_d, phi_x, phi_i

            def value(A, q=q, s=s, k=k, b=b, n=n):
                c, phi_d, phi_x, phi_i = cutoffs(A)

                def profit(x):
                    dom = c * x ** (s - 1) - q["f"]
                    foreign = max(0, c * (x / q["tau"]) ** (s - 1) - q["f_x"],
                                  c * x ** (s - 1) - q["f_I"])
                    return (dom + n * foreign) * k * b ** k * x ** (-k - 1)

                pts = sorted({max(b, phi_d), max(b, phi_x), max(b, phi_i)})
                return mpmath.quad(profit, pts + [mpmath.inf]) - q["delta"] * q["f_e"]

            A0 = q["f"] * s / (rho * r["phi_star"]) ** (s - 1) * mpmath.mpf("1.01")
            A = mpmath.findroot(value, A0, solver="secant")
            _, phi_d, phi_x, phi_i = cutoffs(A)
            for got, ref in [(r["phi_star"], phi_d), (r["phi_x_star"], phi_x),
                             (r["phi_I_star"], phi_i)]:
                assert abs(got / ref - 1) < 1e-20


def test_fast_matches_mpmath(model, solved):
    """numpy solve vs 50-digit evaluate on every output, 1e-12 relative."""
    arrays = {k: np.array([float(p[k]) for p, _ in solved]) for k in PARAMS}
    fast = model.solve(**arrays)
    for i, (_, r) in enumerate(solved):
        for name, value in r.items():
            assert abs(fast[name][i] - float(value)) <= 1e-12 * abs(float(value)) + 1e-300, name


def test_welfare_and_shares(solved):
    """W = rho phi* (L/(sigma f))^(1/(sigma-1)) (literature.md O14, any G) and lam in (0, 1)."""
    with mpmath.workdps(50):
        for p, r in solved:
            q = mp(p)
            s = q["sigma"]
            W = (s - 1) / s * r["phi_star"] * (q["L"] / (s * q["f"])) ** (1 / (s - 1))
            assert abs(r["W"] / W - 1) < 1e-40
            assert 0 < r["lam"] < 1 and r["gains"] > 1


@pytest.mark.parametrize("change, words", [
    ({"f_I": "1.0"}, "FDI firms are a strict subset of exporters"),
    ({"f_x": "0.1", "tau": "1.2"}, "exporters are a strict subset of producers"),
    ({"tau": "1"}, "iceberg cost"),
])
def test_sorting_violation(model, change, words):
    p = {**points(1)[0], **change}
    with pytest.raises(ms.AdmissibilityError, match=words) as err:
        model.solve(**p)
    assert "f_I=" in str(err.value) or "tau=" in str(err.value)
    with pytest.raises(ms.AdmissibilityError, match=words):
        model.evaluate(**p)


#: truncated Pareto on [1, 20] where the FDI cutoff phi_I* = 22.4 lies above b_H = 20
#: (issue 20, long fuzz profile: solve returned p_I = -6e-4 and M_I = -2e-3, a share and a
#: mass of multinationals below zero, because the corner rule read phi* and phi_x* only)
_NO_FDI = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100.0, f_x=1.5, n=1.0, f_I=8.0,
               k=3.4, b=1.0, b_H=20.0, tau=1.01)


def test_fdi_cutoff_above_the_upper_bound_is_a_corner():
    m = ms.model("hmy", dist="truncated-pareto")
    words = r"no multinationals: the FDI cutoff phi_I\* = 22\.39\d* is above the upper bound"
    for call in (m.solve, m.evaluate, m.reference):
        with pytest.raises(ms.AdmissibilityError, match=words):
            call(**_NO_FDI)
    got = m.solve(errors="nan", **{**_NO_FDI, "tau": np.array([1.01, 1.3])})
    assert np.isnan(got["p_I"][0]) and np.isnan(got["M_I"][0])
    assert got["phi_I_star"][1] < 20 and got["p_I"][1] > 0 and got["M_I"][1] > 0


def test_lognormal_with_very_many_partners_keeps_the_masses():
    """Issue 20 (long fuzz profile): hmy log-normal at n = 5e16: solve's M, M_x, M_I,
    M_e, r_bar and lam were 1.7e-4 off evaluate (r_bar kept n tau^(sigma-1) (erf(u) - 1),
    a difference of nearly equal numbers); now within 1e-13 of the 30-digit evaluate."""
    m = ms.model("hmy", dist="lognormal")
    p = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100.0, tau=1.5, f_x=1.5, n=5e16, f_I=8.0,
             mu=0.0, s=0.5)
    got, want = m.solve(**p), m.evaluate(dps=30, **p)
    for name in ("M", "M_x", "M_I", "M_e", "r_bar", "lam"):
        assert abs(got[name] / float(want[name]) - 1) < 1e-13, name


@pytest.mark.parametrize("tau, n", [(1.0001, 1.0), (1.5, 5e16)])
def test_weibull_residual_that_overflows_above_the_root(tau, n):
    """hmy Weibull (k = 1.5): the residual carries exp(x_I) Q(s, x_I) at x_I = (phi_I*/b)^k,
    which is nan (inf * 0) once x_I passes about 745, above the root.  Newton took that nan
    for the lower end of the bracket and solve refused these points ("no finite value of
    phi_star"); a nan above a positive residual, before any negative one, is now an upper
    end.  Within 1e-11 of the 30-digit evaluate (p_I = S(phi_I*) ~ exp(-x_I) amplifies the
    error of phi_I* k x_I times)."""
    m = ms.model("hmy", dist="weibull")
    p = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100.0, tau=tau, f_x=1.5, n=n,
             f_I=8.0 * tau ** 2.8, k=1.5, b=1.0)
    got, want = m.solve(**p), m.evaluate(dps=30, **p)
    for name, value in got.items():
        assert abs(value / float(want[name]) - 1) < 1e-11, name


def test_weibull_exporters_deep_below_the_bulk_keep_their_digits():
    """Fuzz long profile (issue 20): hmy Weibull at f_e = 1.3e61 puts every cutoff near
    1e-21, far below the bulk of the law, where Gamma(s, a) - Gamma(s, b) (exporters
    that do not invest) is 4.8e-92 of either term.  solve gave export_fdi_ratio = 0,
    evaluate at 20 digits 4.72e-92 (1% off) and the reference 4.4e-64 (its retry was
    capped at 2 dps more digits).  Now differences of upper incomplete gamma functions
    below the bulk are differences of lower ones, and the reference retries with the
    digits a direct quadrature of the difference says are lost.  Independent check:
    below 1e-20 the Weibull density (b = 1) is k t^(k-1) to 1e-32, so the exporters'
    moment int_{phi_x}^{phi_I} t^(sigma-1) g is k (phi_I^p - phi_x^p)/p, p = sigma - 1 + k,
    and the FDI firms' moment is Gamma(1 + (sigma-1)/k) to 1e-92 (sigma is the double
    3.8, as the package reads it: 3.8 exactly moves the ratio by 9e-15)."""
    m = ms.model("hmy", "weibull")
    params = dict(sigma=3.8, f=1.0, f_e=1.2616900368679363e61, delta=0.1, L=100, tau=1.5,
                  f_x=1.5, n=1, f_I=8.0, k=1.5, b=1.0)
    ref = m.reference(dps=20, outputs=["phi_x_star", "phi_I_star", "export_fdi_ratio"],
                      **params)
    with mpmath.workdps(60):
        s, k = mpmath.mpf(3.8), mpmath.mpf(1.5)
        lo, hi = mpmath.mpf(ref["phi_x_star"]), mpmath.mpf(ref["phi_I_star"])
        p = s - 1 + k
        want = (mpmath.mpf(1.5) ** (1 - s) * k * (hi ** p - lo ** p) / p
                / mpmath.gamma(1 + (s - 1) / k))
    assert 4e-92 < want < 6e-92
    assert abs(ref["export_fdi_ratio"] / want - 1) < 1e-15
    got = m.evaluate(dps=20, outputs=["export_fdi_ratio", "eps"], **params)
    assert abs(got["export_fdi_ratio"] / want - 1) < 1e-15
    fast = m.solve(outputs=["export_fdi_ratio", "eps"], **params)
    assert float(fast["export_fdi_ratio"]) == pytest.approx(float(want), rel=1e-12)
    assert float(fast["eps"]) == pytest.approx(float(got["eps"]), rel=1e-12)


@pytest.mark.parametrize("n", [1e182, 3.585326427788494e264])
def test_frechet_with_very_many_partners_keeps_its_terms_finite(n):
    """Fuzz long profile (issue 20): hmy Frechet with n above about 1e178.  A term of the
    cutoff residual is n Gamma(s) P(s, u) / expm1(u) (b tau)^z e^{-z y} expm1(u_x) with
    u = (b/phi*)^k ~ 1/n: its first factors' product, n u^(s - 1), overflowed before the
    small ones came in, the residual was inf - inf, and Newton stopped elsewhere (phi*
    5.8e-6 off at n = 1e182, 18.5% off from 1e185, M_e 8.11 for 18.42).  The regularised
    incomplete gamma functions and expm1 of a positive argument are positive factors now,
    combined in the exponent with the others.  Within 1e-12 of the 30-digit evaluate."""
    m = ms.model("hmy", dist="frechet")
    p = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100.0, tau=1.5, f_x=1.5, n=n, f_I=8.0,
             k=4.0, b=264.55452870235627)
    got, want = m.solve(**p), m.evaluate(dps=30, **p)
    for name, value in got.items():
        assert abs(value / float(want[name]) - 1) < 1e-12, name


def test_frechet_export_fdi_ratio_at_tau_near_one():
    """Fuzz long profile (issue 20): hmy Frechet at tau = 1 + 2.3e-12: solve's
    export_fdi_ratio was 7.4e-6 off.  Rewriting Gamma(s) - Gamma(s) Q(s, u_I) as
    Gamma(s) P(s, u_I) expanded the arguments too, and u_I's (f tau^z - f)/(f_I - f_x)
    became f tau^(z+1)/(f_I tau - f_x tau) - f/(f_I - f_x), a difference of nearly equal
    numbers that expm1_form no longer saw; only the top level is expanded now.  Within
    1e-12 of the 30-digit evaluate."""
    m = ms.model("hmy", dist="frechet")
    p = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100.0, tau=1.0000000000023026, f_x=1.5,
             n=1, f_I=8.0, k=4.0, b=1.0)
    got = m.solve(outputs=["export_fdi_ratio"], **p)["export_fdi_ratio"]
    want = m.evaluate(dps=30, outputs=["export_fdi_ratio"], **p)["export_fdi_ratio"]
    assert abs(got / float(want) - 1) < 1e-12


@pytest.mark.parametrize("tau", [1.000000000000001, 1.0000000023])
def test_pareto_export_fdi_ratio_at_tau_near_one(tau):
    """Fuzz long profile (issue 20): hmy Pareto at tau = 1 + 1.1e-15: solve's
    export_fdi_ratio was 7.2e-7 off (1757.72095 for 1757.72222).  Its closed form is
    not positive by its tree, so the stable layer had left it as derived, with
    f f_x tau^(sigma-1) - f f_x; that difference is f f_x expm1((sigma-1) log tau) now
    (eps, the trade elasticity, went from 5.8e-13 to 2e-16 with it).  Every output
    within 1e-14 of the 30-digit evaluate."""
    m = ms.model("hmy", dist="pareto")
    p = dict(sigma=3.8, f=1.0, f_e=1.0, delta=0.1, L=100, tau=tau, f_x=1.5, n=1, f_I=8.0,
             k=3.4, b=1.0)
    got = m.solve(**p)
    want = m.evaluate(dps=30, **p)
    for name, w in want.items():
        assert abs(float(got[name]) / float(w) - 1) < 1e-14, name
