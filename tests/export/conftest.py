"""Fixtures of the export tests: the real toolchains (pdflatex, gcc, gfortran, ...)."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture
def tool():
    """``tool(name)``: the path of a system tool; a missing tool skips the test, except
    in CI (CI=true), where it fails: .ci/run installs every tool the tests need."""

    def find(name: str) -> str:
        path = shutil.which(name)
        if path is None:
            if os.environ.get("CI") == "true":
                pytest.fail(f"{name} is required in CI (.ci/run installs it)")
            pytest.skip(f"{name} not installed")
        return path

    return find
