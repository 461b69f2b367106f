"""Argument helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path

from ..errors import MelitzError


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """``MODEL`` and ``--dist D``."""
    parser.add_argument("model", help="model name (see `melitz-sym models`)")
    parser.add_argument("--dist", default="pareto",
                        help="productivity distribution (default: pareto)")


def add_parameter_arguments(parser: argparse.ArgumentParser) -> None:
    """``--set name=value`` (repeatable) and ``--params FILE`` (TOML or JSON)."""
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter value; repeat for each parameter")
    parser.add_argument("--params", metavar="FILE",
                        help="parameters from a TOML or JSON file (--set overrides)")


def parameters(args: argparse.Namespace, swept: Iterable[str] = ()) -> dict[str, str]:
    """Parameters from ``--params FILE`` then ``--set``, as exact strings.

    Names in ``swept`` are taken from the file only if the command does not
    vary them (a sweep over tau ignores the file's tau; ``--set tau=...`` with a
    sweep over tau is still a conflict).
    """
    out: dict[str, str] = {}
    if getattr(args, "params", None):
        skip = set(swept)
        out.update((k, v) for k, v in _read_parameter_file(Path(args.params)).items()
                   if k not in skip)
    for item in args.set:
        if "=" not in item:
            raise MelitzError(f"--set expects name=value, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def _read_parameter_file(path: Path) -> dict[str, str]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise MelitzError(f"cannot read parameter file {path}: {exc.strerror}") from None
    try:
        if path.suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
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
