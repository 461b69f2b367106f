"""A user-declared productivity density."""

from __future__ import annotations

import sympy as sp

from ..errors import AdmissibilityError
from .base import Distribution


class Custom(Distribution):
    r"""Any density declared as a sympy expression.

    Every other symbol of ``pdf`` becomes a model parameter, declared
    positive.  The survival function :math:`S(x) = \int_x^{upper} g` and the tail
    moment :math:`V(x) = \int_x^{upper} t^{\sigma-1} g(t)\,dt` are integrated by
    sympy; if sympy finds no antiderivative they stay ``Integral`` objects and
    are evaluated by quadrature.

    Parameters
    ----------
    pdf : sympy.Expr
        The density :math:`g` in the variable ``var``.
    support : tuple
        ``(lower, upper)``; ``upper`` may be ``sympy.oo``.
    var : sympy.Symbol or None
        The variable of ``pdf`` (default: its only free symbol named ``phi`` or
        ``x``).
    restrictions : sequence of Restriction
        Extra :class:`~melitz_sym.admissibility.Restriction` objects on the
        density's parameters.
    name : str
        Label used in documents.

    Examples
    --------
    >>> import sympy as sp
    >>> phi, lam = sp.symbols("phi lambda_", positive=True)
    >>> d = Custom(lam * sp.exp(-lam * (phi - 1)), (1, sp.oo), var=phi)
    """

    continuous = True

    def __init__(self, pdf, support, var=None, restrictions=(), name="custom"):
        pdf = sp.sympify(pdf)
        if var is None:
            cands = [s for s in pdf.free_symbols if s.name in ("phi", "x")]
            if len(cands) != 1:
                raise AdmissibilityError(
                    "Custom(pdf, support): name the density's variable with var=")
            var = cands[0]
        others = sorted(pdf.free_symbols - {var}, key=lambda s: s.name)
        pos = {s: sp.Symbol(s.name, positive=True) for s in others}
        t = sp.Dummy("t", positive=True)
        self._pdf = sp.Lambda(t, pdf.subs(pos).subs(var, t))
        lo, hi = (sp.sympify(v).subs(pos) for v in support)
        self._support = (lo, hi)
        self.params = tuple(s.name for s in pos.values())
        self._symbols = tuple(pos.values())
        self._restrictions = list(restrictions)
        self.name = name

    @property
    def symbols(self):
        return self._symbols

    @property
    def support(self):
        return self._support

    def declared_pdf(self, x):
        return self._pdf(x)

    def restrictions(self, a):
        return list(self._restrictions)

    def __repr__(self) -> str:
        return f"Custom({sp.sstr(self._pdf.expr)}, {self._support})"
