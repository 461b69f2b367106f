"""NumPy target: a standalone module (numpy, and scipy.special where needed; no sympy)."""

from __future__ import annotations

from sympy.printing.numpy import SciPyPrinter

from ..codegen import Plan, cse
from . import comment, function_doc

_SOLVER = '''

def admissible({params}):
    """True where every parameter is finite and the admissibility conditions hold."""
    _args = numpy.broadcast_arrays(*[numpy.asarray(a, dtype=float) for a in ({names},)])
    with numpy.errstate(all="ignore"):
        _ok = numpy.logical_and.reduce([numpy.isfinite(a) for a in _args])
        return _ok & {condition}


def solve_cutoff({params}, tol=1e-15, iters=200, status=False):
    """The equilibrium cutoff phi_star, root of cutoff_residual above cutoff_lower.

    Vectorised safeguarded Newton iteration on y = log(phi_star): the root of the
    decreasing residual is bracketed by doubling [lo, hi] (an end passed over
    becomes the other end), then Newton steps are
    taken and a bisection replaces any step that leaves the bracket.  Arguments
    broadcast like numpy arrays.  For gains, call it again with n = 0 to get the
    autarky cutoff phi_star_A.  A residual that is nan far up or far down (a
    term overflowed or underflowed) ends the doubling on that side (nan at both
    ends widens both), and a nan inside the bracket moves the end that was nan
    (the other one being finite; else the result is nan): the bisection brings
    y back.  Where it does not converge (or the bracket closes on a nan end:
    a failure, not a root) the result is nan, as where the parameters are not
    admissible or the residual is negative at cutoff_lower (a corner).  With
    ``status=True`` it returns (cutoff, status): status 0 where it converged, 1
    where it did not, 2 where the parameters are inadmissible, 3 at a corner.
    """
    _args = numpy.broadcast_arrays(*[numpy.asarray(a, dtype=float) for a in ({names},)])
    _bad_args = ~admissible(*_args)
    _args = [numpy.where(_bad_args, numpy.nan, a) for a in _args]
    _lower = numpy.broadcast_to(numpy.asarray(cutoff_lower(*_args), dtype=float), _args[0].shape)
    with numpy.errstate(all="ignore"):
        _corner = (_lower > 0) & (cutoff_residual(_lower, *_args) < 0)
        _skip = _bad_args | _corner  # not solved: status 2 or 3
        _args = [numpy.where(_corner, numpy.nan, a) for a in _args]
        # Bracketing, then Newton, on flat arrays of the points still at work.
        _shape = numpy.shape(_lower)
        _lower, _skip, *_all = [numpy.array(numpy.broadcast_to(v, _shape)).reshape(-1)
                                for v in (_lower, _skip, *_args)]
        _lo = numpy.where(_lower > 0, numpy.log(numpy.where(_lower > 0, _lower, 1.0)), -2.0)
        _width = numpy.ones_like(_lo)
        _hi = _lo + _width
        _nan_lo, _nan_hi = numpy.zeros(_lo.size, bool), numpy.zeros(_lo.size, bool)
        _idx = numpy.flatnonzero(~_skip)  # points whose bracket is not yet found
        for _ in range(200):
            if not _idx.size:
                break
            _act = [v[_idx] for v in _all]
            _f_hi = cutoff_residual(numpy.exp(_hi[_idx]), *_act)
            _f_lo = numpy.ones(_idx.size)
            _open = _lower[_idx] <= 0  # no lower bound: the lower end is searched too
            if _open.any():
                _f_lo[_open] = cutoff_residual(numpy.exp(_lo[_idx][_open]),
                                               *[v[_open] for v in _act])
            _nan_hi[_idx], _nan_lo[_idx] = numpy.isnan(_f_hi), numpy.isnan(_f_lo)
            _both_nan = _nan_hi[_idx] & _nan_lo[_idx]
            _need_hi = (_f_hi > 0) | _both_nan
            _need_lo = (_f_lo < 0) | _both_nan
            _w = numpy.where(_need_hi | _need_lo, _width[_idx] * 2, _width[_idx])
            _l = numpy.where(_f_hi > 0, _hi[_idx], _lo[_idx])
            _h = numpy.where(_f_lo < 0, _lo[_idx], _hi[_idx])
            _width[_idx] = _w
            _hi[_idx] = numpy.where(_need_hi, _h + _w, _h)
            _lo[_idx] = numpy.where(_need_lo, _l - _w, _l)
            _idx = _idx[_need_hi | _need_lo]
        else:  # no bracket after 200 doublings: not solved (nan, status 1)
            _skip[_idx] = True
        # Newton phase on the unfinished points only: a point leaves the arrays once it
        # has converged (status 0) or failed (a nan inside the bracket: status 1).
        _idx = numpy.flatnonzero(~_skip)
        _y, _lo, _hi, _nan_lo, _nan_hi, *_act = [
            v[_idx] for v in (0.5 * (_lo + _hi), _lo, _hi, _nan_lo, _nan_hi, *_all)]
        _result = numpy.full(_lower.size, numpy.nan)
        _code = numpy.ones(_lower.size, dtype=int)
        for _ in range(iters):
            if not _idx.size:
                break
            _phi = numpy.exp(_y)
            _f = cutoff_residual(_phi, *_act)
            _nan = numpy.isnan(_f)
            _failed = _nan & (_nan_lo == _nan_hi)
            _to_lo = (_f > 0) | (_nan & _nan_lo & ~_nan_hi)
            _to_hi = (_f < 0) | (_nan & _nan_hi & ~_nan_lo)
            _lo, _nan_lo = numpy.where(_to_lo, _y, _lo), numpy.where(_to_lo, _nan, _nan_lo)
            _hi, _nan_hi = numpy.where(_to_hi, _y, _hi), numpy.where(_to_hi, _nan, _nan_hi)
            _new = _y - _f / (cutoff_residual_dphi(_phi, *_act) * _phi)
            _bad = ~numpy.isfinite(_new) | (_new <= _lo) | (_new >= _hi)
            _new = numpy.where(_bad, 0.5 * (_lo + _hi), _new)
            _scale = numpy.maximum(1.0, numpy.abs(_y))
            _done = (((numpy.abs(_new - _y) <= tol * _scale) & ~_nan) | (_f == 0)
                     | ((_hi - _lo <= 4e-16 * _scale) & ~_nan_lo & ~_nan_hi))
            _ok = _done & ~_failed
            _result[_idx[_ok]] = numpy.exp(_new[_ok])
            _code[_idx[_ok]] = 0
            _keep = ~(_done | _failed)
            _idx, _y, _lo, _hi, _nan_lo, _nan_hi = (
                v[_keep] for v in (_idx, _new, _lo, _hi, _nan_lo, _nan_hi))
            _act = [v[_keep] for v in _act]
    _code = numpy.select([_bad_args, _corner], [2, 3], _code.reshape(_shape))
    _phi = _result.reshape(_shape)
    return (_phi, _code) if status else _phi
'''


def render(plan: Plan) -> dict[str, str]:
    """``PREFIX.py``: one function per output (names without the prefix)."""
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
    code = "\n".join(defs)
    if plan.solver:
        names = ", ".join(p.name for p in plan.params)
        code += _SOLVER.format(params=names, names=names,
                               condition=printer.doprint(plan.admissible))
    imports = ["import numpy"] + [f"import {m}" for m in ("scipy.special", "scipy.constants")
                                  if f"{m}." in code]
    text = ('"""\n' + comment(plan.header(), "").replace("\n ", "\n").lstrip()
            + '\n"""\n\n' + "\n".join(imports) + "\n" + code + "\n")
    return {f"{plan.prefix}.py": text}
