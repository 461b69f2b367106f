"""Generated C of Melitz-Pareto against the 50-digit reference (issue 19, items 2 and 4).

The points and expected values are the numeric layer's accuracy tables
(tests/numeric/reference_data, written by make_reference.py with
``Model.reference(dps=50)``, the independent mpmath path): the standard ranges
and every stress region (k near sigma - 1, sigma large, k, tau and b large, the
cutoff deep in the tail, sigma near 1).  The generated library is compiled with
the strict flags (conftest.STRICT) and run at every point, through the
all-outputs function ``melitz_pareto_all``, its array version
``melitz_pareto_all_n`` (on all the points of a table at once) and each
per-output function.  Each output must be as accurate as ``m.solve`` in double: within
the tolerance of tests/numeric/test_accuracy.py, or within the error ``solve``
itself has there where that misses it (its KNOWN table), and finite wherever the
true value is a normal double.
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

REGIONS = ("standard", "e_small", "k_large", "sigma_large", "sigma_near_1", "deep_tail")
MAX_POINTS = 1000  # the largest table

#: (region, output, entry point) -> max relative error measured where the generated C
#: (all_n: as all)
#: misses both the tolerance and solve's own measured error (KNOWN) on the table.
#: The forms are solve's; the roundings of a product depend on how its common
#: subexpressions are grouped (one function per output, or all outputs at once as
#: solve groups them), and glibc's exp and log are not numpy's: a few ulps of the
#: log domain either way (numeric/stable.py), at 1 to 3 points of the table.
C_KNOWN = {("standard", "phi_tilde", "per output"): 2.8e-15,
           ("standard", "P", "per output"): 2.1e-15,
           ("standard", "p_x", "all"): 3.6e-15,
           ("standard", "phi_tilde_x", "all"): 2.1e-15,
           ("standard", "phi_tilde_t", "all"): 2.2e-15,
           ("k_large", "p_x", "per output"): 9.0e-14}


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    """The generated C of melitz-pareto with a driver, built: rows of parameters on
    stdin (at most MAX_POINTS), a row of outputs per point on stdout (all-outputs
    function, its array version, then each per-output function)."""
    import shutil

    from conftest import STRICT

    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.fail("gcc is required (.ci/run installs it)")
    m = ms.model("melitz")
    plan = codegen.plan(m)
    out = tmp_path_factory.mktemp("c")
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


@pytest.mark.parametrize("region", REGIONS)
def test_generated_c_is_as_accurate_as_solve(program, region):
    table, every, arrays, each = _run(program, region)
    autarky = np.array([float(x) for x in table["params"]["n"]]) == 0
    problems = []
    for name, col in table["results"].items():
        true = [mpmath.mpf(x) for x in col]
        fits = np.array([TINY < abs(t) < HUGE for t in true])
        if name in NO_PARTNERS_ZERO:  # the tables hold the share "if there were partners"
            fits &= ~autarky
        solve = max(tolerance(region, "pareto"), KNOWN.get((region, "pareto", name), 0.0))
        for how, got in (("all", every[name]), ("all_n", arrays[name]),
                         ("per output", each[name])):
            limit = max(solve, C_KNOWN.get((region, name, how.replace("all_n", "all")), 0.0))
            bad = int((~np.isfinite(got[fits])).sum())
            rel = max((float(abs((mpmath.mpf(g) - t) / t))
                       for g, t, ok in zip(got, true, fits) if ok and np.isfinite(g)),
                      default=0.0)
            if bad or not rel <= limit:
                problems.append(f"{name} ({how}): {rel:.1e} > {limit:.0e} or {bad} not finite")
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
