"""Derivation steps re-verify themselves; distribution-specific steps appear only when true."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

import melitz_sym as ms
from melitz_sym.symbols import sym


@pytest.fixture(scope="module")
def pareto():
    return ms.model("melitz", dist="pareto").derive()


@pytest.fixture(scope="module")
def lognormal():
    return ms.model("melitz", dist="lognormal").derive()


def test_pareto_check_passes(pareto):
    result = pareto.check()  # raises AssertionError on a failing step
    assert set(result) == set(pareto.names)
    assert set(result.values()) <= {"symbolic", "numeric", "declared"}
    for name in ("k_constant", "M_e_invariant", "acr", "welfare_cutoff"):
        assert name in result
    # the Pareto-specific facts are proved, not declared
    # (literature.md §2.1: k(phi) constant, M_e invariant, ACR with epsilon = -theta)
    for name in ("k_constant", "M_e_invariant", "acr"):
        assert result[name] in ("symbolic", "numeric")


def test_pareto_trade_elasticity_is_minus_theta(pareto):
    """literature.md §2.1 / §5 (ACR 2012): epsilon = -theta under untruncated Pareto."""
    eps = pareto["trade_elasticity"].rhs
    assert sp.simplify(eps + sym("k")) == 0


def test_lognormal_has_no_pareto_facts(lognormal):
    """literature.md §2.3 (Head-Mayer-Thoenig 2014): no closed-form cutoff, variable k(phi),
    market-specific trade elasticity, so neither 'k_constant' nor 'acr' hold."""
    assert "acr" not in lognormal.names
    assert "k_constant" not in lognormal.names
    assert lognormal.closed_form("phi_star") is None


def test_corrupted_step_fails_alone():
    x = sym("sigma")
    bad = ms.Step("bogus", sp.Eq(x, x), "deliberately wrong", obligation=(x - 1,))
    with pytest.raises(AssertionError, match="bogus"):
        bad.check()


def test_corrupted_step_fails_derivation_check(pareto):
    """A wrong cutoff (twice the right one) put into a derivation makes check() fail."""
    phi_s = pareto.cutoff
    wrong = pareto.cutoff_residual.subs(phi_s, 2 * pareto.closed_form("phi_star"))
    bad = dataclasses.replace(pareto, steps={"bogus_cutoff": ms.Step(
        "bogus_cutoff", sp.Eq(phi_s, 2 * phi_s), "deliberately wrong", obligation=(wrong,))})
    with pytest.raises(AssertionError, match="bogus_cutoff"):
        bad.check()
    # the original derivation is untouched
    assert "bogus_cutoff" not in pareto.names


def test_correct_step_passes():
    x = sym("sigma")
    ok = ms.Step("fine", sp.Eq(x, x), "trivially right",
                 obligation=(sp.log(x ** 2) - 2 * sp.log(x),))
    assert ok.check() == "symbolic"
