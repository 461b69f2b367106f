"""``melitz-sym verify``: check equations (LaTeX or sympy syntax) against a model."""

from __future__ import annotations

import argparse
import json

from ..errors import ParseError
from .common import add_model_arguments, json_value

HELP = "verify equations against a model's derivation (exit 0 all hold, 1 some do not)"
EXAMPLE = r"""melitz-sym verify melitz --dist pareto \
    "\varphi_x^* = \tau (f_x/f)^{\frac{1}{\sigma-1}} \varphi^*" \
    "W = \rho \varphi^* (L/\sigma f)^{1/(\sigma-1)}"
  (LaTeX as in papers, or sympy syntax: "phi_x_star = tau*(f_x/f)**(1/(sigma-1))*phi_star")

verdicts do not depend on the machine or its load: an equation is evaluated at 3 random
admissible points (50 digits), then proved symbolically when its expressions are within
fixed operation budgets (sizes, never seconds), otherwise checked at exactly 30 points.
A chain "a = b = c" or several equations ("a = b \quad\text{or}\quad c = d") hold when
every link does; the verdict names the first link that does not.
Notation: \varphi_d^* (domestic cutoff), \varphi_X^*, \tilde{\varphi_x}, \bar{\varphi},
M_T, \underline{\varphi} (= b), \theta or \gamma (Pareto shape, where the model has no
gamma of its own), w (= 1 where the wage is the numeraire); any other spelling with
--alias.  A name part that is not understood (\tilde{\varphi}^*) is an error, exit 2.
Chaney (2008) is verified per pair in his notation (X_{ij}, \tau_{ij}, w_i, Y_j, \theta_j,
\bar\varphi_{ij}, N_{ij}, \mu, \gamma), for every pair whatever the aggregates.
Derivatives may be taken with respect to an output: \frac{d\tilde\varphi}{d\varphi^*}.
The package's trade elasticity eps is negative; an equation that holds only with the
positive convention is reported FALSE with that condition named.
--seconds was a time budget after which the verdict was "undecided"; it is now only a
hard safety abort (an error, exit 2), never a verdict; ms.verify(..., seconds=None) alike"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    parser.add_argument("equations", nargs="+", metavar="EQUATION",
                        help="an equation 'lhs = rhs' in LaTeX or sympy syntax")
    parser.add_argument("--alias", action="append", default=[], metavar="SPELLING=NAME",
                        help="read SPELLING as the quantity NAME, e.g. --alias 'theta=k' "
                        "--alias 'varphi_d^*=phi_star' (repeatable; a spelling is LaTeX, "
                        "with or without backslashes, or ASCII)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="hard safety abort in wall-clock seconds (default: none); it "
                        "never changes a verdict, past it the command fails with exit 2")
    parser.add_argument("--json", action="store_true",
                        help="print the verdicts as JSON (equation, holds, method, step, "
                        "counterexample, condition, detail; numbers as exact text)")


def run(args: argparse.Namespace) -> int:
    from ..facade import model
    from ..verify import verify

    aliases = {}
    for item in args.alias:
        spelling, sep, name = item.rpartition("=")
        if not sep or not spelling.strip() or not name.strip():
            raise ParseError(f"--alias expects SPELLING=NAME, e.g. 'theta=k'; got {item!r}")
        aliases[spelling.strip()] = name.strip()
    m = model(args.model, args.dist)
    verdicts = [verify(m, eq, seconds=args.seconds, aliases=aliases) for eq in args.equations]
    if args.json:
        print(json.dumps({"model": m.name, "dist": m.dist.name if m.dist else None,
                          "verdicts": json_value(verdicts)}, indent=2))
    else:
        print("\n".join(str(v) for v in verdicts))
    return 0 if all(v.holds for v in verdicts) else 1

