"""CLI: ``melitz-sym latex`` and ``melitz-sym codegen``, including bad input."""

import os
import shutil

import pytest

from melitz_sym.cli import main


def test_codegen_writes_files_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "gen"
    assert main(["codegen", "krugman", "--lang", "c", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["Makefile", "krugman.c", "krugman.h"]
    (out / "krugman.c").write_text("mine")
    assert main(["codegen", "krugman", "--lang", "c", "-o", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "krugman.c").read_text() == "mine"
    assert main(["codegen", "krugman", "--lang", "c", "-o", str(out), "--force"]) == 0
    assert (out / "krugman.c").read_text() != "mine"


@pytest.mark.parametrize("args, words", [
    (["codegen", "krugman", "--lang", "cobol"], "unknown language 'cobol'"),
    (["codegen", "nomodel", "--lang", "c"], "unknown model"),
    (["codegen", "melitz", "--dist", "gumbel", "--lang", "rust"], "unknown distribution"),
])
def test_codegen_bad_input_writes_nothing(args, words, tmp_path, capsys):
    out = tmp_path / "gen"
    assert main([*args, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("melitz-sym: error: ") and words in err
    assert not out.exists()


def test_codegen_into_directory_with_other_files(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("x")
    assert main(["codegen", "krugman", "--lang", "js", "-o", str(tmp_path), "--force"]) == 2
    assert "other files" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_latex_document_and_pdf(tmp_path, capsys):
    if shutil.which("pdflatex") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdflatex is required in CI (.ci/run installs it)")
        pytest.skip("pdflatex not installed")
    tex = tmp_path / "k.tex"
    assert main(["latex", "krugman", "-o", str(tex), "--pdf"]) == 0
    assert tex.read_text().startswith(r"\documentclass")
    assert (tmp_path / "k.pdf").read_bytes().startswith(b"%PDF")
    assert main(["latex", "krugman", "-o", str(tex)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_latex_rejects_non_tex_output(tmp_path, capsys):
    assert main(["latex", "krugman", "-o", str(tmp_path / "k.txt")]) == 2
    assert ".tex" in capsys.readouterr().err
    assert not (tmp_path / "k.txt").exists()
