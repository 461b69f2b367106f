"""C99 target: a header and a source file; with no closed form, a Newton solver too."""

from __future__ import annotations

import sympy as sp

from ..codegen import Plan, cse
from . import comment, function_doc

_SOLVER = """
double {p}_solve_cutoff({params}, int *status)
{{
    /* Safeguarded Newton iteration on y = log(phi_star): bracket the root of the
       decreasing residual by doubling [lo, hi], then take Newton steps and
       bisect whenever a step leaves the bracket.  A residual that is nan far up
       (every survival function underflowed) ends the doubling: the bisection
       brings y back into range.  Converged when the step or the bracket is at
       the rounding level of y, or the residual is exactly 0. */
    const double ms_lower = {p}_cutoff_lower({names});
    double ms_lo = ms_lower > 0 ? log(ms_lower) : -2.0, ms_width = 1.0, ms_y;
    double ms_hi = ms_lo + ms_width;
    int ms_i;
    *status = 1;
    for (ms_i = 0; ms_i < 200; ms_i++) {{
        const int ms_need_hi = {p}_cutoff_residual(exp(ms_hi), {names}) > 0;
        const int ms_need_lo = ms_lower <= 0 && !({p}_cutoff_residual(exp(ms_lo), {names}) > 0);
        if (!ms_need_hi && !ms_need_lo)
            break;
        ms_width *= 2;
        if (ms_need_hi)
            ms_hi += ms_width;
        if (ms_need_lo)
            ms_lo -= ms_width;
    }}
    if (ms_i == 200)
        return NAN;
    ms_y = 0.5 * (ms_lo + ms_hi);
    for (ms_i = 0; ms_i < 200; ms_i++) {{
        const double ms_phi = exp(ms_y);
        const double ms_f = {p}_cutoff_residual(ms_phi, {names});
        double ms_next;
        int ms_done;
        if (ms_f > 0)
            ms_lo = ms_y;
        if (ms_f < 0)
            ms_hi = ms_y;
        ms_next = ms_y - ms_f / ({p}_cutoff_residual_dphi(ms_phi, {names}) * ms_phi);
        if (!isfinite(ms_next) || ms_next <= ms_lo || ms_next >= ms_hi)
            ms_next = 0.5 * (ms_lo + ms_hi);
        ms_done = fabs(ms_next - ms_y) <= 1e-15 * fmax(1.0, fabs(ms_y)) || ms_f == 0
                  || ms_hi - ms_lo <= 4e-16 * fmax(1.0, fabs(ms_y));
        ms_y = ms_next;
        if (ms_done) {{
            *status = 0;
            break;
        }}
    }}
    return exp(ms_y);
}}
"""


def _signature(plan: Plan, f) -> str:
    args = ", ".join(f"double {a.name}" for a in f.args) or "void"
    return f"double {plan.prefix}_{f.name}({args})"


def render(plan: Plan) -> dict[str, str]:
    """``PREFIX.h`` and ``PREFIX.c``."""
    guard = plan.prefix.upper() + "_H"
    params = ", ".join(f"double {p.name}" for p in plan.params)
    names = ", ".join(p.name for p in plan.params)
    head = ["/*", comment(plan.header(), " *"), " */", f"#ifndef {guard}", f"#define {guard}", ""]
    src = ["/*", comment(plan.header(), " *"), " */",
           "#if !defined(_XOPEN_SOURCE) && !defined(_USE_MATH_DEFINES)",
           "#define _XOPEN_SOURCE 700 /* M_PI, M_SQRT2, ... in math.h */",
           "#define _USE_MATH_DEFINES", "#endif", "#include <math.h>",
           f'#include "{plan.prefix}.h"', ""]
    for f in plan.functions:
        doc = ["/*", comment(function_doc(plan, f), " *"), " */"]
        head += doc + [_signature(plan, f) + ";", ""]
        pairs, result = cse(f)
        body = [f"    const double {t} = {sp.ccode(e)};" for t, e in pairs]
        src += doc + [_signature(plan, f), "{", *body, f"    return {sp.ccode(result)};", "}", ""]
    if plan.solver:
        doc = ["/*", comment([
            "solve_cutoff: the equilibrium cutoff phi_star, root of cutoff_residual above "
            "cutoff_lower (safeguarded Newton in log(phi_star)).",
            "Arguments: the parameters in the order above, then status (set to 0 on "
            "convergence, 1 otherwise).",
            "For gains, call it again with n = 0 to get the autarky cutoff phi_star_A."],
            " *"), " */"]
        head += doc + [f"double {plan.prefix}_solve_cutoff({params}, int *status);", ""]
        src += doc + [_SOLVER.format(p=plan.prefix, params=params, names=names).strip(), ""]
    head.append(f"#endif /* {guard} */")
    return {f"{plan.prefix}.h": "\n".join(head) + "\n", f"{plan.prefix}.c": "\n".join(src) + "\n"}
