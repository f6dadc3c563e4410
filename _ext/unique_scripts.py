"""Sphinx extension: include each inline script of a page once.

With Jupyter Book 1.x (Sphinx 7.4), the inline configuration scripts of sphinx-thebe and
sphinx-togglebutton end up twice in every page: Sphinx adds the scripts registered after its
builder started once as given (file name ``None``) and once more with file name ``""``, so its
own de-duplication misses them. The second copy of sphinx-thebe's
``const THEBE_JS_URL = ...`` is a JavaScript error ("Identifier 'THEBE_JS_URL' has already been
declared") in the console of every page. This drops exact repeats of a script before the page is
written (scripts loaded from a file are already de-duplicated by Sphinx).
"""

from __future__ import annotations


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


def setup(app):
    app.connect("html-page-context", unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
