"""Shared test configuration: derive afresh (no on-disk cache) so tests see the current code."""

import os

os.environ.setdefault("MELITZ_SYM_CACHE", "off")

import mpmath  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _restore_mpmath_precision():
    """Tests may raise mpmath's global precision; restore the default afterwards."""
    dps = mpmath.mp.dps
    yield
    mpmath.mp.dps = dps
