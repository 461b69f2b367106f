"""The documentation site (docs/conf.py): it builds with warnings as errors by the command
the README names, it holds every page of docs/, and its API reference covers the public
API with numpydoc docstrings (issue 21, item 4)."""

import importlib
import inspect
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from test_docs import readme_docs_command

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
API_PAGES = sorted(p.stem for p in (DOCS / "api").glob("*.rst") if p.stem != "index")

#: The numpydoc checks every documented object passes (``numpydoc.validate`` codes):
#: GL08 the object has a docstring; PR01 every parameter of the signature is documented
#: (a class's constructor parameters may be documented as Attributes, as the dataclasses
#: of results do); PR02 no documented parameter is unknown to the signature; RT01 a
#: function or method that returns something has a Returns section (numpydoc asks none
#: of a function whose code returns nothing, nor of a property, whose summary says what
#: it is).
CHECKS = ("GL08", "PR01", "PR02", "RT01")
#: API pages whose docstrings do not pass yet, with the reason.

@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built by the README's command into a temporary directory."""
    argv = shlex.split(readme_docs_command())
    assert argv[-2:] == ["docs", "docs/_build/html"], argv
    assert "-W" in argv, "warnings are errors"
    out = tmp_path_factory.mktemp("site") / "html"
    done = subprocess.run([sys.executable, *argv[1:-1], str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    assert "WARNING" not in done.stderr and "ERROR" not in done.stderr, done.stderr
    return out


def inventory(site: Path) -> dict[str, dict[str, str]]:
    """Sphinx's objects.inv: role -> object name -> page (``api/sweep.html``)."""
    from sphinx.util.inventory import InventoryFile

    with open(site / "objects.inv", "rb") as f:
        inv = InventoryFile.load(f, "", lambda base, uri: uri)
    items = inv.data.items() if hasattr(inv, "data") else inv.items()
    return {role: {name: (entry.uri if hasattr(entry, "uri") else entry[2]).split("#")[0]
                   for name, entry in objects.items()} for role, objects in items}


def test_the_site_builds_every_page_of_docs(site):
    pages = [p.relative_to(DOCS).with_suffix(".html") for p in DOCS.rglob("*.md")
             if "_build" not in p.parts]
    assert len(pages) >= 15  # the guides, the references, six model pages, the gallery
    missing = [str(p) for p in pages if not (site / p).exists()]
    assert not missing, missing
    assert (site / "api" / "melitz_sym.html").exists()
    gallery = (site / "gallery.html").read_text()
    assert gallery.count("<img") >= 5 and (site / "_images" / "tau.png").exists()
    # the model pages' links to their steps resolve (#M_x and #M stay apart)
    for path in (site / "derivations").glob("*.html"):
        if path.name == "index.html":
            continue
        page = path.read_text()
        ids = set(re.findall(r'id="([^"]+)"', page))
        links = re.findall(r'class="reference internal" href="#([^"]+)"', page)
        assert len(links) >= 10 and set(links) <= ids, (path.name, set(links) - ids)


def test_the_notebook_is_downloadable(site):
    assert list((site / "_downloads").rglob("melitz.ipynb"))


def test_the_api_reference_covers_the_package(site):
    import melitz_sym

    documented = {name for objects in inventory(site).values() for name in objects}
    missing = [n for n in melitz_sym.__all__ if f"melitz_sym.{n}" not in documented]
    assert not missing, f"not in the API reference: {missing}"
    pages = {page for objects in inventory(site).values() for page in objects.values()}
    assert {f"api/{p}.html" for p in API_PAGES} <= pages


def resolve(name: str) -> object:
    """The object a dotted name in the inventory documents: attributes first (the
    package's ``models`` is the function, not the subpackage), else modules first (the
    canonical names Sphinx records, ``melitz_sym.verify.Verdict``)."""
    parts = name.split(".")
    try:
        obj = importlib.import_module(parts[0])
        for part in parts[1:]:
            obj = inspect.getattr_static(obj, part) if inspect.isclass(obj) else getattr(
                obj, part)
        return obj
    except AttributeError:
        pass
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            obj = inspect.getattr_static(obj, part) if inspect.isclass(obj) else getattr(
                obj, part)
        return obj
    raise AssertionError(f"cannot import {name}")


def numpydoc_errors(obj: object) -> list[str]:
    """The :data:`CHECKS` that ``obj``'s docstring fails, as ``code message``."""
    from numpydoc.docscrape import get_doc_object
    from numpydoc.validate import Validator, validate

    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    doc = get_doc_object(obj)
    errors = [(code, msg) for code, msg in validate(doc)["errors"] if code in CHECKS]
    if inspect.isclass(obj):  # constructor parameters documented as Attributes
        attributes = {n.strip() for a in doc["Attributes"] for n in a.name.split(",")}
        v = Validator(doc)
        undocumented = set(v.signature_parameters) - set(v.doc_parameters) - attributes
        errors = [(c, m) for c, m in errors if c != "PR01"]
        if undocumented:
            errors.append(("PR01", f"parameters {sorted(undocumented)} not documented"))
    return [f"{code} {msg}" for code, msg in errors]


@pytest.mark.parametrize("page", API_PAGES)
def test_every_documented_object_has_a_numpydoc_docstring(site, page):
    roles = ("py:function", "py:class", "py:method", "py:property", "py:exception")
    names = sorted(name for role, objects in inventory(site).items() if role in roles
                   for name, where in objects.items() if where == f"api/{page}.html")
    assert names, f"api/{page} documents nothing"
    failures = {name: errs for name in names if (errs := numpydoc_errors(resolve(name)))}
    assert not failures, "\n".join(f"{n}: {'; '.join(e)}" for n, e in failures.items())


def test_the_checks_catch_a_bare_docstring():
    """The validation the reference test relies on fails a docstring without sections."""
    def solve(x: float, y: float) -> float:
        """Solve."""
        return x + y

    assert {e.split()[0] for e in numpydoc_errors(solve)} == {"PR01", "RT01"}
    assert numpydoc_errors(test_the_checks_catch_a_bare_docstring) == []
