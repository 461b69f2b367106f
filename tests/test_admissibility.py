"""Inadmissible parameters are refused with a message naming the restriction and the values.

Restrictions from literature.md §1 ("Restrictions the engine must enforce"):
sigma > 1; tau >= 1; f, f_x, f_e, delta > 0, delta <= 1; tau^(sigma-1) f_x > f
for selection into exporting; Pareto theta > sigma - 1; an interior cutoff
phi* >= b (otherwise a corner with no selection).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import melitz_sym as ms

BASE = dict(sigma="3.8", k="4.6", b="0.5", f="1", f_x="2", f_e="0.1", delta="0.1",
            tau="1.5", n="1", L="100")

CASES = [
    # (changed parameters, restriction text, offending values shown)
    (dict(sigma="1"), "sigma > 1", ["sigma=1"]),
    (dict(sigma="0.5", k="0.2"), "sigma > 1", ["sigma=0.5"]),
    (dict(k="2.8"), "k > sigma - 1", ["k=2.8", "sigma=3.8"]),
    (dict(k="1.5"), "k > sigma - 1", ["k=1.5", "sigma=3.8"]),
    (dict(tau="0.9"), "tau >= 1", ["tau=0.9"]),
    (dict(tau="1", f_x="0.5"), "f_x*tau**(sigma - 1) > f when n > 0",
     ["f=1", "f_x=0.5", "n=1", "tau=1"]),
    (dict(tau="1", f_x="1"), "f_x*tau**(sigma - 1) > f when n > 0", ["f_x=1", "tau=1"]),
    (dict(f="0"), "f > 0", ["f=0"]),
    (dict(f="-1"), "f > 0", ["f=-1"]),
    (dict(delta="0"), "delta > 0", ["delta=0"]),
    (dict(delta="1.5"), "delta <= 1", ["delta=1.5"]),
    (dict(n="-1"), "n >= 0", ["n=-1"]),
]


@pytest.fixture(scope="module")
def model():
    m = ms.model("melitz", dist="pareto")
    m.derive()
    return m


def test_base_point_is_admissible(model):
    out = model.evaluate(dps=30, **BASE)
    assert out["phi_star"] > 0.5


@pytest.mark.parametrize("change, restriction, shown", CASES,
                         ids=[",".join(f"{k}={v}" for k, v in c[0].items()) for c in CASES])
def test_restriction_violations_raise(model, change, restriction, shown):
    with pytest.raises(ms.AdmissibilityError, match=re.escape(restriction)) as info:
        model.evaluate(dps=30, **{**BASE, **change})
    msg = str(info.value)
    for s in shown:
        assert s in msg, f"{s!r} not in {msg!r}"


def test_partitioning_not_required_without_partners(model):
    """The tau^(sigma-1) f_x > f restriction applies only when n > 0."""
    out = model.evaluate(dps=30, **{**BASE, "tau": "1", "f_x": "0.5", "n": "0"})
    assert out["phi_star"] > 0


def test_no_selection_corner_is_refused(model):
    """phi* < b: (sigma-1) f < (theta-sigma+1) delta f_e (literature.md §1) -> corner."""
    with pytest.raises(ms.AdmissibilityError, match="below") as info:
        model.evaluate(dps=30, **{**BASE, "f_e": "100", "delta": "1"})
    assert "no selection" in str(info.value)
    assert "lower bound" in str(info.value)


def test_closed_economy_refuses_sigma_at_most_one():
    m = ms.model("melitz-closed", dist="pareto")
    with pytest.raises(ms.AdmissibilityError, match=re.escape("sigma > 1")):
        m.evaluate(dps=30, sigma="0.9", k="4.6", b="0.5", f="1", f_e="0.1", delta="0.1",
                   L="100")


def test_krugman_refuses_tau_below_one():
    m = ms.model("krugman")
    with pytest.raises(ms.AdmissibilityError, match=re.escape("tau >= 1")) as info:
        m.evaluate(dps=30, sigma="3", b="1", f="1", tau="0.5", n="1", L="10")
    assert "tau=0.5" in str(info.value)


@pytest.mark.parametrize("value, error, words", [
    ("abc", ms.ParseError, "cannot read 'abc' as a number"),
    ("nan", ms.ParseError, "'nan' is not a finite number"),
    (float("nan"), ms.AdmissibilityError, "finite number"),
    ("1e400", ms.AdmissibilityError, "outside the range of a double"),
])
def test_unreadable_or_extreme_values_are_refused_by_name(value, error, words):
    m = ms.model("melitz", "pareto")
    params = dict(k="4.6", b="1", f="1", f_x="1.5", f_e="1", delta="0.1", tau="1.5", n="1",
                  L="100")
    with pytest.raises(error, match=words.replace("(", r"\(")):
        m.check(sigma=value, **params)


KRUGMAN = dict(sigma=3.8, b=1.0, f=1.0, tau=1.5, n=1, L=100)


@pytest.mark.parametrize("name, value, error, words", [
    ("b", -1, ms.AdmissibilityError, "productivity is positive [b > 0]"),  # was p < 0, W < 0
    ("b", 0, ms.AdmissibilityError, "productivity is positive [b > 0]"),
    ("b", float("nan"), ms.AdmissibilityError, "parameter b must be a finite number, got nan"),
    ("b", float("inf"), ms.AdmissibilityError, "parameter b must be a finite number, got inf"),
    ("tau", float("inf"), ms.AdmissibilityError, "parameter tau must be a finite number"),
    ("b", 1j, ms.ParseError, "parameter b: 1j is not a real number"),
    ("b", "abc", ms.ParseError, "parameter b: cannot read 'abc' as a number"),
    ("b", None, ms.ParseError, "parameter b: None is not a number"),
    ("b", True, ms.ParseError, "parameter b: True is not a number"),
    ("L", "1e400", ms.AdmissibilityError, "outside the range of a double"),
])
def test_every_entry_point_refuses_the_same_values_alike(name, value, error, words):
    """Issue 20: krugman's b was never checked (b = -1 printed a negative price, nan
    and inf printed nan and oo), solve took tau = inf; solve, evaluate and reference
    read every parameter the same way (admissibility.exact)."""
    m = ms.model("krugman")
    messages = set()
    for method in (m.solve, m.evaluate, m.reference):
        with pytest.raises(error, match=re.escape(words)) as info:
            method(**{**KRUGMAN, name: value})
        messages.add(str(info.value).replace("-1.0", "-1").replace("=0.0", "=0"))
    assert len(messages) == 1, messages


def test_solve_masks_nonfinite_entries_with_errors_nan():
    m = ms.model("krugman")
    out = m.solve(errors="nan", **{**KRUGMAN, "b": [1.0, float("nan"), float("inf")]})
    assert np.isfinite(out["W"][0]) and np.isnan(out["W"][1:]).all()
    with pytest.raises(ms.AdmissibilityError, match=r"parameter b at index 1 must be a finite"):
        m.solve(**{**KRUGMAN, "b": [1.0, float("nan")]})


MELITZ = dict(sigma=3.8, k=3.4, b=1.0, f=1.0, f_x=1.5, f_e=1.0, delta=0.1, tau=1.5, n=1, L=100)


@pytest.mark.parametrize("dist", ["pareto", "truncated-pareto"])
def test_autarky_has_no_exporters(dist):
    """Issue 20: n = 0 reported p_x 0.0796, M_x 0.819; now 0 on every path, while
    phi_x_star is the cutoff at which exporting would pay."""
    m = ms.model("melitz", dist)
    params = {**MELITZ, "n": 0, **({"b_H": 4.0} if dist == "truncated-pareto" else {})}
    ref = m.reference(dps=30, **params)
    for out in (m.solve(**params), m.evaluate(dps=30, **params), ref):
        assert float(out["p_x"]) == 0 and float(out["M_x"]) == 0
        assert float(out["M_t"]) == pytest.approx(float(out["M"]), rel=1e-14)
        assert float(out["phi_x_star"]) == pytest.approx(float(ref["phi_x_star"]), rel=1e-12)
        assert float(out["gains"]) == pytest.approx(1, rel=1e-14)


def test_autarky_is_no_export_corner():
    """With n = 0 an export cutoff above the support's upper end is no corner: nobody
    exports anyway (it was refused as "no exporters")."""
    m = ms.model("melitz", "truncated-pareto")
    params = {**MELITZ, "n": 0.0, "b_H": 3.2, "tau": 2.5}
    for out in (m.solve(**params), m.reference(dps=30, **params)):
        assert float(out["phi_x_star"]) > 3.2 > float(out["phi_star"])
        assert float(out["M_x"]) == 0 and float(out["M"]) > 0


def test_gains_refused_where_autarky_is_a_corner():
    """Issue 20: gains 1.0248 was printed at a point whose autarky (n = 0) is a corner
    (no selection); now refused on every path, nan with errors='nan' (gains only)."""
    m = ms.model("melitz")
    params = {**MELITZ, "f_e": 50.0}  # phi* = 1.04 > b = 1 > phi*_A = 0.98
    for method in (m.solve, lambda **p: m.evaluate(dps=30, **p),
                   lambda **p: m.reference(dps=30, **p)):
        with pytest.raises(ms.AdmissibilityError, match=r"autarky \(n = 0\) is a corner: no "
                           "selection"):
            method(**params)
    assert float(m.evaluate(dps=30, outputs=["W"], **params)["W"]) > 0  # W is defined
    out = m.solve(errors="nan", **{**params, "f_e": np.array([1.0, 50.0])})
    assert np.isfinite(out["gains"][0]) and np.isnan(out["gains"][1])
    assert np.isfinite(out["W"]).all()


def test_corner_rule_reads_the_share_of_producers_where_the_cutoff_rounds():
    """phi* equal to the lower bound is interior unless p_in = S(phi*) exceeds one (at
    k = 1e300 phi* rounds to b whatever the selection); elementwise on arrays."""
    from melitz_sym.admissibility import corner, corner_mask

    assert not corner_mask(True, 1.0, {}, 1.0, float("inf"), p_in=1.0)
    assert corner_mask(True, 1.0, {}, 1.0, float("inf"), p_in=3.6e298)
    assert list(corner_mask(True, np.array([1.0, 1.0]), {}, 1.0, float("inf"), 1e-14,
                            np.array([0.5, 2.0]))) == [False, True]
    assert "p_in = 2, exceeds 1" in corner(True, 1.0, {}, 1.0, float("inf"), p_in=2.0)


def test_corner_rule_covers_every_cutoff_above_phi_star():
    """Every mode's cutoff must lie below the upper bound of productivity, and with all
    firms alike at or below it; the message names the mode that has no firms."""
    from melitz_sym.admissibility import corner, corner_mask

    uppers = {"phi_x_star": np.array([3.0, 3.0, 30.0]), "phi_I_star": np.array([9.0, 25.0, 40.0])}
    assert list(corner_mask(True, np.ones(3) * 2, uppers, 1.0, 20.0)) == [False, True, True]
    assert corner(True, 2.0, {"phi_x_star": 3.0, "phi_I_star": 25.0}, 1.0, 20.0).startswith(
        "no multinationals: the FDI cutoff phi_I* = 25 is above the upper bound")
    assert corner(True, 2.0, {"phi_x_star": 30.0, "phi_I_star": 40.0}, 1.0, 20.0).startswith(
        "no exporters: the export cutoff phi_x* = 30")
    assert corner(False, 1.0, {"phi_x_star": 1.0, "phi_I_star": 1.5}, 1.0, 1.0) is not None
    assert corner(False, 1.0, {"phi_x_star": 1.0, "phi_I_star": 1.0}, 1.0, 1.0) is None
