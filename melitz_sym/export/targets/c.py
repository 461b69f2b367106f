"""C99 target: a header, a source file and a Makefile; with no closed form, a Newton solver too.

A closed form is printed as the numeric layer evaluates it
(:class:`~melitz_sym.export.codegen.Forms`): its power form, whose logs are
folded so that it takes few ``exp``/``log`` calls, and at a point where one of
its guarded values is not a normal double its log-domain stable form instead
(``logaddexp`` as a private ``ms_logaddexp``).  Besides one function per
output, ``PREFIX_all`` computes every output at once, with the common
subexpressions of all of them (the parameter-only logs and the exporters' term
of the Melitz-Pareto outputs) computed once.

C has no regularised incomplete gamma functions: a source whose expressions
use ``gammaincc`` (upper) or ``gammainc`` (lower) carries a private
(``static``) implementation of them (:data:`INCGAMMA`), emitted only when used
(:mod:`melitz_sym.export.targets.special`).
"""

from __future__ import annotations

import re

import sympy as sp

from ..codegen import (PROTECTED, Plan, evaluation, forms_of, guarded, newton_functions,
                       protected_used, straight_line, unused_args)
from . import comment, function_doc
from .special import GAMMAINCC_NOTE, NORMAL_NOTE, carried, lgam1p_coefficients, literals

INCGAMMA = "\n/*\n" + comment(GAMMAINCC_NOTE, " *") + """
 */
static const double incgamma_lgam1p_c[] = {
    LGAM1P
};

static double incgamma_lgam1p(double a)
{
    double s = 0.0;
    int k;
    if (fabs(a) > 0.2)
        return lgamma(1.0 + a);
    for (k = (int)(sizeof incgamma_lgam1p_c / sizeof incgamma_lgam1p_c[0]) - 1; k >= 0; k--)
        s = incgamma_lgam1p_c[k] + a * s;
    return a * s;
}

static double incgamma_front(double a, double x)
{
    const double la = a * log(x);
    if (x <= 700.0 && la < 700.0 && a < 170.0)
        return pow(x, a) * exp(-x) / tgamma(a);
    return exp(la - x - lgamma(a));
}

static double incgamma(double a, double x, int lower)
{
    int n;
    if (!(x > 0.0))
        return x == 0.0 ? (lower ? 0.0 : 1.0) : NAN;
    if (x > 1.1 ? x < a : x <= 0.5 ? -0.4 / log(x) < a : x * 1.1 < a) {
        double term = 1.0, sum = 1.0, p;
        for (n = 1; n < 2000 && term > 1e-17 * sum; n++) {
            term *= x / (a + n);
            sum += term;
        }
        p = incgamma_front(a, x) / a * sum;
        return lower ? p : 1.0 - p;
    }
    if (x <= 1.1) {
        double fac = 1.0, sum = 0.0, term, y;
        for (n = 1; n < 100; n++) {
            fac *= -x / n;
            term = fac / (a + n);
            sum += term;
            if (fabs(term) <= 1e-17 * fabs(sum))
                break;
        }
        y = a * log(x) - incgamma_lgam1p(a);
        return lower ? exp(y) + pow(x, a) / tgamma(a) * sum
                     : -expm1(y) - pow(x, a) / tgamma(a) * sum;
    }
    {
        const double tiny = 1e-300;
        double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
        for (n = 1; n < 2000; n++) {
            const double an = -n * (n - a);
            double step;
            b += 2.0;
            d = an * d + b;
            if (fabs(d) < tiny)
                d = tiny;
            c = b + an / c;
            if (fabs(c) < tiny)
                c = tiny;
            d = 1.0 / d;
            step = d * c;
            h *= step;
            if (fabs(step - 1.0) <= 1e-16)
                break;
        }
        return lower ? 1.0 - incgamma_front(a, x) * h : incgamma_front(a, x) * h;
    }
}
""".replace("LGAM1P", literals(lgam1p_coefficients()))

#: The closed forms' Forms are printed (see the module docstring).
FORMS = True
#: A Newton model's residual, solver and outputs print solve's forms too.
NEWTON_FORMS = True

