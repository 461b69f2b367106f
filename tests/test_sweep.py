"""Sweeps: designs, chunked and resumable runs, output formats, the dask backend, the CLI.

Reference values come from the independent mpmath path (``Model.evaluate``),
never from the sweep itself.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import melitz_sym as ms
from melitz_sym import sweep
from melitz_sym.cli import main
from melitz_sym.errors import AdmissibilityError, MelitzError, ParseError

FIXED = {"sigma": "3.8", "k": "4.6", "b": "0.5", "f": "1", "f_x": "1.5", "f_e": "0.05",
         "delta": "0.1", "n": "1", "L": "100"}
OUTPUTS = ["phi_star", "phi_x_star", "lam", "gains"]


@pytest.fixture(scope="module")
def model():
    return ms.model("melitz", dist="pareto")


def test_parse_grid_and_range():
    name, values = sweep.parse_grid("tau=1:3:5")
    assert name == "tau" and np.array_equal(values, [1, 1.5, 2, 2.5, 3])
    assert sweep.parse_grid("theta=2,3")[0] == "k"  # aliases map to canonical names
    assert sweep.parse_range("f_x=1.5:4") == ("f_x", (1.5, 4.0))
    for bad in ("tau", "tau=1:3", "tau=1:x:5", "tau=1:3:0", "=1:2:3"):
        with pytest.raises(ParseError):
            sweep.parse_grid(bad)
    with pytest.raises(ParseError, match="LOW must not exceed HIGH"):
        sweep.parse_range("tau=3:1")


def test_grid_design_is_the_cartesian_product():
    d = sweep.grid_design([("tau", np.array([1.0, 2.0, 3.0])), ("n", np.array([0.0, 5.0]))])
    pairs = set(zip(d["tau"], d["n"]))
    assert len(d["tau"]) == 6 and pairs == {(t, n) for t in (1, 2, 3) for n in (0, 5)}


def test_latin_hypercube_hits_every_stratum_once():
    n = 40
    d = sweep.draw_design({"tau": (1.0, 3.0), "f_x": (1.5, 4.0)}, n, "lhs", seed=3)
    for name, (lo, hi) in (("tau", (1.0, 3.0)), ("f_x", (1.5, 4.0))):
        strata = np.floor((d[name] - lo) / (hi - lo) * n).astype(int)
        assert sorted(strata) == list(range(n))
    r = sweep.draw_design({"tau": (1.0, 3.0)}, 1000, "random", seed=1)["tau"]
    assert r.min() >= 1 and r.max() <= 3 and abs(r.mean() - 2) < 0.1


def test_sweep_matches_the_mpmath_reference(model):
    design = sweep.grid_design([sweep.parse_grid("tau=1:3:7"), sweep.parse_grid("n=0,2")])
    fixed = {k: v for k, v in FIXED.items() if k != "n"}
    res = sweep.run(model, design, fixed, OUTPUTS, chunk_size=4)
    assert set(res) == set(model.parameters) | set(OUTPUTS)
    for row in (0, 5, 13):
        at = {"tau": repr(float(res["tau"][row])), "n": repr(float(res["n"][row]))}
        ref = model.evaluate(dps=30, outputs=OUTPUTS, **fixed, **at)
        for o in OUTPUTS:
            assert res[o][row] == pytest.approx(float(ref[o]), rel=1e-10)


def test_inadmissible_point_is_reported_with_its_row(model):
    design = {"tau": np.array([1.5, 2.0, 0.5])}
    with pytest.raises(AdmissibilityError, match=r"tau >= 1.*row 2|row 2.*tau"):
        sweep.run(model, design, {k: v for k, v in FIXED.items()}, OUTPUTS)


def test_interrupted_sweep_resumes_without_recomputing(model, tmp_path, monkeypatch):
    design = {"tau": np.linspace(1.1, 2.9, 50)}
    out = tmp_path / "res.npz"
    calls = []
    real = sweep.solve_block

    def flaky(m, names, outputs, block, precision):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(len(block))
        return real(m, names, outputs, block, precision)

    monkeypatch.setattr(sweep, "solve_block", flaky)
    with pytest.raises(KeyboardInterrupt):
        sweep.run(model, design, FIXED, OUTPUTS, output=out, chunk_size=8)
    parts = sweep.workdir_for(out)
    assert len(list(parts.glob("chunk-*.npz"))) == 3 and not out.exists()
    calls.clear()
    monkeypatch.setattr(sweep, "solve_block", lambda *a: calls.append(1) or real(*a))
    res = sweep.run(model, design, FIXED, OUTPUTS, output=out, chunk_size=8)
    assert len(calls) == 7 - 3  # 50 rows in chunks of 8: only the 4 missing ones
    assert not parts.exists()
    fresh = sweep.run(model, design, FIXED, OUTPUTS, chunk_size=50)
    for o in OUTPUTS:
        assert np.array_equal(res[o], fresh[o])
        assert np.array_equal(sweep.read(out)[o], fresh[o])


def test_chunks_of_another_sweep_are_not_reused(model, tmp_path):
    out = tmp_path / "res.csv"
    parts = sweep.workdir_for(out)
    parts.mkdir()
    (parts / "manifest.json").write_text(json.dumps({"model": "krugman"}))
    with pytest.raises(MelitzError, match="different sweep"):
        sweep.run(model, {"tau": np.array([1.5])}, FIXED, OUTPUTS, output=out)


def test_sweep_at_another_precision(model, tmp_path, capsys):
    """precision is passed to Model.solve (the sweep equals the extended solve at its
    points, which differs from double here), from the CLI too, and the chunks of a
    sweep at another precision are not reused."""
    design = {"tau": np.linspace(1.1, 2.9, 40)}
    fixed = {**{k: float(v) for k, v in FIXED.items()}, "L": 1e6, "sigma": 1.3, "k": 3.0}
    res = sweep.run(model, design, fixed, OUTPUTS, precision="extended")
    extended = model.solve(outputs=OUTPUTS, precision="extended", **design, **fixed)
    double = model.solve(outputs=OUTPUTS, **design, **fixed)
    assert any(not np.array_equal(extended[o], double[o]) for o in OUTPUTS)
    for o in OUTPUTS:
        assert np.array_equal(res[o], extended[o]), o
    out = tmp_path / "res.npz"
    args = ["sweep", "melitz", "--grid", "tau=1.1:2.9:40", "-o", str(out), "--precision",
            "extended", "--outputs", ",".join(OUTPUTS)] + [
        a for k, v in fixed.items() for a in ("--set", f"{k}={v!r}")]
    assert main(args) == 0
    for o in OUTPUTS:
        assert np.array_equal(sweep.read(out)[o], extended[o]), o
    parts = sweep.workdir_for(out)
    parts.mkdir()
    columns = sweep._columns(model, design, fixed)
    manifest = sweep._manifest(model, columns, OUTPUTS, 8, "double")
    (parts / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(MelitzError, match="different sweep"):
        sweep.run(model, design, fixed, OUTPUTS, output=out, chunk_size=8, precision="extended")
    sweep.run(model, design, fixed, OUTPUTS, output=out, chunk_size=8)  # the same sweep


@pytest.mark.parametrize("suffix", [".csv", ".npz", ".parquet"])
def test_output_formats_round_trip_exactly(tmp_path, suffix):
    cols = {"tau": np.array([1.0, 1.1, 2.0 / 3.0]), "lam": np.array([0.1, 1e-300, np.pi])}
    back = sweep.read(sweep.write(cols, tmp_path / f"r{suffix}"))
    assert list(back) == list(cols)
    for k in cols:
        assert np.array_equal(back[k], cols[k])
    with pytest.raises(ParseError, match="unknown format"):
        sweep.write(cols, tmp_path / "r.xlsx")


def test_dask_backend_gives_identical_results(model, tmp_path):
    import distributed  # in the test extra: a missing install fails, never skips

    design = sweep.draw_design({"tau": (1.0, 3.0), "f_x": (1.5, 4.0)}, 300, "lhs", seed=7)
    fixed = {k: v for k, v in FIXED.items() if k != "f_x"}
    local = sweep.run(model, design, fixed, OUTPUTS, chunk_size=64)
    with distributed.LocalCluster(n_workers=1, processes=False, protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        remote = sweep.run(model, design, fixed, OUTPUTS, output=tmp_path / "r.npz",
                           chunk_size=64, backend="dask", scheduler=cluster.scheduler_address)
    for k in local:
        assert np.array_equal(local[k], remote[k])
    with pytest.raises(MelitzError, match="--scheduler"):
        sweep.run(model, design, fixed, OUTPUTS, backend="dask")


def test_cli_sweep(tmp_path, capsys):
    out = tmp_path / "res.csv"
    args = ["sweep", "melitz", "--grid", "tau=1:3:11", "-o", str(out), "--json",
            "--outputs", "phi_star,lam"] + [a for k, v in FIXED.items()
                                             for a in ("--set", f"{k}={v}")]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == 11 and summary["swept"] == ["tau"]
    res = sweep.read(out)
    assert np.array_equal(res["tau"], np.linspace(1, 3, 11)) and res["lam"][0] < 1
    assert main(["sweep", "melitz", "--grid", "tau=1:3", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("melitz-sym: error: ") and err.count("\n") == 1
    assert main(["sweep", "melitz", "-o", str(out)]) == 2
    assert "nothing to sweep" in capsys.readouterr().err


def test_cli_sweep_over_a_value_of_the_parameter_file(tmp_path, capsys):
    """The shipped example file sets tau; a sweep over tau uses the file for the rest,
    and --set tau together with --grid tau is still refused."""
    example = Path(__file__).parents[1] / "docs" / "examples" / "melitz-pareto.toml"
    out = tmp_path / "res.csv"
    args = ["sweep", "melitz", "--grid", "tau=1.2:2:3", "--params", str(example), "-o", str(out)]
    assert main(args) == 0
    res = sweep.read(out)
    assert np.array_equal(res["tau"], np.linspace(1.2, 2, 3)) and np.all(res["k"] == 4.6)
    capsys.readouterr()
    assert main(args + ["--set", "tau=1.5"]) == 2
    assert "both swept and set" in capsys.readouterr().err
