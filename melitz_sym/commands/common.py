"""Argument helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import ast
import json
import math
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

from ..errors import MelitzError, ParseError

NUMBER_HINT = "a real number such as 1.5, 2e-3 or 3/2, or for an N-country model a list [1, 2]"


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """``MODEL`` and ``--dist D``."""
    parser.add_argument("model", help="model name (see `melitz-sym models`) or a model file "
                        "*.toml declaring the primitives (docs/primitives.md)")
    parser.add_argument("--dist", default=None,
                        help="the distribution of productivity (of unit cost for "
                        "melitz-ottaviano); default: the model's own, else pareto")


def add_parameter_arguments(parser: argparse.ArgumentParser) -> None:
    """``--set name=value`` (repeatable) and ``--params FILE`` (TOML or JSON)."""
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter value: a finite number (1.5, 2e-3, 3/2) or, for "
                        "N-country models, a list ([1, 0.8]); repeat for each parameter")
    parser.add_argument("--params", metavar="FILE",
                        help="parameters from a TOML or JSON file (--set overrides)")


def add_force_argument(parser: argparse.ArgumentParser) -> None:
    """``--force``: the one overwrite rule of every command that writes files."""
    parser.add_argument("--force", action="store_true", help="overwrite existing files")


def refuse_overwrite(paths: Iterable[Path], force: bool) -> None:
    """Raise :class:`MelitzError` naming the ``paths`` that exist, unless ``force``.

    Every command that writes files calls this before any work, so that an
    existing result is never replaced silently.
    """
    existing = [str(p) for p in paths if Path(p).exists()]
    if existing and not force:
        raise MelitzError(f"{', '.join(existing)} already exists; use --force to overwrite")


def parameters(args: argparse.Namespace, swept: Iterable[str] = ()) -> dict[str, str]:
    """Parameters from ``--params FILE`` then ``--set``, as exact strings.

    Names in ``swept`` are taken from the file only if the command does not
    vary them (a sweep over tau ignores the file's tau; ``--set tau=...`` with a
    sweep over tau is still a conflict).  Every value is checked by
    :func:`check_value`: the CLI passes on numbers only (whether they are
    admissible is the model's to say).

    Raises
    ------
    ParseError
        For ``--set`` without ``=`` or a name, and for a value that is not a
        finite number in the range of a double; the message names the parameter.
    """
    out: dict[str, str] = {}
    if getattr(args, "params", None):
        skip = set(swept)
        out.update((k, v) for k, v in _read_parameter_file(Path(args.params)).items()
                   if k not in skip)
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParseError(f"--set expects name=value, got {item!r}")
        out[key.strip()] = value
    return {key: check_value(key, value) for key, value in out.items()}


def check_value(name: str, text: str) -> str:
    """``text`` stripped, once it is known to be a number or a (nested) list of numbers.

    A number is a decimal or a fraction of two decimals (``1.5``, ``2e-3``,
    ``3/2``), read exactly, whose magnitude fits a double: nonzero values from
    about 4.9e-324 to 1.8e308.  A list (``[1, 0.8]``, ``[[1, 1.5], [1.4, 1]]``:
    the vectors and matrices of N-country models) holds such numbers.  nan,
    infinities, complex numbers, text, booleans and empty values are refused.

    Raises
    ------
    ParseError
        Naming the parameter and the value.
    """
    text = text.strip()
    if not text:
        raise ParseError(f"parameter {name}: no value given; expected {NUMBER_HINT}")
    if text.startswith("["):
        try:
            items = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            items = None
        if not isinstance(items, list):
            raise ParseError(f"parameter {name}: cannot read {text!r} as a list of numbers, "
                             "e.g. [1, 0.8] or [[1, 1.5], [1.4, 1]]")
        _check_entries(name, text, items)
        return text
    num, slash, den = text.partition("/")
    try:
        if "/" in den:
            raise ValueError(text)
        value = Fraction(num) / Fraction(den) if slash else Fraction(num)
    except ZeroDivisionError:
        raise ParseError(f"parameter {name}: {text!r} divides by zero") from None
    except ValueError:
        raise ParseError(f"parameter {name}: {_unreadable(text)}") from None
    _check_range(name, text, value)
    return text


def _unreadable(text: str) -> str:
    """Why ``text`` (refused by :class:`fractions.Fraction`) is not a parameter value."""
    try:
        nonfinite = not math.isfinite(float(text))  # nan, inf, infinity
    except ValueError:
        nonfinite = False
    if nonfinite:
        return f"{text!r} is not a finite number"
    return f"cannot read {text!r} as a number; expected {NUMBER_HINT}"


def _check_range(name: str, text: str, value: Fraction | int | float) -> None:
    """Refuse a value whose magnitude overflows or underflows a double."""
    try:
        x = float(value)
    except OverflowError:
        x = math.inf
    if not math.isfinite(x):
        raise ParseError(f"parameter {name}: {text} is not a finite number in the range of a "
                         "double (magnitude at most 1.8e308)")
    if x == 0 and value != 0:
        raise ParseError(f"parameter {name}: {text} is below the range of a double (nonzero "
                         "magnitude at least 4.9e-324)")


def _check_entries(name: str, text: str, items: list) -> None:
    """Every entry of the nested list ``items`` is a real number in the range of a double."""
    for item in items:
        if isinstance(item, list):
            _check_entries(name, text, item)
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            _check_range(name, f"{item!r} in {text}", item)
        else:
            raise ParseError(f"parameter {name}: {item!r} in {text} is not a real number")


def _read_parameter_file(path: Path) -> dict[str, str]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise MelitzError(f"cannot read parameter file {path}: {exc.strerror}") from None
    try:
        if path.suffix == ".toml":
            from ..tomlread import loads

            data = loads(text)
        else:
            data = json.loads(text)
    except ValueError as exc:
        raise MelitzError(f"cannot parse parameter file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise MelitzError(f"parameter file {path} must hold a table of name = value")
    return {str(k): str(v) for k, v in data.items()}


def json_value(x: object) -> object:
    """``x`` as JSON values: dataclasses and mappings as objects with string keys,
    booleans, integers and None as they are, anything else (mpmath and sympy
    numbers, expressions) as its text, so that no digit is lost."""
    import dataclasses

    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        x = {f.name: getattr(x, f.name) for f in dataclasses.fields(x)}
    if isinstance(x, dict):
        return {str(k): json_value(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_value(v) for v in x]
    if x is None or isinstance(x, (bool, int, str)):
        return x
    return str(x)