LOGADDEXP = """static double ms_logaddexp(double a, double b)
{
    /* log(exp(a) + exp(b)) = max(a, b) + log1p(exp(-|a - b|)): no overflow */
    const double m = a > b ? a : b;
    if (isinf(m) && m < 0)
        return m;
    return m + log1p(exp(-fabs(a - b)));
}"""

NORMAL = """static int ms_normal(double x)
{
    /* x is a normal double: neither overflowed nor underflowed (nor nan) */
    return x >= DBL_MIN && x <= DBL_MAX;
}"""

NORMAL_DIST = "/*\n" + comment(NORMAL_NOTE, " *") + """
 */
static double ms_erfcx(double x)
{
    double x2, h, t = 0.0;
    int n;
    if (x < 0.5) {
        h = trunc(x * 4096.0) / 4096.0;
        return exp(h * h) * exp((x - h) * (x + h)) * erfc(x);
    }
    if (x > 1e8)
        return 0.56418958354775628 / x;
    x2 = x * x;
    for (n = (int)(130.0 / x2) + 12; n > 0; n--)
        t = n * (2.0 * n - 1.0) / 2.0 / (x2 + 2.0 * n + 0.5 - t);
    return x * 0.56418958354775628 / (x2 + 0.5 - t);
}

static double ms_ndtr(double x)
{
    const double z = x * 0.70710678118654752;
    double y;
    if (fabs(z) < 0.70710678118654752)
        return 0.5 + 0.5 * erf(z);
    y = 0.5 * erfc(fabs(z));
    return z > 0 ? 1.0 - y : y;
}

static double ms_log_ndtr(double x)
{
    const double z = x * 0.70710678118654752;
    if (x < -1.0)
        return log(ms_erfcx(-z) / 2.0) - z * z;
    return log1p(-erfc(z) / 2.0);
}

static double ms_exp_ndtr(double a, double x)
{
    const double out = exp(a) * ms_ndtr(x);
    if (fabs(out) >= DBL_MIN && fabs(out) <= DBL_MAX)
        return out;
    return exp(a + ms_log_ndtr(x));
}"""

#: name -> (code, carried functions it calls); the core first (C declares before use)
CARRIED = {"logaddexp": (LOGADDEXP, ()),
           "normal": (NORMAL_DIST, ()),
           **{name: ("", ("normal",)) for name in ("ndtr", "log_ndtr", "exp_ndtr", "erfcx")},
           "incgamma": (INCGAMMA, ()),
           "gammaincc": ("static double gammaincc(double a, double x)\n"
                         "{\n    return incgamma(a, x, 0);\n}", ("incgamma",)),
           "gammainc": ("static double gammainc(double a, double x)\n"
                        "{\n    return incgamma(a, x, 1);\n}", ("incgamma",))}

