"""Inadmissible parameters are refused with a message naming the restriction and the values.

Restrictions from literature.md §1 ("Restrictions the engine must enforce"):
sigma > 1; tau >= 1; f, f_x, f_e, delta > 0, delta <= 1; tau^(sigma-1) f_x > f
for selection into exporting; Pareto theta > sigma - 1; an interior cutoff
phi* >= b (otherwise a corner with no selection).
"""

from __future__ import annotations

import re

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
    ("nan", ms.ParseError, "cannot read 'nan'"),
    (float("nan"), ms.AdmissibilityError, "finite number"),
    ("1e400", ms.AdmissibilityError, "k > sigma - 1"),  # huge, checked without exact powers
])
def test_unreadable_or_extreme_values_are_refused_by_name(value, error, words):
    m = ms.model("melitz", "pareto")
    params = dict(k="4.6", b="1", f="1", f_x="1.5", f_e="1", delta="0.1", tau="1.5", n="1",
                  L="100")
    with pytest.raises(error, match=words.replace("(", r"\(")):
        m.check(sigma=value, **params)
