"""On-disk cache of derivations, keyed by package version, source digest and model.

Deriving a model takes seconds; a warm start unpickles the Derivation.  The key
holds a digest of the package's source files, so an edited package never reads a
derivation made by older code.  The
cache directory is ``$MELITZ_SYM_CACHE`` or ``~/.cache/melitz-sym``; set
``MELITZ_SYM_CACHE=off`` to disable it.

An entry is the line :data:`MAGIC`, a JSON header line (package version, source
digest, model key, SHA-256 of the payload) and the pickled derivation.  It is
used only if all of these match; anything else (a truncated or damaged file,
random bytes, a pickle of something else, an entry of another version or model)
is re-derived and replaced, never an error.  Entries are written atomically
(:func:`melitz_sym.atomic.atomic_write`), so a reader never sees half an entry.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path

import sympy as sp
from sympy.core.parameters import evaluate

from . import __version__
from .atomic import atomic_write, remove_leftovers, sha256
from .derivation import Derivation

MAGIC = b"melitz-sym derivation cache 1\n"
"""First line of every entry: the file format and its revision."""

LEFTOVER_AGE = 3600.0
"""Seconds after which a temporary file in the cache directory counts as left over."""


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


def _identity(key: str) -> dict[str, str]:
    """What an entry must have been written for: this package, this source, this model."""
    return {"version": __version__, "source": source_digest(), "key": key}


def write_entry(path: Path, key: str, d: Derivation) -> None:
    """Store ``d`` under ``key`` at ``path`` (atomically), with its header."""
    buf = io.BytesIO()
    dump(d, buf)
    payload = buf.getvalue()
    header = {**_identity(key), "sha256": sha256(payload)}
    with atomic_write(path) as fh:
        fh.write(MAGIC + json.dumps(header).encode() + b"\n" + payload)


def read_entry(path: Path, key: str, kind: type = Derivation) -> Derivation | None:
    """The derivation (or other ``kind`` of object) stored under ``key`` at ``path``,
    or None for a missing, unreadable, damaged or foreign entry."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head, _, payload = data.removeprefix(MAGIC).partition(b"\n")
    try:
        header = json.loads(head) if data.startswith(MAGIC) else None
    except ValueError:  # also UnicodeDecodeError
        return None
    if header != {**_identity(key), "sha256": sha256(payload)}:
        return None
    try:
        d = load(io.BytesIO(payload))
    except Exception:  # checksummed, yet unloadable (e.g. a class renamed): re-derive
        return None
    return d if isinstance(d, kind) else None


def entry_path(key: str) -> Path | None:
    """Where the entry of ``key`` for this package version and source is (None when
    caching is off); entries of other versions or sources have other names."""
    folder = cache_dir()
    return None if folder is None else folder / f"{__version__}-{source_digest()}-{key}.pickle"


def cached(key: str | None, build: Callable[[], Derivation],
           kind: type = Derivation) -> Derivation:
    """Load the derivation stored under ``key`` or build and store it (or another
    ``kind`` of object made of sympy expressions, such as the printed closed forms
    of :func:`melitz_sym.export.latex.printed_closed_forms`).

    A missing, damaged or foreign entry is built and replaced; a cache
    directory that cannot be written leaves the derivation uncached.
    """
    path = None if key is None else entry_path(key)
    if path is None:
        return build()
    d = read_entry(path, key, kind)
    if d is not None:
        return d
    d = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(path.parent, LEFTOVER_AGE)
        write_entry(path, key, d)
    except (OSError, pickle.PicklingError, AttributeError, TypeError):
        pass
    return d
