"""Benchmark: generated code against the expert's NumPy evaluation (issue 19, item 4).

1. Generated C (``melitz --dist pareto``, gcc -O2), called point by point in a C
   loop over 1e6 points for phi* and W (one core), against the fused in-place
   NumPy evaluation of ``bench_solve_pareto.baseline`` (7 transcendental calls
   per point, vectorised by numpy) on the same points.  Target: at most 1.5x the
   time per point.  Timed: the per-output functions (``PREFIX_phi_star`` and
   ``PREFIX_W`` at each point), the all-outputs function ``PREFIX_all`` of
   code generated for these two outputs (``outputs=["phi_star", "W"]``: their
   common subexpressions computed once) at each point, and its array version
   ``PREFIX_all_n`` called once on the arrays (blocks of points: the calls of
   consecutive points overlap).  For the record, the expert's 7-call evaluation
   written as a scalar C loop (:data:`_EXPERT`, the baseline's formulas point
   by point) shows what a loop of scalar libm calls costs against numpy's
   vectorised exp and log.
2. The generated NumPy module's vectorised ``solve_cutoff`` for
   ``melitz --dist lognormal`` on 200k points, against ``m.solve`` for phi* on
   the same points.  Target: at most 1.5x.

Everything runs in this process, interleaved (benchmarks/timing.py); the ratios
are printed, and the results are compared with the baselines.

Usage: python3 benchmarks/bench_codegen.py [N_PARETO] [N_LOGNORMAL]
"""

from __future__ import annotations

import ctypes
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from bench_solve_pareto import baseline, inputs
from timing import interleaved

import melitz_sym as ms
from melitz_sym.export import codegen

_LOOP = """#include "{p}.h"
void loop(long ms_n, {arrays}, double *ms_phi, double *ms_w)
{{
    long ms_i;
    for (ms_i = 0; ms_i < ms_n; ms_i++) {{
{body}
    }}
}}
"""
_EACH = """        ms_phi[ms_i] = {p}_phi_star({point});
        ms_w[ms_i] = {p}_W({point});"""
_ALL = """        double ms_out[2];
        {p}_all({point}, ms_out);
        ms_phi[ms_i] = ms_out[0];
        ms_w[ms_i] = ms_out[1];"""
_ARRAY = """#include "{p}.h"
void loop(long ms_n, {arrays}, double *ms_out)
{{
    {p}_all_n(ms_n, {names}, ms_out);
}}
"""


#: The baseline's 7 calls per point as an expert writes them in C, one point at a time.
_EXPERT = """#include <math.h>
void loop(long ms_n, const double *sigma, const double *f, const double *f_e,
          const double *delta, const double *L, const double *tau, const double *f_x,
          const double *n, const double *k, const double *b, double *phi, double *w)
{
    long i;
    for (i = 0; i < ms_n; i++) {
        const double z = sigma[i] - 1, e = (k[i] - sigma[i]) + 1, a = f_x[i] / f[i];
        const double t = exp(-k[i] * (log(a) / z + log(tau[i])));
        const double p = b[i] * exp(log(z * f[i] * (1 + n[i] * a * t)
                                        / (e * delta[i] * f_e[i])) / k[i]);
        phi[i] = p;
        w[i] = z / sigma[i] * p * exp(log(L[i] / (sigma[i] * f[i])) / z);
    }
}
"""


