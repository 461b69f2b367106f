"""Calibration to the share of exporters and export intensity.

References computed independently in the tests:

* Melitz (2003), open economy: the export cutoff is
  phi_x* = tau (f_x / f)^(1/(sigma-1)) phi* and exporters sell tau^(1-sigma)
  times their domestic sales in each of n foreign markets, so export intensity
  is n tau^(1-sigma) / (1 + n tau^(1-sigma)).
* Pareto (k, b): the share of exporters is (phi*/phi_x*)^k (Melitz 2003,
  section 5; Helpman, Melitz and Yeaple 2004), inverted by hand below.
* Log-normal (mu, s): survival S(x) = erfc((ln x - mu)/(s sqrt 2))/2, evaluated
  with mpmath at the cutoff from the mpmath path (not the numpy path that the
  numeric calibration uses).
"""

import json

import mpmath as mp
import pytest

import melitz_sym as ms
from melitz_sym.calibrate import calibrate, moments
from melitz_sym.cli import main
from melitz_sym.errors import AdmissibilityError, UnknownNameError

BASE = {"sigma": "3.8", "f": "1", "f_e": "1", "delta": "0.1", "n": "1", "L": "100"}
PARETO = {**BASE, "k": "4.6", "b": "0.5"}
LOGNORMAL = {**BASE, "mu": "0", "s": "0.5"}
TARGETS = {"share_exporters": 0.18, "export_intensity": 0.14}


def test_pareto_is_inverted_symbolically_and_matches_the_literature():
    m = ms.model("melitz", dist="pareto")
    c = calibrate(m, TARGETS, **PARETO)
    assert c.method == "symbolic" and set(c.formulas) == {"tau", "f_x"}
    mp.mp.dps = 30
    sigma, k, f, n = (mp.mpf(PARETO[x]) for x in ("sigma", "k", "f", "n"))
    s, x = mp.mpf("0.18"), mp.mpf("0.14")
    tau = (n * (1 - x) / x) ** (1 / (sigma - 1))
    f_x = f * (s * tau ** k) ** (-(sigma - 1) / k)
    assert c.params["tau"] == pytest.approx(float(tau), rel=1e-13)
    assert c.params["f_x"] == pytest.approx(float(f_x), rel=1e-13)
    assert c.max_error < 1e-14


def test_pareto_inverse_at_a_float_with_many_digits():
    """Fuzz long profile (issue 20): at f = 4.5e53 given as a float the inverse formulas
    were evaluated by exact substitution, f read as a 54-digit integer raised to the power
    k/(sigma - 1) = 17/14, which sympy worked on for minutes (no answer in the fuzz's
    60 s).  They are evaluated numerically at 30 digits now; same independent inverse as
    above."""
    m = ms.model("melitz", dist="pareto")
    params = {**PARETO, "f": 4.501737573379911e53, "k": 3.4, "b": 1.0}
    s, x = 0.14648141963883002, 5.082146340924008e-179
    c = calibrate(m, {"share_exporters": s, "export_intensity": x}, **params)
    assert c.method == "symbolic"
    mp.mp.dps = 30
    sigma, k, f, n = (mp.mpf(params[p]) for p in ("sigma", "k", "f", "n"))
    tau = (n * (1 - mp.mpf(x)) / mp.mpf(x)) ** (1 / (sigma - 1))
    f_x = f * (mp.mpf(s) * tau ** k) ** (-(sigma - 1) / k)
    assert c.params["tau"] == pytest.approx(float(tau), rel=1e-13)
    assert c.params["f_x"] == pytest.approx(float(f_x), rel=1e-13)


