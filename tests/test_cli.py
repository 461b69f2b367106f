"""CLI contract: subcommands, JSON output, errors as one line with exit code 2."""

import json

import pytest

import melitz_sym as ms
from melitz_sym.cli import main

PARETO = ["--set", "sigma=3.8", "--set", "k=4.6", "--set", "b=0.5", "--set", "f=1",
          "--set", "f_x=1.5", "--set", "f_e=0.05", "--set", "delta=0.1", "--set", "tau=1.5",
          "--set", "n=1", "--set", "L=100"]


def test_models_lists_contract_names(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for name in ("krugman", "melitz-closed", "melitz"):
        assert name in out


def test_derive_json_has_free_entry(capsys):
    assert main(["derive", "krugman", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "free_entry" in [s["name"] for s in data["steps"]]


def test_solve_json_domestic_share_matches_acr_formula(capsys):
    assert main(["solve", "melitz", "--json", *PARETO]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"model", "dist", "params", "results"}
    r = data["results"]
    # literature.md 2.1: lam = 1 / (1 + n tau^-k (f_x/f)^(1 - k/(sigma-1)))
    lam = 1 / (1 + 1.5 ** -4.6 * 1.5 ** (1 - 4.6 / 2.8))
    assert r["lam"] == pytest.approx(lam, rel=1e-14)
    assert r["gains"] == pytest.approx(lam ** (-1 / 4.6), rel=1e-14)


@pytest.mark.parametrize("args, words", [
    (["solve", "melitz", *PARETO[:-2], "--set", "L=-1"], "L > 0"),
    (["solve", "melitz", "--set", "sigma=0.5", *PARETO[2:]], "sigma > 1"),
    (["solve", "nomodel"], "unknown model"),
    (["derive", "melitz", "--dist", "cauchy"], "unknown distribution"),
])
def test_bad_input_exits_2_with_message(args, words, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err


def test_verify_and_claims_print_json(capsys):
    """--json: the verdicts as JSON; a false equation carries its counterexample as text."""
    assert main(["verify", "krugman", "--json", "markup = sigma/(sigma-1)",  # Krugman (1980)
                 "markup = sigma"]) == 1
    out = json.loads(capsys.readouterr().out)
    first, second = out["verdicts"]
    assert out["model"] == "krugman" and first["holds"] is True and second["holds"] is False
    assert set(second["counterexample"]) == {"point", "lhs", "rhs"}
    assert main(["claims", "krugman", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert results and all(r["holds"] is True for r in results)


def test_models_json(capsys):
    assert main(["models", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert set(listed) == set(ms.models()) and "melitz-asym" in listed
