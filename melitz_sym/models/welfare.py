r"""Trade elasticity, welfare decomposition and the ACR formula for CES models with a cutoff.

Shared by every heterogeneous-firm model (Melitz, HMY, ...).  Works in the
generic layer, where the survival function :math:`S` and the tail moment
:math:`V(x) = \int_x t^{\sigma-1} dG(t)` are undefined functions.  Steps added:

``gamma_function``
    the extensive-margin elasticity :math:`\gamma(x) = x^{\sigma} g(x)/V(x)
    = -\partial\ln V/\partial\ln x` (Melitz-Redding 2015).  With a point mass
    below which the cutoffs lie there is no density and :math:`\gamma = 0`.
``trade_elasticity_general``
    the partial trade elasticity
    :math:`\varepsilon = \partial\ln(X_{ij}/X_{jj})/\partial\ln\tau`
    holding the importer's demand shifter (hence :math:`\varphi^*`) fixed, obtained
    by differentiating the derived sales ratio and writing every :math:`V'` as
    :math:`-\gamma V/x`.  In Melitz it is :math:`-(\sigma-1) - \gamma(\varphi_x^*)`:
    the intensive margin :math:`-(\sigma-1)` plus the extensive margin.
``mr_decomposition``
    :math:`d\ln W = (-d\ln\lambda + d\ln M_e)/(\sigma - 1 + \gamma(\varphi^*))`
    (Melitz-Redding 2015), from welfare :math:`W(\varphi^*)` and the domestic share
    :math:`\lambda(\varphi^*, M_e)` by total differentiation.
``acr_prediction``
    :math:`\lambda^{1/\varepsilon}`, the ACR (2012) gains formula evaluated with the
    local trade elasticity.  It equals the gains from trade when the elasticity is
    a constant (untruncated Pareto: the checked step ``acr`` of the specialised
    derivation) and differs otherwise; ``eps``, ``lam`` and ``gains`` are outputs,
    so the comparison can be made at any point.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp

from ..derivation import Derivation
from ..distributions import Distribution
from ..symbols import sym
from ..tails import S, V

REF_MR = "Melitz & Redding (2015), AER 105(3)"
REF_ACR = "Arkolakis, Costinot, Rodriguez-Clare (2012), AER 102(1), eq. (1)"
GAMMA = sp.Function("gamma")
EPS = sp.Symbol("varepsilon")


def gamma_of(dist: Distribution) -> sp.Lambda:
    r""":math:`\gamma(x) = x^\sigma g(x) / V(x)` with V still undefined (0 for a point mass)."""
    sigma, x = sym("sigma"), sym("x")
    g = dist.pdf(x) if dist.continuous else sp.Integer(0)
    return sp.Lambda(x, x**sigma * g / V(x))


def _dV_as_gamma(expr: sp.Expr) -> sp.Expr:
    r"""Replace every :math:`V'(y)` by :math:`-\gamma(y) V(y)/y` and every :math:`S'(y)`
    by :math:`-g(y) = -\gamma(y) V(y)/y^\sigma` (y a symbol; fundamental theorem of
    calculus)."""
    sigma = sym("sigma")
    slope = {V: lambda y: -GAMMA(y) * V(y) / y, S: lambda y: -GAMMA(y) * V(y) / y**sigma}
    return expr.replace(lambda e: isinstance(e, sp.Derivative) and e.expr.func in slope,
                        lambda e: slope[e.expr.func](e.expr.args[0]))


def derive(d: Derivation, dist: Distribution, *, lam: sp.Expr, lam_of_Me: sp.Expr,
           M_e: sp.Expr, W: sp.Expr, trade_ratio: sp.Expr,
           cutoffs: Mapping[sp.Symbol, sp.Expr]) -> dict[str, sp.Expr]:
    r"""Add the welfare and trade-elasticity steps; return the new outputs.

    Parameters
    ----------
    d : derivation with the steps ``tail_moment``, ``lam``, ``M_e``, ``welfare_cutoff``.
    dist : the productivity distribution (its density enters :math:`\gamma`).
    lam : domestic expenditure share in :math:`\varphi^*` and the other cutoffs.
    lam_of_Me : the same share with the mass of entrants kept as the symbol ``M_e``.
    M_e : mass of entrants in :math:`\varphi^*`.
    W : welfare as a function of :math:`\varphi^*`.
    trade_ratio : imports from one partner over domestic sales, :math:`X_{ij}/X_{jj}`.
    cutoffs : the other cutoffs as functions of :math:`\varphi^*` (and :math:`\tau`).

    Returns
    -------
    ``{"eps": the trade elasticity at the equilibrium cutoffs}`` in the generic layer
    (V undefined, :math:`\gamma` written with the density).
    """
    sigma, tau, phi_s, x = sym("sigma"), sym("tau"), sym("phi_star"), sym("x")
    M_e_sym = sym("M_e")
    gam = gamma_of(dist)

    def insert_gamma(e: sp.Expr) -> sp.Expr:
        return e.replace(GAMMA, gam)

    # FTC: dV/dx = -x^(sigma-1) g(x), i.e. x V'(x)/V(x) = -gamma(x).
    V_x = dist.tail_moment(x, sigma - 1)
    check_gamma = ([] if V_x.has(sp.Integral) or not dist.continuous else
                   [x * sp.diff(V_x, x) + gam(x).subs(V(x), V_x) * V_x])
    d.add("gamma_function", sp.Eq(GAMMA(x), gam(x), evaluate=False),
          "extensive-margin elasticity gamma(x) = -d ln V/d ln x = x^sigma g(x)/V(x) "
          "(fundamental theorem of calculus on V)"
          + ("" if dist.continuous else "; a point mass has no density below b: gamma = 0"),
          ["tail_moment"], ref=REF_MR, obligation=check_gamma)

    # Partial elasticity: phi* (the importer's demand shifter) held fixed; chain rule
    # through the cutoffs that move with tau.
    log_ratio = sp.expand_log(sp.log(trade_ratio), force=True)
    eps = tau * sp.diff(log_ratio, tau)
    for c, expr in cutoffs.items():
        moves = sp.simplify(tau * sp.diff(sp.log(expr), tau))
        eps += c * sp.diff(log_ratio, c) * moves
    eps = sp.expand(_dV_as_gamma(eps))
    eps = sp.collect(eps, [GAMMA(c) for c in cutoffs], evaluate=False)
    eps = sp.Add(*[sp.factor(sp.cancel(coeff)) * term for term, coeff in eps.items()])
    ratio = trade_ratio.subs(cutoffs)
    eps_explicit = insert_gamma(eps)
    # Check: differentiate the sales ratio with the distribution's own S and V.
    concrete = {V: sp.Lambda(x, V_x), S: sp.Lambda(x, dist.survival(x))}

    def insert(e: sp.Expr) -> sp.Expr:
        for func, lam_ in concrete.items():
            e = e.replace(func, lam_)
        return e

    check_eps = ([] if V_x.has(sp.Integral) else
                 [tau * sp.diff(sp.log(insert(ratio)), tau)
                  - insert(eps_explicit.subs(cutoffs))])
    d.add("trade_elasticity_general", sp.Eq(EPS, eps, evaluate=False),
          "partial elasticity d ln(X_ij/X_jj)/d ln tau of imports from one partner relative "
          "to domestic sales, holding the importer's cutoff phi* fixed; each V' is written "
          "-gamma V/x: intensive margin -(sigma-1) plus the extensive margin",
          ["gamma_function", "lam"], ref=f"{REF_MR}; literature.md section 2",
          obligation=check_eps)

    # Melitz-Redding decomposition: total differentials in d ln phi* and d ln M_e.
    dphi, dMe = sp.symbols("dln_phi_star dln_M_e")
    dlnW = phi_s * sp.diff(sp.log(W), phi_s) * dphi
    log_lam = sp.log(lam_of_Me)
    dlnlam = (phi_s * sp.diff(log_lam, phi_s) * dphi
              + M_e_sym * sp.diff(log_lam, M_e_sym) * dMe)
    claim = (-dlnlam + dMe) / (sigma - 1 + GAMMA(phi_s))
    gap = insert_gamma(_dV_as_gamma(dlnW - claim))  # linear in dln_phi_star, dln_M_e
    d.add("mr_decomposition",
          sp.Eq(sp.Symbol("dln_W"),
                (-sp.Symbol("dln_lam") + sp.Symbol("dln_M_e")) / (sigma - 1 + GAMMA(phi_s)),
                evaluate=False),
          "welfare W(phi*) and the domestic share lam(phi*, M_e) totally differentiated in "
          "ln phi* and ln M_e, with V'(phi*) = -gamma V/phi*: the change in welfare is the "
          "change in lam and in entry scaled by sigma - 1 + gamma(phi*)",
          ["welfare_cutoff", "lam", "M_e", "gamma_function"], ref=REF_MR,
          obligation=[sp.diff(gap, v).subs(M_e_sym, M_e).subs(cutoffs) for v in (dphi, dMe)]
          + [(lam_of_Me.subs(M_e_sym, M_e) - lam).subs(cutoffs)])
    d.add("acr_prediction", sp.Eq(sp.Symbol("acr_gains"), sym("lam") ** (1 / EPS), evaluate=False),
          "the ACR gains formula lam^(1/varepsilon) with the local trade elasticity; it "
          "equals W/W_A only where varepsilon is a constant", ["lam", "trade_elasticity_general"],
          ref=REF_ACR)
    return {"eps": eps_explicit.subs(cutoffs)}
