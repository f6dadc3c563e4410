"""The book builds offline with no Sphinx warning, every chapter executes and shows its figures."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from autograder.nbgrader_cli import env_with_venv_bin
from autograder.student_versions import assignments, generate
from tests.helpers import ROOT

pytestmark = pytest.mark.slow
CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("*.md"))


def toc_files() -> set[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = {toc["root"]}
    for part in toc["parts"]:
        for chapter in part["chapters"]:
            files.add(chapter["file"])
            files.update(s["file"] for s in chapter.get("sections", []))
    return files


def test_every_chapter_and_exercise_is_in_the_toc():
    files = toc_files()
    assert {f"chapters/{c}" for c in CHAPTERS} <= files
    assert {f"exercises/student/{a}" for a in assignments()} <= files
    assert len(CHAPTERS) == 5


def build(out: Path) -> subprocess.CompletedProcess:
    jb = Path(sys.executable).parent / "jupyter-book"
    return subprocess.run(
        [str(jb), "build", str(ROOT), "--path-output", str(out), "--warningiserror", "--nitpick", "--keep-going"],
        capture_output=True, text=True, env=env_with_venv_bin(), stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    generate()  # the Exercises part shows nbgrader's student versions
    out = tmp_path_factory.mktemp("book")
    first = build(out)
    assert first.returncode == 0, first.stdout[-5000:] + first.stderr[-5000:]
    second = build(out)
    return out / "_build" / "html", first, second


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_executed_with_figures_and_no_errors(book, chapter):
    html = (book[0] / "chapters" / f"{chapter}.html").read_text()
    figures = re.findall(r'<img[^>]+src="[^"]+\.png"', html)
    assert len(figures) >= 2, f"{chapter} shows {len(figures)} figures"
    assert "Traceback" not in html and "output stderr" not in html
    assert "{glue" not in html  # every glued number was found
    assert "Check your understanding" in html
    assert "dropdown" in html  # answers behind toggles


def page_text(path: Path) -> str:
    """The visible text of a page: code is split into highlighting spans in the HTML."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def test_exercise_pages_show_the_student_version(book):
    for name in assignments():
        text = page_text(book[0] / "exercises" / "student" / f"{name}.html")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    ex1 = page_text(book[0] / "exercises" / "student" / "ex1_add_dropout.html")
    assert "YOUR CODE HERE" in ex1 and "raise NotImplementedError" in ex1
    assert "layers.Dropout(0.5)," not in ex1  # the reference solution is stripped


def test_bibliography_math_and_launch_buttons(book):
    refs = (book[0] / "references.html").read_text()
    assert "Srivastava" in refs and "Ioffe" in refs and "Gorman" in refs
    ch3 = (book[0] / "chapters" / "03_dropout_theory.html").read_text()
    assert "math notranslate" in ch3  # MathJax blocks
    assert "colab.research.google.com" in ch3 and "mybinder.org" in ch3
    assert "download" in ch3.lower()


def test_rebuild_with_nothing_changed_executes_nothing(book):
    _, first, second = book
    assert second.returncode == 0
    executed = re.findall(r"(\S+): Executing notebook", second.stdout + second.stderr)
    assert executed == [], executed
    first_run = re.findall(r"(\S+): Executing notebook", first.stdout + first.stderr)
    assert len(first_run) == len(CHAPTERS)
