"""Argument helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path

from ..errors import MelitzError, ParseError

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
    """Parameters from ``--params FILE`` then ``--set``, as exact strings (stripped).

    Names in ``swept`` are taken from the file only if the command does not
    vary them (a sweep over tau ignores the file's tau; ``--set tau=...`` with a
    sweep over tau is still a conflict).  The values are read by the model, as
    ``solve``, ``evaluate`` and ``reference`` read them (one path:
    :func:`melitz_sym.admissibility.exact`, entry by entry for the lists of N-country
    models, :func:`melitz_sym.numeric.arrays.read_value`), so the CLI accepts and
    refuses what they do, with their message.

    Raises
    ------
    ParseError
        For ``--set`` without ``=`` or a name.
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
    return {key: value.strip() for key, value in out.items()}


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
