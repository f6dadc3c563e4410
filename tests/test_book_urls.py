"""The course's addresses come from _config.yml alone; the files derived from them agree with it (fast)."""

from __future__ import annotations

import copy
import dataclasses
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest

from autograder import book_urls
from autograder.book_urls import BookUrls
from autograder.chapter_notebooks import sync
from tests.helpers import ROOT

URLS = BookUrls(repository="https://github.com/Some-Org/some-course", branch="dev", binderhub="https://mybinder.org",
                jupyterhub="https://hub.school.test/")


def test_addresses_derive_from_the_repository():
    assert URLS.org_repo == ("Some-Org", "some-course")
    assert URLS.base_url == "https://some-org.github.io/some-course/"
    assert URLS.page_url("chapters/01_overfitting") == "https://some-org.github.io/some-course/chapters/01_overfitting.html"
    assert URLS.pip_requirement == "keras-regularization-course @ git+https://github.com/Some-Org/some-course@dev"
    custom = BookUrls(URLS.repository, "dev", "", "", baseurl_setting="https://course.school.test/book")
    assert custom.base_url == "https://course.school.test/book/"
    with pytest.raises(ValueError):
        _ = BookUrls("https://gitlab.com/a/b", "main", "", "").org_repo


def test_nbgitpuller_link():
    url = URLS.nbgitpuller_url("chapters/01_overfitting.ipynb")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://hub.school.test/hub/user-redirect/git-pull"
    assert parse_qs(parts.query) == {"repo": ["https://github.com/Some-Org/some-course"], "branch": ["dev"],
                                     "urlpath": ["lab/tree/some-course/chapters/01_overfitting.ipynb"]}
    with pytest.raises(ValueError, match="jupyterhub_url"):
        BookUrls(URLS.repository, "main", "", "").nbgitpuller_url("x.ipynb")


def test_configured_addresses():
    urls = book_urls.load()
    assert urls.repository == "https://github.com/regularization-course/keras-regularization"
    assert urls.base_url == "https://regularization-course.github.io/keras-regularization/"
    assert "example" not in urls.jupyterhub  # a hub is an instructor's real address, or nothing


def test_chapter_links_rewritten_both_ways():
    text = ("[a](../../chapters/04_dropout_keras.md) and [b](https://old.example.test/book/chapters/02_x.html) "
            "[c](../../intro.md)")
    absolute = book_urls.absolute_chapter_links(text, URLS)
    assert absolute == ("[a](https://some-org.github.io/some-course/chapters/04_dropout_keras.html) and "
                        "[b](https://some-org.github.io/some-course/chapters/02_x.html) [c](../../intro.md)")
    assert book_urls.book_relative_chapter_links(absolute, URLS) == (
        "[a](../../chapters/04_dropout_keras.md) and [b](../../chapters/02_x.md) [c](../../intro.md)")


def test_exercises_link_to_existing_chapters_of_the_published_book():
    assert book_urls.fix_exercise_links(check=True) == [], "run: python -m autograder.book_urls exercise-links"
    base = book_urls.load().base_url
    found = 0
    for path in book_urls.exercise_sources():
        for cell in nbformat.read(path, as_version=4).cells:
            for target in re.findall(r"\]\(([^)\s]+)\)", cell.source):
                assert not target.startswith("../"), f"{path.name}: relative link {target} breaks on release"
                if target.startswith(base):
                    found += 1
                    page = target[len(base):]
                    assert (ROOT / page).with_suffix(".md").is_file(), f"{path.name}: {target}"
    assert found >= 4


def test_chapters_install_the_course_package_from_the_configured_repository():
    assert book_urls.fix_install_cells(check=True) == [], "run: python -m autograder.book_urls install-cells"
    checked = 0
    for md in sorted((ROOT / "chapters").glob("*.md")):
        text = md.read_text()
        if "```{code-cell}" not in text:
            continue  # a page without code needs nothing installed
        checked += 1
        first_cell = text[text.index("```{code-cell}"):]
        first_cell = first_cell[:first_cell.index("\n```\n")]
        assert f'%pip install --quiet "{book_urls.load().pip_requirement}"' in first_cell, md.name
        assert "except ModuleNotFoundError:" in first_cell, md.name
    assert checked >= 5


