"""``melitz-sym solve``: the equilibrium at given parameters, in mpmath."""

from __future__ import annotations

import argparse
import json

from .common import add_model_arguments, add_parameter_arguments, parameters

MAX_DPS = 1000
"""Largest ``--dps``.  The cost grows about sixfold per doubling of the digits: melitz
with a log-normal distribution (root finding on quadratures) takes about 0.4 s at 50
digits, 6-10 s at 1000 and 36-61 s at 2000 on one core; 100000 digits would not finish."""

HELP = "solve a model at given parameters (mpmath, exact decimal input)"
EXAMPLE = f"""melitz-sym solve melitz --dist pareto --set sigma=3.8 --set k=4.6 --set b=1 \\
    --set f=1 --set f_x=1.5 --set f_e=1 --set delta=0.1 --set tau=1.5 --set n=1 --set L=100

  digits: the outputs are computed in mpmath at --dps significant digits and the
  text output prints each with --dps significant digits, trailing zeros dropped: no
  digit is printed that was not computed.  --json gives each as the nearest double
  (shortest repr, up to 17 digits), whatever --dps.  --dps is at most {MAX_DPS}: the
  time grows about sixfold per doubling (log-normal: seconds at 1000 digits, a
  minute at 2000)."""


def dps(text: str) -> int:
    """``--dps``: a whole number of digits from 1 to :data:`MAX_DPS`."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not 1 <= value <= MAX_DPS:
        raise argparse.ArgumentTypeError(
            f"digits must be a whole number from 1 to {MAX_DPS}, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    add_parameter_arguments(parser)
    parser.add_argument("--json", action="store_true",
                        help="print JSON (results as doubles)")
    parser.add_argument("--dps", type=dps, default=50,
                        help=f"significant decimal digits computed and printed, 1 to {MAX_DPS} "
                        "(default 50)")


def run(args: argparse.Namespace) -> int:
    from ..facade import model

    m = model(args.model, args.dist)
    params = parameters(args)
    result = m.evaluate(dps=args.dps, **params)
    for name, value in result.items():
        _check_finite(name, value)
    if args.json:
        print(json.dumps({"model": m.name, "dist": m.dist.name if m.dist else None,
                          "params": params,
                          "results": {k: _double(k, v) for k, v in result.items()}},
                         indent=2, allow_nan=False))
    else:
        for k, v in result.items():
            print(f"{k:12s} {digits(v, args.dps)}")
    return 0


def digits(value, dps: int) -> str:
    """``value`` (mpf) rounded to ``dps`` significant digits, trailing zeros dropped.

    mpmath writes a whole mantissa with ``.0`` (2 to 1 digit is ``2.0``); that zero
    was not computed, so it is dropped too (``2``, ``3e+2``).
    """
    import mpmath

    mantissa, e, exponent = mpmath.nstr(value, dps).partition("e")
    return mantissa.removesuffix(".0") + e + exponent


def _check_finite(name: str, value) -> None:
    """Refuse an output that is nan or infinite: never print one as if it were a result."""
    import mpmath

    from ..errors import NumericalError

    if not mpmath.isfinite(value):
        raise NumericalError(f"the mpmath path gave no finite value of {name} ({value}) at "
                             "these parameters")


def _double(name: str, value) -> float:
    """``value`` as a double for JSON, refusing one that overflows or underflows it."""
    import mpmath

    from ..errors import NumericalError

    x = float(value)
    if x in (float("inf"), float("-inf")) or (x == 0 and value != 0):
        raise NumericalError(f"{name} = {mpmath.nstr(value, 6)} is outside the range of a "
                             "double, so --json cannot show it; the text output prints it")
    return x
