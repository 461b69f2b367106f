"""Dask backend of :mod:`melitz_sym.sweep`: chunks evaluated as blocks of a dask array.

The points still to compute are stacked into one dask array whose blocks are
the sweep's chunks; :func:`dask.array.map_blocks` maps
:func:`melitz_sym.sweep.solve_block` over them and the blocks are computed on
a ``distributed`` scheduler.  Each block is handed back as soon as it is
finished, so progress and resumption work exactly as with the local backend.

A model with a built-in distribution travels to the workers as its name and
distribution name and is rebuilt there once per worker process (from the
derivation cache); a model with a :class:`~melitz_sym.Custom` distribution is
sent as the object itself.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .errors import MelitzError
from .sweep import Finished, solve_block


@lru_cache(maxsize=16)
def _model(name: str, dist: str | None):
    from .facade import model

    return model(name, dist)


def _solve(block: np.ndarray, spec, names: list[str], outputs: list[str],
           precision: str) -> np.ndarray:
    m = _model(*spec) if isinstance(spec, tuple) else spec
    return solve_block(m, names, outputs, block, precision)


def run_blocks(model, names: list[str], outputs: list[str],
               todo: list[tuple[int, np.ndarray]], scheduler: str | None,
               finished: Finished, precision: str = "double") -> None:
    """Compute every ``(index, points)`` chunk of ``todo`` on the scheduler at ``scheduler``.

    ``finished(index, values)`` is called for each chunk as it completes.
    """
    try:
        import dask.array as da
        from distributed import Client, as_completed
    except ImportError:
        raise MelitzError("the dask backend needs dask and distributed: pip install "
                          "'melitz-sym[dask]'") from None
    if not scheduler:
        raise MelitzError("the dask backend needs --scheduler ADDRESS (e.g. "
                          "tcp://127.0.0.1:8786)")
    if not todo:
        return
    spec = ((model.name, model.dist.name if model.dist is not None else None)
            if model.cache_key is not None else model)
    points = da.concatenate([da.from_array(block, chunks=block.shape) for _, block in todo])
    values = points.map_blocks(_solve, spec, names, outputs, precision, dtype=float,
                               chunks=(points.chunks[0], (len(outputs),)))
    blocks = values.to_delayed().ravel()
    try:
        client = Client(scheduler, timeout=30, set_as_default=False)
    except OSError as exc:
        raise MelitzError(f"cannot reach the dask scheduler at {scheduler}: {exc}") from None
    try:
        futures = client.compute(list(blocks))
        index = {f.key: i for f, (i, _) in zip(futures, todo)}
        for future in as_completed(futures, loop=client.loop):
            finished(index[future.key], np.asarray(future.result()))
    finally:
        client.close()
