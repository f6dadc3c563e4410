"""Sphinx extension: three fixes to the pages of the book (Jupyter Book 1.x, sphinx-book-theme).

1. Each inline script once per page. Sphinx 7.4 adds the scripts that sphinx-thebe and
   sphinx-togglebutton register after the builder started once as given (file name ``None``) and
   once more with file name ``""``, so its own de-duplication misses them. The second copy of
   sphinx-thebe's ``const THEBE_JS_URL = ...`` is a JavaScript error ("Identifier 'THEBE_JS_URL'
   has already been declared") in the console of every page.
2. No launch buttons on the exercise pages. They show nbgrader's student versions, which are made
   at build time and are not files of the repository, so Binder or JupyterHub could not open them;
   learners get exercises from their instructor, or with the page's download button.
3. A chapter's download button gives the chapter's committed ``.ipynb`` copy (the notebook Binder
   opens, without outputs). The theme would offer MyST-NB's executed notebook, which has outputs
   only when the chapter was executed in this build, not when it came from the execution cache.
"""

from __future__ import annotations

import shutil
from pathlib import Path

NO_LAUNCH_PREFIX = "exercises/student/"


def _key(script) -> tuple:
    return (getattr(script, "filename", None) or "", tuple(sorted(getattr(script, "attributes", {}).items())))


def unique_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def no_launch_buttons_on_exercises(app, pagename, templatename, context, doctree):
    if pagename.startswith(NO_LAUNCH_PREFIX) and "header_buttons" in context:
        context["header_buttons"] = [b for b in context["header_buttons"] if b.get("label") != "launch-buttons"]


def chapter_notebook_download(app, pagename, templatename, context, doctree):
    copy = Path(app.srcdir, pagename + ".ipynb")
    if context.get("ipynb_source") == pagename + ".ipynb" and copy.is_file():
        shutil.copyfile(copy, Path(app.outdir, "_sources", pagename + ".ipynb"))


def setup(app):
    # after sphinx-book-theme's own handlers (priority 500 and 501)
    app.connect("html-page-context", unique_scripts, priority=900)
    app.connect("html-page-context", no_launch_buttons_on_exercises, priority=900)
    app.connect("html-page-context", chapter_notebook_download, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
