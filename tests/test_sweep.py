"""Sweeps: designs, chunked and resumable runs, output formats, the dask backend, the CLI.

Reference values come from the independent mpmath path (``Model.evaluate``),
never from the sweep itself.
"""

import errno
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
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


def test_grid_and_fixed_values_are_read_as_by_solve(model):
    """Issue 20: a sweep refused exact text such as 19/5 that ``solve --set`` accepts;
    grid values and fixed parameters are read by admissibility.exact, the one reading."""
    assert np.array_equal(sweep.parse_grid("sigma=19/5,4")[1], [3.8, 4.0])
    assert sweep.parse_range("tau=3/2:2") == ("tau", (1.5, 2.0))
    fixed = {**FIXED, "sigma": "19/5", "f_x": "3/2"}
    res = sweep.run(model, {"tau": np.array([1.5])}, fixed, ["phi_star"])
    want = model.solve(outputs=["phi_star"], tau=1.5, **{**FIXED, "f_x": 1.5})
    assert res["phi_star"][0] == pytest.approx(float(want["phi_star"]), rel=1e-15)
    with pytest.raises(ParseError, match="parameter f: cannot read 'abc'"):
        sweep.run(model, {"tau": np.array([1.5])}, {**FIXED, "f": "abc"}, ["phi_star"])


def test_sweep_of_an_n_country_model_is_refused_clearly():
    """Issue 20: sweep.run of melitz-asym with fixed vectors gave a numpy broadcast
    ValueError; a sweep's columns are scalars, so it is a ParseError saying so."""
    m = ms.model("melitz-asym", "pareto")
    fixed = dict(delta=0.1, k=4.6, b=[1.0, 0.8], f_e=[1.0, 2.0], L=[100.0, 50.0],
                 tau=[[1, 1.5], [1.4, 1]], f=[[1.0, 2.0], [2.0, 1.2]])
    with pytest.raises(ParseError, match="melitz-asym: sweeps cover models whose "
                                         "parameters are scalars"):
        sweep.run(m, {"sigma": np.array([3.8, 4.0])}, fixed)


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

    def flaky(m, names, outputs, block, *args):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(len(block))
        return real(m, names, outputs, block, *args)

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
        assert np.array_equal(sweep.load(out)[o], fresh[o])


def test_chunks_of_another_sweep_are_not_reused(model, tmp_path):
    out = tmp_path / "res.csv"
    parts = sweep.workdir_for(out)
    parts.mkdir()
    sweep.write_manifest(parts, {"model": "krugman"})
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
        assert np.array_equal(sweep.load(out)[o], extended[o]), o
    parts = sweep.workdir_for(out)
    parts.mkdir()
    columns = sweep._columns(model, design, fixed)
    manifest = sweep._manifest(model, columns, OUTPUTS, 8, "double")
    sweep.write_manifest(parts, manifest)
    with pytest.raises(MelitzError, match="different sweep"):
        sweep.run(model, design, fixed, OUTPUTS, output=out, chunk_size=8, precision="extended")
    sweep.run(model, design, fixed, OUTPUTS, output=out, chunk_size=8)  # the same sweep


@pytest.mark.parametrize("suffix", [".csv", ".npz", ".parquet"])
def test_output_formats_round_trip_exactly(tmp_path, suffix):
    cols = {"tau": np.array([1.0, 1.1, 2.0 / 3.0]), "lam": np.array([0.1, 1e-300, np.pi])}
    back = sweep.load(sweep.write(cols, tmp_path / f"r{suffix}"))
    assert list(back) == list(cols)
    for k in cols:
        assert np.array_equal(back[k], cols[k])
    with pytest.raises(ParseError, match="unknown format"):
        sweep.write(cols, tmp_path / "r.xlsx")


