"""Exceptions raised by melitz-sym.

Every error a user can trigger with bad input derives from :class:`MelitzError`,
so the command-line interface can print the message and exit with status 2
instead of showing a traceback.
"""

from __future__ import annotations


class MelitzError(Exception):
    """Base class of all errors caused by user input."""


class AdmissibilityError(MelitzError, ValueError):
    """A parameter value or declaration violates a model restriction.

    The message names the restriction in words and in symbols, and the
    offending values (and, for vectorised input, the index of the first bad
    point).
    """


class ParseError(MelitzError, ValueError):
    """An equation or parameter specification could not be parsed.

    The message says where (symbol or character position) and suggests the
    canonical names.
    """


class UnknownNameError(MelitzError, KeyError):
    """An unknown model, distribution, parameter or output name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NoClosedFormError(MelitzError, LookupError):
    """A closed form was requested where the derivation found none."""


class NumericalError(MelitzError, ArithmeticError):
    """The numeric solver found no finite, converged value at an admissible point.

    Raised instead of returning nan or inf; the message names the point.
    """


class DeclarationError(MelitzError, ValueError):
    """A model declaration is malformed, or combines primitives that no method derives.

    The message names the primitive (and, for a model file, the key and line).
    """
