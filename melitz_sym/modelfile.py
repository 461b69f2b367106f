r"""Model files: a :class:`~melitz_sym.primitives.Declaration` written in TOML.

The way Dynare users write ``.mod`` files, a melitz-sym user declares a model's
primitives in a ``.toml`` file and passes its path wherever a model name is
accepted (``melitz-sym derive my_model.toml``, ``ms.model("my_model.toml")``)::

    name = "melitz-fdi"              # default: the file's name
    title = "Melitz with FDI only"   # optional

    demand = "ces"                   # ces | isoelastic
    conduct = "monopolistic"         # monopolistic | cournot
    geography = "symmetric"          # closed | symmetric | asymmetric

    [firms]
    kind = "heterogeneous"           # heterogeneous | representative
    distribution = "lognormal"       # optional: else the --dist option / dist argument
    # productivity = "b"             # representative firms: the parameter name

    [fixed_cost]                     # of the domestic market
    paid_in = "origin"               # origin | destination

    [entry]
    kind = "free"                    # free | fixed (a mass M_e = L of potential entrants)
    sunk = true                      # free entry with a sunk cost f_e and exit delta

    [[modes]]
    kind = "fdi"                     # export | fdi
    fixed_cost = "origin"            # origin | destination | none

A table whose only key would be ``kind`` may be written as its value
(``demand = "ces"``).  The distribution is a name, or a table
``{pdf = "...", lower = ..., upper = "oo"}`` for a custom density in ``phi``.
Every error names the key and, where it can be found, its line.
"""

from __future__ import annotations

import re
from pathlib import Path

import sympy as sp
from tokenize import TokenError

from . import tomlread
from .distributions import Custom, distribution
from .errors import DeclarationError, MelitzError
from .primitives import (
    CES,
    FDI,
    Asymmetric,
    Closed,
    Cournot,
    Declaration,
    Export,
    FixedCost,
    FixedEntrants,
    FreeEntry,
    Heterogeneous,
    Isoelastic,
    MonopolisticCompetition,
    Representative,
    Symmetric,
)

KINDS = {
    "demand": {"ces": CES, "isoelastic": Isoelastic},
    "conduct": {"monopolistic": MonopolisticCompetition, "cournot": Cournot},
    "geography": {"closed": Closed, "symmetric": Symmetric, "asymmetric": Asymmetric},
}
TOP = {"name", "title", "demand", "conduct", "firms", "fixed_cost", "entry", "geography",
       "modes"}