def test_lognormal_is_solved_numerically_and_checked_independently():
    # one test, so the slow log-normal derivation is made once per test worker
    m = ms.model("melitz", dist="lognormal")
    c = calibrate(m, TARGETS, **LOGNORMAL)
    assert c.method == "numeric" and not c.formulas
    mp.mp.dps = 30
    sigma, f, n, mu, s = (mp.mpf(LOGNORMAL[x]) for x in ("sigma", "f", "n", "mu", "s"))
    tau, f_x = mp.mpf(c.params["tau"]), mp.mpf(c.params["f_x"])
    params = {**LOGNORMAL, "tau": repr(c.params["tau"]), "f_x": repr(c.params["f_x"])}
    phi = m.evaluate(dps=30, outputs=["phi_star"], **params)["phi_star"]
    phi_x = tau * (f_x / f) ** (1 / (sigma - 1)) * phi

    def surv(v):
        return mp.erfc((mp.log(v) - mu) / (s * mp.sqrt(2))) / 2

    assert float(surv(phi_x) / surv(phi)) == pytest.approx(0.18, abs=1e-9)
    t = n * tau ** (1 - sigma)
    assert float(t / (1 + t)) == pytest.approx(0.14, abs=1e-12)
    # export intensity 0.7 > n/(n+1) needs tau < 1: no admissible parameters
    with pytest.raises(AdmissibilityError, match="infeasible targets"):
        calibrate(m, {"share_exporters": 0.18, "export_intensity": 0.7}, **LOGNORMAL)


def test_moments_are_derived_not_typed():
    e = moments(ms.model("melitz", dist="pareto"))
    # export intensity under CES is free of productivity and of the cutoff
    assert {s.name for s in e["export_intensity"].free_symbols} == {"n", "tau", "sigma"}
    assert "phi_star" not in {s.name for s in e["share_exporters"].free_symbols}


def test_single_target_frees_one_parameter():
    m = ms.model("melitz", dist="pareto")
    c = calibrate(m, {"export_intensity": 0.2}, **{**PARETO, "f_x": "2"})
    assert c.free == ["tau"] and c.params["f_x"] == 2.0
    assert c.params["tau"] == pytest.approx(4 ** (1 / 2.8), rel=1e-13)  # n(1-x)/x = 4


def test_more_targets_than_parameters_is_a_least_squares_fit():
    """Two moments, one free parameter (tau): the fit minimises the sum of squared gaps.
    Reference: the literature's moments under Pareto (module docstring) as functions of
    tau, the minimum found by mpmath (the root of the objective's derivative)."""
    m = ms.model("melitz", dist="pareto")
    given = {**PARETO, "f_x": "2"}
    c = calibrate(m, TARGETS, free=["tau"], **given)
    assert c.method == "least-squares" and c.free == ["tau"] and c.params["f_x"] == 2.0
    mp.mp.dps = 30
    sigma, k, f, f_x, n = (mp.mpf(given[x]) for x in ("sigma", "k", "f", "f_x", "n"))

    def objective(tau):
        share = tau ** -k * (f_x / f) ** (-k / (sigma - 1))
        intensity = n * tau ** (1 - sigma) / (1 + n * tau ** (1 - sigma))
        return (share - mp.mpf("0.18")) ** 2 + (intensity - mp.mpf("0.14")) ** 2

    tau = mp.findroot(lambda t: mp.diff(objective, t), mp.mpf(c.params["tau"]))
    assert c.params["tau"] == pytest.approx(float(tau), rel=1e-7)  # a flat minimum
    assert c.objective == pytest.approx(float(objective(tau)), rel=1e-8)
    assert c.objective > 1e-4  # the two targets cannot both be met with f_x = 2
    # targets that one tau does reproduce are matched exactly
    at = calibrate(m, {"share_exporters": float(1.7 ** -4.6 * 2 ** (-4.6 / 2.8)),
                       "export_intensity": float(1.7 ** -2.8 / (1 + 1.7 ** -2.8))},
                   free=["tau"], **given)
    assert at.params["tau"] == pytest.approx(1.7, rel=1e-10) and at.max_error < 1e-12
    with pytest.raises(ms.MelitzError, match="at most as many free parameters"):
        calibrate(m, {"export_intensity": 0.2}, free=["tau", "f_x"], **given)


