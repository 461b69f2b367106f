"""The on-disk cache returns exactly the derivation it stored, built without re-evaluation."""

import errno
import hashlib
import io
import json
import os
import pickle
import time

import numpy as np
import pytest
import sympy as sp

import melitz_sym as ms
from melitz_sym import cache
from melitz_sym.models import method


def _exprs(d):
    """Every sympy object a derivation holds, by a readable key."""
    out = {f"step {s.name}": (s.eq, *s.obligation) for s in d}
    out.update({f"output {k}": v for k, v in d.outputs.items()})
    out.update({f"closed {k}": v for k, v in d.closed_forms.items()})
    out.update({f"restriction {i}": r.condition for i, r in enumerate(d.restrictions)})
    out["residual"] = d.cutoff_residual
    out["parameters"] = d.parameters
    return out


@pytest.mark.parametrize("name, dist", [("melitz", "pareto"), ("krugman", None)])
def test_fast_load_reproduces_every_expression(name, dist):
    m = ms.model(name, dist)
    fresh = method.derive(m.declaration)
    buf = io.BytesIO()
    cache.dump(fresh, buf)
    loaded = cache.load(io.BytesIO(buf.getvalue()))
    a, b = _exprs(fresh), _exprs(loaded)
    assert a.keys() == b.keys()
    for key in a:
        assert sp.srepr(a[key]) == sp.srepr(b[key]), key
    # integrals (the CES aggregator) come back evaluated, not wrapped in Mul(1, f)
    assert sp.srepr(loaded["ces_utility"]) == sp.srepr(fresh["ces_utility"])


def test_cache_round_trip_through_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("MELITZ_SYM_CACHE", str(tmp_path))
    calls = []

    def build():
        calls.append(1)
        m = ms.model("krugman")
        return method.derive(m.declaration)

    first = cache.cached("krugman-test", build)
    second = cache.cached("krugman-test", build)
    assert calls == [1]
    assert [sp.srepr(s.eq) for s in first] == [sp.srepr(s.eq) for s in second]
    assert len(list(tmp_path.iterdir())) == 1
    assert cache.source_digest() in next(tmp_path.iterdir()).name


@pytest.fixture(scope="module")
def krugman():
    m = ms.model("krugman")
    return method.derive(m.declaration)


def _damage(path, how, krugman, monkeypatch):
    """Damage the valid cache entry at ``path`` in the way ``how``."""
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "random bytes":
        path.write_bytes(np.random.default_rng(0).bytes(len(data)))
    elif how == "one byte flipped":
        path.write_bytes(data[:-100] + bytes([data[-100] ^ 1]) + data[-99:])
    elif how == "pickle of another object":  # as the cache wrote before it had a header
        path.write_bytes(pickle.dumps({"phi_star": 1.75}))
    elif how == "header of another object":  # well framed, right checksum, not a Derivation
        payload = pickle.dumps({"phi_star": 1.75})
        header = {**cache._identity("krugman-test"), "sha256": hashlib.sha256(payload).hexdigest()}
        path.write_bytes(cache.MAGIC + json.dumps(header).encode() + b"\n" + payload)
    elif how == "another version":
        with monkeypatch.context() as patch:  # undo() would also undo the test's setenv
            patch.setattr(cache, "__version__", "0.0.1")
            cache.write_entry(path, "krugman-test", krugman)
    elif how == "another model":
        cache.write_entry(path, "melitz-pareto", krugman)
    else:
        raise AssertionError(how)


@pytest.mark.parametrize("how", ["truncated", "empty", "random bytes", "one byte flipped",
                                 "pickle of another object", "header of another object",
                                 "another version", "another model"])
def test_a_damaged_or_foreign_entry_is_rederived(how, krugman, tmp_path, monkeypatch):
    """Issue 20: a corrupt cache file gave a traceback on every run until deleted."""
    monkeypatch.setenv("MELITZ_SYM_CACHE", str(tmp_path))
    calls = []

    def build():
        calls.append(1)
        return krugman

    cache.cached("krugman-test", build)
    (path,) = tmp_path.iterdir()
    _damage(path, how, krugman, monkeypatch)
    again = cache.cached("krugman-test", build)
    assert calls == [1, 1]  # re-derived ...
    assert again is krugman
    assert [sp.srepr(s.eq) for s in cache.cached("krugman-test", build)] == [
        sp.srepr(s.eq) for s in krugman]
    assert calls == [1, 1]  # ... and the entry replaced by a good one
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary files left


def test_a_failed_write_leaves_no_temporary_file(krugman, tmp_path, monkeypatch):
    """A write that fails half way (a full disk) removes its temporary file; the
    derivation is still returned, uncached."""
    monkeypatch.setenv("MELITZ_SYM_CACHE", str(tmp_path))

    def full_disk(d, fh):
        fh.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache, "dump", full_disk)
    assert cache.cached("krugman-test", lambda: krugman) is krugman
    assert list(tmp_path.iterdir()) == []


def test_leftovers_of_a_killed_writer_are_removed(krugman, tmp_path, monkeypatch):
    """A temporary file older than an hour (its writer was killed) goes at the next write;
    a young one may belong to a writer still at work and stays."""
    monkeypatch.setenv("MELITZ_SYM_CACHE", str(tmp_path))
    old, young = (tmp_path / f".tmp-{age}.pickle.123.0a1b" for age in ("old", "young"))
    old.write_bytes(b"x")
    young.write_bytes(b"x")
    os.utime(old, (time.time() - 2 * cache.LEFTOVER_AGE,) * 2)
    cache.cached("krugman-test", lambda: krugman)
    assert not old.exists() and young.exists()