class _File:
    """The text of a model file, for error messages that point at a key's line."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.lines = path, text.splitlines()

    def error(self, key: str, why: str) -> DeclarationError:
        line = None
        for part in reversed(key.replace("[", ".").split(".")):  # innermost key found first
            pattern = re.compile(rf"^\s*(\[+\s*{re.escape(part)}\s*\]+|{re.escape(part)}\s*=)")
            line = next((i + 1 for i, t in enumerate(self.lines) if pattern.search(t)), None)
            if line:
                break
        where = f", line {line}" if line else ""
        return DeclarationError(f"model file {self.path}{where}: {key}: {why}")


def _table(f: _File, key: str, value: object, allowed: set[str]) -> dict:
    """``value`` as a table with keys in ``allowed``; a string is ``{kind = value}``."""
    if isinstance(value, str):
        value = {"kind": value}
    if not isinstance(value, dict):
        raise f.error(key, f"expected a table or a kind name, got {value!r}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise f.error(f"{key}.{unknown[0]}", f"unknown key; {key} takes "
                      f"{', '.join(sorted(allowed))}")
    return value


def _kind(f: _File, key: str, table: dict, choices: dict):
    kind = table.get("kind")
    if kind not in choices:
        raise f.error(f"{key}.kind", f"expected one of {', '.join(choices)}, got {kind!r}")
    return choices[kind]


def _payer(f: _File, key: str, value: object, allow_none: bool = False) -> FixedCost | None:
    if allow_none and value == "none":
        return None
    if value not in ("origin", "destination"):
        extra = ", none" if allow_none else ""
        raise f.error(key, f"expected origin, destination{extra}; got {value!r}")
    return FixedCost(value)


def _distribution(f: _File, value: object):
    if isinstance(value, str):
        try:
            return distribution(value)
        except MelitzError as exc:
            raise f.error("firms.distribution", str(exc)) from None
    table = _table(f, "firms.distribution", value, {"pdf", "lower", "upper", "name"})
    try:
        phi = sp.Symbol("phi", positive=True)
        pdf = sp.parse_expr(str(table["pdf"]), local_dict={"phi": phi})
        support = tuple(sp.parse_expr(str(table[k])) for k in ("lower", "upper"))
        return Custom(pdf, support, var=phi, name=str(table.get("name", "custom")))
    except KeyError as exc:
        raise f.error(f"firms.distribution.{exc.args[0]}", "missing") from None
    except (SyntaxError, TypeError, ValueError, TokenError, sp.SympifyError) as exc:
        raise f.error("firms.distribution", f"cannot read the density: {exc}") from None


def parse(text: str, path: Path = Path("<model file>")) -> Declaration:
    """The declaration written in ``text`` (TOML); ``path`` names it in errors."""
    f = _File(path, text)
    try:
        data = tomlread.loads(text)
    except tomlread.TOMLDecodeError as exc:
        raise DeclarationError(f"model file {path}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - TOP)
    if unknown:
        raise f.error(unknown[0], f"unknown key; a model file takes {', '.join(sorted(TOP))}")
    parts: dict = {}
    for key, choices in KINDS.items():
        if key in data:
            parts[key] = _kind(f, key, _table(f, key, data[key], {"kind"}), choices)()
    if "firms" in data:
        firms = _table(f, "firms", data["firms"], {"kind", "distribution", "productivity"})
        cls = _kind(f, "firms", firms, {"heterogeneous": Heterogeneous,
                                        "representative": Representative})
        if cls is Representative:
            parts["firms"] = Representative(str(firms.get("productivity", "b")))
        else:
            dist = firms.get("distribution")
            parts["firms"] = Heterogeneous(None if dist is None else _distribution(f, dist))
    if "fixed_cost" in data:
        parts["fixed_cost"] = _payer(f, "fixed_cost.paid_in", _table(
            f, "fixed_cost", data["fixed_cost"], {"paid_in"}).get("paid_in", "origin"))
    if "entry" in data:
        entry = _table(f, "entry", data["entry"], {"kind", "sunk"})
        cls = _kind(f, "entry", entry, {"free": FreeEntry, "fixed": FixedEntrants})
        sunk = entry.get("sunk", True)
        if not isinstance(sunk, bool):
            raise f.error("entry.sunk", f"expected true or false, got {sunk!r}")
        parts["entry"] = FreeEntry(sunk) if cls is FreeEntry else FixedEntrants()
    modes = data.get("modes", [])
    if not isinstance(modes, list):
        raise f.error("modes", "expected an array of tables [[modes]]")
    parts["modes"] = tuple(_mode(f, i, m) for i, m in enumerate(modes))
    name = data.get("name", path.stem)
    title = data.get("title")
    for key, value in (("name", name), ("title", title)):
        if value is not None and not isinstance(value, str):
            raise f.error(key, f"expected a string, got {value!r}")
    return Declaration(name, title=title, **parts)


def _mode(f: _File, i: int, value: object):
    key = f"modes[{i}]"
    table = _table(f, key, value, {"kind", "fixed_cost"})
    cls = _kind(f, key, table, {"export": Export, "fdi": FDI})
    return cls(fixed=_payer(f, f"{key}.fixed_cost", table.get("fixed_cost", "origin"),
                            allow_none=True))


def read(path: Path) -> Declaration:
    """The declaration in the model file at ``path``."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise DeclarationError(f"cannot read model file {path}: {exc.strerror}") from None
    return parse(text, Path(path))