@pytest.mark.parametrize("suffix", [".csv", ".npz", ".parquet"])
def test_outputs_record_their_provenance(model, tmp_path, suffix):
    """Issue 21: a sweep file says which model, distribution, fixed parameters, precision
    and package version its numbers come from; load reads that back with the columns."""
    design = sweep.grid_design([sweep.parse_grid("tau=1.2:2:3"), ("f_x", np.array([1.5, 2]))])
    fixed = {**{k: v for k, v in FIXED.items() if k != "f_x"}, "sigma": "3.80", "L": 100}
    out = tmp_path / f"res{suffix}"
    res = sweep.run(model, design, fixed, OUTPUTS, output=out, precision="extended")
    expected = {"model": "melitz", "dist": "pareto",
                "fixed": fixed, "swept": ["tau", "f_x"],
                "outputs": OUTPUTS, "precision": "extended", "errors": "raise",
                "melitz_sym_version": ms.__version__}
    assert expected["fixed"]["sigma"] == "3.80" and expected["fixed"]["L"] == 100
    assert res.metadata == expected
    back = sweep.load(out)
    assert isinstance(back, sweep.SweepData) and back.metadata == expected
    assert list(back) == list(res)
    for k in res:
        assert np.array_equal(back[k], res[k]), k
    frame = sweep.load(out, as_frame=True)
    assert list(frame.columns) == list(res) and frame.attrs == expected
    assert np.array_equal(frame["gains"].to_numpy(), res["gains"])
    grid = frame.set_index(frame.attrs["swept"]).to_xarray()  # the documented Dataset
    assert grid["lam"].dims == ("tau", "f_x")
    assert float(grid["lam"].sel(tau=2.0, f_x=1.5)) == res["lam"][4]


def test_csv_provenance_is_in_comment_lines_above_the_header(model, tmp_path):
    out = tmp_path / "res.csv"
    sweep.run(model, {"tau": np.array([1.5, 2.0])}, FIXED, ["lam"], output=out)
    lines = out.read_text().splitlines()
    assert lines[0] == '# model: "melitz"' and lines[1] == '# dist: "pareto"'
    assert lines[2].startswith('# fixed: {"sigma": "3.8", "k": "4.6"')
    assert lines[7].startswith('# melitz_sym_version: "')
    assert lines[8] == ",".join([*model.parameters, "lam"]) and len(lines) == 11
    import pandas as pd  # in the test extra: a missing install fails, never skips

    frame = pd.read_csv(out, comment="#")  # what the docs tell a pandas user
    assert np.array_equal(frame["lam"].to_numpy(), sweep.load(out)["lam"])


def test_files_without_metadata_load_with_an_empty_one(tmp_path):
    cols = {"tau": np.array([1.0, 2.0])}
    for suffix in (".csv", ".npz", ".parquet"):
        back = sweep.load(sweep.write(cols, tmp_path / f"r{suffix}"))
        assert back.metadata == {} and np.array_equal(back["tau"], cols["tau"])
    bad = tmp_path / "bad.csv"
    bad.write_text("# a note by hand\ntau\n1.0\n")
    with pytest.raises(ParseError, match="line 1 is not a '# KEY: JSON' comment"):
        sweep.load(bad)


def test_load_as_frame_without_pandas_says_how_to_install(tmp_path, monkeypatch):
    path = sweep.write({"tau": np.array([1.0])}, tmp_path / "r.npz")
    monkeypatch.setitem(sys.modules, "pandas", None)
    assert sweep.load(path)["tau"][0] == 1.0  # numpy columns need no pandas
    with pytest.raises(MelitzError, match=r"a sweep as a DataFrame needs pandas: pip install"):
        sweep.load(path, as_frame=True)


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
    res = sweep.load(out)
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
    res = sweep.load(out)
    assert np.array_equal(res["tau"], np.linspace(1.2, 2, 3)) and np.all(res["k"] == 4.6)
    capsys.readouterr()
    args[args.index(str(out))] = str(tmp_path / "new.csv")  # res.csv exists: needs --force
    assert main(args + ["--set", "tau=1.5"]) == 2
    assert "both swept and set" in capsys.readouterr().err


# ----- faults (issue 20) ---------------------------------------------------------
def _interrupted_run(model, design, out, chunk_size, after):
    """Run a sweep to ``out`` that is interrupted after ``after`` chunks."""
    real, calls = sweep.solve_block, []

    def flaky(*args):
        if len(calls) == after:
            raise KeyboardInterrupt
        calls.append(1)
        return real(*args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sweep, "solve_block", flaky)
        with pytest.raises(KeyboardInterrupt):
            sweep.run(model, design, FIXED, OUTPUTS, output=out, chunk_size=chunk_size)


