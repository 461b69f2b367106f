"""Reading TOML text: the standard library's ``tomllib`` (Python >= 3.11), else ``tomli``.

The one place that picks the parser, so that model files and parameter files read
alike on every supported Python.
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    from tomllib import TOMLDecodeError, loads
else:  # Python 3.10: the same API from the tomli backport (a dependency there)
    from tomli import TOMLDecodeError, loads

__all__ = ["TOMLDecodeError", "loads"]
