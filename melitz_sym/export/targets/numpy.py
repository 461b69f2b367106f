"""NumPy target: a standalone module (numpy, and scipy.special where needed; no sympy).

Every function works elementwise on arrays (broadcasting like numpy's
arithmetic).  A closed form is printed as the numeric layer evaluates it
(:func:`~melitz_sym.export.codegen.vectorised`): its power form and its stable
form (``numpy.log1p``, ``numpy.expm1``, ``numpy.logaddexp``) at every point, the
stable one taken with ``numpy.where`` where a guarded value of the power form is
not a normal double (``ms_normal``); both are computed under
``numpy.errstate(all="ignore")``, so the branch not taken warns of nothing.
``all_outputs`` computes every output at once, common subexpressions and guards
shared, as solve groups them.  With no closed form, ``solve_cutoff`` is the
package's own safeguarded Newton iteration (newton_log) on the residual in the
forms of solve's iteration; the outputs are the derivation's.
"""

from __future__ import annotations

import inspect

import sympy
from sympy.printing.numpy import SciPyPrinter

from ...numeric.fast import exp_ndtr, newton_log, newton_tails, tails_lost
from ..codegen import Plan, evaluation, guarded, protected_used, vectorised
from . import comment, function_doc

_SOLVER = '''

def admissible({params}):
    """True where every parameter is finite and the admissibility conditions hold."""
    _args = numpy.broadcast_arrays(*[numpy.asarray(a, dtype=float) for a in ({names},)])
    with numpy.errstate(all="ignore"):
        _ok = numpy.logical_and.reduce([numpy.isfinite(a) for a in _args])
        return _ok & {condition}


{newton}
_BLOCK = {block}


def _solve_block(lower, upper, args, tol, iters):
    """newton_log on one block of points: the hoisted parts once, then the iteration;
    nan (status 1) where the two sides P and c of the cutoff equation are not normal
    doubles at the root (a subnormal keeps too few bits to place it), or where the
    root does not determine the equilibrium in double (tails_lost)."""
    with numpy.errstate(all="ignore"):  # per thread: numpy's error state is thread-local
        consts = _newton_constants(*args)
        y = newton_log(_newton_terms, lower, list(consts), tol, iters, upper=upper)
        y = numpy.where(tails_lost(_newton_tails, y, consts), numpy.nan, y)
        _, _, p, c = _newton_terms(y, *consts)
        tiny, huge = numpy.finfo(float).tiny, numpy.finfo(float).max
        sides = (numpy.abs(p) >= tiny) & (numpy.abs(c) >= tiny) & (numpy.abs(p) <= huge)
        return numpy.where(sides | numpy.isinf(y), y, numpy.nan)


def solve_cutoff({params}, tol=1e-15, iters=200, status=False, threads=None):
    """The equilibrium cutoff phi_star, root of cutoff_residual above cutoff_lower.

    Vectorised safeguarded Newton iteration on y = log(phi_star) (newton_log
    below, the solver of melitz-sym's own solve): steps towards the open end of
    the bracket until the root is bracketed, then Newton steps with a bisection
    wherever a step leaves the bracket or does not shrink.  Arguments broadcast
    like numpy arrays.  For gains, call it again with n = 0 to get the autarky
    cutoff phi_star_A.  Where it does not converge the result is nan, as where
    the parameters are not admissible or the residual is negative at
    cutoff_lower (a corner).  With ``status=True`` it returns (cutoff, status):
    status 0 where it converged, 1 where it did not, 2 where the parameters are
    inadmissible, 3 at a corner.  The points are solved in blocks of _BLOCK, on
    ``threads`` threads (default: one per CPU).
    """
    _args = numpy.broadcast_arrays(*[numpy.asarray(a, dtype=float) for a in ({names},)])
    _bad_args = ~admissible(*_args)
    _args = [numpy.where(_bad_args, numpy.nan, a) for a in _args]
    _lower = numpy.broadcast_to(numpy.asarray(cutoff_lower(*_args), dtype=float), _args[0].shape)
    _shape = _lower.shape
    _upper = numpy.broadcast_to(numpy.asarray({upper}, dtype=float), _shape)
    _corner = numpy.array(_lower > 0)  # a corner: a negative residual at a positive lower bound
    if _corner.any():
        with numpy.errstate(all="ignore"):
            _corner[_corner] = cutoff_residual(_lower[_corner], *[a[_corner] for a in _args]) < 0
    _work = ~(_bad_args | _corner)  # not solved elsewhere: status 2 or 3
    _at = numpy.flatnonzero(_work)
    _low = _lower.reshape(-1)[_at]
    _high = _upper.reshape(-1)[_at]
    _sub = [a.reshape(-1)[_at] for a in _args]
    _y = numpy.empty(_at.size)
    _blocks = [slice(i, min(i + _BLOCK, _at.size)) for i in range(0, _at.size, _BLOCK)]

    def _one(sl):
        _y[sl] = _solve_block(_low[sl], _high[sl], [a[sl] for a in _sub], tol, iters)

    _threads = min(threads or os.cpu_count() or 1, len(_blocks))
    if _threads > 1:
        with concurrent.futures.ThreadPoolExecutor(_threads) as pool:
            list(pool.map(_one, _blocks))
    else:
        for sl in _blocks:
            _one(sl)
    _phi = numpy.full(_shape, numpy.nan)
    with numpy.errstate(over="ignore"):  # a root beyond the largest double is none
        _phi.reshape(-1)[_at] = numpy.exp(_y)
    _phi[numpy.isinf(_phi)] = numpy.nan
    _code = numpy.select([_bad_args, _corner, numpy.isnan(_phi)], [2, 3, 1], 0)
    return (_phi, _code) if status else _phi


'''

