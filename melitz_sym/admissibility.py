"""Restrictions on parameters, declared symbolically and checked on values.

A :class:`Restriction` is a sympy relation between parameters together with
its meaning in words, e.g. ``k > sigma - 1`` "the productivity distribution
has a finite (sigma-1)-th moment".  Models and distributions declare their
restrictions; :func:`check` evaluates them on scalar values and raises
:class:`~melitz_sym.errors.AdmissibilityError` naming the restriction and the
offending values.  The vectorised check lives in :mod:`melitz_sym.numeric`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sympy as sp

from .errors import AdmissibilityError, ParseError


@dataclass(frozen=True)
class Restriction:
    """A parameter restriction.

    Attributes
    ----------
    condition : sympy.Basic
        A relational that must hold, e.g. ``sigma > 1``.  Build sign conditions
        unevaluated (``sp.Gt(f, 0, evaluate=False)``): the symbols are declared
        positive, so ``f > 0`` would collapse to True.
    words : str
        What it means, e.g. "demand is elastic (sigma > 1)".
    when : sympy.Basic or None
        Optional relational; the restriction applies only where it holds
        (``n > 0`` for the partitioning of exporters).
    """

    condition: sp.Basic
    words: str
    when: sp.Basic | None = None

    @property
    def symbols(self) -> set[sp.Symbol]:
        """Parameters the restriction involves (set of sympy.Symbol)."""
        out = set(self.condition.free_symbols)
        if self.when is not None:
            out |= self.when.free_symbols
        return out

    def describe(self) -> str:
        """The restriction in words and symbols.

        Returns
        -------
        str
            ``words [condition]`` (``[condition when when]``), as shown in error
            messages and tables.
        """
        cond = sp.sstr(self.condition)
        if self.when is not None:
            cond += f" when {sp.sstr(self.when)}"
        return f"{self.words} [{cond}]"

    def message(self, values: Mapping[str, object], where: str = "") -> str:
        """Error message for a violation at ``values``.

        Parameters
        ----------
        values : mapping
            Parameter name -> value; those the restriction involves are quoted.
        where : str
            Where the values come from (``" at point 3"``), appended to the head.

        Returns
        -------
        str
            ``inadmissible parameters...: words [condition] fails at k=1, sigma=3``.
        """
        shown = ", ".join(f"{s.name}={values[s.name]}" for s in
                          sorted(self.symbols, key=lambda s: s.name) if s.name in values)
        return f"inadmissible parameters{where}: {self.describe()} fails at {shown}"


#: The magnitudes of a double: what every entry point accepts as a parameter value.
DOUBLE_MAX, DOUBLE_MIN = 1.7976931348623157e308, 5e-324
#: What a parameter value may be written as (the CLI's --set, a parameter file, text).
NUMBER_HINT = "a real number such as 1.5, 2e-3 or 3/2, or for an N-country model a list [1, 2]"
#: Text that names a value that is not finite (as float() reads it).
_NONFINITE_TEXT = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity",
                   "-infinity"}


def nonfinite_message(name: str, value: object, where: str = "") -> str:
    """The message for a parameter value that is nan or infinite (every entry point)."""
    return f"parameter {name}{where} must be a finite number, got {value!r}"


def exact(name: str, value: object) -> sp.Expr:
    """The scalar ``value`` of parameter ``name`` as an exact sympy number.

    The one reading of a parameter value: ``solve`` (entry by entry, see
    :func:`melitz_sym.numeric.fast.read_parameter`), ``evaluate``, ``reference``,
    the entries of N-country vectors and matrices
    (:func:`melitz_sym.numeric.arrays.read_value`) and the CLI (``--set``,
    parameter files, sweep grids) accept and refuse the same values with the
    same message.  Strings are read exactly (``"1.5"`` is 3/2, ``"3/2"`` too);
    floats keep their binary value.

    Raises
    ------
    ParseError
        For text that is not a finite number (empty, ``nan``, ``1/0``, words),
        None, a boolean or a complex number.
    AdmissibilityError
        For a float nan or infinity, or a magnitude outside the range of a double
        (nonzero magnitudes from 4.9e-324 to 1.8e308).
    """
    if isinstance(value, str):
        num = _read_text(name, value.strip())
    else:
        try:
            num = sp.sympify(value)
        except (TypeError, ValueError, sp.SympifyError):
            raise ParseError(f"parameter {name}: cannot read {value!r} as a number") from None
    if not isinstance(num, sp.Expr):  # None, booleans, lists
        raise ParseError(f"parameter {name}: {value!r} is not a number")
    if num.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise AdmissibilityError(nonfinite_message(name, value))
    if isinstance(value, complex) or not num.is_number or num.is_real is not True:
        raise ParseError(f"parameter {name}: {value!r} is not a real number")
    magnitude = abs(sp.Float(num, 20))
    if magnitude > DOUBLE_MAX:
        raise AdmissibilityError(f"parameter {name}: {value!r} is outside the range of a "
                                 "double (magnitude at most 1.8e308)")
    if magnitude and magnitude < DOUBLE_MIN:
        raise AdmissibilityError(f"parameter {name}: {value!r} is below the range of a "
                                 "double (nonzero magnitude at least 4.9e-324)")
    return num


def _read_text(name: str, text: str) -> sp.Rational:
    """A decimal or a fraction of two decimals, exactly (:func:`exact` on text)."""
    if not text:
        raise ParseError(f"parameter {name}: no value given; expected {NUMBER_HINT}")
    if text.lower() in _NONFINITE_TEXT:
        raise ParseError(f"parameter {name}: {text!r} is not a finite number")
    try:
        return sp.Rational(text)
    except ZeroDivisionError:
        raise ParseError(f"parameter {name}: cannot read {text!r} as a number: it divides "
                         "by zero") from None
    except (TypeError, ValueError):
        raise ParseError(f"parameter {name}: cannot read {text!r} as a number; expected "
                         f"{NUMBER_HINT}") from None


def _holds(rel: sp.Basic, values: Mapping[str, object]) -> bool:
    # 50-digit floats, not exact rationals: an exact 3/2**(10**400) would never finish.
    subs = {s: sp.Float(exact(s.name, values[s.name]), 50) for s in rel.free_symbols
            if s.name in values}
    val = rel.subs(subs)
    if val not in (sp.true, sp.false):
        missing = sorted(s.name for s in rel.free_symbols if s.name not in values)
        raise AdmissibilityError(f"cannot check {sp.sstr(rel)}: missing {missing}")
    return bool(val)


def check(restrictions: Iterable[Restriction], values: Mapping[str, object]) -> None:
    """Raise :class:`AdmissibilityError` for the first violated restriction.

    Parameters
    ----------
    restrictions : the model's restrictions.
    values : canonical parameter name -> scalar (int, float, str, Rational, mpf).
    """
    for r in restrictions:
        if r.when is not None and not _holds(r.when, values):
            continue
        if not _holds(r.condition, values):
            raise AdmissibilityError(r.message(values))


#: Outputs that count exporters or multinationals (shares of entrants, masses): with
#: no trading partners (n = 0) there are none, so they are 0 there.  The cutoffs
#: phi_x_star and phi_I_star (and the averages above them, phi_tilde_x) keep their
#: meaning at n = 0: the productivity at which exporting (FDI) would pay, and the
#: average productivity of the firms that would do it.
NO_PARTNERS_ZERO = ("p_x", "M_x", "p_I", "M_I")
#: Why ``gains`` is refused (or nan with ``errors="nan"``) where autarky is a corner.
AUTARKY_CORNER = ("gains (welfare over autarky welfare with the same parameters) is undefined "
                  "here: autarky (n = 0) is a corner")


#: The cutoffs above phi* (a mode of serving a market that pays only above it) and the
#: corner where one lies at or above the upper bound of productivity: nobody serves
#: the market that way, which the equilibrium conditions do not describe.
UPPER_CUTOFFS = {"phi_x_star": "no exporters: the export cutoff phi_x*",
                 "phi_I_star": "no multinationals: the FDI cutoff phi_I*"}


def corner_mask(continuous: bool, phi, uppers: Mapping, lo, hi, rtol: float = 0.0, p_in=None):
    """Where the cutoffs ``phi`` (and ``uppers``, the cutoffs above it by name, see
    :data:`UPPER_CUTOFFS`) are a corner of the support [lo, hi]: the one statement of
    the corner rule.

    With a continuous distribution the equilibrium conditions need selection
    (phi* >= lo, i.e. a share of producing entrants ``p_in`` = S(phi*) <= 1) and,
    with an upper bound, firms in every mode (phi_x*, phi_I* < hi); with all firms
    alike (degenerate) every firm must produce, export and invest (every cutoff
    <= lo).  ``rtol`` forgives a relative rounding error of the cutoffs.  ``p_in``
    (or None) decides where phi* rounds to lo: at k = 1e300, phi* = b X^(1/k) is b
    in double (and at 30 digits) for any X, while p_in = 1/X says whether X < 1.
    Elementwise: works on numbers and on numpy arrays alike.
    """
    if continuous:
        bad = phi < lo * (1 - rtol)
        if p_in is not None:
            bad = bad | (p_in > 1 + rtol)
        for phi_m in uppers.values():
            bad = bad | ((hi != float("inf")) & (phi_m >= hi))
        return bad
    bad = phi > lo * (1 + rtol)
    for phi_m in uppers.values():
        bad = bad | (phi_m > lo * (1 + rtol))
    return bad


def corner(continuous: bool, phi, uppers: Mapping, lo, hi, p_in=None) -> str | None:
    """Why the cutoffs ``phi`` (and ``uppers``) are a corner of support [lo, hi] (see
    :func:`corner_mask`), in words, or None for an interior solution (scalars)."""
    if not corner_mask(continuous, phi, uppers, lo, hi, p_in=p_in):
        return None
    if continuous:
        if p_in is not None and p_in > 1 and not phi < lo:
            return (f"no selection: the share of entrants that would produce, p_in = "
                    f"{float(p_in):.6g}, exceeds 1 (phi* = {float(phi):.6g} rounds to the "
                    f"lower bound of productivity {float(lo):.6g} from below), so every "
                    "entrant would produce; raise the fixed cost f relative to the value "
                    "of entry")
        if phi < lo:
            at = f" = {float(phi):.6g}" if phi > 0 else ""  # 0: the solver found no root above
            return (f"no selection: the cutoff phi*{at} lies below the lower "
                    f"bound of productivity {float(lo):.6g}, so every entrant would produce "
                    "(a corner the equilibrium conditions do not describe); raise the fixed "
                    "cost f relative to the value of entry")
        name = next(n for n, phi_m in uppers.items() if phi_m >= hi)
        return (f"{UPPER_CUTOFFS[name]} = {float(uppers[name]):.6g} is above the "
                f"upper bound of productivity {float(hi):.6g}")
    shown = "".join(f", {n.removesuffix('_star')}* = {float(v):.6g}" for n, v in uppers.items())
    return (f"with all firms at productivity {float(lo):.6g} the cutoffs "
            f"(phi* = {float(phi):.6g}{shown}) must lie below it: not every firm would "
            "serve every market")
