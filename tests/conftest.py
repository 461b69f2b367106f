"""Shared test configuration: derive afresh (no on-disk cache) so tests see the current code."""

import os

os.environ.setdefault("MELITZ_SYM_CACHE", "off")
