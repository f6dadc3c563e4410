"""The book builds offline with no Sphinx warning, every chapter executes and shows its figures."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest
import yaml

from autograder import book_urls
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
    assert len(CHAPTERS) == 6


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_executed_with_figures_and_no_errors(book, chapter):
    html = (book.html / "chapters" / f"{chapter}.html").read_text()
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
        text = page_text(book.html / "exercises" / "student" / f"{name}.html")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    ex1 = page_text(book.html / "exercises" / "student" / "ex1_add_dropout.html")
    assert "YOUR CODE HERE" in ex1 and "raise NotImplementedError" in ex1
    assert "layers.Dropout(0.5)," not in ex1  # the reference solution is stripped


def test_bibliography_and_math_served_by_the_book(book):
    refs = (book.html / "references.html").read_text()
    assert "Srivastava" in refs and "Ioffe" in refs and "Gorman" in refs
    ch3 = (book.html / "chapters" / "03_dropout_theory.html").read_text()
    assert "math notranslate" in ch3  # MathJax blocks
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', ch3)
    mathjax = [s for s in scripts if "mathjax" in s.lower()]
    assert mathjax == ["../_static/mathjax/tex-chtml.js"], mathjax  # served by the book, not a CDN
    assert (book.html / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert list((book.html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    external = [s for s in scripts if s.startswith(("http:", "https:", "//"))]
    assert external == [], external


LAUNCH_LINK = re.compile(r'<a href="(?P<url>[^"]+)"[^>]*?title="Launch on (?P<service>[^"]+)"', re.S)


def launch_links(page: Path) -> list[tuple[str, str]]:
    return [(m["service"].lower(), html.unescape(m["url"])) for m in LAUNCH_LINK.finditer(page.read_text())]


def repository_file(service: str, url: str) -> str:
    """The repository path a launch link opens (after checking the link names the configured repository)."""
    urls = book_urls.load()
    org, repo = urls.org_repo
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if service == "binder":
        assert url.startswith(f"{urls.binderhub}/v2/gh/{org}/{repo}/{urls.branch}?"), url
        prefix = "lab/tree/"
        (urlpath,) = query["urlpath"]
    elif service == "jupyterhub":
        assert url.startswith(f"{urls.jupyterhub}/hub/user-redirect/git-pull?"), url
        assert query["repo"] == [urls.repository] and query["branch"] == [urls.branch], url
        prefix = f"lab/tree/{repo}/"
        (urlpath,) = query["urlpath"]
    elif service == "colab":
        prefix = f"/github/{org}/{repo}/blob/{urls.branch}/"
        urlpath = parts.path
    else:
        raise AssertionError(f"a {service} launch link that no test checks: {url}")
    assert urlpath.startswith(prefix), url
    return urlpath[len(prefix):]


def tracked_files() -> set[str]:
    """The files of the repository (what Binder, JupyterHub and Colab get), not generated ones."""
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return set(out.splitlines())


def test_every_launch_link_opens_a_notebook_of_the_repository(book):
    pages = sorted(book.html.rglob("*.html"))
    tracked = tracked_files()
    checked = {}
    for page in pages:
        for service, url in launch_links(page):
            path = repository_file(service, url)
            # Binder, JupyterHub and Colab all open .ipynb notebooks (not MyST Markdown).
            assert path.endswith(".ipynb") and path in tracked, f"{page.relative_to(book.html)}: {url}"
            nbformat.validate(nbformat.read(ROOT / path, as_version=4))
            checked.setdefault(service, []).append(path)
    # Every chapter has a Binder button, and a JupyterHub button exactly when a hub is configured.
    assert sorted(checked["binder"]) == sorted(f"chapters/{c}.ipynb" for c in CHAPTERS)
    if book_urls.load().jupyterhub:
        assert sorted(checked["jupyterhub"]) == sorted(checked["binder"])
    else:
        assert "jupyterhub" not in checked
    assert "colab" not in checked  # dropped on purpose (see _config.yml)


def test_chapter_download_offers_the_chapter_notebook(book):
    with_code = 0
    for chapter in CHAPTERS:
        page = (book.html / "chapters" / f"{chapter}.html").read_text()
        assert f'href="../_sources/chapters/{chapter}.ipynb"' in page
        download = book.html / "_sources" / "chapters" / f"{chapter}.ipynb"
        # the notebook Binder opens: the same on every build, cached or not
        assert download.read_bytes() == (ROOT / "chapters" / f"{chapter}.ipynb").read_bytes()
        nb = nbformat.read(download, as_version=4)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        if code:  # runs outside a clone: the first cell installs the course package when it is missing
            assert f'%pip install --quiet "{book_urls.load().pip_requirement}"' in code[0]
            with_code += 1
    assert with_code >= 5


def test_exercise_pages_offer_a_download_and_no_launch(book):
    for name in assignments():
        page = book.html / "exercises" / "student" / f"{name}.html"
        assert launch_links(page) == [] and "launch-buttons" not in page.read_text()
        assert f'href="../../_sources/exercises/student/{name}.ipynb"' in page.read_text()


def test_exercise_pages_link_to_the_chapters_of_the_same_book(book):
    page = (book.html / "exercises" / "student" / "ex1_add_dropout.html").read_text()
    assert 'href="../../chapters/04_dropout_keras.html"' in page
    assert book_urls.load().base_url not in page


def test_student_versions_are_not_made_again_when_nothing_changed(book):
    assert generate() == []


def test_rebuild_with_nothing_changed_executes_nothing(book):
    first, second = book.first, book.second
    assert second.returncode == 0
    executed = re.findall(r"(\S+): Executing notebook", second.stdout + second.stderr)
    assert executed == [], executed
    first_run = re.findall(r"(\S+): Executing notebook", first.stdout + first.stderr)
    assert len(first_run) == len(CHAPTERS)
    # How long that takes is measured by benchmarks/book.py (target: `make book` in at most 15 s).
