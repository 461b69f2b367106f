"""The symbolic side of models: built-in declarations, model files and the derivation method."""

from __future__ import annotations

from pathlib import Path

from ..errors import UnknownNameError
from ..primitives import Declaration
from .method import Plan, derive, plan
from .registry import BUILT_IN


def models() -> list[str]:
    """Names of the built-in models.

    Returns
    -------
    list of str
        ``krugman``, ``cournot``, ``melitz-closed``, ``melitz``, ... in registry
        order; each is accepted by :func:`melitz_sym.model`.
    """
    return list(BUILT_IN)


def describe(name: str) -> str:
    """One-line description of a built-in model."""
    return BUILT_IN[name][1]


def declaration(spec: str | Path | Declaration) -> Declaration:
    """The declaration of a built-in model name, of a model file (``*.toml``), or ``spec``."""
    if isinstance(spec, Declaration):
        return spec
    if isinstance(spec, Path) or (isinstance(spec, str) and spec.endswith(".toml")):
        from ..modelfile import read

        return read(Path(spec))
    try:
        return BUILT_IN[spec][0]
    except (KeyError, TypeError):
        raise UnknownNameError(
            f"unknown model {spec!r}; models are: {', '.join(BUILT_IN)} (or a model file "
            "*.toml, or a Declaration)") from None


__all__ = ["BUILT_IN", "Plan", "declaration", "derive", "describe", "models", "plan"]