def generated_c(m, directory: Path, how: str = "each"):
    """The generated C of ``m`` and a loop over arrays, built into a shared library;
    ``run(p) -> {"phi_star", "W"}`` calls it on the parameter arrays ``p``: the
    per-output functions at each point (``how="each"``), or, generated for phi_star
    and W only, the all-outputs function at each point (``"all"``) or its array
    version on the arrays (``"array"``); or the expert's scalar loop (``"expert"``,
    :data:`_EXPERT`, no generated code)."""
    plan = codegen.plan(m)
    names = [s.name for s in plan.params]
    point = ", ".join(f"{a}[ms_i]" for a in names)
    arrays = ", ".join(f"const double *{a}" for a in names)
    sources = ["loop.c"]
    if how == "expert":
        assert names == ["sigma", "f", "f_e", "delta", "L", "tau", "f_x", "n", "k", "b"]
        directory.mkdir(parents=True)
        (directory / "loop.c").write_text(_EXPERT)
    else:
        codegen.write(codegen.generate(m, "c", None if how == "each" else ["phi_star", "W"]),
                      directory)
        (directory / "loop.c").write_text(
            _ARRAY.format(p=plan.prefix, arrays=arrays, names=", ".join(names))
            if how == "array" else _LOOP.format(
                p=plan.prefix, arrays=arrays,
                body=(_EACH if how == "each" else _ALL).format(p=plan.prefix, point=point)))
        sources.append(f"{plan.prefix}.c")
    lib = directory / "libbench.so"
    subprocess.run(["gcc", "-std=c99", "-O2", "-fPIC", "-shared", "-o", str(lib), *sources,
                    "-lm"], cwd=directory, check=True)
    cdll = ctypes.CDLL(str(lib))
    ptr = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")
    cdll.loop.argtypes = [ctypes.c_long] + [ptr] * (len(names) + (1 if how == "array" else 2))
    cdll.loop.restype = None

    def run(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        n = len(p[names[0]])
        args = [np.ascontiguousarray(p[a], dtype=float) for a in names]
        if how == "array":
            out = np.empty(2 * n)
            cdll.loop(n, *args, out)
            return {"phi_star": out[0::2], "W": out[1::2]}
        phi, w = np.empty(n), np.empty(n)
        cdll.loop(n, *args, phi, w)
        return {"phi_star": phi, "W": w}

    return run


def lognormal_inputs(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2008)
    sigma = rng.uniform(1.5, 4, n)
    f = rng.uniform(0.5, 3, n)
    return dict(sigma=sigma, f=f, f_e=rng.uniform(0.005, 0.05, n),
                delta=rng.uniform(0.01, 0.1, n), L=rng.uniform(1, 1000, n),
                tau=rng.uniform(1, 2, n), f_x=f * rng.uniform(1, 5, n),
                n=rng.integers(0, 11, n).astype(float), mu=rng.uniform(-1, 1, n),
                s=rng.uniform(0.3, 1, n))


def generated_numpy(m, directory: Path):
    """The generated NumPy module of ``m``, imported."""
    (path,) = codegen.write(codegen.generate(m, "numpy"), directory)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(n_pareto: int = 1_000_000, n_lognormal: int = 200_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        p = inputs(n_pareto)
        m = ms.model("melitz")
        runs = {how: generated_c(m, Path(tmp) / how, how)
                for how in ("each", "all", "array", "expert")}
        base = baseline(p)
        for label, c in runs.items():  # the expert's loop too: the baselines agree
            got = c(p)
            for name in ("phi_star", "W"):
                err = np.nanmax(np.abs(got[name] / base[name] - 1))
                print(f"C ({label}) vs baseline, max relative difference in {name}: "
                      f"{err:.1e}")
        best = interleaved({"base": lambda: baseline(p),
                            **{k: (lambda c=c: c(p)) for k, c in runs.items()}}, rounds=9)
        print(f"points: {n_pareto}")
        print(f"fused NumPy baseline (7 calls):          {best['base'] * 1e3:8.1f} ms")
        print(f"generated C, phi_star and W per point:   {best['each'] * 1e3:8.1f} ms")
        print(f"generated C, all-outputs per point:      {best['all'] * 1e3:8.1f} ms")
        print(f"generated C, all-outputs on the arrays:  {best['array'] * 1e3:8.1f} ms")
        print(f"expert's scalar C loop (7 calls):        {best['expert'] * 1e3:8.1f} ms")
        for k, label in (("each", "per-output functions"), ("all", "all-outputs function"),
                         ("array", "all-outputs array function")):
            print(f"ratio generated C ({label}) / baseline: {best[k] / best['base']:.2f} "
                  "(target <= 1.5)")
        print(f"ratio expert's scalar C loop / baseline: {best['expert'] / best['base']:.2f}; "
              f"generated all-outputs per point / expert's loop: "
              f"{best['all'] / best['expert']:.2f}")

        m = ms.model("melitz", dist="lognormal")
        q = lognormal_inputs(n_lognormal)
        mod = generated_numpy(m, Path(tmp) / "numpy")
        args = [q[a] for a in m.parameters]
        with np.errstate(all="ignore"):
            ours = mod.solve_cutoff(*args)
            ref = m.solve(outputs=["phi_star"], errors="nan", **q)["phi_star"]
        both = np.isfinite(ours) & np.isfinite(ref)
        print(f"generated NumPy solve_cutoff vs m.solve: {both.sum()} of {n_lognormal} points "
              f"finite in both, max relative difference "
              f"{np.max(np.abs(ours[both] / ref[both] - 1)):.1e}")

        def solve():
            with np.errstate(all="ignore"):
                return m.solve(outputs=["phi_star"], errors="nan", **q)

        best = interleaved({"gen": lambda: mod.solve_cutoff(*args), "solve": solve}, rounds=3)
        print(f"points: {n_lognormal}")
        print(f"m.solve, phi*:                  {best['solve'] * 1e3:8.1f} ms")
        print(f"generated NumPy solve_cutoff:   {best['gen'] * 1e3:8.1f} ms")
        print(f"ratio generated / m.solve: {best['gen'] / best['solve']:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