@pytest.mark.parametrize("targets, match", [
    ({"share_exporters": 0.18, "export_intensity": 0.7}, r"tau >= 1"),
    ({"share_exporters": 1.5, "export_intensity": 0.14}, "strictly between 0 and 1"),
])
def test_infeasible_targets_raise(targets, match):
    with pytest.raises(AdmissibilityError, match=match):
        calibrate(ms.model("melitz", dist="pareto"), targets, **PARETO)


def test_a_given_parameter_that_breaks_a_restriction_is_named():
    """Session-19 note (issue 20): a negative fixed cost read as "infeasible targets: no
    real value of f_x reproduces them"; the restrictions on the given parameters alone are
    checked first now, and the message names f."""
    m = ms.model("melitz", dist="pareto")
    for f in (-1.0, -4.5e53):
        with pytest.raises(AdmissibilityError, match=r"\[f > 0\] fails at f="):
            calibrate(m, TARGETS, **{**PARETO, "f": f})


def test_bad_requests():
    with pytest.raises(UnknownNameError, match="moments are"):
        calibrate(ms.model("melitz"), {"markup": 0.3}, **PARETO)
    with pytest.raises(UnknownNameError, match="no exporters"):
        calibrate(ms.model("melitz-closed"), TARGETS, **PARETO)


def test_cli_calibrate(capsys):
    args = ["calibrate", "melitz", "--target", "share_exporters=0.18", "--target",
            "export_intensity=0.14"] + [a for k, v in PARETO.items()
                                        for a in ("--set", f"{k}={v}")]
    assert main(args + ["--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "symbolic" and set(out["results"]) == {"tau", "f_x"}
    assert abs(out["fit"]["share_exporters"]["model"] - 0.18) < 1e-14
    assert main(args + ["--set", "f_x=2", "--free", "tau"]) == 0
    text = capsys.readouterr().out
    assert "least-squares fit of 2 moments with 1 parameter(s)" in text
    assert "sum of squared gaps" in text
    assert main(args + ["--target", "export_intensity=oops"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("melitz-sym: error: ") and err.count("\n") == 1


# Melitz and Ottaviano (2008), Pareto in cost G(c) = (c/c_M)^k, c_X = c_D/tau (section 5):
# the share of producers that export is G(c_X)/G(c_D) = tau^(-k); integrating the revenues
# r_d = L/(4 gamma)(c_D^2 - c^2) and r_x = L/(4 gamma)(c_D^2 - tau^2 c^2) (eq. (4)) against
# dG below c_X gives export intensity 2 n tau^2 / ((k + 2 + 2n) tau^2 - k) (by hand, below).
MO = {"alpha": "10", "gamma": "1", "eta": "1", "c_M": "1", "f_e": "0.01", "L": "100", "n": "2"}


def _mo_intensity(tau, k, n):
    return 2 * n * tau**2 / ((k + 2 + 2 * n) * tau**2 - k)


def test_melitz_ottaviano_share_of_exporters_is_inverted_symbolically():
    m = ms.model("melitz-ottaviano")
    c = calibrate(m, {"share_exporters": 0.3}, free=["tau"], **{**MO, "k": "2"})
    assert c.method == "symbolic"
    assert c.params["tau"] == pytest.approx(0.3 ** (-1 / 2), rel=1e-14)
    assert c.max_error < 1e-14


def test_melitz_ottaviano_two_moments_are_matched_numerically():
    m = ms.model("melitz-ottaviano")
    c = calibrate(m, {"share_exporters": 0.3, "export_intensity": 0.55}, free=["tau", "k"],
                  **MO, tau="1.5", k="2")
    tau, k = mp.mpf(c.params["tau"]), mp.mpf(c.params["k"])
    assert float(tau ** -k) == pytest.approx(0.3, abs=1e-9)
    assert float(_mo_intensity(tau, k, mp.mpf(2))) == pytest.approx(0.55, abs=1e-9)
    # with n = 2 and tau^(-k) = 0.3 export intensity lies in (0.476, 2/3): 0.2 is infeasible
    with pytest.raises(AdmissibilityError, match="infeasible targets"):
        calibrate(m, {"share_exporters": 0.3, "export_intensity": 0.2}, free=["tau", "k"],
                  **MO, tau="1.5", k="2")
