r"""Parameter sweeps: many equilibria at once, in chunks, resumable.

A sweep evaluates :meth:`Model.solve` (the vectorised numpy path generated
from the derivation) on a *design* of points, a table with one column per
varied parameter:

* a **grid**: ``tau=1:3:200`` is ``numpy.linspace(1, 3, 200)``; several grids
  span their Cartesian product;
* **random** draws: ``N`` points uniform on the box of ``--range`` intervals;
* a **Latin hypercube** of ``N`` points on the same box
  (:class:`scipy.stats.qmc.LatinHypercube`: each interval is cut into ``N``
  strata and every stratum of every parameter is sampled exactly once).

Points are split into chunks of ``chunk_size`` rows.  Each finished chunk is
written to ``<output>.parts/chunk-NNNNNN.npz`` at once, so an interrupted sweep
resumes where it stopped; a manifest records what the work directory belongs
to, and a different sweep never reuses its chunks.  Manifest and chunks are
written atomically (:func:`melitz_sym.atomic.atomic_write`) and carry SHA-256
checksums; a chunk that is damaged, truncated or of another sweep is computed
again on resume, a damaged manifest is rewritten, and temporary files left by
a killed run are removed.  When all chunks exist they are merged into the
output (``.csv``, ``.npz`` or ``.parquet``; CSV is written a chunk at a time)
and the work directory is removed.

Every output file records its provenance (:func:`provenance`): the model, the
distribution, the fixed parameters as given, the swept parameters, the outputs,
the precision, the error mode and the package version.  CSV holds it in
comment lines ``# KEY: JSON`` above the header row, ``.npz`` in a text array
named ``__melitz_sym__``, Parquet in the schema metadata under the key
``melitz_sym``.  :func:`load` reads a file back as a :class:`SweepData` (a
``dict`` of numpy columns with a ``metadata`` attribute; it needs neither
pandas nor xarray), or with ``as_frame=True`` as a :class:`pandas.DataFrame`
whose ``attrs`` hold the metadata.

With ``errors="raise"`` (the default) every point is checked against the
model's restrictions before anything is computed: an inadmissible point raises
:class:`AdmissibilityError` naming the restriction, the values and the row (no
silent ``nan`` in the results).  With ``errors="nan"`` such a row gets nan
outputs and a ``reason`` column says why (see :func:`reasons`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import shutil
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from . import interrupt
from .admissibility import exact
from .atomic import atomic_write, remove_leftovers, sha256
from .errors import AdmissibilityError, MelitzError, ParseError
from .facade import MultiCountryModel
from .symbols import canonical
from .sweep_dask import Chunk, run_blocks

FORMATS = (".csv", ".npz", ".parquet")
CHUNK_SIZE = 16384
ERRORS = ("raise", "nan")
REASON = "reason"
"""Name of the text column that ``errors="nan"`` adds: why a row has no result."""
METADATA = "melitz_sym"
"""Key of the provenance in a Parquet file's schema metadata."""
_NPZ_METADATA = "__melitz_sym__"
_COMMENT = "# "


class SweepData(dict):
    """Columns of a sweep by name (1-d numpy arrays), and their provenance.

    Parameters
    ----------
    columns : mapping of str to numpy.ndarray
        The columns, parameters first, then outputs.
    metadata : mapping or None
        What :func:`provenance` recorded.

    Attributes
    ----------
    metadata : dict
        What :func:`provenance` recorded (empty for a file written without it).
    """

    def __init__(self, columns: Mapping[str, np.ndarray], metadata: Mapping | None = None):
        super().__init__(columns)
        self.metadata = dict(metadata or {})

    def to_frame(self):
        """A :class:`pandas.DataFrame` (one row per point); ``attrs`` holds the metadata.

        A grid sweep becomes an :class:`xarray.Dataset` with the grid's parameters
        as coordinates by ``frame.set_index(data.metadata["swept"]).to_xarray()``.

        Returns
        -------
        pandas.DataFrame
            One column per sweep column, ``attrs`` the metadata.
        """
        from .labelled import need

        pd = need("pandas", "a sweep as a DataFrame")
        frame = pd.DataFrame(dict(self))
        frame.attrs.update(self.metadata)
        return frame


