"""The generic method: which combinations of primitives derive, and clear refusals
(naming the primitive) for the rest, before any derivation work."""

from __future__ import annotations

import pytest

import melitz_sym as ms
from melitz_sym.distributions import LogNormal, Pareto
from melitz_sym.models import BUILT_IN, method
from melitz_sym.primitives import (
    CES,
    FDI,
    Asymmetric,
    Cournot,
    Declaration,
    Export,
    FixedCost,
    FixedEntrants,
    FreeEntry,
    Heterogeneous,
    Isoelastic,
    Representative,
    Symmetric,
)

P = Heterogeneous(Pareto())


@pytest.mark.parametrize("name", list(BUILT_IN))
def test_every_built_in_model_is_a_declaration_the_method_plans(name):
    decl = BUILT_IN[name][0]
    assert isinstance(decl, Declaration) and decl.name == name
    m = ms.model(name)
    assert m.declaration.name == name
    assert method.plan(m.declaration).stages.__module__.startswith("melitz_sym.models.")


def test_a_built_in_declaration_passed_as_such_is_the_built_in_model():
    decl = BUILT_IN["melitz"][0].with_distribution(LogNormal())
    assert ms.model(decl).cache_key == ms.model("melitz", dist="lognormal").cache_key


def test_a_variant_gets_its_own_cache_key():
    a = ms.model(Declaration("melitz", geography=Symmetric(), modes=(FDI(),)))
    assert a.cache_key != ms.model("melitz").cache_key
    assert a.cache_key.startswith("melitz-pareto-")


@pytest.mark.parametrize("decl, primitive, words", [
    (Declaration("c", demand=Isoelastic(), conduct=Cournot(), firms=P,
                 entry=FreeEntry(sunk=False)), "firms", "heterogeneous firms"),
    (Declaration("c", conduct=Cournot(), firms=Representative("phi"),
                 entry=FreeEntry(sunk=False)), "conduct", "homogeneous good"),
    (Declaration("c", demand=Isoelastic(), firms=P), "demand", "differentiated varieties"),
    (Declaration("c", firms=P, modes=(Export(),)), "modes", "closed economy has no foreign"),
    (Declaration("c", firms=P, geography=Symmetric()), "modes", "closed economies"),
    (Declaration("c", firms=P, geography=Symmetric(), modes=(Export(fixed=None),)),
     "export mode", "without it every producer serves every market"),
    (Declaration("c", firms=P, entry=FreeEntry(sunk=False)), "entry", "not determined"),
    (Declaration("c", firms=P, geography=Asymmetric(), modes=(Export(), FDI())), "modes",
     "FDI is derived for symmetric countries only"),
    (Declaration("c", firms=P, entry=FixedEntrants(), geography=Asymmetric(),
                 modes=(Export(FixedCost("destination")),)), "export mode",
     "derived with free entry"),
    (Declaration("c", firms=Heterogeneous(LogNormal()), entry=FixedEntrants(),
                 geography=Asymmetric(), modes=(Export(),)), "firms", "untruncated Pareto"),
    (Declaration("c", firms=P, entry=FixedEntrants(), geography=Symmetric(),
                 modes=(Export(), FDI())), "entry", "exporting as the only foreign mode"),
    (Declaration("c", firms=Representative(), entry=FreeEntry(sunk=True),
                 geography=Symmetric(), modes=(Export(fixed=None),)), "entry", "zero profit"),
    (Declaration("c", firms=Representative(), entry=FreeEntry(sunk=False),
                 geography=Symmetric(), modes=(Export(),)), "export mode",
     "fixed export cost"),
    (Declaration("c", firms=Representative(), entry=FreeEntry(sunk=False)), "geography",
     "symmetric countries with exports"),
    (Declaration("c", demand=CES(), firms=Heterogeneous()), "firms", "needs a productivity"),
])
def test_unsupported_combinations_are_refused_naming_the_primitive(decl, primitive, words):
    with pytest.raises(ms.DeclarationError) as err:
        method.plan(decl)
    assert f"model 'c': {primitive}: " in str(err.value)
    assert words in str(err.value)



@pytest.mark.parametrize("name, dist", [(n, "pareto") for n in BUILT_IN]
                         + [("melitz", "lognormal"), ("hmy", "lognormal")])
def test_every_output_has_a_defining_step(name, dist):
    d = ms.model(name, dist=dist).derive()
    for output in d.outputs:
        step = d.step_of(output)
        assert step in d.names, (output, step)
    with pytest.raises(ms.UnknownNameError):
        d.step_of("no_such_output")


def test_a_derivation_is_immutable_once_built():
    d = ms.model("melitz").derive()
    assert d.frozen
    with pytest.raises(TypeError, match="immutable"):
        d.outputs["phi_star"] = 0
    with pytest.raises(TypeError, match="immutable"):
        d.closed_forms.update({})
    with pytest.raises(TypeError, match="immutable"):
        d.title = "changed"
    with pytest.raises(TypeError, match="immutable"):
        d.add("extra", d["zcp"], "a step after the end")
