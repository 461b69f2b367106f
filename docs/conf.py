"""Sphinx configuration of the documentation site.

Build it (warnings are errors, as ``tests/test_docs_site.py`` builds it)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The Markdown pages are read by myst-parser; the API reference (``api/``) is generated
from the package's numpydoc docstrings by autodoc and numpydoc.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the source tree beside this file, installed or not
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import melitz_sym  # noqa: E402

project = "melitz-sym"
author = "melitz-sym developers"
copyright = "melitz-sym developers, MIT licence"
version = release = melitz_sym.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "notebooks", "examples", "**/.ipynb_checkpoints"]

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

myst_heading_slug_func = "anchors.slug"  # _ext/anchors.py: anchors keep case

autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the numpydoc sections state the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

html_theme = "alabaster"
html_title = f"melitz-sym {release}"
html_static_path: list[str] = []