# ----- designs ---------------------------------------------------------------
def _number(text: str, spec: str) -> float:
    """A value of a grid or range, read as every parameter value is
    (:func:`melitz_sym.admissibility.exact`: ``1.5``, ``2e-3``, ``19/5``), as a double."""
    try:
        return float(exact(spec.partition("=")[0].strip(), text))
    except MelitzError as exc:
        raise ParseError(f"in {spec!r}: {exc}") from None


@contextmanager
def _fits(what: str) -> Iterator[None]:
    """Turn a :class:`MemoryError` while building ``what`` into a clear error."""
    try:
        yield
    except MemoryError:
        raise MelitzError(f"{what} does not fit in memory; sweep fewer points") from None


def _canonical(name: str) -> str:
    try:
        return canonical(name)
    except MelitzError:
        return name  # the model reports unknown names with its parameter list


def _name(text: str, spec: str) -> str:
    name = text.strip()
    if not name:
        raise ParseError(f"in {spec!r}: missing parameter name before '='")
    return _canonical(name)


def parse_grid(spec: str) -> tuple[str, np.ndarray]:
    """Parse a grid option: ``"tau=1:3:200"`` -> ``("tau", linspace(1, 3, 200))``;
    ``"n=0,1,5"`` -> the listed values.

    Parameters
    ----------
    spec : str
        ``name=start:stop:count`` (``count`` evenly spaced values, both ends
        included) or ``name=v1,v2,...``.

    Returns
    -------
    tuple of (str, numpy.ndarray)
        The parameter's canonical name and its values.
    """
    if "=" not in spec:
        raise ParseError(f"grid {spec!r}: expected NAME=START:STOP:COUNT or NAME=V1,V2,...")
    name, rhs = spec.split("=", 1)
    name = _name(name, spec)
    if ":" in rhs:
        parts = rhs.split(":")
        if len(parts) != 3:
            raise ParseError(f"grid {spec!r}: expected START:STOP:COUNT after '='")
        start, stop = (_number(p, spec) for p in parts[:2])
        try:
            count = int(parts[2])
        except ValueError:
            raise ParseError(f"in {spec!r}: COUNT {parts[2]!r} is not an integer") from None
        if count < 1:
            raise ParseError(f"in {spec!r}: COUNT must be at least 1")
        with _fits(f"grid {spec!r} ({count} points)"):
            return name, np.linspace(start, stop, count)
    return name, np.array([_number(v, spec) for v in rhs.split(",")])


def parse_range(spec: str) -> tuple[str, tuple[float, float]]:
    """Parse a range option: ``"tau=1:3"`` -> ``("tau", (1.0, 3.0))``, the interval of
    random or Latin-hypercube draws.

    Parameters
    ----------
    spec : str
        ``name=low:high`` with ``low < high``.

    Returns
    -------
    tuple of (str, tuple of float)
        The parameter's canonical name and ``(low, high)``.
    """
    name, sep, rhs = spec.partition("=")
    if not sep or rhs.count(":") != 1:
        raise ParseError(f"range {spec!r}: expected NAME=LOW:HIGH")
    lo, hi = (_number(p, spec) for p in rhs.split(":"))
    if not lo <= hi:
        raise ParseError(f"range {spec!r}: LOW must not exceed HIGH")
    return _name(name, spec), (lo, hi)


