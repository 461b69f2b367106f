"""User documentation: the pasted code runs, and generated documents are not stale."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT / "derivations"))

import build_docs  # noqa: E402


def python_blocks(page: Path) -> list[str]:
    """The ```python fenced blocks of a Markdown page, in order."""
    return re.findall(r"^```python\n(.*?)^```", page.read_text(), re.S | re.M)


@pytest.mark.parametrize("page", ["quickstart.md", "tutorial.md"])
def test_code_blocks_run_when_pasted(page, tmp_path, monkeypatch):
    blocks = python_blocks(DOCS / page)
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)  # blocks may write figures
    namespace: dict = {}
    for i, code in enumerate(blocks):
        try:
            exec(compile(code, f"{page} block {i + 1}", "exec"), namespace)
        except Exception as exc:  # name the block in the failure
            raise AssertionError(f"{page}, python block {i + 1} fails: {exc!r}") from exc


def test_generated_docs_are_up_to_date(tmp_path):
    written = build_docs.build(tmp_path, with_figures=False, pdf=False)
    assert {p.name for p in written} >= {"cli.md", "gallery.md", "melitz-pareto.md"}
    stale = [str(p.relative_to(tmp_path)) for p in written
             if not (DOCS / p.relative_to(tmp_path)).exists()
             or (DOCS / p.relative_to(tmp_path)).read_text() != p.read_text()]
    assert not stale, (f"stale generated docs {stale}: run `python derivations/build_docs.py`")
    for file, _, _ in build_docs.GALLERY:
        assert (DOCS / "figures" / file).stat().st_size > 1000


def test_cli_reference_covers_every_command():
    from melitz_sym.commands import COMMANDS

    text = build_docs.cli_reference()
    for name in COMMANDS:
        assert f"## melitz-sym {name}" in text
    assert "example:" in text


def test_readme_names_the_regeneration_command():
    assert "python derivations/build_docs.py" in (ROOT / "README.md").read_text()