def _counting(monkeypatch):
    """Count the chunks computed from now on."""
    real, calls = sweep.solve_block, []
    monkeypatch.setattr(sweep, "solve_block", lambda *a: calls.append(1) or real(*a))
    return calls


@pytest.mark.parametrize("how", ["truncated", "random bytes", "empty", "one byte flipped",
                                 "of another sweep", "a different chunk's file"])
def test_damaged_chunk_is_recomputed_on_resume(model, tmp_path, monkeypatch, how):
    """Issue 20: a damaged chunk gave BadZipFile on every resume."""
    design = {"tau": np.linspace(1.1, 2.9, 40)}
    out = tmp_path / "res.npz"
    _interrupted_run(model, design, out, 8, after=3)
    parts = sweep.workdir_for(out)
    chunk = parts / "chunk-000001.npz"
    data = chunk.read_bytes()
    if how == "truncated":
        chunk.write_bytes(data[: len(data) // 2])
    elif how == "random bytes":
        chunk.write_bytes(np.random.default_rng(1).bytes(len(data)))
    elif how == "empty":
        chunk.write_bytes(b"")
    elif how == "one byte flipped":  # inside the values: only the checksum can tell
        at = data.index(b"\x93NUMPY") + 200
        chunk.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1:])
    elif how == "of another sweep":
        block = np.load(chunk)["values"]
        sweep.save_chunk(parts, "another sweep", 1, block, None)
    else:
        chunk.write_bytes((parts / "chunk-000002.npz").read_bytes())
    calls = _counting(monkeypatch)
    res = sweep.run(model, design, FIXED, OUTPUTS, output=out, chunk_size=8)
    assert len(calls) == 5 - 3 + 1  # the two never computed and the damaged one
    fresh = sweep.run(model, design, FIXED, OUTPUTS)
    for o in OUTPUTS:
        assert np.array_equal(res[o], fresh[o]) and np.array_equal(sweep.load(out)[o], fresh[o])


@pytest.mark.parametrize("damage", [lambda t: t[: len(t) // 2], lambda t: "",
                                    lambda t: t.replace('"rows": 40', '"rows": 41')])
def test_damaged_manifest_is_rewritten_and_chunks_reused(model, tmp_path, monkeypatch, damage):
    """Issue 20: a truncated manifest.json (written non-atomically) broke every resume.
    A manifest that fails its checksum is rewritten; the chunks, which carry the
    sweep's digest themselves, are still used."""
    design = {"tau": np.linspace(1.1, 2.9, 40)}
    out = tmp_path / "res.csv"
    _interrupted_run(model, design, out, 8, after=3)
    mfile = sweep.workdir_for(out) / "manifest.json"
    mfile.write_text(damage(mfile.read_text()))
    assert sweep.read_manifest(mfile.parent) is None
    calls = _counting(monkeypatch)
    sweep.run(model, design, FIXED, OUTPUTS, output=out, chunk_size=8)
    assert len(calls) == 2


def test_leftover_temporary_files_are_removed(model, tmp_path):
    """Temporary files of a killed run (in the work directory and beside the output)
    are removed by the next run; other files are left alone."""
    design = {"tau": np.linspace(1.1, 2.9, 40)}
    out = tmp_path / "res.csv"
    _interrupted_run(model, design, out, 8, after=2)
    parts = sweep.workdir_for(out)
    leftovers = [parts / ".tmp-chunk-000002.npz.4242.0a1b2c3d",
                 tmp_path / ".tmp-res.csv.4242.0a1b2c3d"]
    other = tmp_path / ".tmp-mine.csv.1.2"
    for p in leftovers + [other]:
        p.write_bytes(b"partial")
    sweep.run(model, design, FIXED, OUTPUTS, output=out, chunk_size=8)
    assert not any(p.exists() for p in leftovers) and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name, "res.csv"]