def grid_design(grids: Iterable[tuple[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The Cartesian product of grids, one flat column per parameter.

    Parameters
    ----------
    grids : iterable of (str, numpy.ndarray)
        ``(name, values)`` pairs, as :func:`parse_grid` returns them; the first
        varies slowest.

    Returns
    -------
    dict of str to numpy.ndarray
        One column per parameter, of length the product of the grid sizes.
    """
    grids = list(grids)
    names = [g[0] for g in grids]
    if len(set(names)) != len(names):
        raise ParseError(f"a parameter is gridded twice: {', '.join(names)}")
    size = math.prod(len(g[1]) for g in grids)
    with _fits(f"the product of the grids ({size} points)"):
        mesh = np.meshgrid(*[g[1] for g in grids], indexing="ij")
        return {name: m.ravel() for name, m in zip(names, mesh)}


def draw_design(ranges: Mapping[str, tuple[float, float]], count: int, method: str = "random",
                seed: int = 0) -> dict[str, np.ndarray]:
    """``count`` points on the box ``ranges``.

    Parameters
    ----------
    ranges : mapping of str to (float, float)
        Parameter -> ``(low, high)``, as :func:`parse_range` returns them.
    count : int
        Number of points.
    method : str
        ``"random"`` (independent uniform draws on each interval) or ``"lhs"``
        (Latin hypercube: each interval cut into ``count`` strata, one draw in each,
        strata paired at random across parameters).
    seed : int
        Seed of the generator (the same seed gives the same points).

    Returns
    -------
    dict of str to numpy.ndarray
        One column of ``count`` values per parameter.
    """
    if not ranges:
        raise ParseError(f"{method} draws need at least one --range NAME=LOW:HIGH")
    if count < 1:
        raise ParseError("the number of draws must be at least 1")
    lo = np.array([r[0] for r in ranges.values()])
    hi = np.array([r[1] for r in ranges.values()])
    if method not in ("random", "lhs"):
        raise ParseError(f"unknown draw method {method!r}; use 'random' or 'lhs'")
    with _fits(f"{count} {method} draws"):
        if method == "random":
            unit = np.random.default_rng(seed).random((count, len(ranges)))
        else:
            from scipy.stats import qmc

            unit = qmc.LatinHypercube(d=len(ranges), seed=seed).random(count)
        points = lo + unit * (hi - lo)
    return {name: points[:, i] for i, name in enumerate(ranges)}


# ----- running -----------------------------------------------------------------
def _columns(model, design: Mapping[str, np.ndarray], fixed: Mapping[str, object]
             ) -> dict[str, np.ndarray]:
    """Every parameter of ``model`` as a float column of the design's length."""
    size = len(next(iter(design.values()))) if design else 1
    both = set(design) & set(fixed)
    if both:
        raise ParseError(f"{', '.join(sorted(both))} both swept and set")
    if isinstance(model, MultiCountryModel):
        raise ParseError(f"{model.name}: sweeps cover models whose parameters are scalars; "
                         "solve an N-country model point by point with m.solve(...)")
    values = model.canonical_params({**fixed, **design})
    out = {}
    for name in model.parameters:
        value = values[name]
        col = (np.asarray(value, dtype=float) if name in design
               else float(exact(name, value)))  # fixed: read as by solve (19/5, "1.5")
        with _fits(f"a sweep of {size} points"):
            out[name] = np.broadcast_to(col, (size,)).copy()
    return out


def check_design(model, columns: Mapping[str, np.ndarray]) -> None:
    """Raise :class:`AdmissibilityError` at the first row that violates a restriction."""
    from .numeric.fast import admissible_mask

    ok, failures = admissible_mask(model.derive(), columns)
    for r, bad in failures:
        if bad.any():
            row = int(np.argmax(bad))
            at = {k: v[row].item() for k, v in columns.items()}
            raise AdmissibilityError(r.message(at, f" at row {row} of the sweep"))


def reasons(model, params: Mapping[str, np.ndarray], values: np.ndarray,
            outputs: list[str]) -> np.ndarray:
    """Why each row of ``values`` (solved with ``errors="nan"``) has nan outputs.

    Returns
    -------
    numpy.ndarray of str
        ``""`` for a row with every output finite; ``"inadmissible: <words>
        [<condition>]"`` naming the first restriction the row violates; otherwise
        ``"no finite value of <outputs>"``: Model.solve gives nan in every output
        at a corner (no selection, or no exporters) and in one output where it is
        not finite.
    """
    from .numeric.fast import admissible_mask

    out = np.zeros(len(values), dtype=object)
    out[:] = ""
    nan = np.isnan(values)
    for pattern in np.unique(nan[nan.any(axis=1)], axis=0):
        names = "every output" if pattern.all() else ", ".join(
            o for o, bad in zip(outputs, pattern) if bad)
        out[(nan == pattern).all(axis=1)] = f"no finite value of {names}"
    _, failures = admissible_mask(model.derive(), params)
    for r, bad in reversed(failures):  # the first violated restriction is named
        out[bad] = f"inadmissible: {r.describe()}"
    return out.astype(str)


def solve_block(model, names: list[str], outputs: list[str], block: np.ndarray,
                precision: str = "double", errors: str = "raise") -> Chunk:
    """Outputs (columns) at the points of ``block`` (rows; columns in order ``names``),
    and with ``errors="nan"`` the :func:`reasons` of the rows (else None)."""
    params = {name: block[:, j] for j, name in enumerate(names)}
    result = model.solve(outputs=outputs, errors=errors, precision=precision, **params)
    values = np.column_stack([result[o] for o in outputs])
    return values, reasons(model, params, values, outputs) if errors == "nan" else None


def _dist_name(model) -> str | None:
    return model.dist.name if model.dist is not None else None


def _plain(value: object) -> object:
    """A parameter value as JSON: an int or float as such, anything else (an exact
    string such as ``"3/2"``, a sympy number) as its text."""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return str(value)


def provenance(model, fixed: Mapping[str, object], swept: Iterable[str], outputs: list[str],
               precision: str = "double", errors: str = "raise") -> dict:
    """What a sweep output records about where its numbers come from.

    Returns
    -------
    dict
        ``model`` and ``dist`` (names), ``fixed`` (canonical parameter name ->
        value as given: a number, or the exact text), ``swept`` (names of the
        varied parameters), ``outputs``, ``precision``, ``errors`` and
        ``melitz_sym_version``.
    """
    from . import __version__

    return {"model": model.name, "dist": _dist_name(model),
            "fixed": {_canonical(k): _plain(v) for k, v in fixed.items()},
            "swept": [_canonical(k) for k in swept], "outputs": list(outputs),
            "precision": precision, "errors": errors, "melitz_sym_version": __version__}


def _manifest(model, columns: Mapping[str, np.ndarray], outputs: list[str],
              chunk_size: int, precision: str, errors: str = "raise") -> dict:
    h = hashlib.sha256()
    for name, col in columns.items():
        h.update(name.encode())
        h.update(np.ascontiguousarray(col).tobytes())
    return {"model": model.name, "dist": _dist_name(model), "outputs": outputs,
            "chunk_size": chunk_size, "precision": precision, "errors": errors,
            "rows": len(next(iter(columns.values()))), "points": h.hexdigest()}


def _digest(manifest: Mapping) -> str:
    """Checksum of a manifest: it identifies the sweep, and every chunk carries it."""
    return sha256(json.dumps(manifest, sort_keys=True).encode())


def write_manifest(workdir: Path, manifest: Mapping) -> None:
    """Write ``manifest.json`` atomically, with its checksum."""
    with atomic_write(workdir / "manifest.json", "w") as fh:
        json.dump({"manifest": manifest, "sha256": _digest(manifest)}, fh, indent=1)


def read_manifest(workdir: Path) -> dict | None:
    """The manifest stored in ``workdir``, or None when it is missing or damaged."""
    try:
        stored = json.loads((workdir / "manifest.json").read_text())
        manifest = stored["manifest"]
        ok = stored["sha256"] == _digest(manifest)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return manifest if ok else None


def workdir_for(output: Path) -> Path:
    """Directory of finished chunks that belongs to ``output``."""
    return output.with_name(output.name + ".parts")


def _chunk_path(workdir: Path, i: int) -> Path:
    return workdir / f"chunk-{i:06d}.npz"


def _chunk_digest(sweep: str, i: int, values: np.ndarray, reason: np.ndarray | None) -> str:
    extra = [] if reason is None else ["\0".join(reason.tolist()).encode()]
    return sha256(sweep.encode(), str(i).encode(), repr(values.shape).encode(),
                  np.ascontiguousarray(values).tobytes(), *extra)


def save_chunk(workdir: Path, sweep: str, i: int, values: np.ndarray,
               reason: np.ndarray | None) -> None:
    """Write chunk ``i`` of the sweep with digest ``sweep`` atomically, with its checksum."""
    arrays = {"values": values, "sha256": np.array(_chunk_digest(sweep, i, values, reason))}
    if reason is not None:
        arrays[REASON] = reason
    with atomic_write(_chunk_path(workdir, i)) as fh:
        np.savez(fh, **arrays)


def load_chunk(workdir: Path, sweep: str, i: int, shape: tuple[int, int], errors: str
               ) -> Chunk | None:
    """Chunk ``i`` if it is complete, intact and of this sweep, else None (recompute it)."""
    try:
        with np.load(_chunk_path(workdir, i)) as data:
            values = data["values"]
            reason = data[REASON] if errors == "nan" else None
            digest = str(data["sha256"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if values.shape != shape or digest != _chunk_digest(sweep, i, values, reason):
        return None
    return values, reason


def run(model, design: Mapping[str, np.ndarray], fixed: Mapping[str, object] | None = None,
        outputs: list[str] | None = None, output: str | Path | None = None,
        chunk_size: int = CHUNK_SIZE, progress: bool | None = None,
        backend: str = "local", scheduler: str | None = None,
        precision: str = "double", errors: str = "raise") -> SweepData:
    """Solve ``model`` at every point of ``design``; return parameter and output columns
    (a :class:`SweepData`, whose ``metadata`` is the :func:`provenance` the output
    file records).

    Parameters
    ----------
    model : a :class:`melitz_sym.Model`.
    design : varied parameter -> 1-d array of values (all the same length).
    fixed : the remaining parameters (numbers or exact strings).
    outputs : output names (default: every output of the model).
    output : results file; with it, finished chunks are kept in
        ``<output>.parts/`` until the merge, so a rerun resumes.
    chunk_size : rows per chunk (the unit of progress, resumption and dask blocks).
    progress : show progress bars for the sweep and the writing of the output
        (None: only when stderr is a terminal).
    backend : ``"local"`` or ``"dask"`` (chunks as tasks on the distributed
        scheduler at ``scheduler``).
    precision : that of :meth:`melitz_sym.Model.solve` (``"double"``,
        ``"adaptive"`` or ``"extended"``); chunks left by a sweep at another
        precision are not reused.
    errors : ``"raise"`` (an inadmissible point stops the sweep before anything
        is computed) or ``"nan"`` (its outputs are nan and the column
        ``reason`` says why, see :func:`reasons`; ``""`` for good rows).
    scheduler : str or None
        Address of the dask distributed scheduler, required with ``backend="dask"``.

    Returns
    -------
    SweepData
        The design's and the fixed parameters' columns, then one column per output
        (and ``reason`` with ``errors="nan"``), with :func:`provenance` as
        ``metadata``.
    """
    if chunk_size < 1:
        raise ParseError("chunk size must be at least 1")
    if errors not in ERRORS:
        raise ParseError(f"errors must be 'raise' or 'nan', got {errors!r}")
    columns = _columns(model, design, fixed or {})
    outputs = model.output_names(outputs)
    if errors == "raise":
        check_design(model, columns)
    names = list(columns)
    rows = len(columns[names[0]])
    chunks = [(i, s) for i, s in enumerate(range(0, rows, chunk_size))]
    start = dict(chunks)
    with _fits(f"a sweep of {rows} points"):  # each output a contiguous column
        values = np.empty((len(outputs), rows))

    def block(s: int) -> np.ndarray:
        """The points of the chunk starting at row ``s`` (rows; columns in order ``names``)."""
        return np.column_stack([columns[n][s:s + chunk_size] for n in names])
    reason: dict[int, np.ndarray] = {}
    done: set[int] = set()

    def keep(i: int, chunk: Chunk) -> None:
        values[:, start[i]:start[i] + len(chunk[0])] = chunk[0].T
        if chunk[1] is not None:
            reason[i] = chunk[1]
        done.add(i)

    workdir = None
    if output is not None:
        output = Path(output)
        _check_format(output)
        workdir = workdir_for(output)
        manifest = _manifest(model, columns, outputs, chunk_size, precision, errors)
        workdir.mkdir(parents=True, exist_ok=True)
        remove_leftovers(workdir)
        remove_leftovers(output.parent, name=output.name)
        stored = read_manifest(workdir)
        if stored is not None and stored != manifest:
            raise MelitzError(f"{workdir} holds chunks of a different sweep; remove it to "
                              "start afresh")
        if stored is None:
            write_manifest(workdir, manifest)
        sweep_id = _digest(manifest)
        for i, s in chunks:
            chunk = load_chunk(workdir, sweep_id, i, (min(chunk_size, rows - s), len(outputs)),
                               errors)
            if chunk is not None:
                keep(i, chunk)
    todo = [(i, s) for i, s in chunks if i not in done]

    from tqdm.auto import tqdm

    bar = tqdm(total=rows, initial=rows - sum(min(chunk_size, rows - s) for _, s in todo),
               unit="pt", disable=None if progress is None else not progress,
               desc=f"sweep {model.name}")

    def finished(i: int, chunk: Chunk) -> None:
        if workdir is not None:
            save_chunk(workdir, sweep_id, i, *chunk)
        keep(i, chunk)
        bar.update(len(chunk[0]))
        interrupt.check()  # a Ctrl-C swallowed by a finalizer (savez's ZipFile) stops here

    try:
        with interrupt.recorded():
            if backend == "local":
                for i, s in todo:
                    finished(i, solve_block(model, names, outputs, block(s), precision, errors))
            elif backend == "dask":
                run_blocks(solve_block, model, names, outputs,
                           [(i, block(s)) for i, s in todo], scheduler, finished, precision,
                           errors)
            else:
                raise ParseError(f"unknown backend {backend!r}; use 'local' or 'dask'")
    finally:
        bar.close()
    result = SweepData(columns, provenance(model, fixed or {}, design, outputs, precision,
                                           errors))
    result.update(zip(outputs, values))
    if errors == "nan":
        result[REASON] = np.concatenate([reason[i] for i, _ in chunks] or [np.array([], str)])
    if output is not None:
        write(result, output, progress, metadata=result.metadata)
        shutil.rmtree(workdir)
    return result


# ----- output files ----------------------------------------------------------
def _check_format(path: Path) -> None:
    if path.suffix not in FORMATS:
        raise ParseError(f"output {path}: unknown format {path.suffix!r}; use "
                         f"{', '.join(FORMATS)}")
    if path.suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise MelitzError("writing .parquet needs pyarrow (pip install pyarrow); or use "
                              ".csv or .npz") from None


def write(columns: Mapping[str, np.ndarray], path: str | Path, progress: bool | None = None,
          rows_per_write: int = CHUNK_SIZE, metadata: Mapping | None = None) -> Path:
    """Write named columns to ``.csv`` (header row, exact round-trip), ``.npz`` or ``.parquet``.

    The file appears atomically when complete.  CSV is written ``rows_per_write``
    rows at a time (memory: the columns and one slice of text), with a progress
    bar (``progress`` as in :func:`run`); a text column (``reason``) is quoted
    where needed.  ``metadata`` (JSON-serialisable, e.g. :func:`provenance`) goes
    into comment lines ``# KEY: JSON`` above a CSV's header row, a text array
    ``__melitz_sym__`` of an ``.npz``, or a Parquet file's schema metadata.

    Parameters
    ----------
    columns : mapping of str to numpy.ndarray
        Named columns of equal length.
    path : str or pathlib.Path
        Output file; its suffix selects the format.
    progress : bool or None
        Progress bar for a CSV write (None: only when stderr is a terminal).
    rows_per_write : int
        Rows of CSV text formatted and written at a time.
    metadata : mapping or None
        Provenance recorded in the file.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    _check_format(path)
    text = {k: json.dumps(v) for k, v in (metadata or {}).items()}
    if path.suffix == ".csv":
        names = list(columns)
        rows = len(columns[names[0]]) if names else 0
        from tqdm.auto import tqdm

        with atomic_write(path, "w") as fh, tqdm(
                total=rows, unit="row", desc=f"write {path.name}",
                disable=None if progress is None else not progress) as bar:
            fh.writelines(f"{_COMMENT}{k}: {v}\n" for k, v in text.items())
            out = csv.writer(fh, lineterminator="\n")
            out.writerow(names)
            for start in range(0, rows, rows_per_write):
                # tolist: Python floats, which csv writes as repr (the shortest text
                # that reads back exactly)
                part = [columns[n][start:start + rows_per_write].tolist() for n in names]
                out.writerows(zip(*part))
                bar.update(len(part[0]))
    elif path.suffix == ".npz":
        extra = {_NPZ_METADATA: np.array(json.dumps(metadata))} if metadata else {}
        with atomic_write(path) as fh:
            np.savez(fh, **columns, **extra)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table(dict(columns))
        if metadata:
            table = table.replace_schema_metadata({METADATA: json.dumps(metadata)})
        with atomic_write(path) as fh:
            pq.write_table(table, fh)
    return path


def _csv_head(path: Path) -> tuple[dict, int, list[str]]:
    """A CSV's metadata (its ``# KEY: JSON`` lines), their count and the header row."""
    metadata, count = {}, 0
    with open(path, newline="") as fh:
        for line in fh:
            if not line.startswith("#"):
                return metadata, count, next(csv.reader([line]))
            count += 1
            key, sep, value = line[len(_COMMENT):].partition(": ")
            try:
                metadata[key] = json.loads(value)
            except ValueError:
                raise ParseError(f"{path}: line {count} is not a '# KEY: JSON' comment: "
                                 f"{line.strip()[:60]!r}") from None
    raise ParseError(f"{path}: no header row")


def load(path: str | Path, as_frame: bool = False):
    """Read a file written by :func:`write` (or :func:`run`) back, with its provenance.

    Parameters
    ----------
    path : a ``.csv``, ``.npz`` or ``.parquet`` sweep output.
    as_frame : False (default): a :class:`SweepData`, the columns as numpy arrays
        (exactly the doubles written; ``reason`` as text) and ``.metadata``, with
        no optional dependency; True: a :class:`pandas.DataFrame` whose ``attrs``
        hold the metadata (:meth:`SweepData.to_frame`).

    Returns
    -------
    SweepData or pandas.DataFrame
        The metadata is empty for a file written without any.
    """
    path = Path(path)
    _check_format(path)
    if path.suffix == ".csv":
        metadata, skip, header = _csv_head(path)
        numeric = [j for j, name in enumerate(header) if name != REASON]
        table = np.loadtxt(path, delimiter=",", skiprows=skip + 1, ndmin=2, usecols=numeric,
                           quotechar='"', comments=None)
        out = {header[j]: table[:, k] for k, j in enumerate(numeric)}
        if REASON in header:
            col = header.index(REASON)
            with open(path, newline="") as fh:
                for _ in range(skip):  # the comment lines, as lines
                    fh.readline()
                rows = csv.reader(fh)
                next(rows)
                out[REASON] = np.array([row[col] for row in rows], dtype=str)
        data = SweepData({name: out[name] for name in header}, metadata)
    elif path.suffix == ".npz":
        with np.load(path) as npz:
            data = SweepData({name: npz[name] for name in npz.files if name != _NPZ_METADATA},
                             json.loads(str(npz[_NPZ_METADATA])) if _NPZ_METADATA in npz.files
                             else None)
    else:
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        stored = (table.schema.metadata or {}).get(METADATA.encode())
        data = SweepData({name: table[name].to_numpy() for name in table.column_names},
                         json.loads(stored) if stored else None)
    return data.to_frame() if as_frame else data