#: points per block of the generated solver (as in the package's own solve)
_BLOCK = 32768

#: The closed forms' Forms are printed (see the module docstring).
FORMS = True

NORMAL = '''

def ms_normal(x):
    """True where x is a normal double (neither overflowed nor underflowed, nor nan)."""
    return (x >= numpy.finfo(float).tiny) & (x <= numpy.finfo(float).max)'''


def _body(funcs, show, results: tuple[str, ...]) -> list[str]:
    """The lines of a generated function that compute ``funcs`` into ``results``
    (:func:`~melitz_sym.export.codegen.vectorised`), warnings of the branch not
    taken silenced."""
    return ['    with numpy.errstate(all="ignore"):  # the branch not taken may overflow',
            *vectorised(evaluation(funcs), show, "        {} = {}", "numpy.where", results)]


def _newton(plan: Plan, printer) -> str:
    """``_newton_constants``, ``_newton_terms`` and ``_newton_tails``: the residual as the
    package's own Newton iteration evaluates it (:attr:`Plan.newton`) and what the
    check of its root reads (``tails_lost``), with common subexpressions shared."""
    y, core, consts, meaning = plan.newton
    out = []
    for name, args, exprs, doc in (
            ("_newton_constants", plan.params, meaning,
             "The parameter-only parts of the cutoff residual, once per point."),
            ("_newton_terms", (y,) + consts, core,
             "R, dR/dy, P and c (R = P - c) at phi_star = exp(y_log_phi)."),
            ("_newton_tails", (y,) + consts, newton_tails(core),
             "c, dR/dy, then each factor g of a term t of R that may underflow and t "
             "at g = the smallest normal double.")):
        pairs, results = sympy.cse(list(exprs), symbols=sympy.numbered_symbols("x"))
        out += [f"def {name}({', '.join(a.name for a in args)}):", f'    """{doc}"""',
                *[f"    {n} = {text}" for n, text in protected_used(exprs)],
                *[f"    {t} = {printer.doprint(e)}" for t, e in pairs],
                f"    return ({', '.join(printer.doprint(r) for r in results)},)", "", ""]
    return "\n".join(out)


def render(plan: Plan) -> dict[str, str]:
    """``PREFIX.py``: one function per output (names without the prefix) and, for
    closed forms, ``all_outputs`` (every output at once, as a dict)."""
    # gammaincc, gammainc: the regularised incomplete gammas of stable.code_form
    printer = SciPyPrinter({"fully_qualified_modules": True,
                            "user_functions": {"gammaincc": "scipy.special.gammaincc",
                                               "gammainc": "scipy.special.gammainc",
                                               "ndtr": "scipy.special.ndtr",
                                               "log_ndtr": "scipy.special.log_ndtr",
                                               "erfcx": "scipy.special.erfcx",
                                               "exp_ndtr": "exp_ndtr"}})  # emitted below
    defs = [NORMAL] if guarded(plan) else []
    for f in plan.functions:
        doc = "\n    ".join(function_doc(plan, f))
        defs += ["", "", f"def {f.name}({', '.join(a.name for a in f.args)}):",
                 f'    """{doc}\n    """', *_body([f], printer.doprint, ("res",)),
                 "    return numpy.asarray(res)[()]"]
    if plan.all_outputs:
        args = ", ".join(p.name for p in plan.params)
        results = tuple(f"ms_{f.name}" for f in plan.functions)
        doc = "\n    ".join(["Every output at once, as a dict name -> value, common subexpressions "
                              "computed once", "(faster than one call per output).",
                              "Arguments: the parameters, in the order above."])
        defs += ["", "", f"def all_outputs({args}):", f'    """{doc}\n    """',
                 *_body(plan.functions, printer.doprint, results), "    return {",
                 *[f"        {f.name!r}: numpy.asarray({r})[()]," for f, r in
                   zip(plan.functions, results)], "    }"]
    code = "\n".join(defs)
    if plan.solver:
        names = ", ".join(p.name for p in plan.params)
        newton = _newton(plan, printer)
        code += _SOLVER.format(params=names, names=names,
                               condition=printer.doprint(plan.admissible), newton=newton,
                               block=_BLOCK, upper="cutoff_upper(*_args)"
                               if plan.bounded_above else "numpy.inf")
        # the package's own solver and helpers, as they are (the module cannot import them)
        helpers = [newton_log] + ([exp_ndtr] if "exp_ndtr(" in newton else []) + [tails_lost]
        code += "".join("\n\n" + inspect.getsource(h) for h in helpers)
    imports = ["import numpy"] + (["import numpy as np  # the spelling of newton_log",
                                   "import concurrent.futures", "import os"]
                                  if plan.solver else [])
    imports += [f"import {m}" for m in ("functools", "scipy.special", "scipy.constants")
                if f"{m}." in code]
    text = ('"""\n' + comment(plan.header(), "").replace("\n ", "\n").lstrip()
            + '\n"""\n\n' + "\n".join(imports) + "\n" + code + "\n")
    return {f"{plan.prefix}.py": text}