def test_full_disk_leaves_no_temporary_file(model, tmp_path, monkeypatch):
    """Issue 20: a full disk left .tmp files.  A failed chunk write removes its
    temporary file, and the sweep resumes once there is space."""
    design = {"tau": np.linspace(1.1, 2.9, 40)}
    out = tmp_path / "res.npz"
    real, saves = np.savez, []

    def full_after_two(fh, **arrays):
        if len(saves) == 2:
            fh.write(b"PK partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        saves.append(1)
        real(fh, **arrays)

    monkeypatch.setattr(np, "savez", full_after_two)
    with pytest.raises(OSError, match="No space left"):
        sweep.run(model, design, FIXED, OUTPUTS, output=out, chunk_size=8)
    parts = sweep.workdir_for(out)
    assert sorted(p.name for p in parts.iterdir()) == [
        "chunk-000000.npz", "chunk-000001.npz", "manifest.json"]
    monkeypatch.setattr(np, "savez", real)
    calls = _counting(monkeypatch)
    sweep.run(model, design, FIXED, OUTPUTS, output=out, chunk_size=8)
    assert len(calls) == 3 and sorted(p.name for p in tmp_path.iterdir()) == ["res.npz"]


def test_errors_nan_records_inadmissible_rows_with_a_reason(model, tmp_path):
    """Issue 20: one inadmissible grid point aborted a whole sweep.  With errors="nan"
    it gets nan outputs and a reason; the other rows are those of errors="raise"."""
    design = {"tau": np.array([1.5, 0.5, 2.0, 1.2]), "f_e": np.array([0.05, 0.05, 0.05, 1e4])}
    fixed = {k: v for k, v in FIXED.items() if k not in design}
    out = tmp_path / "res.csv"
    res = sweep.run(model, design, fixed, OUTPUTS, output=out, chunk_size=3, errors="nan")
    good = sweep.run(model, {k: v[[0, 2]] for k, v in design.items()}, fixed, OUTPUTS)
    for o in OUTPUTS:
        assert np.array_equal(res[o][[0, 2]], good[o])
        assert np.isnan(res[o][[1, 3]]).all()
    assert res["reason"][0] == res["reason"][2] == ""
    assert res["reason"][1].startswith("inadmissible: ") and "tau >= 1" in res["reason"][1]
    assert res["reason"][3] == "no finite value of every output"  # phi* below b: a corner
    back = sweep.load(out)
    assert list(back) == list(res)
    assert list(back["reason"]) == list(res["reason"])
    with pytest.raises(AdmissibilityError, match="row 1"):
        sweep.run(model, design, fixed, OUTPUTS)


def test_cli_sweep_errors_nan(tmp_path, capsys):
    out = tmp_path / "res.npz"
    args = ["sweep", "melitz", "--grid", "tau=0.5,1.5", "-o", str(out), "--errors", "nan"] + [
        a for k, v in FIXED.items() for a in ("--set", f"{k}={v}")]
    assert main(args) == 0
    assert "(1 without results: see the column reason)" in capsys.readouterr().out
    assert sweep.load(out)["reason"][0].startswith("inadmissible")


@pytest.mark.slow
def test_csv_is_written_a_slice_at_a_time(tmp_path):
    """Issue 20: the CSV was built in memory (1.9 GB per million rows).  Writing 100k
    rows x 27 columns (21.6 MB of doubles) must stay within a few slices of text."""
    rng = np.random.default_rng(0)
    cols = {f"c{j}": rng.random(100_000) for j in range(27)}
    tracemalloc.start()
    try:
        sweep.write(cols, tmp_path / "r.csv", rows_per_write=4096)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 25e6  # the whole table as text and lists: some 170 MB
    back = sweep.load(tmp_path / "r.csv")
    assert all(np.array_equal(back[k], cols[k]) for k in cols)


def test_progress_covers_the_sweep_and_the_csv_write(model, tmp_path, capsys):
    """Issue 21: writing a large CSV after the sweep's bar ended gave no feedback; the
    write has a bar of its own, counting rows."""
    design = {"tau": np.linspace(1.2, 2, 50)}
    sweep.run(model, design, FIXED, ["lam"], output=tmp_path / "res.csv", chunk_size=20,
              progress=True)
    err = capsys.readouterr().err
    assert "sweep melitz: 100%" in err and "50/50" in err
    assert "write res.csv: 100%" in err and err.count("50/50") == 2
    sweep.run(model, design, FIXED, ["lam"], output=tmp_path / "quiet.csv", progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("spec, words", [
    ("tau=1:inf:3", "parameter tau: 'inf' is not a finite number"),  # as solve reads it
    ("tau=nan,2", "'nan' is not a finite number"), ("tau=1/0,2", "cannot read '1/0'"),
    ("tau=1:3:1000000000000", "does not fit in memory"),
])
def test_cli_bad_grid_exits_2(spec, words, tmp_path, capsys):
    """Issue 20: --grid tau=1:3:1000000000000 gave a numpy MemoryError."""
    assert main(["sweep", "melitz", "--grid", spec, "-o", str(tmp_path / "r.csv")]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_cli_unwritable_output_exits_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    args = ["sweep", "melitz", "--grid", "tau=1:2:3", "-o", str(blocker / "r.csv")] + [
        a for k, v in FIXED.items() for a in ("--set", f"{k}={v}")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err == f"melitz-sym: error: {blocker / 'r.csv.parts'}: Not a directory\n"


def test_cli_ctrl_c_exits_130_with_how_to_resume(tmp_path, monkeypatch, capsys):
    """Issue 20: Ctrl-C during a sweep printed a traceback."""
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep, "solve_block", interrupted)
    out = tmp_path / "res.csv"
    args = ["sweep", "melitz", "--grid", "tau=1:2:3", "-o", str(out)] + [
        a for k, v in FIXED.items() for a in ("--set", f"{k}={v}")]
    assert main(args) == 130
    assert capsys.readouterr().err == (
        f"melitz-sym: finished chunks are kept in {out}.parts/; rerun the same command to "
        "resume\nmelitz-sym: interrupted\n")


def test_sweep_and_its_dask_backend_import_in_one_direction():
    """sweep imports sweep_dask; sweep_dask imports nothing of sweep (no cycle)."""
    code = ("import sys, melitz_sym.sweep_dask; "
            "assert 'melitz_sym.sweep' not in sys.modules, 'sweep_dask imports sweep'")
    subprocess.run([sys.executable, "-c", code], check=True,
                   env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})


def test_sigint_during_a_sweep_exits_130_without_traceback(tmp_path):
    """A real Ctrl-C (SIGINT) while chunks are being computed: exit 130, no traceback,
    no temporary files, and the finished chunks stay for the resume.  The sweep has
    2000 chunks (seconds of work), so that the signal cannot arrive after it ended.  It
    failed twice in full suites with exit 0: the signal had landed in ZipFile.__del__
    (numpy's savez of a chunk), where Python discards the KeyboardInterrupt, and the
    sweep ran on to its end (now melitz_sym.interrupt; tests/test_interrupt.py)."""
    out = tmp_path / "res.csv"
    args = [sys.executable, "-m", "melitz_sym.cli", "sweep", "melitz", "--grid",
            "tau=1:3:4000000", "--chunk-size", "2000", "--outputs", "phi_star", "-o",
            str(out), "--no-progress"] + [
        a for k, v in FIXED.items() for a in ("--set", f"{k}={v}")]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    parts = sweep.workdir_for(out)
    deadline = time.monotonic() + 120
    while not list(parts.glob("chunk-*.npz")) and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 130, err
    assert "Traceback" not in err and err.endswith("melitz-sym: interrupted\n")
    assert list(parts.glob("chunk-*.npz")) and not list(parts.glob(".tmp-*"))


def test_sweep_of_melitz_ottaviano_matches_its_mpmath_reference():
    # the reference integrates the declared cost density and finds c_D as a root
    # (numeric/cost_reference.py), never the closed forms the sweep evaluates
    m = ms.model("melitz-ottaviano")
    fixed = {"alpha": "10", "gamma": "1", "eta": "1", "c_M": "1", "k": "2", "f_e": "0.01"}
    outputs = ["c_D", "markup_bar", "W", "gains"]
    design = sweep.grid_design([sweep.parse_grid("L=50:500:4"), sweep.parse_grid("tau=1:3:3"),
                                sweep.parse_grid("n=0,2")])
    res = sweep.run(m, design, fixed, outputs, chunk_size=5)
    assert len(res["c_D"]) == 24
    for row in (0, 7, 17, 23):
        at = {p: repr(float(res[p][row])) for p in ("L", "tau", "n")}
        ref = m.reference(dps=30, outputs=outputs, **fixed, **at)
        for o in outputs:
            assert res[o][row] == pytest.approx(float(ref[o]), rel=1e-14)
