"""melitz-sym: derive, check and compute heterogeneous-firm trade models.

>>> import melitz_sym as ms
>>> m = ms.model("melitz", dist="pareto")
>>> d = m.derive()
>>> d.closed_form("lam")  # doctest: +SKIP
"""

from importlib import metadata as _metadata

try:  # the one version source: pyproject.toml, as installed
    __version__ = _metadata.version("melitz-sym")
except _metadata.PackageNotFoundError:  # a source tree on sys.path, never installed
    __version__ = "0+unknown"

from .admissibility import Restriction
from .derivation import Derivation, Step
from .distributions import (
    Custom,
    Degenerate,
    Frechet,
    LogNormal,
    Pareto,
    TruncatedPareto,
    Weibull,
)
from .errors import (
    AdmissibilityError,
    DeclarationError,
    MelitzError,
    NumericalError,
    ParseError,
    UnknownNameError,
)
from .facade import Model, model
from .models import models
from .notation import init_printing
from .primitives import Declaration
from .verify import Verdict, verify
from .claims import claim, claims, check_claims

__all__ = [
    "AdmissibilityError",
    "Declaration",
    "DeclarationError",
    "Custom",
    "Degenerate",
    "Derivation",
    "Frechet",
    "LogNormal",
    "MelitzError",
    "Model",
    "NumericalError",
    "Pareto",
    "ParseError",
    "Restriction",
    "Step",
    "TruncatedPareto",
    "UnknownNameError",
    "Verdict",
    "Weibull",
    "__version__",
    "check_claims",
    "claim",
    "claims",
    "init_printing",
    "model",
    "models",
    "verify",
]
