"""Fixtures of the export tests: the real toolchains (pdflatex, gcc, gfortran, ...)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def find_tool(name: str) -> str:
    """The path of the system tool ``name``; a missing tool skips the test, except in
    CI (CI=true), where it fails: .ci/run installs every tool the tests need."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is required in CI (.ci/run installs it)")
        pytest.skip(f"{name} not installed")
    return path


@pytest.fixture
def tool():
    """``tool(name)``: :func:`find_tool`."""
    return find_tool


#: The strict flags generated code must compile under without a warning (issue 19).
STRICT = {"c": ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"],
          "fortran": ["-std=f2008", "-Wall", "-Werror"],
          "rust": ["--edition", "2021", "-D", "warnings"]}


def _run(cmd: list[str], cwd) -> subprocess.CompletedProcess:
    run = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"{' '.join(cmd)}:\n{run.stderr[-3000:]}{run.stdout[-2000:]}"
    return run


def build_strict(lang: str, directory, files) -> list[str]:
    """Build the generated library ``files`` (names in ``directory``) on its own with the
    language's strict flags (:data:`STRICT`; JavaScript: ``node --check``), failing on
    any warning; the arguments a driver's build adds to link it (object files, or the
    Rust ``--extern`` of the library crate)."""
    names = [n for n in files if not n.endswith((".h", ".txt", "Makefile"))]
    if lang == "c":
        _run([find_tool("gcc"), *STRICT["c"], "-O2", "-c", *names], directory)
        return [n[:-2] + ".o" for n in names]
    if lang == "fortran":
        _run([find_tool("gfortran"), *STRICT["fortran"], "-O2", "-c", *names], directory)
        return [n[:-4] + ".o" for n in names]
    if lang == "rust":
        (name,) = names
        crate = name[:-3]
        run = _run([find_tool("rustc"), *STRICT["rust"], "-O", "--crate-type", "rlib",
                    "--crate-name", crate, name], directory)
        assert "warning" not in run.stderr, run.stderr
        return ["--extern", f"{crate}=lib{crate}.rlib"]
    if lang == "js":
        for name in names:
            _run([find_tool("node"), "--check", name], directory)
        return []
    raise ValueError(lang)


@pytest.fixture
def strict(tool):
    """``strict(lang, directory, files)``: :func:`build_strict`."""
    return build_strict
