"""Fortran 2008 target: one module of pure functions in double precision (real64).

A closed form is printed as the numeric layer evaluates it (as the C target
does, :func:`~melitz_sym.export.codegen.straight_line`): its power form, and
where one of its guarded values is not a normal double (``ms_normal``) its
stable form; a Piecewise selection as an ``if`` block.  Subroutine
``PREFIX_all`` computes every output at once.

Fortran 2008 has ``erfc``, ``erfc_scaled`` (erfcx), ``gamma`` and ``log_gamma``
(the normal distribution function Phi, its log and ``exp(a) Phi(x)`` are the
module's ``ms_ndtr``, ``ms_log_ndtr``, ``ms_exp_ndtr``, as scipy computes them) but no ``log1p``,
``expm1`` or incomplete gamma function: a module whose expressions use them
carries its own (:data:`LOG1P`, Goldberg's compensated form; :data:`EXPM1`,
Kahan's; :data:`LOGADDEXP` on ``log1p``; both incomplete gamma functions on one
core, :data:`INCGAMMA`), emitted only when used
(:mod:`melitz_sym.export.targets.special`).
"""

from __future__ import annotations

import textwrap

import sympy as sp
from sympy.printing.codeprinter import CodePrinter, PrintMethodNotImplementedError
from sympy.printing.fortran import FCodePrinter

from ..codegen import (Plan, case_safe_names, evaluation, forms_of, guarded, straight_line,
                       unused_args)
from . import comment, function_doc
from .special import GAMMAINCC_NOTE, NORMAL_NOTE, carried, lgam1p_coefficients, literals

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

LOG1P = """
  ! log1p(x) = log(1 + x) without the rounding of 1 + x (Fortran 2008 has no log1p):
  ! with u = 1 + x rounded, log(u) (x/(u - 1)) (Goldberg 1991, after Kahan: the rounding
  ! of u cancels between log(u) and u - 1); x itself where u = 1, u where it overflows.
  pure function log1p(x) result(r)
    real(real64), intent(in) :: x
    real(real64) :: r, u
    u = 1 + x
    if (u == 1) then
      r = x
    else if (u > huge(u)) then
      r = u
    else
      r = log(u) * (x / (u - 1))
    end if
  end function log1p"""

EXPM1 = """
  ! expm1(x) = exp(x) - 1 without cancellation (Fortran 2008 has no expm1): with
  ! u = exp(x) rounded, (u - 1) (x/log(u)) (Kahan: the rounding of u cancels between
  ! u - 1 and log(u)); x itself where u = 1, -1 where u - 1 = -1, u where it overflows.
  pure function expm1(x) result(r)
    real(real64), intent(in) :: x
    real(real64) :: r, u
    u = exp(x)
    if (u == 1) then
      r = x
    else if (u - 1 == -1 .or. u > huge(u)) then
      r = u - 1
    else
      r = (u - 1) * (x / log(u))
    end if
  end function expm1"""

LOGADDEXP = """
  ! logaddexp(a, b) = log(exp(a) + exp(b)) = max(a, b) + log1p(exp(-|a - b|)): no overflow.
  pure function logaddexp(a, b) result(r)
    real(real64), intent(in) :: a, b
    real(real64) :: r
    r = max(a, b)
    if (r >= -huge(r)) r = r + log1p(exp(-abs(a - b)))
  end function logaddexp"""

NORMAL = """
  ! x is a normal double: neither overflowed nor underflowed (nor nan).
  pure function ms_normal(x) result(ok)
    real(real64), intent(in) :: x
    logical :: ok
    ok = x >= tiny(x) .and. x <= huge(x)
  end function ms_normal"""

NDTR = "\n" + comment(NORMAL_NOTE[:9], "  !") + """
  ! (erfcx is Fortran's erfc_scaled.)
  pure function ms_ndtr(x) result(r)
    real(real64), intent(in) :: x
    real(real64) :: r, z
    z = x * 0.70710678118654752_real64
    if (abs(z) < 0.70710678118654752_real64) then
      r = 0.5_real64 + 0.5_real64 * erf(z)
    else
      r = 0.5_real64 * erfc(abs(z))
      if (z > 0) r = 1 - r
    end if
  end function ms_ndtr"""

LOG_NDTR = """
  pure function ms_log_ndtr(x) result(r)
    real(real64), intent(in) :: x
    real(real64) :: r, z
    z = x * 0.70710678118654752_real64
    if (x < -1) then
      r = log(erfc_scaled(-z) / 2) - z * z
    else
      r = log1p(-erfc(z) / 2)
    end if
  end function ms_log_ndtr"""

EXP_NDTR = """
  pure function ms_exp_ndtr(a, x) result(r)
    real(real64), intent(in) :: a, x
    real(real64) :: r
    r = exp(a) * ms_ndtr(x)
    if (.not. (abs(r) >= tiny(r) .and. abs(r) <= huge(r))) r = exp(a + ms_log_ndtr(x))
  end function ms_exp_ndtr"""

