"""Fortran 2008 target: one module of pure functions in double precision (real64).

Fortran 2008 has ``gamma`` and ``log_gamma`` but no incomplete gamma function:
a module whose expressions use ``gammaincc`` or ``gammainc`` carries an
implementation of both on one core (:data:`INCGAMMA`), emitted only when used
(:mod:`melitz_sym.export.targets.special`).
"""

from __future__ import annotations

import textwrap

import sympy as sp
from sympy.printing.codeprinter import PrintMethodNotImplementedError

from ..codegen import Plan, case_safe_names, cse, unused_args
from . import comment, function_doc
from .special import GAMMAINCC_NOTE, carried, lgam1p_coefficients, literals

_LGAM1P = lgam1p_coefficients()

INCGAMMA = "\n" + comment(GAMMAINCC_NOTE, "  !") + """
  ! (Fortran has no expm1: expm1(y) = 2 sinh(y/2) exp(y/2), as accurate.)
  pure function incgamma(a, x, lower) result(q)
    real(real64), intent(in) :: a, x
    logical, intent(in) :: lower
    real(real64) :: q
    real(real64), parameter :: lgam1p_c(LEN) = [ &
      LGAM1P]
    real(real64), parameter :: tiny = 1e-300_real64
    real(real64) :: term, total, fac, lg, y, b, c, d, h, an, step
    integer :: n
    if (x == 0) then
      q = merge(0.0_real64, 1.0_real64, lower)
      return
    end if
    if (merge(x < a, merge(-0.4_real64 / log(x) < a, x * 1.1_real64 < a, x <= 0.5_real64), &
              x > 1.1_real64)) then
      term = 1
      total = 1
      do n = 1, 1999
        if (term <= 1e-17_real64 * total) exit
        term = term * x / (a + n)
        total = total + term
      end do
      q = front(a, x) / a * total
      if (.not. lower) q = 1 - q
    else if (x <= 1.1_real64) then
      fac = 1
      total = 0
      do n = 1, 99
        fac = -fac * x / n
        term = fac / (a + n)
        total = total + term
        if (abs(term) <= 1e-17_real64 * abs(total)) exit
      end do
      if (abs(a) > 0.2_real64) then
        lg = log_gamma(1 + a)
      else
        lg = 0
        do n = size(lgam1p_c), 1, -1
          lg = lgam1p_c(n) + a * lg
        end do
        lg = a * lg
      end if
      y = a * log(x) - lg
      if (lower) then
        q = exp(y) + x**a / gamma(a) * total
      else
        q = -2 * sinh(y / 2) * exp(y / 2) - x**a / gamma(a) * total
      end if
    else
      b = x + 1 - a
      c = 1 / tiny
      d = 1 / b
      h = d
      do n = 1, 1999
        an = -n * (n - a)
        b = b + 2
        d = an * d + b
        if (abs(d) < tiny) d = tiny
        c = b + an / c
        if (abs(c) < tiny) c = tiny
        d = 1 / d
        step = d * c
        h = h * step
        if (abs(step - 1) <= 1e-16_real64) exit
      end do
      q = front(a, x) * h
      if (lower) q = 1 - q
    end if
  contains
    pure function front(a, x) result(r)
      real(real64), intent(in) :: a, x
      real(real64) :: r
      if (x <= 700 .and. a * log(x) < 700 .and. a < 170) then
        r = x**a * exp(-x) / gamma(a)
      else
        r = exp(a * log(x) - x - log_gamma(a))
      end if
    end function front
  end function incgamma
""".replace("LGAM1P", literals([c + "_real64" for c in _LGAM1P], indent="      ").replace(
    ",\n", ", &\n")).replace("LEN", str(len(_LGAM1P)))

#: name -> (code, carried functions it calls)
CARRIED = {"incgamma": (INCGAMMA, ()),
           "gammaincc": ("\n  pure function gammaincc(a, x) result(q)\n"
                         "    real(real64), intent(in) :: a, x\n    real(real64) :: q\n"
                         "    q = incgamma(a, x, .false.)\n  end function gammaincc",
                         ("incgamma",)),
           "gammainc": ("\n  pure function gammainc(a, x) result(q)\n"
                        "    real(real64), intent(in) :: a, x\n    real(real64) :: q\n"
                        "    q = incgamma(a, x, .true.)\n  end function gammainc",
                        ("incgamma",))}

#: Functions printed as the Fortran 2008 intrinsics (erf, erfc, gamma) or the module's
#: own functions (gammaincc, gammainc) of that name.
_OWN = {"erf": "erf", "erfc": "erfc", "gamma": "gamma", "gammaincc": "gammaincc",
        "gammainc": "gammainc"}


def _assign(name: str, expr: sp.Expr) -> tuple[set, str]:
    consts, unsupported, code = sp.fcode(expr, assign_to=name, standard=2008,
                                         source_format="free", human=False,
                                         user_functions=_OWN)
    if unsupported:
        raise PrintMethodNotImplementedError(f"Unsupported: {sorted(map(str, unsupported))}")
    return consts, "\n".join("    " + line for line in code.splitlines())


