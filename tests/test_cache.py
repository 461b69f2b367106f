"""The on-disk cache returns exactly the derivation it stored, built without re-evaluation."""

import io

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
