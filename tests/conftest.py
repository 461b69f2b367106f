"""Shared test configuration.

Derivations are cached in a fresh directory for this test session only, so
every model is derived by the current code once per run and then reused.
"""

import os
import tempfile

os.environ.setdefault("MELITZ_SYM_CACHE", tempfile.mkdtemp(prefix="melitz-sym-test-cache-"))

import mpmath  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _restore_mpmath_precision():
    """Tests may raise mpmath's global precision; restore the default afterwards."""
    dps = mpmath.mp.dps
    yield
    mpmath.mp.dps = dps
