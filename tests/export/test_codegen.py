"""Generated code: compiled and run with each real toolchain, compared with ``m.solve``.

Each target is compiled once per model and evaluates 100 random admissible
points in one run (points on stdin or in a file, results on stdout); the
reference is the package's numpy path ``m.solve`` at the same points, and the
tolerance is 1e-13 relative.
"""

from __future__ import annotations

import importlib.util
import random
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

import melitz_sym as ms
from melitz_sym.derivation import random_point
from melitz_sym.errors import MelitzError, UnknownNameError
from melitz_sym.export import codegen
from melitz_sym.models import krugman, melitz

CLOSED = [("krugman", None), ("melitz-closed", "pareto"), ("melitz", "pareto")]
SOLVER = [("melitz", "lognormal")]
POINTS = 100
RTOL = 1e-13


def _model(name, dist):
    return ms.model(name, dist=dist) if dist else ms.model(name)




# The log-normal cutoff residual as derived (1 - erf, powers of S and V) overflows
# in double precision for large sigma and small s, in m.solve as in generated code
# (stable forms are issue 3); its points come from a moderate box, where those
# at which m.solve itself overflows are left out.
MODERATE = {**melitz.BOX, "sigma": (1.5, 4), "s": (0.3, 1), "tau": (1, 2)}


def _points(m, seed=2024) -> np.ndarray:
    """POINTS random admissible parameter vectors in the model's sampling box, corners
    (phi* below the lower bound: every entrant produces) left out."""
    d = m.derive()
    box = krugman.BOX if m.name == "krugman" else melitz.BOX
    if m.dist is not None and m.dist.name == "lognormal":
        box = MODERATE
    rng = random.Random(seed)
    rows = [random_point(d.parameters, d.restrictions, box, rng) for _ in range(2 * POINTS)]
    pts = np.array([[float(r[p]) for p in d.parameters] for r in rows])
    with np.errstate(all="ignore"):
        ref = m.solve(errors="nan", **{p: pts[:, i] for i, p in enumerate(m.parameters)})
    ok = np.logical_and.reduce([np.isfinite(v) for v in ref.values()])
    assert ok.sum() >= POINTS
    return pts[ok][:POINTS]


def _outputs(plan) -> list[str]:
    if not plan.solver:
        return [f.name for f in plan.functions]
    return ["phi_star"] + [f.name for f in plan.functions if not f.name.startswith("cutoff_")]


def _reference(m, pts: np.ndarray, names: list[str]) -> np.ndarray:
    params = {p: pts[:, i] for i, p in enumerate(m.parameters)}
    sol = m.solve(outputs=names, **params)
    return np.column_stack([sol[n] for n in names])


def _compare(got: np.ndarray, ref: np.ndarray, names: list[str]) -> None:
    assert got.shape == ref.shape
    assert np.isfinite(ref).all()
    rel = np.abs(got - ref) / np.abs(ref)
    worst = np.nanmax(rel, axis=0)
    bad = {n: w for n, w in zip(names, worst) if not w <= RTOL}
    assert not bad, f"relative errors above {RTOL}: {bad}"


def _calls(plan, fmt_arg, call, solve=None) -> list[str]:
    """Expressions computing every output from the parameter vector, in order.

    ``fmt_arg(i)`` is the i-th parameter; ``call(name, args)`` a call;
    ``solve(args)`` the solver call (C) for a model without closed form.
    """
    params = [fmt_arg(i) for i in range(len(plan.params))]
    if not plan.solver:
        return [call(f.name, params) for f in plan.functions]
    n = [p.name for p in plan.params].index("n")
    autarky = params[:n] + ["0.0"] + params[n + 1:]
    out = ["phi"]
    for f in plan.functions:
        if f.name.startswith("cutoff_"):
            continue
        extra = ["phi", "phi_a"] if len(f.args) == len(plan.params) + 2 else ["phi"]
        out.append(call(f.name, extra + params))
    return [solve(params), solve(autarky)] + out


