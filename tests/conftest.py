"""Shared test configuration.

Derivations are cached in a fresh directory for this test run only, so every
model is derived by the current code once per run and then reused.  Under
pytest-xdist the workers share the directory (named by the run's id); entries
are written atomically and keyed by a digest of the source.
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
