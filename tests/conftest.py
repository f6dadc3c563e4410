"""Fixtures shared by the book tests: the book is built once per test session."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.nbgrader_cli import env_with_venv_bin
from autograder.student_versions import generate
from tests.helpers import ROOT


@dataclass
class Book:
    html: Path
    first: subprocess.CompletedProcess
    second: subprocess.CompletedProcess


def build_book(out: Path) -> subprocess.CompletedProcess:
    jb = Path(sys.executable).parent / "jupyter-book"
    return subprocess.run(
        [str(jb), "build", str(ROOT), "--path-output", str(out), "--warningiserror", "--nitpick", "--keep-going"],
        capture_output=True, text=True, env=env_with_venv_bin(), stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="session")
def book(tmp_path_factory) -> Book:
    """The book built from scratch into a temporary folder, then built again with nothing changed."""
    generate()  # the Exercises part shows nbgrader's student versions (made again only if a source changed)
    out = tmp_path_factory.mktemp("book")
    first = build_book(out)
    assert first.returncode == 0, first.stdout[-5000:] + first.stderr[-5000:]
    second = build_book(out)
    return Book(out / "_build" / "html", first, second)