def _run(cmd, cwd, stdin=None) -> str:
    run = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:] + run.stdout[-2000:]
    return run.stdout


def _table(text: str) -> np.ndarray:
    return np.array([[float(v) for v in line.replace(",", " ").split()]
                     for line in text.strip().splitlines()])


def _stdin(pts: np.ndarray) -> str:
    return "\n".join(" ".join(repr(float(v)) for v in row) for row in pts) + "\n"


# ------------------------------------------------------------------ C
def _c_driver(plan) -> str:
    p = plan.prefix
    k = len(plan.params)
    exprs = _calls(plan, lambda i: f"a[{i}]", lambda f, a: f"{p}_{f}({', '.join(a)})",
                   lambda a: f"{p}_solve_cutoff({', '.join(a)}, &st)")
    lines = ["#include <stdio.h>", f'#include "{p}.h"', "int main(void) {",
             f"    double a[{k}]; int st = 0, i; (void)st;",
             "    for (;;) {",
             f"        for (i = 0; i < {k}; i++) if (scanf(\"%lf\", &a[i]) != 1) return 0;"]
    if plan.solver:
        lines += [f"        double phi = {exprs[0]}; if (st) return 3;",
                  f"        double phi_a = {exprs[1]}; if (st) return 3;"]
        exprs = exprs[2:]
    lines += [f'        printf("%.17g ", {e});' for e in exprs]
    lines += ['        printf("\\n");', "    }", "}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name, dist", CLOSED + SOLVER)
def test_c(name, dist, tmp_path, tool):
    gcc = tool("gcc")
    m = _model(name, dist)
    plan = codegen.plan(m)
    codegen.write(codegen.generate(m, "c"), tmp_path / "gen")
    (tmp_path / "gen" / "main.c").write_text(_c_driver(plan))
    _run([gcc, "-std=c99", "-O1", "-Wall", "-Werror", "-o", "prog", "main.c", f"{plan.prefix}.c",
          "-lm"], tmp_path / "gen")
    pts = _points(m)
    names = _outputs(plan)
    got = _table(_run([str(tmp_path / "gen" / "prog")], tmp_path, _stdin(pts)))
    _compare(got, _reference(m, pts, names), names)


