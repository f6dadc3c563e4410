"""Generate the student versions of every exercise with nbgrader, for the book.

nbgrader's own ``generate_assignment`` strips solutions and hidden tests; it runs
in a throw-away copy of the course so the instructor's gradebook and release
folder are never touched by a book build.

    python -m autograder.student_versions            # writes exercises/student/*.ipynb
    python -m autograder.student_versions --force    # even if no source changed

nbgrader takes about 15–20 s for the six exercises, so the student versions are made again only when
an input changed: a source notebook, the nbgrader configuration or this generator (their SHA-256 is
kept in ``exercises/student/.inputs.sha256``).
In the book's copies the links to the published chapters become relative links to the chapters
of the same build, so that a local build is self-contained and Sphinx checks them.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder import book_urls
from autograder.book_urls import book_relative_chapter_links, load
from autograder.nbgrader_cli import nbgrader

COURSE_DIR = Path(__file__).resolve().parent.parent / "exercises"


def assignments(course_dir: Path = COURSE_DIR) -> list[str]:
    return sorted(p.name for p in (course_dir / "source").iterdir() if p.is_dir())


STAMP = ".inputs.sha256"


def inputs_digest(course_dir: Path = COURSE_DIR) -> str:
    """SHA-256 over everything the student versions are made from."""
    h = hashlib.sha256()
    generators = [Path(__file__), Path(book_urls.__file__)]  # this module and the link rewriting
    files = sorted((course_dir / "source").glob("*/*")) + [course_dir / "nbgrader_config.py", *generators]
    for path in files:
        if path.is_file():
            h.update(str(path.relative_to(course_dir.parent)).encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(load().base_url.encode())
    return h.hexdigest()


def up_to_date(course_dir: Path = COURSE_DIR, out_dir: Path | None = None) -> bool:
    out_dir = out_dir or course_dir / "student"
    stamp = out_dir / STAMP
    expected = {f"{name}.ipynb" for name in assignments(course_dir)}
    present = {p.name for p in out_dir.glob("*.ipynb")}
    return stamp.is_file() and stamp.read_text().strip() == inputs_digest(course_dir) and expected <= present


def generate(course_dir: Path = COURSE_DIR, out_dir: Path | None = None, force: bool = False) -> list[Path]:
    """Release every assignment in a temporary course copy; copy the student notebooks to ``out_dir``.

    Does nothing (and returns ``[]``) when the inputs are unchanged since the last run, unless ``force``.
    """
    out_dir = out_dir or course_dir / "student"
    if not force and up_to_date(course_dir, out_dir):
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / STAMP).unlink(missing_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="course-") as tmp:
        tmp_course = Path(tmp)
        shutil.copytree(course_dir / "source", tmp_course / "source")
        shutil.copy(course_dir / "nbgrader_config.py", tmp_course / "nbgrader_config.py")
        for name in assignments(course_dir):
            nbgrader("generate_assignment", name, "--force", "--create", "--log-level=WARN", course_dir=tmp_course)
            for nb_path in sorted((tmp_course / "release" / name).glob("*.ipynb")):
                nb = nbformat.read(nb_path, as_version=4)
                # The book shows these pages without running them (they hold `raise NotImplementedError`).
                nb.metadata["mystnb"] = {"execution_mode": "off"}
                for cell in nb.cells:
                    if cell.cell_type == "markdown":
                        cell.source = book_relative_chapter_links(cell.source)
                target = out_dir / nb_path.name
                nbformat.write(nb, target)
                written.append(target)
    (out_dir / STAMP).write_text(inputs_digest(course_dir) + "\n")
    return written


if __name__ == "__main__":
    paths = generate(force="--force" in sys.argv[1:])
    for path in paths:
        print(f"wrote {path.relative_to(COURSE_DIR.parent)}")
    if not paths:
        print("student versions are up to date (nothing changed in exercises/source or the nbgrader config)")
