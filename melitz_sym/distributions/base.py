"""Productivity distributions and their tail moments.

A distribution is declared by its density ``g`` (or its cdf ``G``) on a
support ``[lower, upper]``.  Everything the models need is *derived* from it by
sympy:

* the survival function :math:`S(x) = \\int_x^{upper} g(t)\\,dt`,
* the tail moment :math:`V(x) = \\int_x^{upper} t^{a} g(t)\\,dt`, with
  :math:`a = \\sigma - 1` in the Melitz models.

Where sympy's integrator needs help a distribution declares a change of
variables :math:`t = h(u)` (``phi = exp(u)`` for the log-normal) or a
reparametrisation that exposes the convergence condition (``k = sigma - 1 + e``
with ``e > 0`` for Pareto).  An integral sympy cannot do stays an unevaluated
``Integral``; the numeric layer then evaluates it by quadrature.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..admissibility import Restriction
from ..symbols import sym


@dataclass(frozen=True)
class Substitution:
    """Change of variables ``t = h(u)`` with inverse ``u = h_inv(t)``.

    Parameters
    ----------
    u : sympy.Symbol
        The new variable.
    h : sympy.Expr
        ``t`` as an expression in ``u`` (``exp(u)`` for the log-normal).
    h_inv : sympy.Lambda
        The inverse map, ``t -> u`` (``log``).
    """

    u: sp.Symbol
    h: sp.Expr
    h_inv: sp.Lambda


class Distribution:
    """Base class: a productivity distribution declared by pdf or cdf.

    Subclasses set ``name``, ``params`` (canonical parameter names),
    ``support`` and either :meth:`declared_pdf` or :meth:`declared_cdf`.

    Attributes
    ----------
    name : str
        The name :func:`melitz_sym.model` accepts (``"pareto"``).
    params : tuple of str
        Canonical names of its parameters.
    continuous : bool
        False for a point mass (all firms alike).
    """

    name: str = ""
    params: tuple[str, ...] = ()
    continuous: bool = True

    # ----- declaration ---------------------------------------------------
    @property
    def support(self) -> tuple[sp.Expr, sp.Expr]:
        """Lower and upper bound of productivity (tuple of two sympy expressions)."""
        raise NotImplementedError

    def declared_pdf(self, x: sp.Expr) -> sp.Expr | None:
        """Density at ``x`` if declared directly, else None.

        Parameters
        ----------
        x : sympy.Expr
            A point of the support.

        Returns
        -------
        sympy.Expr or None
            The declared density :math:`g(x)`.
        """
        return None

    def declared_cdf(self, x: sp.Expr) -> sp.Expr | None:
        r"""Cdf :math:`G(x) = P(\varphi \le x)` if declared directly (Frechet, Weibull),
        else None; the density is then derived from it.

        Parameters
        ----------
        x : sympy.Expr
            The productivity at which the cdf is wanted.

        Returns
        -------
        sympy.Expr or None
            The declared :math:`G(x)`.
        """
        return None

    def restrictions(self, a: sp.Expr) -> list[Restriction]:
        """Restrictions on the parameters, given the moment order ``a``.

        Parameters
        ----------
        a : sympy.Expr
            The order of the tail moment the model needs (``sigma - 1`` in Melitz).

        Returns
        -------
        list of Restriction
            E.g. :math:`k > a` for Pareto (a finite moment of order ``a``).
        """
        return []

    def positivity(self) -> list[Restriction]:
        r"""Each positive parameter (scale, shape, dispersion) must be positive.

        Returns
        -------
        list of Restriction
            One :math:`\theta > 0` per positive parameter symbol :math:`\theta`.
        """
        return [Restriction(sp.Gt(s, 0, evaluate=False), f"{s.name} is positive")
                for s in self.symbols if s.is_positive]

    def substitution(self) -> Substitution | None:
        """Change of variables that helps sympy integrate, if any.

        Returns
        -------
        Substitution or None
            ``t = h(u)``, e.g. ``t = exp(u)`` for the log-normal.
        """
        return None

    def reparametrisation(self, a: sp.Expr) -> tuple[dict, dict]:
        """Forward and backward substitutions exposing convergence of V.

        Pareto declares ``k = a + e`` with ``e > 0`` so that sympy knows the
        tail moment of order ``a`` converges; the backward map restores ``k``.

        Parameters
        ----------
        a : sympy.Expr
            The order of the tail moment.

        Returns
        -------
        tuple of dict
            The forward and the backward substitution (both empty when none is
            needed).
        """
        return {}, {}

    # ----- derived objects -----------------------------------------------
    @property
    def symbols(self) -> tuple[sp.Symbol, ...]:
        """Parameter symbols (tuple of sympy.Symbol, in the order of ``params``)."""
        return tuple(sym(p) for p in self.params)

    def pdf(self, x: sp.Expr) -> sp.Expr:
        r"""Density :math:`g(x)` on the support (:math:`G'(x)` from a declared cdf).

        Parameters
        ----------
        x : sympy.Expr
            The productivity (a symbol, or a point of the support).

        Returns
        -------
        sympy.Expr
            :math:`g(x)`, the declared density or the derivative of the declared cdf.
        """
        g = self.declared_pdf(x)
        if g is not None:
            return g
        t = sp.Dummy("t", positive=True)
        return sp.diff(self.declared_cdf(t), t).subs(t, x)

    def survival(self, x: sp.Expr) -> sp.Expr:
        r"""Survival function :math:`S(x) = 1 - G(x) = \int_x^{upper} g(t)\,dt`, derived
        by integrating the density from ``x`` up.

        Parameters
        ----------
        x : sympy.Expr
            The lower limit of the integral (a cutoff).

        Returns
        -------
        sympy.Expr
            The share of draws above ``x`` (an unevaluated ``Integral`` where sympy
            finds no antiderivative).
        """
        return self._tail_lambda(sp.Integer(0))(x)

    def tail_moment(self, x: sp.Expr, a: sp.Expr) -> sp.Expr:
        r"""Tail moment :math:`V(x) = \int_x^{upper} t^a g(t)\,dt`.

        Parameters
        ----------
        x : sympy.Expr
            The lower limit (the cutoff :math:`\varphi^*` in the models).
        a : sympy.Expr
            The order (:math:`\sigma - 1` in the Melitz models).

        Returns
        -------
        sympy.Expr
            :math:`V(x)` (an unevaluated ``Integral`` where sympy finds no
            antiderivative).
        """
        return self._tail_lambda(sp.sympify(a))(x)

    def _tail_lambda(self, a: sp.Expr) -> sp.Lambda:
        cache = self.__dict__.setdefault("_tails", {})
        if a not in cache:
            cache[a] = self._integrate_tail(a)
        return cache[a]

    def moment_integral(self, a: sp.Expr, lower: sp.Expr, upper: sp.Expr,
                        reparametrise: bool = False) -> sp.Expr:
        r""":math:`\int_{lower}^{upper} t^a g(t)\,dt` as sympy integrates it from the
        declared density, after the distribution's change of variables (if any) and,
        with ``reparametrise``, in the parameters that expose convergence; an integral
        sympy cannot do stays an unevaluated ``Integral``.

        Parameters
        ----------
        a : sympy.Expr
            The order of the moment.
        lower, upper : sympy.Expr
            The limits of integration.
        reparametrise : bool
            Integrate in the parameters of :meth:`reparametrisation`.

        Returns
        -------
        sympy.Expr
            The integral, in the distribution's own parameters.
        """
        t = sp.Dummy("t", positive=True)
        integrand = t**a * self.pdf(t)
        var, lo, hi = t, lower, upper
        sub = self.substitution()
        if sub is not None:
            integrand = integrand.subs(t, sub.h) * sp.diff(sub.h, sub.u)
            var, lo, hi = sub.u, sub.h_inv(lower), sub.h_inv(upper)
        integrand = sp.powsimp(sp.expand_power_base(integrand, force=True), force=True)
        forward, backward = self.reparametrisation(a) if reparametrise else ({}, {})
        result = sp.integrate(integrand.subs(forward), (var, lo, hi), conds="none")
        return result.subs(backward)

    def _integrate_tail(self, a: sp.Expr) -> sp.Lambda:
        x = sp.Dummy("x", positive=True)
        result = self.moment_integral(a, x, self.support[1], reparametrise=True)
        if result.has(sp.Integral):
            return sp.Lambda(x, result)
        if result.has(sp.lowergamma, sp.uppergamma, sp.gamma):
            result = sp.gammasimp(result.rewrite(sp.uppergamma))
        result = sp.powsimp(sp.factor_terms(sp.simplify(result)), force=True)
        return sp.Lambda(x, result)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
