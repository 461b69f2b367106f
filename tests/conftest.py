"""Shared test configuration.

Derivations are cached in a fresh directory for this test run only, so every
model is derived by the current code once per run and then reused.  Under
pytest-xdist the workers share the directory (named by the run's id); entries
are written atomically and keyed by a digest of the source.  Set
``MELITZ_SYM_CACHE`` to a directory of your own to keep derivations between runs
(entries of edited sources are never read).

The marker ``slow`` (registered in pyproject.toml) marks what ``-m "not slow"``
leaves out for everyday work: tests that build and run generated code with a
system toolchain (every test that asks for the ``tool`` fixture of
tests/export/conftest.py is marked here), run the documented commands, code
blocks and notebook, regenerate the docs, or compute 50-digit references live.
"""

import os
import tempfile
from pathlib import Path

_run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
if _run:
    _dir = Path(tempfile.gettempdir()) / f"melitz-sym-test-cache-{_run}"
    _dir.mkdir(exist_ok=True)
    os.environ.setdefault("MELITZ_SYM_CACHE", str(_dir))
else:
    os.environ.setdefault("MELITZ_SYM_CACHE", tempfile.mkdtemp(prefix="melitz-sym-test-cache-"))

import mpmath  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _restore_mpmath_precision():
    """Tests may raise mpmath's global precision; restore the default afterwards."""
    dps = mpmath.mp.dps
    yield
    mpmath.mp.dps = dps


def pytest_collection_modifyitems(items):
    """A test that runs a system toolchain (gcc, gfortran, rustc, node, octave, Rscript,
    pdflatex: the ``tool`` fixture) is slow."""
    for item in items:
        if "tool" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
