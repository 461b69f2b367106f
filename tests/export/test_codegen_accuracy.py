"""Generated code of Melitz-Pareto against the 50-digit reference (issue 19, items 1, 2, 4).

The points and expected values are the numeric layer's accuracy tables
(tests/numeric/reference_data, written by make_reference.py with
``Model.reference(dps=50)``, the independent mpmath path): the standard ranges
and every stress region (k near sigma - 1, sigma large, k, tau and b large, the
cutoff deep in the tail, sigma near 1).  The generated C is compiled with the
strict flags (conftest.STRICT) and run at every point, through the all-outputs
function ``melitz_pareto_all``, its array version ``melitz_pareto_all_n`` (on
all the points of a table at once) and each per-output function; Fortran,
Rust, JavaScript, Octave and R are built with their strict flags and run once
each on the points of all the tables (per-output functions; Fortran's
all-outputs subroutine too), and the NumPy module is imported and called on
them (per-output functions and all_outputs).  Each output must be as accurate as ``m.solve`` in
double: within the tolerance of tests/numeric/test_accuracy.py, or within the
error ``solve`` itself has there where that misses it (its KNOWN table), or
within the measured error of FORMS_KNOWN / TARGET_KNOWN (ulps), and finite
wherever the true value is a normal double.

``python tests/export/test_codegen_accuracy.py`` prints the table of every
target's max relative error per region (markdown).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest

import melitz_sym as ms
from melitz_sym.admissibility import NO_PARTNERS_ZERO
from melitz_sym.export import codegen

sys.path.insert(0, str(Path(__file__).parents[1] / "numeric"))
from test_accuracy import HUGE, KNOWN, TINY, load, tolerance  # noqa: E402

from conftest import STRICT, build_strict, find_tool  # noqa: E402
from test_codegen import _all_driver_fortran, _execute, _numpy_module  # noqa: E402

REGIONS = ("standard", "e_small", "k_large", "sigma_large", "sigma_near_1", "deep_tail")
MAX_POINTS = 1000  # the largest table

#: (region, output, entry point) -> max relative error measured where the generated C
#: (all_n: as all) misses both the tolerance and solve's own measured error (KNOWN) on
#: the table.  The forms are solve's; the roundings of a product depend on how its
#: common subexpressions are grouped (one function per output, or all outputs at once
#: as solve groups them), and glibc's exp and log are not numpy's: a few ulps of the
#: log domain either way (numeric/stable.py), at 1 to 3 points of the table.  Every
#: other target prints the same forms grouped the same way: Rust, Octave and R (glibc's
#: exp, log and log1p) give the C's values to the bit at every point of the tables;
#: JavaScript (V8's exp and log) and Fortran (its own log1p) differ from them by ulps,
#: with the same misses (the same measured errors), and Fortran one more (TARGET_KNOWN).
FORMS_KNOWN = {("standard", "phi_tilde", "per output"): 2.8e-15,
               ("standard", "P", "per output"): 2.1e-15,
               ("standard", "p_x", "all"): 3.6e-15,
               ("standard", "phi_tilde_x", "all"): 2.1e-15,
               ("standard", "phi_tilde_t", "all"): 2.2e-15,
               ("k_large", "p_x", "per output"): 9.0e-14}


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    """:func:`_build_c` in a new directory."""
    return _build_c(tmp_path_factory.mktemp("c"))


def _build_c(out: Path):
    """The generated C of melitz-pareto with a driver, built in ``out``: rows of
    parameters on stdin (at most MAX_POINTS), a row of outputs per point on stdout
    (all-outputs function, its array version, then each per-output function); the
    program, the parameter names and the output names."""
    gcc = find_tool("gcc")
    m = ms.model("melitz")
    plan = codegen.plan(m)
    codegen.write(codegen.generate(m, "c"), out)
    p, k, names = plan.prefix, len(plan.params), [f.name for f in plan.functions]
    r = len(names)
    args = ", ".join(f"a[{i}][j]" for i in range(k))
    (out / "main.c").write_text(
        f'#include <stdio.h>\n#include "{p}.h"\n'
        f"static double a[{k}][{MAX_POINTS}], o[{r}], on[{r * MAX_POINTS}];\n"
        "int main(void) {\n    long n = 0, j;\n    int i;\n"
        f'    for (; n < {MAX_POINTS}; n++)\n'
        f'        for (i = 0; i < {k}; i++) if (scanf("%lf", &a[i][n]) != 1) goto done;\n'
        f"done:\n    {p}_all_n(n, {', '.join(f'a[{i}]' for i in range(k))}, on);\n"
        "    for (j = 0; j < n; j++) {\n"
        f"        {p}_all({args}, o);\n"
        f'        for (i = 0; i < {r}; i++) printf("%.17g ", o[i]);\n'
        f'        for (i = 0; i < {r}; i++) printf("%.17g ", on[{r} * j + i]);\n'
        + "".join(f'        printf("%.17g ", {p}_{n}({args}));\n' for n in names)
        + '        printf("\\n");\n    }\n    return 0;\n}\n')
    run = subprocess.run([gcc, *STRICT["c"], "-O2", "-o", "prog", "main.c", f"{p}.c", "-lm"],
                         cwd=out, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return out / "prog", [s.name for s in plan.params], names


def _run(program, region: str) -> tuple[dict, dict, dict, dict]:
    """(table, all-outputs values, array values, per-output values) of the region's
    table."""
    prog, params, names = program
    table = load(region, "pareto")
    rows = zip(*[table["params"][p] for p in params])
    stdin = "\n".join(" ".join(r) for r in rows) + "\n"
    run = subprocess.run([str(prog)], input=stdin, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    got = np.array([[float(v) for v in line.split()] for line in run.stdout.splitlines()])
    assert got.shape == (len(table["params"]["k"]), 3 * len(names))
    return tuple([table] + [dict(zip(names, part.T)) for part in np.hsplit(got, 3)])


def _errors(region: str, table: dict, got: dict[str, np.ndarray]) -> dict[str, tuple]:
    """Output -> (max relative error, number of non-finite values) of the values ``got``
    (output -> values at the table's points) where the true value is a normal double
    (at n = 0 the tables hold the share of exporters "if there were partners": those
    entries are not compared)."""
    autarky = np.array([float(x) for x in table["params"]["n"]]) == 0
    out = {}
    for name, col in table["results"].items():
        true = [mpmath.mpf(x) for x in col]
        fits = np.array([TINY < abs(t) < HUGE for t in true])
        if name in NO_PARTNERS_ZERO:
            fits &= ~autarky
        values = got[name]
        bad = int((~np.isfinite(values[fits])).sum())
        rel = max((float(abs((mpmath.mpf(g) - t) / t))
                   for g, t, ok in zip(values, true, fits) if ok and np.isfinite(g)),
                  default=0.0)
        out[name] = (rel, bad)
    return out


def _problems(region: str, table: dict, entries: dict[str, dict], known: dict) -> list[str]:
    """The outputs of each entry point (``entries``: entry point -> output -> values)
    less accurate than solve (the tolerance of tests/numeric/test_accuracy.py, or
    solve's own error where it misses it) and than ``known`` (key (region, output,
    entry point)) allows, or not finite where the true value is a normal double."""
    problems = []
    for how, got in entries.items():
        for name, (rel, bad) in _errors(region, table, got).items():
            solve = max(tolerance(region, "pareto"), KNOWN.get((region, "pareto", name), 0.0))
            limit = max(solve, known.get((region, name, how), 0.0))
            if bad or not rel <= limit:
                problems.append(f"{name} ({how}): {rel:.2e} > {limit:.2e} or {bad} not finite")
    return problems


@pytest.mark.parametrize("region", REGIONS)
def test_generated_c_is_as_accurate_as_solve(program, region):
    table, every, arrays, each = _run(program, region)
    known = {**FORMS_KNOWN, **{(r, n, "all_n"): v for (r, n, how), v in FORMS_KNOWN.items()
                               if how == "all"}}
    problems = _problems(region, table, {"all": every, "all_n": arrays, "per output": each},
                         known)
    assert not problems, f"{region}: " + "; ".join(problems)


@pytest.mark.parametrize("region", REGIONS)
def test_entry_points_agree(program, region):
    """The array version computes what the all-outputs function does, bit for bit
    (at the points where a guarded node is not a normal double, by calling it); the
    per-output functions print the same forms, grouped differently: within a few
    ulps at the standard points."""
    _, every, arrays, each = _run(program, region)
    for name in every:
        assert np.array_equal(every[name], arrays[name], equal_nan=True), name
        if region == "standard":
            assert np.allclose(every[name], each[name], rtol=4e-15, atol=0), name


# ------------------------------------------------------------------ the other targets
#: The targets besides C (above).
TARGETS = ("fortran", "rust", "js", "octave", "r", "numpy")

#: language -> (region, output, entry point) -> max relative error measured where the
#: target misses the tolerance, solve's own measured error (KNOWN) and FORMS_KNOWN.
#: Fortran 2008 has no log1p: the module's own (Goldberg's log(u) x/(u - 1), u = 1 + x,
#: which logaddexp calls) is within about 2 ulps where glibc's is within 1: phi_tilde_t
#: 2.0053e-15 at one standard point (C: below 2e-15).
TARGET_KNOWN: dict[str, dict[tuple[str, str, str], float]] = {
    "fortran": {("standard", "phi_tilde_t", "per output"): 2.1e-15},
    "rust": {}, "js": {}, "octave": {}, "r": {}, "numpy": {}}


def _all_points(params: list[str], dist: str = "pareto",
                regions: tuple[str, ...] = REGIONS) -> tuple[np.ndarray, dict[str, slice]]:
    """The points of every table of ``dist`` (rows, parameters in the order ``params``)
    and the rows of each region."""
    blocks, where, start = [], {}, 0
    for region in regions:
        table = load(region, dist)
        blocks.append(np.array([[float(x) for x in table["params"][p]] for p in params]).T)
        where[region] = slice(start, start + len(blocks[-1]))
        start += len(blocks[-1])
    return np.vstack(blocks), where


def _measure(lang: str, directory: Path) -> dict[str, dict[str, dict[str, np.ndarray]]]:
    """Region -> entry point -> output -> values of the generated code of
    melitz-pareto in ``lang``, built with its strict flags in ``directory`` and run
    once per entry point on the points of every table (the per-output functions,
    and Fortran's all-outputs subroutine; NumPy's module imported, its per-output
    functions and all_outputs)."""
    m = ms.model("melitz")
    plan = codegen.plan(m)
    names = [f.name for f in plan.functions]
    pts, where = _all_points([p.name for p in plan.params])
    if lang == "numpy":  # the module imported, on all the points at once
        mod = _numpy_module(m, directory)
        every = mod.all_outputs(*pts.T)
        runs = {"per output": np.column_stack([getattr(mod, n)(*pts.T) for n in names]),
                "all": np.column_stack([every[n] for n in names])}
        return {region: {how: dict(zip(names, got[rows].T)) for how, got in runs.items()}
                for region, rows in where.items()}
    files = codegen.generate(m, lang)
    drivers = {"per output": None, **({"all": _all_driver_fortran} if lang == "fortran" else {})}
    runs = {}
    for how, driver in drivers.items():
        got = _execute(find_tool, build_strict, lang, plan, files, pts,
                       directory / how.replace(" ", "_"), driver)
        assert got.shape == (len(pts), len(names)), (lang, how, got.shape)
        runs[how] = got
    return {region: {how: dict(zip(names, got[rows].T)) for how, got in runs.items()}
            for region, rows in where.items()}


@pytest.fixture(scope="module", params=TARGETS)
def target(request, tmp_path_factory):
    """(language, :func:`_measure` of it)."""
    return request.param, _measure(request.param, tmp_path_factory.mktemp(request.param))


@pytest.mark.parametrize("region", REGIONS)
def test_generated_code_is_as_accurate_as_solve(target, region):
    """Fortran, Rust, JavaScript, Octave, R and NumPy print the forms solve evaluates: as
    accurate as solve at every table's points, finite wherever the true value is a
    normal double."""
    lang, values = target
    problems = _problems(region, load(region, "pareto"), values[region],
                         {**FORMS_KNOWN, **TARGET_KNOWN[lang]})
    assert not problems, f"{lang}, {region}: " + "; ".join(problems)


# ------------------------------------------------------------------ log-normal (Newton)
LN_REGIONS = ("standard", "deep_tail", "s_large", "sigma_large", "sigma_near_1")

#: The targets besides NumPy (the package's own evaluation).
LN_TARGETS = ("c", "fortran", "rust", "js", "octave", "r")

#: language -> (region, output) -> max relative error measured where the target misses
#: the tolerance and solve's own measured error in double (KNOWN).  The generated
#: solvers' root differs from solve's double root by ulps (glibc's erfc, exp and log,
#: R's pnorm, are not scipy's), and the outputs carry it times their elasticity to
#: phi_star (p_in, pi_bar, M_e: the tail's phi g/S, tens in deep_tail and s_large;
#: phi_tilde_t near sigma = 1), within 1.6x of solve's own measured error.
_ELASTICITY = {("standard", "p_in"): 1.7e-14, ("standard", "pi_bar"): 1.7e-14,
               ("deep_tail", "p_in"): 9.7e-14, ("deep_tail", "pi_bar"): 9.7e-14,
               ("deep_tail", "M_e"): 9.8e-14, ("deep_tail", "p_x"): 6.5e-14,
               ("deep_tail", "M_x"): 4.8e-14, ("s_large", "p_in"): 9.6e-14,
               ("s_large", "pi_bar"): 9.6e-14, ("s_large", "M_e"): 1.5e-13,
               ("s_large", "M_t"): 1.6e-13, ("s_large", "M"): 1.6e-13,
               ("sigma_large", "p_in"): 4.9e-14, ("sigma_large", "pi_bar"): 4.9e-14,
               ("sigma_near_1", "phi_tilde_t"): 2.3e-12}
LN_KNOWN: dict[str, dict[tuple[str, str], float]] = {
    "c": _ELASTICITY,
    # R: pnorm for Phi, its own root: the same misses within 1.1x, and M, r_bar, M_t at
    # the standard points (M 1.06e-14, r_bar 1.13e-14, M_t 1.08e-14 where solve has
    # 9.3e-15 to 9.7e-15)
    "r": {**_ELASTICITY, ("standard", "M"): 1.1e-14, ("standard", "r_bar"): 1.2e-14,
          ("standard", "M_t"): 1.1e-14},
    # Octave and Fortran (no solver): phi_star is the end of the driver's six plain Newton
    # steps on the generated residual from 1.001 phi_star (test_codegen), within 1.1x of
    # solve's
    "octave": {**_ELASTICITY, ("sigma_near_1", "phi_star"): 1.3e-12},
    "fortran": {**_ELASTICITY, ("sigma_near_1", "phi_star"): 1.3e-12},
    "rust": _ELASTICITY, "js": _ELASTICITY}


def _ln_cutoffs(directory: Path, plan, files, pts: np.ndarray) -> np.ndarray:
    """phi_star and the autarky phi_star_A (n = 0) by the generated C solver at the rows
    of ``pts``: two columns (nan where the status is not 0)."""
    codegen.write(files, directory)
    k, p = len(plan.params), plan.prefix
    n = [s.name for s in plan.params].index("n")
    args = ", ".join(f"a[{i}]" for i in range(k))
    (directory / "cut.c").write_text(
        f'#include <stdio.h>\n#include "{p}.h"\nint main(void) {{\n'
        f"    double a[{k}], phi; int i, st; /* phi is NAN unless st is 0 */\n    for (;;) {{\n"
        f'        for (i = 0; i < {k}; i++) if (scanf("%lf", &a[i]) != 1) return 0;\n'
        f"        phi = {p}_solve_cutoff({args}, &st);\n"
        '        printf("%.17g ", phi);\n'
        f"        a[{n}] = 0;\n        phi = {p}_solve_cutoff({args}, &st);\n"
        '        printf("%.17g\\n", phi);\n    }\n}\n')
    run = subprocess.run([find_tool("gcc"), *STRICT["c"], "-O2", "-o", "cut", "cut.c",
                          f"{p}.c", "-lm"], cwd=directory, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    stdin = "\n".join(" ".join(repr(float(v)) for v in row) for row in pts) + "\n"
    run = subprocess.run(["./cut"], cwd=directory, input=stdin, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    return np.loadtxt(run.stdout.splitlines(), ndmin=2)


def _measure_lognormal(langs, directory: Path) -> dict[str, dict[str, dict[str, np.ndarray]]]:
    """Language -> region -> output -> values of the generated code of melitz-lognormal,
    built with the strict flags in ``directory`` and run once per language on the points
    of every log-normal table: phi_star by the generated solver (C; R its own), the
    outputs at the C solver's cutoffs (the drivers of test_codegen)."""
    from test_codegen import _outputs

    m = ms.model("melitz", dist="lognormal")
    plan = codegen.plan(m)
    pts, where = _all_points([p.name for p in plan.params], "lognormal", LN_REGIONS)
    cuts = _ln_cutoffs(directory / "cutoffs", plan, codegen.generate(m, "c"), pts)
    names = _outputs(plan)
    measured = {}
    for lang in langs:
        got = _execute(find_tool, build_strict, lang, plan, codegen.generate(m, lang),
                       np.column_stack([cuts, pts]), directory / lang)
        assert got.shape == (len(pts), len(names)), (lang, got.shape)
        measured[lang] = {region: dict(zip(names, got[rows].T))
                          for region, rows in where.items()}
    return measured


