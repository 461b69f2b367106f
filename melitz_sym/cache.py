"""On-disk cache of derivations, keyed by package version, source digest and model.

Deriving a model takes seconds; a warm start unpickles the Derivation.  The key
holds a digest of the package's source files, so an edited package never reads a
derivation made by older code.  The
cache directory is ``$MELITZ_SYM_CACHE`` or ``~/.cache/melitz-sym``; set
``MELITZ_SYM_CACHE=off`` to disable it.  A corrupt or unreadable entry is
re-derived.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path

import sympy as sp
from sympy.core.parameters import evaluate

from . import __version__
from .derivation import Derivation


def cache_dir() -> Path | None:
    """The cache directory, or None when caching is off."""
    env = os.environ.get("MELITZ_SYM_CACHE")
    if env == "off":
        return None
    return Path(env) if env else Path.home() / ".cache" / "melitz-sym"


def source_digest() -> str:
    """Short SHA-1 digest of every ``.py`` file of the package (path and contents)."""
    root = Path(__file__).parent
    h = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _integral(function: sp.Expr, *limits: sp.Tuple) -> sp.Integral:
    """Rebuild an Integral with evaluation on (see :class:`_Pickler`)."""
    with evaluate(True):
        return sp.Integral(function, *limits)


class _Pickler(pickle.Pickler):
    """Pickler whose output loads without re-evaluating the expressions.

    Unpickling a sympy tree calls every constructor again, which re-runs
    assumption queries and canonicalisation: most of a warm start's time.  The
    stored trees are already canonical, so :func:`load` rebuilds them with
    ``evaluate(False)``.  The one constructor that is not the identity on
    canonical arguments without evaluation is Integral's (it wraps its integrand
    in ``Mul(1, f)``), so integrals are stored as calls of :func:`_integral`.
    """

    def reducer_override(self, obj: object) -> object:
        if type(obj) is sp.Integral:
            return _integral, obj.args
        return NotImplemented


def dump(d: Derivation, fh: io.BufferedWriter) -> None:
    """Write ``d`` so that :func:`load` can read it fast."""
    _Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL).dump(d)


def load(fh: io.BufferedReader) -> Derivation:
    """Read a derivation written by :func:`dump`, constructing expressions unevaluated."""
    with evaluate(False):
        return pickle.load(fh)


def cached(key: str | None, build: Callable[[], Derivation]) -> Derivation:
    """Load the derivation stored under ``key`` or build and store it."""
    folder = cache_dir()
    if key is None or folder is None:
        return build()
    path = folder / f"{__version__}-{source_digest()}-{key}.pickle"
    try:
        with path.open("rb") as fh:
            return load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    d = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=folder, delete=False) as fh:
            dump(d, fh)
        os.replace(fh.name, path)
    except (OSError, pickle.PicklingError, AttributeError, TypeError):
        pass
    return d