_SOLVER = """
double {p}_solve_cutoff({params}, int *status)
{{
    /* Safeguarded Newton iteration on y = log(phi_star), the solver of melitz-sym's
       own solve (newton_log) for one point: the residual R = P - c as a sum of
       exponentials of combined exponents, its parameter-only parts computed once
       (before the loop), R and dR/dy once per iteration.  The step is Newton's on
       log(P) - log(c) = log1p(R/c), nearly linear in y in the tails (the plain
       Newton step where that one leaves the bracket).  The search starts at
       y = log(lower) + 1 (lower > 0) or 0, inside the bracket's upper end
       log(cutoff_upper) where the support is bounded above; while one end is open
       the step goes towards it (the Newton step while Newton steps shrink to
       less than half, at most 16 at first, else twice the previous step); once
       both ends are known a step that leaves the bracket or does not shrink to
       half the step before last is a bisection.  A residual that is nan (an
       overflowed term, towards the lower end of the support) counts as
       positive; a bracket that closes onto an end where the residual was nan or
       +inf (an overflow: no value) without a converged step is not a root.
       Converged when the Newton step is below tol relative to max(1, |y|) (a
       residual of exactly 0 is a step of 0 where the slope is finite and not 0)
       or the bracket is a few ulps wide. */
    const double ms_tol = 1e-15;
    double ms_lower, ms_y, ms_lo, ms_hi, ms_top, ms_dx = 0.0, ms_dx_old = INFINITY;
    double ms_dn = 0.0;
    int ms_i, ms_lo_nan = 0, ms_first = 1;
    *status = 2;
    if (!{p}_admissible({names}))
        return NAN;
    ms_lower = {p}_cutoff_lower({names});
    *status = 3;
    if (ms_lower > 0 && {p}_cutoff_residual(ms_lower, {names}) < 0)
        return NAN;
    *status = 1;
{constants}
    ms_lo = ms_lower > 0 ? log(ms_lower) : -INFINITY;
    ms_hi = {upper};
    if (!(ms_hi < INFINITY))
        ms_hi = INFINITY;
    ms_top = ms_hi;
    if (!(ms_hi > ms_lo))
        return NAN; /* the search's top at or below its lower end: no room */
    ms_y = ms_lower > 0 ? ms_lo + 1.0 : 0.0;
    if (!(ms_y < ms_hi))
        ms_y = ms_lower > 0 ? 0.5 * (ms_lo + ms_hi) : ms_hi - 1.0;
    for (ms_i = 0; ms_i < 200; ms_i++) {{
        double ms_f, ms_df, ms_p, ms_c, ms_plain, ms_step, ms_newton, ms_size, ms_scale;
        double ms_new;
        int ms_inside, ms_converged, ms_halved = 0;
        {{
            const double {y} = ms_y;
{terms}
        }}
        ms_lo_nan = isfinite(ms_f) && ms_f > 0 ? 0
                    : isnan(ms_f) || ms_f == INFINITY ? 1 : ms_lo_nan;
        if (ms_f > 0 || isnan(ms_f))
            ms_lo = ms_y;
        if (ms_f < 0)
            ms_hi = ms_y;
        ms_plain = ms_step = isfinite(ms_df) ? ms_f / ms_df : NAN;
        if (ms_c > 0 && ms_p > 0 && isfinite(ms_df))
            ms_step = log1p(ms_f / ms_c) * ms_p / ms_df;
        ms_newton = ms_y - ms_step;
        ms_inside = ms_newton > ms_lo && ms_newton < ms_hi;
        if (!ms_inside && ms_y - ms_plain > ms_lo && ms_y - ms_plain < ms_hi) {{
            ms_newton = ms_y - ms_plain;
            ms_step = ms_plain;
            ms_inside = 1;
        }}
        ms_size = fabs(ms_step);
        ms_scale = fmax(1.0, fabs(ms_y));
        ms_converged = ms_size <= ms_tol * ms_scale;  /* nan: no Newton step */
        if (ms_converged || ms_hi - ms_lo <= 4e-16 * ms_scale) {{
            if (!ms_converged && ms_lo_nan)
                return NAN; /* a jump from nan to a negative residual, not a root */
            ms_y = ms_inside ? ms_newton : ms_y;{tails}
            if (ms_y > log(DBL_MAX) || ms_top - ms_y < 0x1p-11)
                return NAN; /* a root beyond the largest double is none; one within
                               2^-11 of the top of the support is not placed (the
                               tails' forms lose 1/gap digits each there) */
            *status = 0;
            return exp(ms_y);
        }}
        if (isfinite(ms_lo) && isfinite(ms_hi)) {{
            ms_halved = !ms_inside || ms_size > 0.5 * ms_dx_old;
            ms_new = ms_halved ? 0.5 * (ms_lo + ms_hi) : ms_newton;
        }} else {{
            const double ms_grow = fmax(2.0 * ms_dx, 16.0);
            const double ms_reach = ms_inside && ms_size < 0.5 * ms_dn ? ms_size
                : fmin(ms_inside ? fmax(ms_size, 2.0 * ms_dx) : ms_grow, ms_grow);
            ms_new = ms_y + (isfinite(ms_lo) ? ms_reach : -ms_reach);
        }}
        if (!ms_first)
            ms_dx_old = ms_dx;
        ms_dx = ms_halved ? INFINITY : fabs(ms_new - ms_y);
        ms_dn = ms_size;
        ms_first = 0;
        ms_y = ms_new;
    }}
    return NAN;
}}

int {p}_admissible({params})
{{
    return {finite} && ({condition});
}}
"""


