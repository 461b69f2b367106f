"""``python -m melitz_sym``: the ``melitz-sym`` command line (see :mod:`melitz_sym.cli`)."""

import sys

from .cli import main

sys.exit(main())
