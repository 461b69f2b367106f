"""Dask backend of :mod:`melitz_sym.sweep`: chunks evaluated as tasks on a cluster.

Each chunk still to compute is submitted as one task to a ``distributed``
scheduler, which calls the sweep's block solver (passed in by
:func:`melitz_sym.sweep.run`, so this module imports nothing of the sweep)
on a worker.  Each chunk is handed back as soon as it is finished, so progress
and resumption work exactly as with the local backend.

A model with a built-in distribution travels to the workers as its name and
distribution name and is rebuilt there once per worker process (from the
derivation cache); a model with a :class:`~melitz_sym.Custom` distribution is
sent as the object itself.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from .errors import MelitzError

Chunk = tuple[np.ndarray, np.ndarray | None]
"""A solved chunk: output values (rows x outputs) and the reasons of its nan rows (or None)."""
Finished = Callable[[int, Chunk], None]
"""Called with the index and the result of each chunk as it completes."""
SolveBlock = Callable[..., Chunk]
"""``solve(model, names, outputs, block, precision, errors)``, i.e.
:func:`melitz_sym.sweep.solve_block`."""


@lru_cache(maxsize=16)
def _model(name: str, dist: str | None):
    from .facade import model

    return model(name, dist)


def _solve(solve: SolveBlock, block: np.ndarray, spec, names: list[str], outputs: list[str],
           precision: str, errors: str) -> Chunk:
    m = _model(*spec) if isinstance(spec, tuple) else spec
    return solve(m, names, outputs, block, precision, errors)


def run_blocks(solve: SolveBlock, model, names: list[str], outputs: list[str],
               todo: list[tuple[int, np.ndarray]], scheduler: str | None,
               finished: Finished, precision: str = "double", errors: str = "raise") -> None:
    """Compute every ``(index, points)`` chunk of ``todo`` on the scheduler at ``scheduler``.

    ``solve`` computes one chunk on a worker; ``finished(index, chunk)`` is
    called here for each chunk as it completes.
    """
    try:
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
    try:
        client = Client(scheduler, timeout=30, set_as_default=False)
    except OSError as exc:
        raise MelitzError(f"cannot reach the dask scheduler at {scheduler}: {exc}") from None
    try:
        futures = {client.submit(_solve, solve, block, spec, names, outputs, precision, errors,
                                 pure=False): i for i, block in todo}
        for future in as_completed(futures, loop=client.loop):
            finished(futures[future], future.result())
    finally:
        client.close()