_MAKEFILE = """\
# {title}: generated by melitz-sym {version}.
# Builds the static library lib{p}.a from {p}.c (C99, the math library):
#   make            # or: make CC=clang CFLAGS=-O3
# then compile against {p}.h and link with: -L<this directory> -l{p} -lm
CC = cc
CFLAGS = -O2
STD = -std=c99 -Wall -Wextra -pedantic

lib{p}.a: {p}.o
\t$(AR) rcs $@ {p}.o

{p}.o: {p}.c {p}.h
\t$(CC) $(STD) $(CFLAGS) -c {p}.c -o $@

clean:
\trm -f {p}.o lib{p}.a

.PHONY: clean
"""


def _signature(plan: Plan, f) -> str:
    args = ", ".join(f"double {a.name}" for a in f.args) or "void"
    return f"double {plan.prefix}_{f.name}({args})"


_OWN = {"gammaincc": "gammaincc", "gammainc": "gammainc",  # the source's own
        "logaddexp": "ms_logaddexp", "ndtr": "ms_ndtr", "log_ndtr": "ms_log_ndtr",
        "exp_ndtr": "ms_exp_ndtr", "erfcx": "ms_erfcx"}


def _c(e: sp.Expr) -> str:
    return sp.ccode(e, user_functions=_OWN)


def _evaluate(funcs: list, store: list[str]) -> list[str]:
    """Body lines that compute the closed forms of ``funcs`` (each with its
    Forms) and store each value by ``store[i]`` (``return {}`` or an
    assignment): the power forms, and where a guarded node is not a normal
    double the stable forms of the functions that have one
    (:func:`~melitz_sym.export.codegen.straight_line`)."""
    leave = [] if store[0].lstrip().startswith("return") else ["        return;"]

    def define(name: str, value) -> list[str]:
        return [f"    const double {name} = {value if isinstance(value, str) else _c(value)};"]

    def put(i: int, value: sp.Expr, kind: str) -> list[str]:
        return ["    " * (kind == "fast") + store[i].format(_c(value))]

    def when_normal(guards: list, lines: list[str]) -> list[str]:
        condition = " & ".join(f"ms_normal({_c(g)})" for g in guards)
        return [f"    if ({condition}) {{", *lines, *leave, "    }"]

    return straight_line(evaluation(funcs), define, put, when_normal)


#: Points per block of ``PREFIX_all_n`` (its temporaries: arrays of this length).
BLOCK = 64


def _array_function(plan: Plan) -> tuple[list[str], list[str]]:
    """Header and source lines of ``PREFIX_all_n``: the power forms over arrays.

    The points are taken in blocks of :data:`BLOCK`; each temporary of the
    power forms (common subexpressions, and every call of exp or log on its
    own) is computed for the whole block in one loop, so that the calls of
    consecutive points overlap (one point's calls depend on each other and
    wait for each other; a loop of independent calls runs at the rate the
    processor can start them), and the loops of arithmetic, of a known
    length, are vectorised by the compiler.  Where a guarded node is not a
    normal double at a point, and at the points after the last whole block,
    ``PREFIX_all`` computes the point.
    """
    k, prefix = len(plan.functions), plan.prefix
    arrays = ", ".join(f"const double *{p.name}" for p in plan.params)
    sig = f"void {prefix}_all_n(long count, {arrays}, double *out)"
    first = plan.params[0].name
    doc = ["/*", comment([f"all_n: every output at count points: out[{k} * i + j] is output j "
                          "(numbered as for all) at point i,",
                          "whose parameters are the i-th entries of the arrays (one per "
                          f"parameter, in the order above: {first}[i], ...).",
                          "Faster per point than all (the calls of consecutive points "
                          "overlap); the same values."], " *"), " */"]
    ev = evaluation(plan.functions)
    pairs = ev.temps
    protected = protected_used([forms_of(f).fast for f in plan.functions] + list(ev.nodes))
    # the text of the per-point function (the same roundings), its names indexed:
    # a parameter by the point, a temporary by its place in the block
    at = {p.name: "[ms_i]" for p in plan.params}
    at.update({t.name: "[ms_j]" for t, _ in pairs})
    at.update({s.name: "[ms_j]" for s, _, _ in PROTECTED})

    def c(e) -> str:
        return index(_c(e))

    def index(text: str) -> str:
        return re.sub(r"\b[A-Za-z_]\w*\b", lambda w: w[0] + at.get(w[0], ""), text)

    def loop(body: list[str]) -> list[str]:
        point = ["            const long ms_i = ms_start + ms_j;"] if any(
            "ms_i" in x for x in body) else []
        return [f"        for (ms_j = 0; ms_j < {BLOCK}; ms_j++) {{", *point,
                *["            " + x for x in body], "        }"]

    temps = [n for n, _ in protected] + [t.name for t, _ in pairs]
    body = [f"    double {', '.join(f'{t}[{BLOCK}]' for t in temps)};" if temps else "",
            "    long ms_start, ms_j;",
            f"    for (ms_start = 0; ms_start + {BLOCK} <= count; ms_start += {BLOCK}) {{"]
    groups: list[list[str]] = [[]]  # a loop per call, one for the arithmetic between
    for n, text in protected:
        groups[-1].append(f"{n}[ms_j] = {index(text)};")
    for t, e in pairs:
        call = bool(e.atoms(sp.Function))
        if call and groups[-1]:
            groups.append([])
        groups[-1].append(f"{t}[ms_j] = {c(e)};")
        if call:
            groups.append([])
    for g in groups:
        body += loop(g) if g else []
    # the outputs, and where a check fails (all of them at once: no branch) PREFIX_all
    checks = " & ".join(f"ms_normal({c(v)})" for v in ev.guards)
    point = ", ".join(f"{p.name}[ms_i]" for p in plan.params)
    if checks:
        body.insert(0, f"    int ms_ok[{BLOCK}];")
        body += loop([f"ms_ok[ms_j] = {checks};"])
    body += loop([f"out[{k} * ms_i + {n}] = {c(v)};" for n, v in enumerate(ev.fast)])
    if checks:
        body += loop(["if (!ms_ok[ms_j])", f"    {prefix}_all({point}, out + {k} * ms_i);"])
    body += ["    }", "    for (; ms_start < count; ms_start++) {",
                           "        const long ms_i = ms_start;",
                           f"        {prefix}_all({point}, out + {k} * ms_i);", "    }"]
    return doc + [sig + ";", ""], doc + [sig, "{", *[b for b in body if b], "}", ""]


