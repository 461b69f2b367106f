"""Declarations check their own form: each primitive is of the right kind, modes appear
once, fixed costs are paid in origin or destination labour."""

from __future__ import annotations

import pytest

import melitz_sym as ms
from melitz_sym.distributions import LogNormal
from melitz_sym.primitives import (
    FDI,
    Declaration,
    Export,
    FixedCost,
    Heterogeneous,
    Symmetric,
)


def test_defaults_are_the_closed_melitz_economy():
    d = Declaration()
    assert d.describe()[:3] == ["CES preferences over differentiated varieties (elasticity sigma)",
                                "monopolistic competition (aggregates taken as given)",
                                "heterogeneous productivity drawn from a distribution to be "
                                "chosen"]
    assert d.dist is None and d.modes == () and d.mode("export") is None


def test_with_distribution_and_mode_lookup():
    d = Declaration("x", geography=Symmetric(), modes=[Export(), FDI()])
    assert d.modes == (Export(), FDI())  # a list is stored as a tuple
    assert d.mode("fdi") == FDI()
    assert d.with_distribution(LogNormal()).dist.name == "lognormal"


def test_key_distinguishes_declarations():
    a = Declaration("x", geography=Symmetric(), modes=(Export(),))
    b = Declaration("x", geography=Symmetric(), modes=(Export(FixedCost("destination")),))
    assert a.key() != b.key()
    assert a.key() == Declaration("x", geography=Symmetric(), modes=(Export(),)).key()


@pytest.mark.parametrize("kwargs, words", [
    ({"demand": "ces"}, "demand must be a Demand primitive"),
    ({"geography": Symmetric}, "geography must be a Geography primitive"),
    ({"modes": (Export(), Export())}, "each mode at most once"),
    ({"modes": ("export",)}, "modes must be a sequence"),
    ({"modes": Export()}, "modes must be a sequence"),
    ({"fixed_cost": FixedCost("abroad")}, "'origin' or 'destination'"),
    ({"modes": (Export(FixedCost("home")),)}, "'origin' or 'destination'"),
    ({"firms": Heterogeneous("pareto")}, "needs a Distribution"),
    ({"name": ""}, "name must be a non-empty string"),
])
def test_malformed_declarations_are_refused(kwargs, words):
    with pytest.raises(ms.DeclarationError, match=words):
        Declaration(**kwargs)
