"""NumPy target: a standalone module (numpy, and scipy.special where needed; no sympy)."""

from __future__ import annotations

import inspect

import sympy as sp
from sympy.printing.numpy import SciPyPrinter

from ...numeric.fast import newton_log
from ..codegen import Plan, cse
from . import comment, function_doc

_SOLVER = '''

def admissible({params}):
    """True where every parameter is finite and the admissibility conditions hold."""
    _args = numpy.broadcast_arrays(*[numpy.asarray(a, dtype=float) for a in ({names},)])
    with numpy.errstate(all="ignore"):
        _ok = numpy.logical_and.reduce([numpy.isfinite(a) for a in _args])
        return _ok & {condition}


def _residual_and_slope(y, *args):
    """The cutoff residual R at phi = exp(y) and its slope dR/dy."""
    phi = numpy.exp(y)
    return cutoff_residual(phi, *args), cutoff_residual_dphi(phi, *args) * phi


def solve_cutoff({params}, tol=1e-15, iters=200, status=False):
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
    inadmissible, 3 at a corner.
    """
    _args = numpy.broadcast_arrays(*[numpy.asarray(a, dtype=float) for a in ({names},)])
    _bad_args = ~admissible(*_args)
    _args = [numpy.where(_bad_args, numpy.nan, a) for a in _args]
    _lower = numpy.broadcast_to(numpy.asarray(cutoff_lower(*_args), dtype=float), _args[0].shape)
    _shape = _lower.shape
    with numpy.errstate(all="ignore"):
        _corner = (_lower > 0) & (cutoff_residual(_lower, *_args) < 0)
        _work = ~(_bad_args | _corner)  # not solved elsewhere: status 2 or 3
        _y = newton_log(_residual_and_slope, _lower[_work], [a[_work] for a in _args],
                        tol, iters)
    _phi = numpy.full(_shape, numpy.nan)
    _phi[_work] = numpy.exp(_y)
    _code = numpy.select([_bad_args, _corner, numpy.isnan(_phi)], [2, 3, 1], 0)
    return (_phi, _code) if status else _phi


'''


def render(plan: Plan) -> dict[str, str]:
    """``PREFIX.py``: one function per output (names without the prefix) and, for
    closed forms, ``all_outputs`` (every output at once, as a dict)."""
    # gammaincc, gammainc: the regularised incomplete gammas of stable.code_form
    printer = SciPyPrinter({"fully_qualified_modules": True,
                            "user_functions": {"gammaincc": "scipy.special.gammaincc",
                                               "gammainc": "scipy.special.gammainc"}})
    defs = []
    for f in plan.functions:
        pairs, result = cse(f)
        doc = "\n    ".join(function_doc(plan, f))
        body = [f"    {t} = {printer.doprint(e)}" for t, e in pairs]
        defs += ["", "", f"def {f.name}({', '.join(a.name for a in f.args)}):",
                 f'    """{doc}\n    """', *body, f"    return {printer.doprint(result)}"]
    if plan.all_outputs:
        args = ", ".join(p.name for p in plan.params)
        pairs, results = sp.cse([f.expr for f in plan.functions],
                                symbols=sp.numbered_symbols("t", real=True))
        doc = "\n    ".join(["Every output at once, as a dict name -> value, common subexpressions "
                              "computed once", "(faster than one call per output).",
                              "Arguments: the parameters, in the order above."])
        defs += ["", "", f"def all_outputs({args}):", f'    """{doc}\n    """',
                 *[f"    {t} = {printer.doprint(e)}" for t, e in pairs], "    return {",
                 *[f"        {f.name!r}: {printer.doprint(r)}," for f, r in
                   zip(plan.functions, results)], "    }"]
    code = "\n".join(defs)
    if plan.solver:
        names = ", ".join(p.name for p in plan.params)
        code += _SOLVER.format(params=names, names=names,
                               condition=printer.doprint(plan.admissible))
        # the solver of the package's own solve, as it is (the module cannot import it)
        code += "\n\n" + inspect.getsource(newton_log)
    imports = ["import numpy"] + (["import numpy as np  # newton_log's spelling"]
                                  if plan.solver else [])
    imports += [f"import {m}" for m in ("scipy.special", "scipy.constants") if f"{m}." in code]
    text = ('"""\n' + comment(plan.header(), "").replace("\n ", "\n").lstrip()
            + '\n"""\n\n' + "\n".join(imports) + "\n" + code + "\n")
    return {f"{plan.prefix}.py": text}
