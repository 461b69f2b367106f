"""Model files: a declaration in TOML is a model everywhere a model name is (Python and
every CLI command), and a bad file is one clear message naming the key and its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import melitz_sym as ms
from melitz_sym.cli import main
from melitz_sym.modelfile import parse
from melitz_sym.primitives import (
    FDI,
    Asymmetric,
    Declaration,
    Export,
    FixedCost,
    FixedEntrants,
    Symmetric,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def test_the_example_files_declare_what_they_say():
    m = ms.model(str(EXAMPLES / "fdi-only.toml"))
    assert m.declaration == Declaration("fdi-only", geography=Symmetric(), modes=(FDI(),),
                                        title="Melitz with FDI as the only foreign mode"
                                        ).with_distribution(m.dist)
    c = ms.model(EXAMPLES / "chaney-symmetric.toml")
    assert c.dist.name == "lognormal"  # the file's distribution
    assert ms.model(EXAMPLES / "chaney-symmetric.toml", dist="pareto").dist.name == "pareto"
    assert isinstance(c.declaration.entry, FixedEntrants)
    a = ms.model(EXAMPLES / "asym-destination.toml")
    assert a.declaration == Declaration(
        "asym-destination", geography=Asymmetric(), modes=(Export(FixedCost("destination")),),
        title="Asymmetric Melitz, fixed export costs in destination labour"
    ).with_distribution(a.dist)


def test_a_file_solves_like_the_same_declaration_in_python(capsys):
    args = ["solve", str(EXAMPLES / "chaney-symmetric.toml"), "--json", "--dps", "20",
            *[f"--set={k}={v}" for k, v in dict(sigma=3.8, mu=0.1, s=0.9, f=0.1, f_x=0.3,
                                               tau=1.3, n=2, L=100).items()]]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    m = ms.model(Declaration("chaney-symmetric", entry=FixedEntrants(), geography=Symmetric(),
                             modes=(ms.primitives.Export(),)), dist="lognormal")
    ref = m.evaluate(dps=20, sigma="3.8", mu="0.1", s="0.9", f="0.1", f_x="0.3", tau="1.3",
                     n=2, L=100)
    assert out["model"] == "chaney-symmetric"
    assert float(out["results"]["W"]) == pytest.approx(float(ref["W"]), rel=1e-15)


@pytest.mark.parametrize("command", [["derive"], ["latex", "-o", "{tmp}/x.tex"],
                                     ["codegen", "--lang", "c", "-o", "{tmp}/gen"]])
def test_every_command_taking_a_model_takes_a_file(command, tmp_path):
    argv = [command[0], str(EXAMPLES / "fdi-only.toml")] + [
        a.format(tmp=tmp_path) for a in command[1:]]
    assert main(argv) == 0


@pytest.mark.parametrize("text, words", [
    ('geography = "round"', "line 1: geography.kind: expected one of closed, symmetric"),
    ('name = "x"\ndemand = 3', "line 2: demand: expected a table or a kind name"),
    ('[firms]\nkind = "heterogeneous"\ndistribution = "gauss"',
     "line 3: firms.distribution: unknown distribution 'gauss'"),
    ('colour = "blue"', "line 1: colour: unknown key"),
    ('[[modes]]\nkind = "fdi"\nfixed_cost = "abroad"',
     "line 3: modes[0].fixed_cost: expected origin, destination, none"),
    ('[entry]\nkind = "free"\nsunk = "yes"', "line 3: entry.sunk: expected true or false"),
    ('[entry]\nkind = "free"\nshrunk = true', "line 3: entry.shrunk: unknown key"),
    ('[firms]\nkind = "heterogeneous"\ndistribution = {pdf = "exp(-phi"}',
     "firms.distribution: cannot read the density"),
    ("demand = [", "not valid TOML"),
])
def test_bad_files_name_the_key_and_line(text, words):
    with pytest.raises(ms.DeclarationError) as err:
        parse(text, Path("m.toml"))
    assert words in str(err.value)
    assert str(err.value).startswith("model file m.toml")


def test_a_custom_density_in_a_file():
    decl = parse('[firms]\nkind = "heterogeneous"\n'
                 'distribution = {pdf = "lam*exp(-lam*(phi - 1))", lower = 1, upper = "oo"}')
    assert decl.dist.name == "custom" and [s.name for s in decl.dist.symbols] == ["lam"]


def test_the_cli_refuses_a_bad_or_unsupported_file_with_one_message(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('demand = "isoelastic"\nconduct = "cournot"\n')  # heterogeneous Cournot
    assert main(["derive", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "firms: Cournot competition is derived with one" in err
    assert main(["derive", str(tmp_path / "missing.toml")]) == 2
    assert "cannot read model file" in capsys.readouterr().err
