"""Packaging: one version source, ``--version``, ``python -m melitz_sym``, the license,
``py.typed``, and the TOML reader that every supported Python has."""

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import melitz_sym as ms
from melitz_sym import tomlread
from melitz_sym.cli import main

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomlread.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_version_comes_from_the_installed_metadata():
    assert ms.__version__ == metadata.version("melitz-sym") == PYPROJECT["version"]
    literal = [p.relative_to(ROOT) for p in (ROOT / "melitz_sym").rglob("*.py")
               if PYPROJECT["version"] in p.read_text()]
    assert literal == [], f"the version is written in the package too: {literal}"


def test_cli_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"melitz-sym {ms.__version__}"


def test_python_dash_m_runs_the_cli(tmp_path):
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    ok = subprocess.run([sys.executable, "-m", "melitz_sym", "models"], cwd=tmp_path, env=env,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "melitz-closed" in ok.stdout.split()
    bad = subprocess.run([sys.executable, "-m", "melitz_sym", "nocommand"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.startswith("melitz-sym: error: ") and bad.stderr.count("\n") == 1


def test_license_is_an_spdx_expression_with_its_file():
    assert PYPROJECT["license"] == "MIT"
    assert PYPROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert not any(c.startswith("License ::") for c in PYPROJECT["classifiers"])


def test_typed_marker_ships_with_the_package():
    assert (ROOT / "melitz_sym" / "py.typed").exists()
    data = tomlread.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "py.typed" in data["package-data"]["melitz_sym"]
    assert "Typing :: Typed" in PYPROJECT["classifiers"]


def test_project_urls_name_home_docs_source_and_issues():
    urls = PYPROJECT["urls"]
    assert sorted(urls) == ["Documentation", "Homepage", "Issues", "Source"]
    assert all(u.startswith("https://") for u in urls.values())
    assert urls["Issues"] == urls["Source"] + "/issues"


def test_classifiers_name_the_supported_pythons():
    floor = PYPROJECT["requires-python"].removeprefix(">=")
    versions = [c.rsplit(" ", 1)[1] for c in PYPROJECT["classifiers"]
                if c.startswith("Programming Language :: Python :: 3.")]
    assert versions[0] == floor
    assert f"3.{sys.version_info.minor}" in versions


def test_tomli_is_required_exactly_where_tomllib_is_missing():
    tomli = [r for r in PYPROJECT["dependencies"] if r.startswith("tomli")]
    assert tomli == ["tomli>=1.1; python_version < '3.11'"]
    assert tomlread.loads('tau = 1.5\nn = 2') == {"tau": 1.5, "n": 2}
    with pytest.raises(ValueError):
        tomlread.loads("tau = ")


def test_a_toml_parameter_file_reads_on_this_python(tmp_path, capsys):
    path = tmp_path / "p.toml"
    path.write_text('sigma = 3.8\nk = 4.6\nb = 0.5\nf = 1\nf_x = 1.5\nf_e = 0.05\n'
                    'delta = 0.1\ntau = 1.5\nn = 1\nL = 100\n')
    assert main(["solve", "melitz", "--params", str(path), "--json"]) == 0
    assert '"phi_star"' in capsys.readouterr().out
