"""Accuracy of the fast path (Model.solve) against the 50-digit reference (issue 3).

Expected values: the stored tables in reference_data/, written by
make_reference.py with Model.reference(dps=50) -- the independent mpmath path
(quadrature of the declared density, root finding on the generic cutoff
equation), never the fast path or the closed forms.  test_tables_reproduce
recomputes rows live to check the tables against the current reference code.

Tolerances are those of issue 3: max relative error 2e-15 (Pareto) and 5e-15
(log-normal) in the standard ranges, 3e-14 in the stress regions, 1e-12 near
sigma = 1.  Where the true value fits in a double, the fast path must return a
finite number.  Outputs that miss a tolerance are listed in KNOWN with the
error measured when the table was written; they are strict xfails, so fixing
one makes the suite say so.  precision="adaptive" and "extended" must meet
every tolerance (the misses of the double path are its log domain's rounding,
see stable.log_magnitude, and for log-normal the double root and the double
normal cdf, see numeric/extended.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp

import melitz_sym as ms
from melitz_sym.admissibility import NO_PARTNERS_ZERO
from melitz_sym.numeric import fast, stable

sys.path.insert(0, str(Path(__file__).parent))
from points import DISTS, REGIONS  # noqa: E402

DATA = Path(__file__).parent / "reference_data"
TINY, HUGE = 2.3e-308, 1.7e308
INF = float("inf")


def tolerance(region: str, dist: str) -> float:
    if region == "standard":
        return 2e-15 if dist == "pareto" else 5e-15
    return 1e-12 if region == "sigma_near_1" else 3e-14


#: (region, dist, output) -> max relative error measured; see module docstring.
KNOWN: dict[tuple[str, str, str], float] = {  # inf: inf/nan returned
    # log domain: about |log y| ulps (see numeric/stable.py); p_x, M_x near
    # exp(+-50) in the standard ranges, p_x and M_x near exp(-700) with k large
    # (P and W, 2.1e-15 in their stable forms, are within 1.9e-15 in their power
    # forms, numeric/power_form.py)
    ("standard", "pareto", "p_x"): 3.5e-15,
    ("standard", "pareto", "phi_tilde_x"): 2.0e-15,
    ("standard", "pareto", "M_x"): 3.4e-15,
    ("k_large", "pareto", "p_x"): 8.5e-14,
    ("k_large", "pareto", "M_x"): 1.3e-13,
    # log-normal (1000 standard points, 300 per region): outputs that depend on phi*
    # through Phi (p_in, p_x, M, ...) carry phi*'s error (a few ulps) times the
    # elasticity gamma(phi*) = phi g/S of the tail, and Phi(x) carries about x^2
    # ulps of its argument's rounding (p_x, M_x); near sigma = 1, phi* itself is
    # within 1.2e-12 and the outputs with a large elasticity carry that
    ("standard", "lognormal", "M"): 9.3e-15,
    ("standard", "lognormal", "M_e"): 1.7e-14,
    ("standard", "lognormal", "M_t"): 9.3e-15,
    ("standard", "lognormal", "M_x"): 4.5e-14,
    ("standard", "lognormal", "p_in"): 1.4e-14,
    ("standard", "lognormal", "p_x"): 4.1e-14,
    ("standard", "lognormal", "pi_bar"): 1.4e-14,
    ("standard", "lognormal", "r_bar"): 9.7e-15,
    ("sigma_large", "lognormal", "M"): 1.1e-13,
    ("sigma_large", "lognormal", "M_e"): 9.3e-14,
    ("sigma_large", "lognormal", "M_t"): 1.1e-13,
    ("sigma_large", "lognormal", "M_x"): 1.2e-13,
    ("sigma_large", "lognormal", "p_in"): 4.8e-14,
    ("sigma_large", "lognormal", "pi_bar"): 4.8e-14,
    ("sigma_large", "lognormal", "r_bar"): 1.1e-13,
    ("s_large", "lognormal", "M"): 1.5e-13,
    ("s_large", "lognormal", "M_e"): 1.4e-13,
    ("s_large", "lognormal", "M_t"): 1.5e-13,
    ("s_large", "lognormal", "M_x"): 1.7e-13,
    ("s_large", "lognormal", "p_in"): 8.5e-14,
    ("s_large", "lognormal", "pi_bar"): 8.5e-14,
    ("s_large", "lognormal", "r_bar"): 1.5e-13,
    ("deep_tail", "lognormal", "M_e"): 6.5e-14,
    ("deep_tail", "lognormal", "M_x"): 4.4e-14,
    ("deep_tail", "lognormal", "p_in"): 6.4e-14,
    ("deep_tail", "lognormal", "p_x"): 3.6e-14,
    ("deep_tail", "lognormal", "pi_bar"): 6.4e-14,
    ("sigma_near_1", "lognormal", "M_e"): 1.1e-11,
    ("sigma_near_1", "lognormal", "M_x"): 7.0e-12,
    ("sigma_near_1", "lognormal", "p_in"): 1.1e-11,
    ("sigma_near_1", "lognormal", "p_x"): 7.0e-12,
    ("sigma_near_1", "lognormal", "phi_star"): 1.2e-12,
    ("sigma_near_1", "lognormal", "phi_tilde"): 1.3e-12,
    ("sigma_near_1", "lognormal", "phi_tilde_t"): 1.9e-12,  # issue 20: was 1.5e-12
    ("sigma_near_1", "lognormal", "phi_tilde_x"): 1.1e-12,
    ("sigma_near_1", "lognormal", "phi_x_star"): 1.1e-12,
    ("sigma_near_1", "lognormal", "pi_bar"): 1.1e-11,
}

TABLES = [(r, d) for r in REGIONS for d in DISTS[r] if (DATA / f"melitz-{d}-{r}.json").exists()]


def load(region: str, dist: str) -> dict:
    return json.loads((DATA / f"melitz-{dist}-{region}.json").read_text())


def errors(region: str, dist: str, precision: str = "double") -> dict[str, tuple[float, int]]:
    """Output -> (max relative error, number of non-finite results where the true value
    fits in a double) of the fast path over the table."""
    table = load(region, dist)
    params = {k: np.array([float(x) for x in v]) for k, v in table["params"].items()}
    fast = ms.model("melitz", dist=dist).solve(errors="nan", precision=precision, **params)
    # With n = 0 there are no exporters: the package reports p_x = M_x = 0 there
    # (admissibility.NO_PARTNERS_ZERO); the tables, made before that decision, hold the
    # share above phi_x* "if there were partners", so those entries are not compared and
    # the fast path must give exactly 0 at them instead.
    autarky = params["n"] == 0
    out = {}
    for name, col in table["results"].items():
        true = np.array([float(mpmath.mpf(x)) for x in col])
        fits = (np.abs(true) > TINY) & (np.abs(true) < HUGE)
        bad = 0
        if name in NO_PARTNERS_ZERO:
            fits &= ~autarky
            bad = int((fast[name][autarky] != 0).sum())
        got = fast[name][fits]
        bad += int((~np.isfinite(got)).sum())
        exact = [mpmath.mpf(x) for x, ok in zip(col, fits) if ok]
        rel = [float(abs((mpmath.mpf(g) - t) / t)) for g, t in zip(got, exact)
               if np.isfinite(g)]
        out[name] = (max(rel, default=0.0), bad)
    return out


_CACHE: dict = {}


def cached_errors(region, dist):
    if (region, dist) not in _CACHE:
        _CACHE[region, dist] = errors(region, dist)
    return _CACHE[region, dist]


def _cases():
    for region, dist in TABLES:
        for name in load(region, dist)["results"]:
            key = (region, dist, name)
            marks = [pytest.mark.xfail(strict=True, reason=f"measured {KNOWN[key]:.1e}")] \
                if key in KNOWN else []
            yield pytest.param(region, dist, name, marks=marks, id=f"{dist}-{region}-{name}")


@pytest.mark.parametrize("region,dist,name", list(_cases()))
def test_fast_path_accuracy(region, dist, name):
    err, nonfinite = cached_errors(region, dist)[name]
    assert nonfinite == 0, f"{nonfinite} inf/nan where the true value fits in a double"
    assert err <= tolerance(region, dist), f"max relative error {err:.2e}"


def extended_bound(region: str, dist: str) -> float:
    """Two ulps; log-normal near sigma = 1, 1e-14: there the cutoff equation is a
    difference of two tail moments (sigma - 1) apart, so the root carries
    1/(sigma - 1) long double ulps of the residual, and p_in its elasticity |x|/s
    times that (measured 4.3e-15)."""
    return 1e-14 if (region, dist) == ("sigma_near_1", "lognormal") else 4.5e-16


@pytest.mark.parametrize("region,dist", TABLES)
def test_extended_precision_is_within_an_ulp(region, dist):
    """precision="extended" (long double: closed forms, or the Newton root's last
    step and the outputs, with long double normal functions) meets every
    tolerance of issue 3 with room to spare: each output within two ulps
    (4.5e-16) of the 50-digit reference, finite wherever the true value fits in
    a double (see extended_bound for the one exception)."""
    for name, (err, nonfinite) in errors(region, dist, "extended").items():
        assert nonfinite == 0, (name, f"{nonfinite} inf/nan")
        assert err <= extended_bound(region, dist), (name, f"max relative error {err:.2e}")


@pytest.mark.parametrize("region,dist", TABLES)
def test_adaptive_precision_meets_every_tolerance(region, dist):
    """precision="adaptive" (closed forms: double, long double where
    stable.log_magnitude is large; Newton models: long double) meets the
    tolerance of issue 3 for every output of every table, including those the
    double path misses (KNOWN)."""
    for name, (err, nonfinite) in errors(region, dist, "adaptive").items():
        assert nonfinite == 0, (name, f"{nonfinite} inf/nan")
        assert err <= tolerance(region, dist), (name, f"max relative error {err:.2e}")


@pytest.mark.parametrize("region", [r for r, d in TABLES if d == "pareto"])
def test_log_magnitude_bounds_the_double_error(region):
    """The error estimate of the log domain (stable.log_magnitude, units of
    u = 2^-53) bounds the double path's relative error up to a factor two and a
    few ulps of the factors outside the exponent: err <= 2 u (magnitude + 6) at
    every point of every Pareto table where the true value fits in a double
    (measured worst: 1.95 u (magnitude + 6), sigma near 1)."""
    table = load(region, "pareto")
    params = {k: np.array([float(x) for x in v]) for k, v in table["params"].items()}
    m = ms.model("melitz", dist="pareto")
    d = m.derive()
    names = list(table["results"])
    got = m.solve(errors="nan", **params)
    order = tuple(d.parameters)
    forms = [stable.closed_form(d.closed_forms[n], True) for n in names]
    magnitude = sp.lambdify((stable.Z, stable.E) + order,
                            [stable.log_magnitude(f) for f in forms], "numpy")
    args = [params[p.name] for p in order]
    with np.errstate(all="ignore"):
        mags = magnitude(*fast._protected_args(order, args), *args)
    u = 2.0**-53
    autarky = params["n"] == 0  # p_x, M_x are 0 there (see errors())
    for name, mag in zip(names, mags):
        mag = np.broadcast_to(mag, args[0].shape)
        skip = autarky if name in NO_PARTNERS_ZERO else np.zeros_like(autarky)
        for g, t, w, s in zip(got[name], table["results"][name], mag, skip):
            t = mpmath.mpf(t)
            if TINY < abs(t) < HUGE and not s:
                assert abs((mpmath.mpf(g) - t) / t) <= 2 * u * (w + 6), (name, float(t), w)


def test_tables_exist_for_every_region():
    assert {(r, d) for r in REGIONS for d in DISTS[r]} == set(TABLES)


@pytest.mark.slow
@pytest.mark.parametrize("region,dist", [("standard", "pareto"), ("standard", "lognormal"),
                                         ("k_large", "pareto")])
def test_tables_reproduce(region, dist):
    """The first stored row is what the current reference code computes."""
    table = load(region, dist)
    row = {k: float(v[0]) for k, v in table["params"].items()}
    with mpmath.workdps(50):
        ref = ms.model("melitz", dist=dist).reference(dps=50, **row)
        for name, col in table["results"].items():
            want = mpmath.mpf(col[0])
            assert abs(ref[name] - want) <= mpmath.mpf(10) ** -45 * abs(want), name
