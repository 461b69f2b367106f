"""Subcommands of the ``melitz-sym`` CLI, one module each.

Every module defines ``HELP`` (one line), ``EXAMPLE`` (a worked example shown by
``--help``), ``add_arguments(parser)`` and ``run(args) -> int``.  Heavy imports
belong inside ``run`` so that ``melitz-sym --help`` stays fast.
"""

COMMANDS = ("models", "derive", "solve", "latex", "codegen", "sweep", "calibrate",
            "verify", "claims", "plot")
