r"""LaTeX in the registry's notation.

Equations are printed by sympy's :class:`~sympy.printing.latex.LatexPrinter`
with the symbol names of :mod:`melitz_sym.symbols` (``phi_star`` becomes
:math:`\varphi^*`).  Two printing rules keep the author-facing form and make
the output unambiguous to read back:

* an undefined function is written as an application,
  :math:`S\left(x\right)`, :math:`r_{d}\left(\varphi^*\right)`;
* a power of a function is parenthesised, :math:`\left(S(x)\right)^{a}`,
  instead of sympy's :math:`S^{a}(x)`, which reads as a function named
  :math:`S^{a}`;
* Melitz's function :math:`k(\varphi)` (average over marginal profit) is written
  :math:`\kappa(\varphi)`, so that it does not share its name with the Pareto
  shape :math:`k` (:data:`FUNCTION_SYMBOLS`; the parser reads it back).

Used by the LaTeX and Markdown export and by the Jupyter display of steps and
derivations.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

from .symbols import symbol_names


#: LaTeX names of functions whose ASCII name is also a parameter's
FUNCTION_SYMBOLS = {"k": r"\kappa"}


class NotationPrinter(LatexPrinter):
    """LaTeX printer using the registry's notation (see the module docstring)."""

    def __init__(self, settings: dict | None = None) -> None:
        settings = dict(settings or {})
        settings.setdefault("symbol_names", symbol_names())
        super().__init__(settings)

    def _print_Function(self, expr, exp=None):
        if not isinstance(expr, AppliedUndef):
            return super()._print_Function(expr, exp)
        name = self.function_name(expr.func.__name__)
        args = ", ".join(self._print(a) for a in expr.args)
        out = rf"{name}\left({args}\right)"
        return out if exp is None else rf"\left({out}\right)^{{{exp}}}"

    def function_name(self, name: str) -> str:
        """LaTeX name of an undefined function (``r_d`` -> ``r_{d}``, ``k`` -> ``\\kappa``)."""
        return FUNCTION_SYMBOLS.get(name) or self._deal_with_super_sub(name)

    def _print_erf(self, expr, exp=None):
        out = rf"\operatorname{{erf}}\left({self._print(expr.args[0])}\right)"
        return out if exp is None else rf"\left({out}\right)^{{{exp}}}"

    def _print_Pow(self, expr):
        base = expr.base
        if isinstance(base, sp.Function) and not isinstance(base, sp.exp):
            return rf"\left({self._print(base)}\right)^{{{self._print(expr.exp)}}}"
        return super()._print_Pow(expr)


def latex(expr: sp.Basic) -> str:
    """LaTeX of an expression or equation in the registry's notation."""
    return NotationPrinter().doprint(expr)


def init_printing(**settings) -> None:
    """Display every sympy object in Jupyter (and in IPython's LaTeX-capable consoles) in
    this notation: :func:`sympy.init_printing` with :func:`latex` as its LaTeX printer.

    Parameters
    ----------
    **settings : object
        Passed to :func:`sympy.init_printing` (e.g. ``use_latex="mathjax"``).
    """
    sp.init_printing(latex_printer=lambda expr, **_: latex(expr), **settings)


def repr_step(step) -> str:
    """Jupyter display of a step: ``$$ equation $$``."""
    return f"$$\\displaystyle {latex(step.eq)}$$"


def repr_derivation(d) -> str:
    """Jupyter display of a derivation: every step, named, in one aligned block."""
    rows = [rf"\text{{{s.name.replace('_', ' ')}}}: && {latex(s.eq)}" for s in d]
    return "$$\\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$$"
