"""Generate the student versions of every exercise with nbgrader, for the book.

nbgrader's own ``generate_assignment`` strips solutions and hidden tests; it runs
in a throw-away copy of the course so the instructor's gradebook and release
folder are never touched by a book build.

    python -m autograder.student_versions            # writes exercises/student/*.ipynb
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nbformat

from autograder.nbgrader_cli import nbgrader

COURSE_DIR = Path(__file__).resolve().parent.parent / "exercises"


def assignments(course_dir: Path = COURSE_DIR) -> list[str]:
    return sorted(p.name for p in (course_dir / "source").iterdir() if p.is_dir())


def generate(course_dir: Path = COURSE_DIR, out_dir: Path | None = None) -> list[Path]:
    """Release every assignment in a temporary course copy; copy the student notebooks to ``out_dir``."""
    out_dir = out_dir or course_dir / "student"
    out_dir.mkdir(parents=True, exist_ok=True)
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
                target = out_dir / nb_path.name
                nbformat.write(nb, target)
                written.append(target)
    return written


if __name__ == "__main__":
    for path in generate():
        print(f"wrote {path.relative_to(COURSE_DIR.parent)}")
