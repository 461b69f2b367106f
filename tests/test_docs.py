"""User documentation: the pasted code runs, and generated documents are not stale."""

import os
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT / "derivations"))

import build_docs  # noqa: E402

from melitz_sym import tomlread  # noqa: E402


def python_blocks(page: Path) -> list[str]:
    """The ```python fenced blocks of a Markdown page, in order."""
    return [text for lang, text in fenced_blocks(page) if lang == "python"]


PAGES = {"README.md": ROOT / "README.md", "quickstart.md": DOCS / "quickstart.md",
         "tutorial.md": DOCS / "tutorial.md"}


def fenced_blocks(page: Path) -> list[tuple[str, str]]:
    """(language, text) of every fenced block of a Markdown page, in order."""
    blocks, lang, lines = [], None, []
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            if lang is None:
                lang, lines = line[3:].strip(), []
            else:
                blocks.append((lang, "\n".join(lines)))
                lang = None
        elif lang is not None:
            lines.append(line)
    return blocks


def shell_commands(page: Path) -> list[str]:
    """The commands of a page's ```console and bare ``` blocks, one per logical line
    (a trailing backslash continues a line; ``a && b`` is two commands)."""
    text = "\n".join(t for lang, t in fenced_blocks(page) if lang in ("", "console"))
    lines = text.replace("\\\n", " ").splitlines()
    return [c.strip() for line in lines for c in line.split("&&") if c.strip()]


COMMANDS = [(name, cmd) for name, page in PAGES.items() for cmd in shell_commands(page)]


def readme_docs_command() -> str:
    """The README's command that builds the documentation site (tests/test_docs_site.py
    runs it)."""
    found = [c for c in shell_commands(ROOT / "README.md") if c.startswith("python -m sphinx")]
    assert len(found) == 1, f"the README names one docs command, found {found}"
    return found[0]


def _expected_status(cmd: str) -> int:
    """0, or N where the page says so in a comment: ``... # exits N: why``."""
    found = re.search(r"#\s*exits (\d+)", cmd)
    return int(found.group(1)) if found else 0


@pytest.mark.slow
@pytest.mark.parametrize("page, cmd", COMMANDS, ids=[f"{p}:{c[:60]}" for p, c in COMMANDS])
def test_every_documented_command_runs_as_written(page, cmd, tmp_path, monkeypatch, capsys):
    """Issue 21: the README's and the guides' commands, each in a fresh directory beside
    the repository's docs/ (the examples they read).  Installs and the test command are
    not run here (they would change this environment): their targets are checked, and
    .ci/run and .ci/floors run them."""
    argv = shlex.split(cmd, comments=True)
    while re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", argv[0]):  # VAR=value: the environment
        argv = argv[1:]
    if argv[:2] == ["pip", "install"]:
        target = argv[-1]
        extras = re.fullmatch(r"\.(?:\[(.*)\])?", target)
        assert extras, f"{page}: {cmd!r} must install the source tree ('.'), not an index"
        known = tomlread.loads((ROOT / "pyproject.toml").read_text())["project"]
        for extra in filter(None, (extras.group(1) or "").split(",")):
            assert extra in known["optional-dependencies"], f"{page}: unknown extra {extra}"
        return
    if argv[:3] == ["python", "-m", "sphinx"]:  # the docs command: test_docs_site runs it
        assert cmd == readme_docs_command(), f"{page}: another docs command {cmd!r}"
        return
    if argv[:3] == ["python", "-m", "pytest"]:
        assert "python3 -m pytest" in (ROOT / ".ci" / "run").read_text()
        options = argv[3:]
        if "-m" in options:  # a marker expression names registered markers only
            pytest_ini = tomlread.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
            known = {m.split(":")[0] for m in pytest_ini["ini_options"]["markers"]}
            words = set(options[options.index("-m") + 1].split()) - {"not", "and", "or"}
            assert words <= known, f"{page}: unregistered marker in {cmd!r}"
        return
    if argv[0] == "python":
        script = ROOT / argv[1]
        assert script.parent.name == "derivations" and script.exists(), cmd
        return  # run by build_docs.build in test_generated_docs_are_up_to_date
    assert argv[0] == "melitz-sym", f"{page}: a command this test does not know: {cmd!r}"
    if "--pdf" in argv and shutil.which("pdflatex") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdflatex is required in CI (.ci/run installs it)")
        pytest.skip("pdflatex not installed")
    (tmp_path / "docs").symlink_to(DOCS)
    monkeypatch.chdir(tmp_path)
    from melitz_sym.cli import main

    status = main(argv[1:])
    err = capsys.readouterr().err
    assert status == _expected_status(cmd), f"{page}: {cmd!r} exited {status}: {err}"


def test_the_documented_commands_cover_every_page():
    counts = {name: sum(p == name for p, _ in COMMANDS) for name in PAGES}
    assert counts["README.md"] >= 10 and counts["quickstart.md"] >= 5, counts
    assert counts["tutorial.md"] >= 4, counts


@pytest.mark.slow
@pytest.mark.parametrize("page", list(PAGES))
def test_code_blocks_run_when_pasted(page, tmp_path, monkeypatch):
    blocks = python_blocks(PAGES[page])
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)  # blocks may write figures
    namespace: dict = {}
    for i, code in enumerate(blocks):
        try:
            exec(compile(code, f"{page} block {i + 1}", "exec"), namespace)
        except Exception as exc:  # name the block in the failure
            raise AssertionError(f"{page}, python block {i + 1} fails: {exc!r}") from exc


@pytest.mark.slow
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


@pytest.mark.slow
def test_the_notebook_executes_and_shows_rich_output(tmp_path):
    """docs/notebooks/melitz.ipynb runs top to bottom in a fresh kernel (nbclient), and its
    displays are the rich ones: the model card, the step in the paper's notation, the
    verdict card and the figure."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(DOCS / "notebooks" / "melitz.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    data = [o.get("data", {}) for o in outputs]
    assert any("model(&#x27;melitz&#x27;" in d.get("text/html", "") for d in data)
    assert any(r"\varphi^*" in d.get("text/latex", "") for d in data)
    assert any("HOLDS" in d.get("text/html", "") for d in data)
    assert any("image/png" in d for d in data)
    assert any("<Derivation" in o.get("text", "") for o in outputs)