def _all_function(plan: Plan) -> tuple[list[str], list[str]]:
    """Header and source lines of ``PREFIX_all``: every closed form at once into ``out``."""
    params = ", ".join(f"double {p.name}" for p in plan.params)
    sig = f"void {plan.prefix}_all({params}, double *out)"
    doc = ["/*", comment(["all: every output at once, common subexpressions computed once "
                          "(faster than one call per output).",
                          "Arguments: the parameters in the order above, then out, an array "
                          f"of {len(plan.functions)} doubles that receives:"] + [
        f"  out[{i}] = {f.name}: {f.doc}" for i, f in enumerate(plan.functions)], " *"), " */"]
    funcs = list(plan.functions)
    exprs = tuple(x for f in funcs for x in (forms_of(f).fast, forms_of(f).stable))
    body = [f"    (void){a}; /* not used by any output */"
            for a in unused_args(funcs[0], exprs)]
    body += _evaluate(funcs, [f"    out[{i}] = {{}};" for i in range(len(funcs))])
    return doc + [sig + ";", ""], doc + [sig, "{", *body, "}", ""]


def _tails_check(tails: list, y: str) -> str:
    """The check of the root ``ms_y`` in the solver (``tails`` of
    :func:`~melitz_sym.export.codegen.newton_functions`): no root (status 1) where
    the residual's elasticity |dR/dy| / c times the root's tolerance 2^-52 max(1, |y|)
    exceeds 2^-26, or where a factor g of a term t of the residual is below DBL_MIN
    while t with g = DBL_MIN exceeds 2^-53 |c| (that term keeps too few bits to place
    the root)."""
    n = len(tails)
    lines = _evaluate(tails, [f"    ms_t[{i}] = {{}};" for i in range(n)])
    return "\n".join([
        "", "            {",
        "                /* no root where a term of the residual that matters has a factor",
        "                   below the smallest normal double (too few bits) */",
        f"                double ms_t[{n}];", "                int ms_k;",
        "                {", f"                    const double {y} = ms_y;",
        *["                " + x for x in lines], "                }",
        "                if (ms_t[0] != 0 && fabs(ms_t[1]) * 0x1p-52 * fmax(1.0, fabs(ms_y))",
        "                    > 0x1p-26 * fabs(ms_t[0]))",
        "                    return NAN; /* the outputs are steeper in y than its tolerance */",
        f"                for (ms_k = 2; ms_k < {n}; ms_k += 2)",
        "                    if (fabs(ms_t[ms_k]) < DBL_MIN",
        "                        && fabs(ms_t[ms_k + 1]) > 0x1p-53 * fabs(ms_t[0]))",
        "                        return NAN;", "            }"])