@pytest.fixture(scope="module")
def lognormal(tmp_path_factory):
    """:func:`_measure_lognormal` of every target in LN_TARGETS."""
    return _measure_lognormal(LN_TARGETS, tmp_path_factory.mktemp("lognormal"))


@pytest.mark.parametrize("lang", LN_TARGETS)
@pytest.mark.parametrize("region", LN_REGIONS)
def test_lognormal_code_is_as_accurate_as_solve(lognormal, lang, region):
    """The generated log-normal solver and outputs print solve's forms (the Newton
    residual's exp-sums, its log(P/c) step, the erfcx/Phi forms): as accurate as
    solve in double at every table's points (its tolerance, or its own measured error
    KNOWN), finite wherever the true value is a normal double."""
    table = load(region, "lognormal")
    problems = []
    for name, (rel, bad) in _errors(region, table, lognormal[lang][region]).items():
        limit = max(tolerance(region, "lognormal"),
                    KNOWN.get((region, "lognormal", name), 0.0),
                    LN_KNOWN[lang].get((region, name), 0.0))
        if bad or not rel <= limit:
            problems.append(f"{name}: {rel:.2e} > {limit:.2e} or {bad} not finite")
    assert not problems, f"{lang}, {region}: " + "; ".join(problems)


def accuracy_table() -> str:
    """Markdown: max relative error over the outputs (and entry points) of each target
    per region, and solve's tolerance there; values not finite where the true value is
    a normal double are counted after the error.  Builds and runs every target."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        program = _build_c(Path(tmp) / "c")
        measured = {"c": {}}
        for region in REGIONS:
            _, every, arrays, each = _run(program, region)
            measured["c"][region] = {"all": every, "all_n": arrays, "per output": each}
        for lang in TARGETS:
            measured[lang] = _measure(lang, Path(tmp) / lang)
    langs = list(measured)
    lines = ["| region | tolerance | " + " | ".join(langs) + " |",
             "|---|---|" + "---|" * len(langs)]
    for region in REGIONS:
        table = load(region, "pareto")
        cells = []
        for lang in langs:
            errs = [e for got in measured[lang][region].values()
                    for e in _errors(region, table, got).values()]
            rel, bad = max(e[0] for e in errs), sum(e[1] for e in errs)
            cells.append(f"{rel:.1e}" + (f", {bad} inf/nan" if bad else ""))
        lines.append(f"| {region} | {tolerance(region, 'pareto'):.0e} | " + " | ".join(cells)
                     + " |")
    return "\n".join(lines)


def lognormal_table(known: bool = False) -> str:
    """Markdown: max relative error over the outputs of each target per log-normal
    region, and solve's tolerance there (values not finite where the true value is a
    normal double counted after it); with ``known``, each output's error where it
    misses solve's (the entries of LN_KNOWN)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        measured = _measure_lognormal(LN_TARGETS, Path(tmp))
    lines = ["| region | tolerance | " + " | ".join(LN_TARGETS) + " |",
             "|---|---|" + "---|" * len(LN_TARGETS)]
    misses = []
    for region in LN_REGIONS:
        table = load(region, "lognormal")
        cells = []
        for lang in LN_TARGETS:
            errs = _errors(region, table, measured[lang][region])
            rel, bad = max(e[0] for e in errs.values()), sum(e[1] for e in errs.values())
            cells.append(f"{rel:.1e}" + (f", {bad} inf/nan" if bad else ""))
            misses += [f"{lang} {region} {n}: {e[0]:.2e}" for n, e in errs.items()
                       if e[0] > max(tolerance(region, "lognormal"),
                                     KNOWN.get((region, "lognormal", n), 0.0))]
        lines.append(f"| {region} | {tolerance(region, 'lognormal'):.0e} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines + (misses if known else []))


if __name__ == "__main__":  # python tests/export/test_codegen_accuracy.py [lognormal]
    print(lognormal_table("known" in sys.argv) if "lognormal" in sys.argv
          else accuracy_table() + "\n\n" + lognormal_table())
