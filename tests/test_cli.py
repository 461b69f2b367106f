"""CLI contract: subcommands, JSON output, errors as one line with exit code 2."""

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import mpmath
import pytest

import melitz_sym as ms
from melitz_sym.cli import main
from melitz_sym.commands.common import parameters

ROOT = Path(__file__).resolve().parents[1]

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


def _phi_star_pareto(dps):
    """phi* of Melitz-Pareto at PARETO from the literature's closed form (free entry
    f J(phi*) + n f_x J(phi_x*) = delta f_e with J(phi) = (sigma-1)/(k-sigma+1) (b/phi)^k,
    phi_x* = tau (f_x/f)^(1/(sigma-1)) phi*), in mpmath at ``dps`` digits."""
    with mpmath.workdps(dps):
        s, k, b, f, fx, fe, d, tau, n = map(mpmath.mpf, ["3.8", "4.6", "0.5", "1", "1.5", "0.05",
                                                         "0.1", "1.5", "1"])
        return b * ((s - 1) / (k - s + 1) * (f + n * fx * tau ** -k * (fx / f) ** (-k / (s - 1)))
                    / (d * fe)) ** (1 / k)


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("melitz-sym: error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("dps", ["0", "-5", "100000", "1001", "1.5", "abc", ""])
def test_dps_out_of_range_exits_2(dps, capsys):
    """Issue 20: --dps 0 printed phi* = 1.75 and --dps -5 2.0 (exit 0); --dps 100000 hung."""
    assert main(["solve", "melitz", *PARETO, "--dps", dps]) == 2
    assert "from 1 to 1000" in _one_line_error(capsys)


@pytest.mark.parametrize("dps", [1, 5, 30, 200])
def test_printed_digits_are_the_computed_ones(dps, capsys):
    """The text output prints --dps significant digits, each of them right (issue 20:
    17 digits whatever --dps)."""
    assert main(["solve", "melitz", *PARETO, "--dps", str(dps)]) == 0
    lines = dict(line.split() for line in capsys.readouterr().out.splitlines())
    with mpmath.workdps(dps + 20):
        assert mpmath.mpf(lines["phi_star"]) == mpmath.mpf(
            mpmath.nstr(_phi_star_pareto(dps + 20), dps))
    digits = [len(v.split("e")[0].replace("-", "").replace(".", "").lstrip("0"))
              for v in lines.values()]
    assert max(digits) == dps


@pytest.mark.parametrize("value, words", [
    ("nan", "'nan' is not a finite number"), ("inf", "'inf' is not a finite number"),
    ("-inf", "'-inf' is not a finite number"), ("1e999", "outside the range of a double"),
    ("1e-400", "below the range of a double"), ("1/0", "divides by zero"),
    ("1+2j", "cannot read '1+2j'"), ("", "no value given"), ("abc", "cannot read 'abc'"),
    ("None", "cannot read 'None'"), ("True", "cannot read 'True'"), ("1/2/3", "cannot read"),
    ("[1, 0.8]", "cannot read '[1, 0.8]' as a number"),  # a list for a scalar model
])
def test_set_value_that_is_no_number_exits_2_naming_the_parameter(value, words, capsys):
    """Issue 20: --set tau=1/0 gave ZeroDivisionError, mu=abc a traceback; nan and inf
    never reach the numerics.  The CLI reads values as solve, evaluate and reference do
    (admissibility.exact): the same refusal, the same words."""
    assert main(["solve", "melitz", *PARETO[:-6], "--set", f"tau={value}", *PARETO[-4:]]) == 2
    err = _one_line_error(capsys)
    assert "parameter tau: " in err and words in err
    params = dict(PARETO[i + 1].split("=") for i in range(0, len(PARETO), 2))
    for path in (ms.model("melitz").evaluate, ms.model("melitz").solve):
        with pytest.raises(ms.MelitzError) as info:
            path(**{**params, "tau": value})
        assert " ".join(str(info.value).split()) in err



@pytest.mark.parametrize("text", ["3/2", " 1.5 ", "1.5/1", "2e-3", "5e-324", "1e308",
                                  "[1, 0.8]", "[[1, 1.5], [1.4, 1]]"])
def test_numbers_and_lists_of_numbers_pass(text):
    """Scalars are read exactly, N-country vectors and matrices as lists; the text
    goes on to the model unchanged (but stripped), which reads it."""
    import argparse

    from melitz_sym.numeric.arrays import read_value

    assert parameters(argparse.Namespace(set=[f"tau={text}"], params=None)) == {
        "tau": text.strip()}
    read_value("tau", text)
    if not text.strip().startswith("["):
        ms.admissibility.exact("tau", text)


def test_parameter_file_values_are_checked(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text('{"tau": NaN}')  # json.loads reads NaN
    assert main(["solve", "melitz", *PARETO[:-6], *PARETO[-4:], "--params", str(path)]) == 2
    assert "parameter tau: 'nan' is not a finite number" in _one_line_error(capsys)


def test_bad_option_is_one_line_exit_2(capsys):
    assert main(["solve"]) == 2
    assert "melitz-sym solve --help" in _one_line_error(capsys)
    assert main(["nocommand"]) == 2
    assert "invalid choice" in _one_line_error(capsys)


def test_json_refuses_a_result_outside_the_double_range(capsys):
    """k = 1e308 with a cheap entry (f_e = 1e-300, delta = 1e-10: selection, p_in =
    1/280): p_x = 1.9082e-2836019717928... is no double; --json says so instead of
    writing 0 (or Infinity, which is not JSON), the text output prints it.  (With the
    base point, f_e = 0.05, k = 1e308 is a corner, p_in = 1.8e305: refused; issue 20.)
    The digits: Melitz's p_x = (phi*/phi_x*)^k = (tau (f_x/f)^(1/(sigma-1)))^-k =
    exp(-k log(1.5 * 2^(1/2.8))), by hand in mpmath at 400 digits."""
    args = ["solve", "melitz", *PARETO[:2], "--set", "k=1e308", *PARETO[4:8],
            "--set", "f_x=2", "--set", "f_e=1e-300", "--set", "delta=1e-10", *PARETO[14:]]
    with mpmath.workdps(400):
        want = mpmath.exp(-mpmath.mpf(10) ** 308 * mpmath.log(
            mpmath.mpf("1.5") * 2 ** (1 / mpmath.mpf("2.8"))))
    digits = mpmath.nstr(want, 5)
    assert main(args + ["--json"]) == 2
    assert f"error: p_x = {digits.split('e')[0]}" in _one_line_error(capsys)
    assert main(args) == 0
    out = capsys.readouterr().out
    assert re.search(r"^p_x +" + re.escape(mpmath.nstr(want, 8).split("e")[0]), out, re.M)
    assert re.search(r"^M_t +26\.3157894736842105", out, re.M)  # was 13.16 (digits lost)
    assert re.search(r"^phi_tilde_t +0\.5\s", out, re.M)  # was 3.6e+1103037127...


def test_a_non_finite_result_is_refused(monkeypatch, capsys):
    """Never print nan or inf as if it were a result (issue 20: Krugman b=nan printed nan)."""
    class Stub:
        name, dist = "stub", None

        def evaluate(self, dps, **params):
            return {"phi_star": mpmath.mpf(2), "W": mpmath.mpf("nan")}

    monkeypatch.setattr(importlib.import_module("melitz_sym.facade"), "model",
                        lambda name, dist: Stub())
    assert main(["solve", "stub"]) == 2
    assert "no finite value of W (nan)" in _one_line_error(capsys)


def test_ctrl_c_exits_130_quietly(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(importlib.import_module("melitz_sym.commands.models"), "run",
                        interrupted)
    assert main(["models"]) == 130
    assert capsys.readouterr().err == "melitz-sym: interrupted\n"


def test_unwritable_output_exits_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["latex", "krugman", "-o", str(blocker / "k.tex")]) == 2
    assert "does not exist" in _one_line_error(capsys)


@pytest.mark.parametrize("argv", [["derive", "melitz"], ["solve", "melitz", *PARETO],
                                  ["--help"]])
def test_closed_pipe_ends_quietly_with_exit_0(argv):
    """Issue 20: `melitz-sym derive ... | head -1` printed a BrokenPipeError traceback.
    The reader closes the pipe before the command writes; the command must then stop
    with status 0 and nothing on stderr."""
    proc = subprocess.Popen([sys.executable, "-m", "melitz_sym.cli", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0
    assert err == b""


@pytest.mark.parametrize("argv, name", [
    (["sweep", "melitz", "--grid", "tau=1.2,1.5", *PARETO[:-6], *PARETO[-4:]], "r.csv"),
    (["plot", "density"], "fig.png"),
    (["latex", "krugman"], "k.tex"),
    (["codegen", "krugman", "--lang", "numpy"], "out"),
])
def test_commands_that_write_files_refuse_to_overwrite_without_force(argv, name, tmp_path,
                                                                     capsys):
    """One overwrite rule for every command that writes files (issue 21): an existing
    output is kept and named, and --force replaces it."""
    out = tmp_path / name
    if argv[0] == "codegen":
        assert main([*argv, "-o", str(out)]) == 0
        capsys.readouterr()
        kept = {p: p.read_text() for p in out.iterdir()}
    else:
        out.write_text("mine")
        kept = {out: "mine"}
    assert main([*argv, "-o", str(out)]) == 2
    message = _one_line_error(capsys)
    assert str(out) in message and "use --force" in message
    assert {p: p.read_text() for p in kept} == kept
    assert main([*argv, "-o", str(out), "--force"]) == 0
    if argv[0] != "codegen":
        assert out.stat().st_size > 100


def test_an_overflow_warning_is_not_printed_beside_the_error(tmp_path, capsys):
    """Issue 20 (long fuzz profile): `plot pro-competitive --set sigma=1e+308` printed
    numpy's RuntimeWarning (overflow in tau**(sigma - 1) while checking the
    restrictions) besides its one-line error: the CLI prints exactly one line."""
    out = tmp_path / "pc.png"
    assert main(["plot", "pro-competitive", "--set", "sigma=1e+308", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("melitz-sym: error: inadmissible")
    assert "Warning" not in err and not out.exists()
