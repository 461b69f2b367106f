r"""N-country models: what the per-pair derivations share.

A multi-country model is derived once for a generic *pair* of countries: an
origin :math:`i` and a destination :math:`j`.  In the pair expressions the
parameters keep their canonical symbols and mean the origin's value (``L``,
``w``, ``f_e``, the distribution's ``k`` and ``b``) or the pair's value
(``tau`` and ``f``, rows = origin, columns = destination); the destination's
market aggregates are written with their own symbols (the demand shifter ``A``
and price index ``P`` of the destination).  The numeric layer evaluates the
pair expressions on :math:`N \times N` arrays and sums them over origins or
destinations.

A :class:`~melitz_sym.derivation.MultiDerivation` records, next to the steps,
the *shape* of every parameter and output: ``""`` (a scalar common to all
countries), ``"i"`` (one value per country) or ``"ij"`` (one value per ordered
pair).  :class:`~melitz_sym.facade.MultiCountryModel` reads vector and matrix
parameters (:mod:`melitz_sym.numeric.arrays`), checks them entry by entry and
dispatches to the model's numeric solver and mpmath reference.
"""

from __future__ import annotations

#: Meanings every N-country model shares (origin, pair and destination values).
PAIR_MEANINGS = {
    "w": "wage of the origin i",
    "L": "labour endowment of the origin i",
    "tau": "iceberg trade cost from origin i to destination j (1 for i = j)",
    "f": "per-period fixed cost for a firm of origin i to serve destination j",
    "phi_star": "productivity cutoff phi*_ij of origin i's firms in destination j",
    "X": "trade flow X_ij: sales of origin i's firms in destination j",
    "M_x": "number of origin i's firms selling in destination j",
}
