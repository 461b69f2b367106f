"""Labelled results: a solve's arrays with the parameters as columns or coordinates.

:meth:`Model.solve` with ``as_frame=True`` returns

* a :class:`pandas.DataFrame` when the parameters broadcast to at most one
  dimension: one row per point, a column per parameter that varies and per
  output; the parameters that do not vary are in ``DataFrame.attrs["params"]``;
* an :class:`xarray.Dataset` for gridded input (two or more dimensions): one
  data variable per output, and each axis labelled by the parameter that varies
  along it alone (its coordinate), else named ``dim_i``; every parameter given
  as a scalar is in ``Dataset.attrs``.

pandas and xarray are optional (``pip install '.[frame]'``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .errors import MelitzError


def need(module: str, what: str = "as_frame=True"):
    """Import the optional ``module`` (pandas, xarray) or say how to install it."""
    try:
        return __import__(module)
    except ImportError:
        raise MelitzError(f"{what} needs {module}: pip install 'melitz-sym[frame]' "
                          "(from a source tree: pip install '.[frame]')") from None


def label(params: Mapping[str, object], results: Mapping[str, np.ndarray]):
    """``results`` of a solve at ``params`` as a DataFrame (<= 1-D) or a Dataset (gridded)."""
    arrays = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values()),
                                *(np.shape(r) for r in results.values()))
    fixed = {k: float(a) for k, a in arrays.items() if a.ndim == 0}
    varying = {k: a for k, a in arrays.items() if a.ndim > 0}
    if len(shape) <= 1:
        pd = need("pandas")
        columns = {k: np.broadcast_to(a, shape).ravel() for k, a in varying.items()}
        columns.update({k: np.broadcast_to(r, shape).ravel() for k, r in results.items()})
        frame = pd.DataFrame(columns, index=pd.RangeIndex(int(np.prod(shape)), name="point"))
        frame.attrs["params"] = fixed
        return frame
    xr = need("xarray")
    dims, coords = [], {}
    for axis, size in enumerate(shape):
        alone = []
        for k, a in varying.items():
            full = (1,) * (len(shape) - a.ndim) + a.shape  # numpy's right alignment
            if full[axis] == size > 1 and all(n == 1 for i, n in enumerate(full) if i != axis):
                alone.append(k)
        name = alone[0] if len(alone) == 1 else f"dim_{axis}"
        if len(alone) == 1:
            coords[name] = np.ravel(varying[name])
        dims.append(name)
    data = {k: (dims, np.broadcast_to(r, shape)) for k, r in results.items()}
    for k, a in varying.items():
        if k not in coords:
            data[k] = (dims, np.broadcast_to(a, shape))
    return xr.Dataset(data, coords=coords, attrs=fixed)