#: Longest line of standard free-form source (Fortran 2008, 3.3.2.1).
LINE = 132


def _comment(lines: list[str], lead: str) -> str:
    """``lines`` as a comment block, long lines wrapped to at most :data:`LINE` characters."""
    width = LINE - len(lead) - 1
    out = []
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip()))
        out += textwrap.wrap(line, width, subsequent_indent=indent + "  ",
                             break_long_words=False, break_on_hyphens=False) or [""]
    return comment(out, lead)


def _declare(head: str, names: list[str], tail: str = "", sep: str = ", ") -> list[str]:
    """``head`` then ``names`` joined by ``sep``, then ``tail`` (``real(real64) :: t0, t1,
    ...``), continued with ``&`` onto more lines where it would exceed :data:`LINE`
    characters."""
    lines, line = [], head if names else head + tail
    for i, name in enumerate(names):
        item = name + (sep if i < len(names) - 1 else tail)
        if len(line) + len(item) + 2 > LINE:
            lines.append(line.rstrip() + " &")
            line = "      "
        line += item
    return lines + [line]


def _touch(names: list[str], target: str = "res") -> list[str]:
    """A reference to the dummy arguments ``names`` that an output does not use, so that
    ``-Wall`` does not flag them (every function takes all parameters)."""
    if not names:
        return []
    return ["    ! not used by this output (every function takes all parameters):",
            *_declare(f"    if (.false.) {target} = ", names, sep=" + ")]


def _body(pairs, results: list[tuple[str, sp.Expr]]) -> tuple[list[str], list[str]]:
    """Declarations of the temporaries ``pairs`` and named constants, and the code
    assigning them and each ``results`` (l-value, expression)."""
    consts, code = set(), []
    for t, e in [(str(t), e) for t, e in pairs] + results:
        c, text = _assign(t, e)
        consts |= c
        code.append(text)
    decl = _declare("    real(real64) :: ", [str(t) for t, _ in pairs]) if pairs else []
    decl += [f"    real(real64), parameter :: {s} = {v}" for s, v in sorted(consts, key=str)]
    return decl, code


def _all_outputs(plan: Plan) -> tuple[str, list[str]]:
    """The name and lines of subroutine ``PREFIX_all``: every output at once."""
    name, k = f"{plan.prefix}_all", len(plan.functions)
    args = [p.name for p in plan.params]
    pairs, results = sp.cse([f.expr for f in plan.functions],
                            symbols=sp.numbered_symbols("t", real=True))
    decl, code = _body(pairs, [(f"out({i + 1})", r) for i, r in enumerate(results)])
    used = {s.name for f in plan.functions for s in f.expr.free_symbols}
    doc = [f"all: every output at once into out({k}), common subexpressions computed once "
           "(faster than one call per output):"] + [
        f"  out({i + 1}) = {f.name}: {f.doc}" for i, f in enumerate(plan.functions)] + [
        "Arguments: the parameters in the order above, then out."]
    return name, ["", _comment(doc, "  !"),
                  *_declare(f"  pure subroutine {name}(", args + ["out"], ")"),
                  *_declare("    real(real64), intent(in) :: ", args),
                  f"    real(real64), intent(out) :: out({k})", *decl, *code,
                  *_touch([a for a in args if a not in used], "out(1)"),
                  f"  end subroutine {name}"]


def render(plan: Plan) -> dict[str, str]:
    """``PREFIX.f90``: module ``PREFIX`` with one function ``PREFIX_<output>`` each and,
    for closed forms, subroutine ``PREFIX_all`` (every output at once)."""
    names = case_safe_names(plan)
    fnames = [f"{plan.prefix}_{names[f.name]}" for f in plan.functions]
    every = _all_outputs(plan) if plan.all_outputs else None
    if every:
        fnames.append(every[0])
    lines = [_comment(plan.header(), "!"),
             "! Output names that differ only in case get _cap appended (Fortran ignores case).",
             f"module {plan.prefix}", "  use, intrinsic :: iso_fortran_env, only: real64",
             "  implicit none", "  private", *[f"  public :: {n}" for n in fnames], "contains"]
    for f, fname in zip(plan.functions, fnames):
        pairs, result = cse(f)
        body, code = _body(pairs, [("res", result)])
        args = [a.name for a in f.args]
        decl = _declare("    real(real64), intent(in) :: ", args) if args else []
        decl += ["    real(real64) :: res", *body]
        lines += ["", _comment(function_doc(plan, f), "  !"),
                  *_declare(f"  pure function {fname}(", args, ") result(res)"),
                  *decl, *code, *_touch(unused_args(f)), f"  end function {fname}"]
    if every:
        lines += every[1]
    lines += carried(plan, CARRIED)
    lines.append(f"end module {plan.prefix}")
    return {f"{plan.prefix}.f90": "\n".join(lines) + "\n"}
