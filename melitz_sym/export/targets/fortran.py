"""Fortran 2008 target: one module of pure functions in double precision (real64)."""

from __future__ import annotations

import sympy as sp
from sympy.printing.codeprinter import PrintMethodNotImplementedError

from ..codegen import Plan, case_safe_names, cse
from . import comment, function_doc


def _assign(name: str, expr: sp.Expr) -> tuple[set, str]:
    consts, unsupported, code = sp.fcode(expr, assign_to=name, standard=2008,
                                         source_format="free", human=False)
    if unsupported:
        raise PrintMethodNotImplementedError(f"Unsupported: {sorted(map(str, unsupported))}")
    return consts, "\n".join("    " + line for line in code.splitlines())


def render(plan: Plan) -> dict[str, str]:
    """``PREFIX.f90``: module ``PREFIX`` with one function ``PREFIX_<output>`` each."""
    names = case_safe_names(plan)
    fnames = [f"{plan.prefix}_{names[f.name]}" for f in plan.functions]
    lines = [comment(plan.header(), "!"),
             "! Output names that differ only in case get _cap appended (Fortran ignores case).",
             f"module {plan.prefix}", "  use, intrinsic :: iso_fortran_env, only: real64",
             "  implicit none", "  private", *[f"  public :: {n}" for n in fnames], "contains"]
    for f, fname in zip(plan.functions, fnames):
        pairs, result = cse(f)
        consts, code = set(), []
        for t, e in pairs:
            c, text = _assign(str(t), e)
            consts |= c
            code.append(text)
        c, text = _assign("res", result)
        consts |= c
        code.append(text)
        args = ", ".join(a.name for a in f.args)
        decl = [f"    real(real64), intent(in) :: {args}"] if args else []
        decl.append("    real(real64) :: res")
        if pairs:
            decl.append(f"    real(real64) :: {', '.join(str(t) for t, _ in pairs)}")
        decl += [f"    real(real64), parameter :: {s} = {v}" for s, v in sorted(consts, key=str)]
        lines += ["", comment(function_doc(plan, f), "  !"),
                  f"  pure function {fname}({args}) result(res)", *decl, *code,
                  f"  end function {fname}"]
    lines.append(f"end module {plan.prefix}")
    return {f"{plan.prefix}.f90": "\n".join(lines) + "\n"}
