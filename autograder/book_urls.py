"""The course's addresses, read from the one place they are configured: the book's ``_config.yml``.

``repository.url`` and ``repository.branch`` name the course repository; ``launch_buttons`` name the
Binder and JupyterHub services. Everything else derives from them here: the published book's base
URL (GitHub Pages of the repository unless ``html.baseurl`` is set), the exercises' links to the
chapters, the chapters' install cell, and the nbgitpuller link an instructor gives out.

    python -m autograder.book_urls                      # print the configured and derived addresses
    python -m autograder.book_urls hub-link PATH        # nbgitpuller link for PATH on the JupyterHub
    python -m autograder.book_urls exercise-links [--check]   # (re)write the exercises' chapter links
    python -m autograder.book_urls install-cells [--check]    # (re)write the chapters' install line
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "_config.yml"
DISTRIBUTION = "keras-regularization-course"
"""The course package's name on pip (pyproject.toml)."""


@dataclass(frozen=True)
class BookUrls:
    repository: str
    """https://github.com/ORG/REPO"""
    branch: str
    binderhub: str
    """"" when no Binder button is wanted."""
    jupyterhub: str
    """"" when the instructor has not configured a hub (then the book shows no JupyterHub button)."""
    baseurl_setting: str = ""

    @property
    def org_repo(self) -> tuple[str, str]:
        m = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", self.repository)
        if not m:
            raise ValueError(f"repository.url must be a GitHub repository URL, not {self.repository!r}")
        return m.group(1), m.group(2)

    @property
    def base_url(self) -> str:
        """The published book, ending in ``/``: ``html.baseurl`` if set, else the repository's GitHub Pages."""
        if self.baseurl_setting:
            return self.baseurl_setting.rstrip("/") + "/"
        org, repo = self.org_repo
        return f"https://{org.lower()}.github.io/{repo}/"

    def page_url(self, docname: str) -> str:
        """The published page of a document, e.g. ``chapters/02_weight_regularization``."""
        return f"{self.base_url}{docname}.html"

    @property
    def pip_requirement(self) -> str:
        """What ``pip install`` needs to install the course package straight from its repository."""
        return f"{DISTRIBUTION} @ git+{self.repository}@{self.branch}"

    def binder_url(self, path: str) -> str:
        org, repo = self.org_repo
        return f"{self.binderhub.rstrip('/')}/v2/gh/{org}/{repo}/{self.branch}?urlpath=lab/tree/{path}"

    def nbgitpuller_url(self, path: str) -> str:
        """The JupyterHub link that clones (or updates) the repository for the user and opens ``path``."""
        if not self.jupyterhub:
            raise ValueError("launch_buttons.jupyterhub_url is not set in _config.yml")
        _, repo = self.org_repo
        query = urlencode({"repo": self.repository, "urlpath": f"lab/tree/{repo}/{path}", "branch": self.branch},
                          safe="/")
        return f"{self.jupyterhub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


@cache
def load(config: Path = CONFIG) -> BookUrls:
    cfg = yaml.safe_load(config.read_text())
    launch = cfg.get("launch_buttons") or {}
    return BookUrls(
        repository=cfg["repository"]["url"].rstrip("/"),
        branch=cfg["repository"].get("branch") or "main",
        binderhub=launch.get("binderhub_url") or "",
        jupyterhub=launch.get("jupyterhub_url") or "",
        baseurl_setting=(cfg.get("html") or {}).get("baseurl") or "",
    )


# --- the exercises' links to the chapters ---------------------------------------------------------

CHAPTER_LINK = re.compile(r"\]\((?P<target>(?:\.\./)+chapters/|https?://[^)\s]*?/chapters/)(?P<name>\w+)\.(?:md|html)\)")
"""A Markdown link to a chapter: relative (``../../chapters/x.md``) or absolute (``https://…/chapters/x.html``)."""


def absolute_chapter_links(text: str, urls: BookUrls | None = None) -> str:
    """Links to chapters pointed at the published book, so they survive nbgrader's release."""
    urls = urls or load()
    return CHAPTER_LINK.sub(lambda m: f"]({urls.page_url('chapters/' + m['name'])})", text)


def book_relative_chapter_links(text: str, urls: BookUrls | None = None) -> str:
    """The published book's chapter links made relative again, for the exercise pages inside the book."""
    urls = urls or load()
    pattern = re.compile(r"\]\(" + re.escape(urls.base_url) + r"chapters/(\w+)\.html\)")
    return pattern.sub(lambda m: f"](../../chapters/{m[1]}.md)", text)


def exercise_sources(root: Path = ROOT) -> list[Path]:
    return sorted((root / "exercises" / "source").glob("*/*.ipynb"))


def fix_exercise_links(check: bool = False) -> list[Path]:
    """Rewrite the chapter links of every exercise source notebook; return the notebooks that needed it."""
    import nbformat

    stale = []
    for path in exercise_sources():
        nb = nbformat.read(path, as_version=4)
        changed = False
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                new = absolute_chapter_links(cell.source)
                if new != cell.source:
                    cell.source, changed = new, True
        if changed:
            stale.append(path)
            if not check:
                nbformat.write(nb, path)
    return stale


# --- the chapters' install line -----------------------------------------------------------------

INSTALL_LINE = re.compile(r'^(?P<indent>\s*)%pip install --quiet "[^"\n]*"$', re.MULTILINE)


def fix_install_cells(check: bool = False) -> list[Path]:
    """Point every chapter's ``%pip install`` line at the configured repository; return the stale chapters."""
    urls = load()
    stale = []
    for path in sorted((ROOT / "chapters").glob("*.md")):
        text = path.read_text()
        new = INSTALL_LINE.sub(lambda m: f'{m["indent"]}%pip install --quiet "{urls.pip_requirement}"', text)
        if new != text:
            stale.append(path)
            if not check:
                path.write_text(new)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.book_urls", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    hub = sub.add_parser("hub-link", help="the nbgitpuller link that opens PATH on the configured JupyterHub")
    hub.add_argument("path", help="a file in the repository, e.g. chapters/01_overfitting.ipynb")
    for name in ("exercise-links", "install-cells"):
        p = sub.add_parser(name)
        p.add_argument("--check", action="store_true", help="only report what would change (exit 1 if anything)")
    args = parser.parse_args(argv)
    urls = load()
    if args.command == "hub-link":
        if not (ROOT / args.path).exists():
            parser.error(f"{args.path} is not a file of the repository")
        print(urls.nbgitpuller_url(args.path))
        return 0
    if args.command in ("exercise-links", "install-cells"):
        fix = fix_exercise_links if args.command == "exercise-links" else fix_install_cells
        stale = fix(check=args.check)
        for path in stale:
            print(f"{'stale' if args.check else 'rewrote'}: {path.relative_to(ROOT)}")
        return 1 if (args.check and stale) else 0
    print(f"repository   {urls.repository} (branch {urls.branch})")
    print(f"book         {urls.base_url}")
    print(f"binder       {urls.binderhub or '(none)'}")
    print(f"jupyterhub   {urls.jupyterhub or '(not configured)'}")
    print(f"pip install  \"{urls.pip_requirement}\"")
    return 0


if __name__ == "__main__":
    sys.exit(main())