def render(plan: Plan) -> dict[str, str]:
    """``PREFIX.h``, ``PREFIX.c`` and a ``Makefile`` building ``libPREFIX.a`` from them."""
    guard = plan.prefix.upper() + "_H"
    params = ", ".join(f"double {p.name}" for p in plan.params)
    names = ", ".join(p.name for p in plan.params)
    head = ["/*", comment(plan.header(), " *"), " */", f"#ifndef {guard}", f"#define {guard}", ""]
    src = ["/*", comment(plan.header(), " *"), " */",
           "#if !defined(_XOPEN_SOURCE) && !defined(_USE_MATH_DEFINES)",
           "#define _XOPEN_SOURCE 700 /* M_PI, M_SQRT2, ... in math.h */",
           "#define _USE_MATH_DEFINES", "#endif", "#include <math.h>",
           f'#include "{plan.prefix}.h"', ""]
    src += [code + "\n" for code in carried(plan, CARRIED, solver=True) if code]
    newton = newton_functions(plan) if plan.solver else ([], [], [])
    if guarded(plan) or plan.solver or any("DBL_MIN" in code for code in src):
        src[src.index("#include <math.h>")] = "#include <float.h>\n#include <math.h>"
    if guarded(plan):
        src += [NORMAL + "\n"]
    for f in plan.functions:
        doc = ["/*", comment(function_doc(plan, f), " *"), " */"]
        head += doc + [_signature(plan, f) + ";", ""]
        body = [f"    (void){a}; /* not used by this output */"
                for a in unused_args(f)]
        body += _evaluate([f], ["    return {};"])
        src += doc + [_signature(plan, f), "{", *body, "}", ""]
    if plan.all_outputs:
        for make in (_all_function, _array_function):
            h, c = make(plan)
            head += h
            src += c
    if plan.solver:
        doc = ["/*", comment([
            "solve_cutoff: the equilibrium cutoff phi_star, root of cutoff_residual above "
            "cutoff_lower (safeguarded Newton in log(phi_star)).",
            "Arguments: the parameters in the order above, then status: 0 on convergence, "
            "1 without, 2 for inadmissible parameters",
            "(admissible is 0), 3 at a corner (the residual is negative at cutoff_lower); "
            "the result is NAN unless the status is 0.",
            "For gains, call it again with n = 0 to get the autarky cutoff phi_star_A.",
            "admissible: 1 when every parameter is finite and the admissibility conditions "
            "hold, else 0."], " *"), " */"]
        head += doc + [f"double {plan.prefix}_solve_cutoff({params}, int *status);",
                       f"int {plan.prefix}_admissible({params});", ""]
        finite = " && ".join(f"isfinite({p.name})" for p in plan.params)
        once, every, tails = newton
        constants = _evaluate(once, [f"    const double {f.name} = {{}};" for f in once])
        terms = _evaluate(every, [f"    ms_{v} = {{}};" for v in ("f", "df", "p", "c")])
        check = _tails_check(tails, plan.newton[0].name)
        src += doc + [f"int {plan.prefix}_admissible({params});",
                      _SOLVER.format(p=plan.prefix, params=params, names=names, finite=finite,
                                     condition=sp.ccode(plan.admissible),
                                     constants="\n".join(constants), y=plan.newton[0].name,
                                     tails=check, upper=f"log({plan.prefix}_cutoff_upper"
                                     f"({names}))" if plan.bounded_above else "INFINITY",
                                     terms="\n".join("        " + x for x in terms)
                                     ).strip(), ""]
    head.append(f"#endif /* {guard} */")
    return {f"{plan.prefix}.h": "\n".join(head) + "\n", f"{plan.prefix}.c": "\n".join(src) + "\n",
            "Makefile": _MAKEFILE.format(p=plan.prefix, title=plan.title, version=plan.version)}
