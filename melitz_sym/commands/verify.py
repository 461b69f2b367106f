"""``melitz-sym verify``: check equations (LaTeX or sympy syntax) against a model."""

from __future__ import annotations

import argparse

from .common import add_model_arguments

HELP = "verify equations against a model's derivation (exit 0 all hold, 1 some do not)"
EXAMPLE = r"""melitz-sym verify melitz --dist pareto \
    "\varphi_x^* = \tau (f_x/f)^{\frac{1}{\sigma-1}} \varphi^*" \
    "W = \rho \varphi^* (L/\sigma f)^{1/(\sigma-1)}"
  (LaTeX as in papers, or sympy syntax: "phi_x_star = tau*(f_x/f)**(1/(sigma-1))*phi_star")"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    parser.add_argument("equations", nargs="+", metavar="EQUATION",
                        help="an equation 'lhs = rhs' in LaTeX or sympy syntax")
    parser.add_argument("--seconds", type=float, default=120.0,
                        help="time budget of each numeric check (default 120)")


def run(args: argparse.Namespace) -> int:
    from ..models import model
    from ..verify import verify

    m = model(args.model, args.dist)
    verdicts = [verify(m, eq, seconds=args.seconds) for eq in args.equations]
    print("\n".join(str(v) for v in verdicts))
    return 0 if all(v.holds for v in verdicts) else 1
