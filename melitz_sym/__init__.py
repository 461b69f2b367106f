"""melitz-sym: derive, check and compute heterogeneous-firm trade models.

>>> import melitz_sym as ms
>>> m = ms.model("melitz", dist="pareto")
>>> d = m.derive()
>>> d.closed_form("lam")  # doctest: +SKIP
"""

__version__ = "0.1.0"

from .admissibility import Restriction  # noqa: E402
from .derivation import Derivation, Step  # noqa: E402
from .distributions import (  # noqa: E402
    Custom, Degenerate, Frechet, LogNormal, Pareto, TruncatedPareto, Weibull,
)
from .errors import AdmissibilityError, MelitzError, ParseError, UnknownNameError  # noqa: E402
from .models import Model, model, models  # noqa: E402

__all__ = ["AdmissibilityError", "Custom", "Degenerate", "Derivation", "Frechet", "LogNormal",
           "MelitzError", "Model", "ParseError", "Pareto", "Restriction", "Step",
           "TruncatedPareto", "UnknownNameError", "Weibull", "__version__", "model", "models"]