def test_chapter_notebooks_are_current_and_have_no_outputs():
    assert sync(check=True) == [], "run `make notebooks` and commit chapters/*.ipynb"
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")


def test_binder_environment_installs_the_pinned_course_package():
    lines = [line.split("#")[0].strip() for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    assert lines == ["-c ../requirements.lock", "-e ."]  # -c is relative to this file, -e . to the repository
    assert (ROOT / "binder" / "../requirements.lock").resolve() == ROOT / "requirements.lock"
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.1[0-2]", runtime)  # within requires-python
    assert 'requires-python = ">=3.10,<3.13"' in (ROOT / "pyproject.toml").read_text()
    # repo2docker reads binder/ in preference to the top level: nothing else there may pick another environment
    others = {"environment.yml", "Pipfile", "setup.py", "install.R", "project.toml", "Project.toml", "default.nix"}
    assert not others & {p.name for p in (ROOT / "binder").iterdir()}


def test_installed_course_package_carries_its_data(tmp_path):
    """What `pip install` from the repository puts in site-packages loads the data sets outside a clone."""
    # (tomllib is Python 3.11+; the course supports 3.10)
    line = re.search(r"^autograder = (\[.*\])$", (ROOT / "pyproject.toml").read_text(), re.MULTILINE)[1]
    config = re.findall(r'"([^"]+)"', line)
    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "autograder", site / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    package = site / "autograder"
    for path in list((package / "datasets").iterdir()):  # keep only what setuptools packs
        if not any(path.relative_to(package).match(pattern) for pattern in config):
            path.unlink()
    assert sorted(p.name for p in (package / "datasets").glob("*.csv")) == ["concrete.csv", "sonar.csv", "wine_red.csv"]
    code = "import autograder.data as d; print(d.DATA_DIR); print(d.load_split('sonar').x_train.shape)"
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    data_dir, shape = out.stdout.split("\n")[:2]
    assert Path(data_dir) == site / "autograder" / "datasets" and shape == "(145, 60)"


def test_the_theme_makes_the_same_launch_links(tmp_path):
    """With a hub configured, the book's JupyterHub button is the nbgitpuller link documented for instructors."""
    from jupyter_book.config import get_final_config
    from sphinx_book_theme.header_buttons.launch import add_launch_buttons

    sphinx_config, _ = get_final_config(user_yaml=ROOT / "_config.yml", sourcedir=ROOT,
                                        cli_config={"latex_individualpages": False})
    theme_options = copy.deepcopy(sphinx_config["html_theme_options"])
    theme_options["launch_buttons"]["jupyterhub_url"] = "https://hub.school.test"
    urls = dataclasses.replace(book_urls.load(), jupyterhub="https://hub.school.test")
    org, repo = urls.org_repo
    page = "chapters/01_overfitting"
    app = SimpleNamespace(config={"html_theme_options": theme_options},
                          env=SimpleNamespace(doc2path=lambda name: str(ROOT / f"{name}.md"),
                                              metadata={page: {"kernelspec": {"name": "python3"}}}))
    context = {"header_buttons": [], "pagename": page, "sourcename": f"{page}.ipynb",
               "github_url": "https://github.com", "github_user": org, "github_repo": repo}
    add_launch_buttons(app, page, "page.html", context, None)
    (group,) = context["header_buttons"]
    links = {button["text"]: button["url"] for button in group["buttons"]}
    assert links == {"Binder": urls.binder_url(f"{page}.ipynb"), "JupyterHub": urls.nbgitpuller_url(f"{page}.ipynb")}
