"""Generated pair-level code of the N-country models, compiled and run with each toolchain.

For each model, 12 random admissible equilibria with 2-4 countries (116 pairs
(i, j)) are solved with ``m.solve``; every generated function is evaluated at
every pair, at the solution's aggregates, in one run of one compiled program
per target.  References: ``m.solve``'s matrices and vectors for the functions
that are outputs, the equilibrium conditions the header documents (free entry,
multilateral resistance), Chaney (2008) eq. (9) for ``lambda_3``, and for the
other pair terms (Jacobian ingredients) the same derived expression evaluated
by sympy's numpy printer.  Tolerance 1e-13 relative.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache

import numpy as np
import pytest
import sympy as sp
from test_codegen import _octave_main, _run, _stdin, _table

import melitz_sym as ms
from melitz_sym.export import codegen

RTOL = 1e-13
SIZES = [2, 3, 4] * 4  # 116 pairs per model
PARETO = [("chaney", "pareto"), ("melitz-asym", "pareto")]
ALL = PARETO + [("melitz-asym", "lognormal")]


def _chaney_params(rng: np.random.Generator, N: int) -> dict:
    sigma = rng.uniform(1.5, 6)
    tau = rng.uniform(1.05, 3, (N, N))
    np.fill_diagonal(tau, 1)
    return dict(sigma=sigma, alpha=rng.uniform(0.05, 1), k=sigma - 1 + rng.uniform(0.2, 4),
                b=rng.uniform(0.5, 2), w=rng.uniform(0.5, 3, N), L=rng.uniform(5, 500, N),
                tau=tau, f=rng.uniform(0.2, 5, (N, N)))


def _asym_params(rng: np.random.Generator, N: int, dist: str) -> dict:
    sigma = rng.uniform(2, 4.5)
    tau = rng.uniform(1.1, 2.0, (N, N))
    np.fill_diagonal(tau, 1)
    f = rng.uniform(1.5, 3, (N, N))
    np.fill_diagonal(f, rng.uniform(0.5, 1.0, N))
    p = dict(sigma=sigma, delta=rng.uniform(0.02, 0.1), f_e=rng.uniform(0.3, 2, N),
             L=rng.uniform(10, 300, N), tau=tau, f=f)
    if dist == "pareto":
        return {**p, "k": sigma - 1 + rng.uniform(0.5, 3, N), "b": rng.uniform(0.5, 1.5, N)}
    # Log-normal: cutoffs at most about 3.5 standard deviations above the mean of log
    # productivity and s (sigma - 1) above 1.  Otherwise the derived free-entry term
    # j(phi) = V phi^(1-sigma) - S cancels (1e-10 at 4.6 sd, 3e-13 at 3.1 sd with
    # s (sigma - 1) = 0.7), in m.solve's lambdify as in generated code (issue 3).
    p.update(sigma=sigma + 0.5, tau=np.where(tau == 1, 1, 1 + (tau - 1) / 3),
             f_e=rng.uniform(2, 6, N))
    return {**p, "mu": rng.uniform(-0.3, 0.3, N), "s": rng.uniform(0.7, 1.0, N)}


@lru_cache(maxsize=None)
def _case(name: str, dist: str):
    """(model, plan, pair table, expected values) for 12 random equilibria.

    The pair table has one row per pair (i, j) and one column per argument of
    the plan: parameters by their shape, aggregates from the solution.
    """
    m = ms.model(name, dist=dist)
    plan = codegen.plan(m)
    rng = np.random.default_rng(2008 if name == "chaney" else 2013)
    rows, checks = [], {}
    for N in SIZES:
        p = (_chaney_params(rng, N) if name == "chaney" else _asym_params(rng, N, dist))
        sol = m.solve(**p)
        i, j = (a.ravel() for a in np.indices((N, N)))
        val = {}
        for s, a in m.read(p).items():  # shaped (), (N,) or (N, N) by d.shapes
            val[s] = a[i, j] if a.ndim == 2 else a[i] if a.ndim == 1 else np.full(i.size, a)
        if name == "chaney":
            Y = sol["Y"]
            val.update(Y=np.full(i.size, Y.sum()), Y_i=Y[i], Y_j=Y[j],
                       pi=np.full(i.size, float(sol["pi"])), theta_j=sol["theta"][j])
        else:
            val.update(w=sol["w"][i], M_e=sol["M_e"][i], A=sol["A"][j],
                       phi_star=sol["phi_star"][i, j])
        rows.append(np.column_stack([val[s.name] for s in plan.params]))
        for key, v in sol.items():
            v = np.asarray(v, dtype=float)
            expanded = {0: np.full(i.size, float(v)) if v.ndim == 0 else None,
                        1: v[j] if v.ndim == 1 else None, 2: v[i, j] if v.ndim == 2 else None}
            checks.setdefault(key, []).append(expanded[v.ndim])
        checks.setdefault("pair", []).append(np.column_stack([np.full(i.size, len(rows) - 1),
                                                              i, j]))
    table = np.vstack(rows)
    checks = {k: np.concatenate(v) for k, v in checks.items()}
    assert table.shape[0] >= 100
    return m, plan, table, checks


def _columns(plan, table) -> dict:
    return {s.name: table[:, c] for c, s in enumerate(plan.params)}


def _lambdified(plan, table) -> dict:
    """Every function's expression evaluated by sympy's numpy printer at the pairs."""
    cols = _columns(plan, table)
    out = {}
    for f in plan.functions:
        fn = sp.lambdify(f.args, f.expr, modules=["scipy", "numpy"])
        out[f.name] = np.broadcast_to(fn(*[cols[a.name] for a in f.args]), (table.shape[0],))
    return out


def _rel(got, ref) -> float:
    got, ref = np.asarray(got, dtype=float), np.asarray(ref, dtype=float)
    assert np.isfinite(ref).all() and np.isfinite(got).all()
    return float(np.max(np.abs(got - ref) / np.maximum(np.abs(ref), 1e-300)))


def _check(name: str, dist: str, got: dict) -> None:
    """``got``: function name -> values at the pairs, from a generated library."""
    m, plan, table, sol = _case(name, dist)
    cols = _columns(plan, table)
    same = _lambdified(plan, table)
    bad = {}
    for f in plan.functions:
        # the printed expression, against sympy's numpy printer of the same expression;
        # absolute for terms that vanish or are logs near zero
        err = np.abs(got[f.name] - same[f.name]) / np.maximum(np.abs(same[f.name]), 1e-2)
        if not np.max(err) <= RTOL:
            bad[f.name] = float(np.max(err))
    assert not bad, f"generated code differs from the derivation's expressions: {bad}"
    diag = sol["pair"][:, 1] == sol["pair"][:, 2]
    if name == "chaney":
        for out in ("phi_star", "X", "M_x", "P", "W", "pi"):  # vectors: the destination's
            assert _rel(got[out], sol[out]) <= RTOL, out
        # header: theta_j^(-k) = sum over origins of (Y_i/Y) a_ij
        share = cols["Y_i"] / cols["Y"] * got["access"]
        k, theta = cols["k"], []
        for e, jj in {(int(e), int(jj)) for e, _, jj in sol["pair"]}:
            rows = (sol["pair"][:, 0] == e) & (sol["pair"][:, 2] == jj)
            theta.append((share[rows].sum() ** (-1 / k[rows][0]), cols["theta_j"][rows][0]))
        assert _rel(*np.array(theta).T) <= RTOL
        # Chaney (2008) eq. (9): phi_ij = lambda_3 (Y/Y_j)^(1/k) w_i tau_ij f_ij^(1/(sigma-1))
        # / theta_j
        lit = (got["lambda_3"] * (cols["Y"] / cols["Y_j"]) ** (1 / k) * cols["w"] * cols["tau"]
               * cols["f"] ** (1 / (cols["sigma"] - 1)) / cols["theta_j"])
        assert _rel(lit, sol["phi_star"]) <= RTOL
        return
    X = np.exp(got["log_r"] + got["log_V"])
    assert _rel(got["phi_star"], sol["phi_star"]) <= RTOL
    assert _rel(X, sol["X"]) <= RTOL
    assert _rel(got["A_of_cut"], sol["A"]) <= RTOL  # sol["A"] expanded by destination
    assert _rel(got["W"][diag], sol["W"][diag]) <= RTOL
    eps = got["log_r_tau"] + got["log_V_phi"] * got["cut_tau"]
    assert _rel(eps, sol["eps"]) <= RTOL
    assert np.all(got["phi_star"] > got["lower"])
    # header: free entry sum_j fe = 1, labour market sum_j X_ij = w_i L_i, per equilibrium
    # and origin; goods market sum_i X_ij = w_j L_j per destination
    keys = sol["pair"]
    income = cols["w"] * cols["L"]
    for axis in (1, 2):
        for group in {(int(a), int(b)) for a, b in keys[:, [0, axis]]}:
            rows = (keys[:, 0] == group[0]) & (keys[:, axis] == group[1])
            if axis == 1:
                assert abs(got["fe"][rows].sum() - 1) <= RTOL
                assert _rel(X[rows].sum(), income[rows][0]) <= RTOL
            else:
                own = rows & diag  # the destination's own pair (j, j): w_j L_j
                assert _rel(X[rows].sum(), (cols["w"] * cols["L"])[own][0]) <= RTOL
    if "phi_A" in got:
        # welfare is proportional to the domestic cutoff, W_i = rho phi*_ii (L_i/(sigma
        # f_ii))^(1/(sigma-1)) (Melitz 2003 eq. (19); literature.md section 5), so the
        # gains over autarky are phi*_ii / phi_A_i
        assert _rel((got["phi_star"] / got["phi_A"])[diag], sol["gains"][diag]) <= RTOL

def _call_args(plan, f, fmt, sep: str = ", ") -> str:
    index = {s: c for c, s in enumerate(plan.params)}
    return sep.join(fmt(index[a]) for a in f.args)


#: Fortran: one argument per continuation line (standard line length).
_CONT = ", &\n      "


def _results(plan, text_table: np.ndarray) -> dict:
    return {f.name: text_table[:, c] for c, f in enumerate(plan.functions)}


# ------------------------------------------------------------------ targets
def _generated(name, dist, lang, tmp_path):
    """(plan, pair table, directory) with the generated ``lang`` files written."""
    m, plan, table, _ = _case(name, dist)
    gen = tmp_path / "gen"
    codegen.write(m.codegen(lang), gen)
    return plan, table, gen


def _c(name, dist, tmp_path, tool, strict):
    gcc = tool("gcc")
    plan, table, gen = _generated(name, dist, "c", tmp_path)
    link = strict("c", gen, [f"{plan.prefix}.c"])
    calls = [f"{plan.prefix}_{f.name}({_call_args(plan, f, lambda c: f'a[{c}]')})"
             for f in plan.functions]
    k = len(plan.params)
    (gen / "main.c").write_text(
        f'#include <stdio.h>\n#include "{plan.prefix}.h"\nint main(void) {{\n'
        f"    double a[{k}]; int i;\n    for (;;) {{\n"
        f'        for (i = 0; i < {k}; i++) if (scanf("%lf", &a[i]) != 1) return 0;\n'
        + "".join(f'        printf("%.17g ", {c});\n' for c in calls)
        + '        printf("\\n");\n    }\n}\n')
    _run([gcc, "-std=c99", "-O1", "-o", "prog", "main.c", *link, "-lm"], gen)
    return _results(plan, _table(_run([str(gen / "prog")], tmp_path, _stdin(table))))


def _fortran(name, dist, tmp_path, tool, strict):
    gfortran = tool("gfortran")
    plan, table, gen = _generated(name, dist, "fortran", tmp_path)
    link = strict("fortran", gen, [f"{plan.prefix}.f90"])
    safe = codegen.case_safe_names(plan)
    writes = "".join(
        f"    write(*, '(es26.17e3)', advance='no') {plan.prefix}_{safe[f.name]}("
        f"{_call_args(plan, f, lambda c: f'a({c + 1})', _CONT)})\n"
        for f in plan.functions)
    (gen / "main.f90").write_text(
        f"program main\n  use {plan.prefix}\n  use, intrinsic :: iso_fortran_env, only: real64\n"
        f"  implicit none\n  real(real64) :: a({len(plan.params)})\n  integer :: ios\n  do\n"
        f"    read(*, *, iostat=ios) a\n    if (ios /= 0) exit\n{writes}"
        "    write(*, *)\n  end do\nend program main\n")
    _run([gfortran, "-std=f2008", "-O1", "-o", "prog", "main.f90", *link], gen)
    return _results(plan, _table(_run([str(gen / "prog")], tmp_path, _stdin(table))))


def _rust(name, dist, tmp_path, tool, strict):
    rustc = tool("rustc")
    plan, table, gen = _generated(name, dist, "rust", tmp_path)
    link = strict("rust", gen, [f"{plan.prefix}.rs"])
    prints = "".join(f'        print!("{{:e}} ", {plan.prefix}::{f.name}('
                     f"{_call_args(plan, f, lambda c: f'a[{c}]')}));\n" for f in plan.functions)
    (gen / "main.rs").write_text(
        "use std::io::Read;\nfn main() {\n"
        "    let mut s = String::new();\n"
        "    std::io::stdin().read_to_string(&mut s).unwrap();\n"
        "    for line in s.lines() {\n"
        "        let a: Vec<f64> = line.split_whitespace().map(|v| v.parse().unwrap()).collect();\n"
        f"{prints}        println!();\n    }}\n}}\n")
    _run([rustc, "--edition", "2021", "-O", "-D", "warnings", "-L", ".", *link, "-o", "prog",
          "main.rs"], gen)
    return _results(plan, _table(_run([str(gen / "prog")], tmp_path, _stdin(table))))


def _js(name, dist, tmp_path, tool, strict):
    node = tool("node")
    plan, table, gen = _generated(name, dist, "js", tmp_path)
    strict("js", gen, [f"{plan.prefix}.mjs"])
    calls = ", ".join(f"lib.{f.name}({_call_args(plan, f, lambda c: f'a[{c}]')})"
                      for f in plan.functions)
    (gen / "main.mjs").write_text(
        f'import * as lib from "./{plan.prefix}.mjs";\nimport {{ readFileSync }} from "fs";\n'
        'for (const line of readFileSync(0, "utf8").trim().split("\\n")) {\n'
        "  const a = line.split(/\\s+/).map(Number);\n"
        f"  console.log([{calls}].map(String).join(' '));\n}}\n")
    return _results(plan, _table(_run([node, str(gen / "main.mjs")], tmp_path, _stdin(table))))


def _octave(name, dist, tmp_path, tool, strict):
    plan, table, gen = _generated(name, dist, "octave", tmp_path)
    safe = codegen.case_safe_names(plan)
    np.savetxt(gen / "points.txt", table, fmt="%.17g")
    calls = ", ".join(f"{plan.prefix}_{safe[f.name]}("
                      f"{_call_args(plan, f, lambda c: f'a(:, {c + 1})')}) + z"
                      for f in plan.functions)
    (gen / "main.m").write_text(
        "a = load('points.txt');\nz = zeros(rows(a), 1);\nout = [" + calls + "];\n"
        "fid = fopen('out.txt', 'w'); fprintf(fid, [repmat('%.17g ', 1, columns(out)) '\\n'], "
        "out'); fclose(fid);\n")
    return _results(plan, _octave_main(tool, gen))


def _r(name, dist, tmp_path, tool, strict):
    plan, table, gen = _generated(name, dist, "r", tmp_path)
    np.savetxt(gen / "points.txt", table, fmt="%.17g")
    calls = ", ".join(f"{plan.prefix}_{f.name}("
                      f"{_call_args(plan, f, lambda c: f'a[, {c + 1}]')}) + z"
                      for f in plan.functions)
    (gen / "main.R").write_text(
        f'source("{plan.prefix}.R")\na <- as.matrix(read.table("points.txt"))\n'
        f"z <- numeric(nrow(a))\nout <- cbind({calls}, deparse.level = 0)\n"
        "write.table(matrix(sprintf('%.17g', out), nrow = nrow(a)), 'out.txt', quote = FALSE, "
        "row.names = FALSE, col.names = FALSE)\n")
    _run([tool("Rscript"), "main.R"], gen)
    return _results(plan, np.loadtxt(gen / "out.txt", ndmin=2))


def _numpy(name, dist, tmp_path, tool, strict):
    m, plan, table, _ = _case(name, dist)
    (path,) = m.codegen("numpy", tmp_path)
    spec = importlib.util.spec_from_file_location(plan.prefix, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    cols = _columns(plan, table)
    return {f.name: np.broadcast_to(getattr(mod, f.name)(*[cols[a.name] for a in f.args]),
                                    (table.shape[0],)) for f in plan.functions}


TARGETS = {"c": _c, "fortran": _fortran, "rust": _rust, "js": _js, "octave": _octave,
           "r": _r, "numpy": _numpy}
ERFC = tuple(TARGETS)  # every target has erfc (Rust and JS: generated with the code; R: pnorm)


@pytest.mark.parametrize("name, dist, lang",
                         [(n, d, lang) for n, d in PARETO for lang in TARGETS]
                         + [("melitz-asym", "lognormal", lang) for lang in ERFC])
def test_pair_functions_reproduce_the_equilibrium(name, dist, lang, tmp_path, tool, strict):
    _check(name, dist, TARGETS[lang](name, dist, tmp_path, tool, strict))


def test_header_documents_arguments_assembly_and_version():
    text = ms.model("chaney").codegen("c")["chaney_pareto.h"]
    assert f"melitz-sym {ms.__version__}" in text
    assert "theta_j: multilateral resistance theta_j of the destination j" in text
    assert "tau: iceberg trade cost from origin i to destination j" in text
    assert "multilateral_resistance: theta_j = Sum(" in text  # the derivation's step
    assert "iceberg trade costs are at least one [tau >= 1]" in text
    assert "parameter of the declared density" not in text
    asym = ms.model("melitz-asym").codegen("numpy")["melitz_asym_pareto.py"]
    assert "free_entry: Sum(" in asym and "goods_market: Sum(" in asym
    assert "def fe(sigma, delta, f_e, f, k, b, phi_star):" in asym


def test_cli_codegen_chaney(tmp_path, strict):
    from melitz_sym.cli import main

    out = tmp_path / "out"
    assert main(["codegen", "chaney", "--lang", "c", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["Makefile", "chaney_pareto.c",
                                                    "chaney_pareto.h"]
    assert strict("c", out, ["chaney_pareto.c"]) == ["chaney_pareto.o"]
