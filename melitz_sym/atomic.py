"""Atomic file writes: a file is complete or absent, never half written.

The cache (:mod:`melitz_sym.cache`) and sweeps (:mod:`melitz_sym.sweep`) write
through :func:`atomic_write`: the data goes to a temporary file in the target's
directory, which replaces the target (``os.replace``, atomic on POSIX and
Windows) only once it is complete and flushed.  If writing fails (a full disk,
an interruption) the temporary file is removed, so no leftovers accumulate.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

TEMP_PREFIX = ".tmp-"
"""Name prefix of the temporary files (:func:`remove_leftovers` looks for it)."""


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file that becomes ``path`` when the ``with`` block succeeds.

    Parameters
    ----------
    path : the file to write.
    mode : ``"wb"`` or ``"w"`` (text, with universal newlines off).
    """
    path = Path(path)
    # exclusive creation of a fresh name: the file gets the umask's permissions
    tmp = path.with_name(f"{TEMP_PREFIX}{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        with open(tmp, mode.replace("w", "x"), **({} if "b" in mode else {"newline": ""})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_leftovers(folder: Path, older_than: float = 0.0, name: str = "*") -> None:
    """Remove temporary files that an earlier :func:`atomic_write` in ``folder`` left
    behind when its process was killed (``kill -9``: no chance to clean up).

    Only those of files matching ``name`` (a glob pattern), and last modified
    more than ``older_than`` seconds ago: in a folder that other processes write
    to at the same time (the cache), a young one may still be in use.
    """
    now = time.time()
    for tmp in folder.glob(f"{TEMP_PREFIX}{name}.*"):
        try:
            if now - tmp.stat().st_mtime >= older_than:
                tmp.unlink()
        except FileNotFoundError:  # removed meanwhile by its writer
            pass


def sha256(*parts: bytes) -> str:
    """Hex SHA-256 digest of the concatenated ``parts``."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part)
    return h.hexdigest()