# ------------------------------------------------------------------ NumPy
@pytest.mark.parametrize("name, dist", CLOSED + SOLVER)
def test_numpy_module(name, dist, tmp_path):
    m = _model(name, dist)
    plan = codegen.plan(m)
    (path,) = codegen.write(codegen.generate(m, "numpy"), tmp_path)
    # Standalone: importing it does not import sympy.
    _run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r}); "
          f"import {plan.prefix}; assert 'sympy' not in sys.modules"], tmp_path)
    spec = importlib.util.spec_from_file_location(plan.prefix, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    pts = _points(m)
    args = [pts[:, i] for i in range(pts.shape[1])]
    names = _outputs(plan)
    if plan.solver:
        n = [p.name for p in plan.params].index("n")
        phi = mod.solve_cutoff(*args)
        phi_a = mod.solve_cutoff(*args[:n], np.zeros(POINTS), *args[n + 1:])
        cols = [phi]
        for f in plan.functions:
            if not f.name.startswith("cutoff_"):
                extra = [phi, phi_a] if len(f.args) == len(args) + 2 else [phi]
                cols.append(getattr(mod, f.name)(*extra, *args))
    else:
        cols = [getattr(mod, f)(*args) for f in names]
    got = np.column_stack([np.broadcast_to(c, (POINTS,)) for c in cols])
    _compare(got, _reference(m, pts, names), names)


# ------------------------------------------------------------------ Fortran
def _fortran_driver(plan) -> str:
    names = codegen.case_safe_names(plan)
    p, k = plan.prefix, len(plan.params)
    exprs = _calls(plan, lambda i: f"a({i + 1})", lambda f, a: f"{p}_{names[f]}({', '.join(a)})")
    writes = "\n".join(f"    write(*, '(es26.17e3)', advance='no') {e}" for e in exprs)
    return (f"program main\n  use {p}\n  use, intrinsic :: iso_fortran_env, only: real64\n"
            f"  implicit none\n  real(real64) :: a({k})\n  integer :: ios\n  do\n"
            f"    read(*, *, iostat=ios) a\n    if (ios /= 0) exit\n{writes}\n"
            "    write(*, *)\n  end do\nend program main\n")


@pytest.mark.parametrize("name, dist", CLOSED)
def test_fortran(name, dist, tmp_path, tool):
    gfortran = tool("gfortran")
    m = _model(name, dist)
    plan = codegen.plan(m)
    codegen.write(codegen.generate(m, "fortran"), tmp_path / "gen")
    (tmp_path / "gen" / "main.f90").write_text(_fortran_driver(plan))
    _run([gfortran, "-std=f2008", "-O1", "-ffree-line-length-none", "-o", "prog",
          f"{plan.prefix}.f90", "main.f90"], tmp_path / "gen")
    pts = _points(m)
    names = _outputs(plan)
    got = _table(_run([str(tmp_path / "gen" / "prog")], tmp_path, _stdin(pts)))
    _compare(got, _reference(m, pts, names), names)


# ------------------------------------------------------------------ Rust
def _rust_driver(plan) -> str:
    exprs = _calls(plan, lambda i: f"a[{i}]", lambda f, a: f"{plan.prefix}::{f}({', '.join(a)})")
    prints = "\n".join(f'        print!("{{:e}} ", {e});' for e in exprs)
    return (f"mod {plan.prefix};\nuse std::io::Read;\nfn main() {{\n"
            "    let mut s = String::new();\n"
            "    std::io::stdin().read_to_string(&mut s).unwrap();\n"
            "    for line in s.lines() {\n"
            "        let a: Vec<f64> = line.split_whitespace()\n"
            "            .map(|v| v.parse().unwrap()).collect();\n"
            f"{prints}\n        println!();\n    }}\n}}\n")


@pytest.mark.parametrize("name, dist", CLOSED)
def test_rust(name, dist, tmp_path, tool):
    rustc = tool("rustc")
    m = _model(name, dist)
    plan = codegen.plan(m)
    codegen.write(codegen.generate(m, "rust"), tmp_path / "gen")
    (tmp_path / "gen" / "main.rs").write_text(_rust_driver(plan))
    _run([rustc, "--edition", "2021", "-O", "-o", "prog", "main.rs"], tmp_path / "gen")
    pts = _points(m)
    names = _outputs(plan)
    got = _table(_run([str(tmp_path / "gen" / "prog")], tmp_path, _stdin(pts)))
    _compare(got, _reference(m, pts, names), names)


# ------------------------------------------------------------------ JavaScript
@pytest.mark.parametrize("name, dist", CLOSED)
def test_js(name, dist, tmp_path, tool):
    node = tool("node")
    m = _model(name, dist)
    plan = codegen.plan(m)
    codegen.write(codegen.generate(m, "js"), tmp_path / "gen")
    exprs = _calls(plan, lambda i: f"a[{i}]", lambda f, a: f"lib.{f}({', '.join(a)})")
    (tmp_path / "gen" / "main.mjs").write_text(
        f'import * as lib from "./{plan.prefix}.mjs";\nimport {{ readFileSync }} from "fs";\n'
        'for (const line of readFileSync(0, "utf8").trim().split("\\n")) {\n'
        "  const a = line.split(/\\s+/).map(Number);\n"
        f"  console.log([{', '.join(exprs)}].map(String).join(' '));\n}}\n")
    pts = _points(m)
    names = _outputs(plan)
    got = _table(_run([node, str(tmp_path / "gen" / "main.mjs")], tmp_path, _stdin(pts)))
    _compare(got, _reference(m, pts, names), names)


# ------------------------------------------------------------------ Octave
@pytest.mark.parametrize("name, dist", CLOSED)
def test_octave(name, dist, tmp_path, tool):
    octave = tool("octave")
    m = _model(name, dist)
    plan = codegen.plan(m)
    names_safe = codegen.case_safe_names(plan)
    codegen.write(codegen.generate(m, "octave"), tmp_path / "gen")
    pts = _points(m)
    np.savetxt(tmp_path / "gen" / "points.txt", pts, fmt="%.17g")
    exprs = _calls(plan, lambda i: f"a(:, {i + 1})",
                   lambda f, a: f"{plan.prefix}_{names_safe[f]}({', '.join(a)})")
    (tmp_path / "gen" / "main.m").write_text(
        "a = load('points.txt');\nout = [" + ", ".join(exprs) + "];\n"
        "fid = fopen('out.txt', 'w'); fprintf(fid, [repmat('%.17g ', 1, columns(out)) '\\n'], "
        "out'); fclose(fid);\n")
    _run([octave, "--no-gui", "--no-window-system", "--quiet", "--eval", "main"], tmp_path / "gen")
    names = _outputs(plan)
    got = np.loadtxt(tmp_path / "gen" / "out.txt", ndmin=2)
    _compare(got, _reference(m, pts, names), names)


# ------------------------------------------------------------------ contents and bad input
def test_files_document_themselves():
    m = _model("melitz", "lognormal")
    text = codegen.generate(m, "c")["melitz_lognormal.c"]
    assert f"melitz-sym {ms.__version__}" in text
    assert "selection into exporting" in text  # an admissibility condition
    assert "sigma: elasticity of substitution" in text  # argument meaning
    assert "melitz_lognormal_solve_cutoff" in text
    assert "erfc(" in text  # the log-normal survival function, in its stable form


def test_no_erf_in_language_is_a_clear_error():
    with pytest.raises(MelitzError, match="no standard function for erf"):
        codegen.generate(_model("melitz", "lognormal"), "js")


def test_unknown_language():
    with pytest.raises(UnknownNameError, match="unknown language 'cobol'"):
        codegen.generate(_model("krugman", None), "cobol")


def test_write_refuses_other_files_and_overwrites_only_with_force(tmp_path):
    files = codegen.generate(_model("krugman", None), "c")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(MelitzError, match="other files"):
        codegen.write(files, tmp_path, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    out = tmp_path / "out"
    codegen.write(files, out)
    (out / "krugman.c").write_text("edited")
    with pytest.raises(MelitzError, match="--force"):
        codegen.write(files, out)
    assert (out / "krugman.c").read_text() == "edited"
    codegen.write(files, out, force=True)
    assert (out / "krugman.c").read_text() == files["krugman.c"]


def test_case_clash_renamed_for_fortran():
    plan = codegen.plan(_model("krugman", None))
    names = codegen.case_safe_names(plan)
    assert names["p"] == "p" and names["P"] == "P_cap"


def test_custom_density_numpy_module(tmp_path):
    """A Custom density (incomplete gamma tail moments): the standalone module documents
    the density's parameter and its solver agrees with m.solve."""
    phi, lam = sp.symbols("phi lambda_", positive=True)
    m = ms.model("melitz", dist=ms.Custom(lam * sp.exp(-lam * (phi - 1)), (1, sp.oo), var=phi))
    paths = m.codegen("numpy", tmp_path / "gen")
    text = paths[0].read_text()
    assert "lambda_: parameter of the declared density" in text
    spec = importlib.util.spec_from_file_location("custom_gen", paths[0])
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    p = dict(sigma=3.8, f=1.5, f_e=0.2, delta=0.05, L=100.0, tau=1.3, f_x=2.5, n=3.0,
             lambda_=1.7)
    got = mod.solve_cutoff(*[p[s] for s in m.parameters])
    want = m.solve(outputs=["phi_star"], **p)["phi_star"]
    assert abs(got - want) <= 1e-13 * want