#: name -> (code, carried functions it calls)
CARRIED = {"log1p": (LOG1P, ()), "expm1": (EXPM1, ()), "logaddexp": (LOGADDEXP, ("log1p",)),
           "ndtr": (NDTR, ()), "log_ndtr": (LOG_NDTR, ("log1p",)),
           "exp_ndtr": (EXP_NDTR, ("ndtr", "log_ndtr")),
           "incgamma": (INCGAMMA, ()),
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
        "gammainc": "gammainc", "log1p": "log1p", "expm1": "expm1", "logaddexp": "logaddexp",
        "ndtr": "ms_ndtr", "log_ndtr": "ms_log_ndtr", "exp_ndtr": "ms_exp_ndtr",
        "erfcx": "erfc_scaled"}

#: The closed forms' Forms are printed (see the module docstring).
FORMS = True
#: A Newton model's residual and outputs print solve's forms too.
NEWTON_FORMS = True


class _Printer(FCodePrinter):
    """sympy's Fortran printer, with the arguments of a function evaluated as floats
    only where they are numbers (integers as reals: ``logaddexp(0.0d0, x)``).

    sympy's evaluates every argument numerically, which rewrites the stable
    forms (``exp(logaddexp(0, x + log(n)))`` as ``n*exp(x) + 1``), and passes
    an integer ``0`` to a function of reals.
    """

    def _print_Function(self, expr):
        prec = self._settings["precision"]
        args = [sp.Float(a, prec) if a.is_Integer else sp.N(a, prec) if a.is_number else a
                for a in expr.args]
        value = expr.func(*args)
        if not isinstance(value, sp.Function):
            return self._print(value)
        return CodePrinter._print_Function(self, value)



def _print(expr: sp.Expr, name: str | None = None) -> tuple[set, str]:
    """Named constants and the Fortran of ``expr`` (assigned to ``name``, if given:
    a Piecewise selection as an ``if`` block)."""
    printer = _Printer({"standard": 2008, "source_format": "free", "human": False,
                        "user_functions": _OWN})  # a new one each time: it keeps state
    consts, unsupported, code = printer.doprint(expr, assign_to=name)
    if unsupported:
        raise PrintMethodNotImplementedError(f"Unsupported: {sorted(map(str, unsupported))}")
    return consts, code


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


def _evaluate(funcs, outs: list[str]) -> tuple[list[str], list[str]]:
    """Declarations and code computing the closed forms of ``funcs`` into ``outs``
    (``res``, or ``out(i)``), as the numeric layer evaluates them
    (:func:`~melitz_sym.export.codegen.straight_line`: the power forms, and where a
    guarded value is not a normal double the stable forms); named constants
    (``pi``) as parameters."""
    names: list[str] = []
    consts: set = set()

    def assign(name: str, value, indent: str = "    ") -> list[str]:
        if isinstance(value, str):
            return [f"{indent}{name} = {value}"]
        c, code = _print(value, name)
        consts.update(c)
        return [indent + line for line in code.splitlines()]

    def define(name: str, value) -> list[str]:
        names.append(name)
        return assign(name, value)

    def put(i: int, value: sp.Expr, kind: str) -> list[str]:
        return assign(outs[i], value, "      " if kind == "fast" else "    ")

    def when_normal(guards: list, lines: list[str]) -> list[str]:
        tests = [f"ms_normal({_print(g)[1]})" for g in guards]
        return [*_declare("    if (", tests, ") then", sep=" .and. "), *lines, "      return",
                "    end if"]

    code = straight_line(evaluation(funcs), define, put, when_normal)
    decl = _declare("    real(real64) :: ", names) if names else []
    decl += [f"    real(real64), parameter :: {s} = {v}" for s, v in sorted(consts, key=str)]
    return decl, code


def _all_outputs(plan: Plan) -> tuple[str, list[str]]:
    """The name and lines of subroutine ``PREFIX_all``: every output at once."""
    name, k = f"{plan.prefix}_all", len(plan.functions)
    args = [p.name for p in plan.params]
    decl, code = _evaluate(plan.functions, [f"out({i + 1})" for i in range(k)])
    exprs = tuple(x for f in plan.functions for x in (forms_of(f).fast, forms_of(f).stable))
    doc = [f"all: every output at once into out({k}), common subexpressions computed once "
           "(faster than one call per output):"] + [
        f"  out({i + 1}) = {f.name}: {f.doc}" for i, f in enumerate(plan.functions)] + [
        "Arguments: the parameters in the order above, then out."]
    return name, ["", _comment(doc, "  !"),
                  *_declare(f"  pure subroutine {name}(", args + ["out"], ")"),
                  *_declare("    real(real64), intent(in) :: ", args),
                  f"    real(real64), intent(out) :: out({k})", *decl, *code,
                  *_touch(unused_args(plan.functions[0], exprs), "out(1)"),
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
        body, code = _evaluate([f], ["res"])
        args = [a.name for a in f.args]
        decl = _declare("    real(real64), intent(in) :: ", args) if args else []
        decl += ["    real(real64) :: res", *body]
        lines += ["", _comment(function_doc(plan, f), "  !"),
                  *_declare(f"  pure function {fname}(", args, ") result(res)"),
                  *decl, *code, *_touch(unused_args(f)), f"  end function {fname}"]
    if every:
        lines += every[1]
    lines += carried(plan, CARRIED) + ([NORMAL] if guarded(plan) else [])
    lines.append(f"end module {plan.prefix}")
    return {f"{plan.prefix}.f90": "\n".join(lines) + "\n"}
