"""The chapters as .ipynb files, made from their MyST Markdown sources with jupytext.

The book is built from ``chapters/*.md``. Binder and JupyterHub open notebooks, so every chapter
also has a committed ``chapters/NAME.ipynb`` with the same cells and no outputs (the book excludes
these copies). Make them again after editing a chapter:

    python -m autograder.chapter_notebooks            # (re)write chapters/*.ipynb   (make notebooks)
    python -m autograder.chapter_notebooks --check    # exit 1 if a copy is missing or stale
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"


def notebook_text(md_text: str) -> str:
    """The .ipynb copy (as text) of a chapter's MyST Markdown source."""
    nb = jupytext.reads(md_text, fmt="md:myst")
    nb.metadata.pop("jupytext", None)
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # stable ids: the copy changes only when the chapter does
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nbformat.writes(nb) + "\n"


def sync(check: bool = False, chapters: Path = CHAPTERS) -> list[Path]:
    """Write each chapter's .ipynb copy unless it is already current; return the ones that were stale."""
    stale = []
    for md in sorted(chapters.glob("*.md")):
        target = md.with_suffix(".ipynb")
        text = notebook_text(md.read_text())
        if not target.is_file() or target.read_text() != text:
            stale.append(target)
            if not check:
                target.write_text(text)
    for orphan in sorted(set(chapters.glob("*.ipynb")) - {md.with_suffix(".ipynb") for md in chapters.glob("*.md")}):
        stale.append(orphan)
        if not check:
            orphan.unlink()
    return stale


if __name__ == "__main__":
    check = "--check" in sys.argv[1:]
    stale = sync(check=check)
    for path in stale:
        print(f"{'stale' if check else 'wrote'}: {path.relative_to(CHAPTERS.parent)}")
    if check and stale:
        print("run `make notebooks` and commit chapters/*.ipynb", file=sys.stderr)
    sys.exit(1 if check and stale else 0)
