"""The built book as a learner sees it: every page in a real headless Chromium, with no network.

The book is served over http from 127.0.0.1 (MathJax and the search need http, not file://), and
Chromium resolves no other host, so a page that needs the internet shows a failed request here.
Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/system-packages`` installs them).
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import os
import re
import shutil
import threading
import urllib.request
from pathlib import Path

import nbformat
import pytest

from autograder.student_versions import assignments
from tests.helpers import ROOT, SOURCE

pytestmark = pytest.mark.slow
CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("*.md"))
INSTALL = "apt-get install chromium chromium-driver   (Debian/Ubuntu; or run: bash .ci/system-packages)"


def system_program(env_var: str, *names: str) -> str:
    """A program of the system's Chromium: fail (never skip) with how to install it when it is missing."""
    candidates = [os.environ[env_var]] if os.environ.get(env_var) else [shutil.which(name) for name in names]
    for found in candidates:
        if found and os.access(found, os.X_OK):
            return found
    pytest.fail(f"{names[0]} not found (set {env_var} or install it: {INSTALL})", pytrace=False)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="session")
def site(book):
    """The built book served by a local http server; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(book.html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = system_program("CHROMIUM", "chromium", "chromium-browser")
    driver_path = system_program("CHROMEDRIVER", "chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1600",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
                 # Offline: every host but this machine's http server fails to resolve.
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not try to download a driver
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    # Chromium's own start-up tab asks for a third-party new-tab page, which fails here (no network):
    # let it finish before the first book page, so only the book's requests are judged.
    driver.get("about:blank")
    problems(driver)
    yield driver
    driver.quit()


def problems(driver) -> list[str]:
    """Console errors and failed requests since the last call (the logs are drained by reading them)."""
    found = [f"console: {e['message']}" for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    urls = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFailed" and not params.get("canceled"):
            url = urls.get(params["requestId"], "?")
            found.append(f"request failed: {params.get('errorText')} ({params.get('type')}) {url}")
        elif message["method"] == "Network.responseReceived" and params["response"]["status"] >= 400:
            found.append(f"HTTP {params['response']['status']}: {params['response']['url']}")
    return found


WAIT_FOR_MATHJAX = """
const done = arguments[arguments.length - 1];
if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) { done("no MathJax"); return; }
MathJax.startup.promise.then(() => done("ok"), (e) => done("MathJax failed: " + e));
"""

PAGE_STATE = """
return {
  text: document.body.innerText,
  math: document.querySelectorAll('.math').length,
  typeset: document.querySelectorAll('mjx-container').length,
  mathjaxErrors: document.querySelectorAll('mjx-merror').length,
  images: [...document.querySelectorAll('main img, article img')].map(i => ({
      src: i.currentSrc || i.src, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight})),
};
"""


def visit(driver, url: str) -> dict:
    driver.get(url)
    mathjax = driver.execute_async_script(WAIT_FOR_MATHJAX)
    state = driver.execute_script(PAGE_STATE)
    state["mathjax"] = mathjax
    state["problems"] = problems(driver)
    return state


def book_pages(html_dir: Path) -> list[str]:
    return sorted(str(p.relative_to(html_dir)) for p in html_dir.rglob("*.html") if "_static" not in p.parts
                  and "_sources" not in p.parts)


def test_every_page_loads_offline_with_figures_and_typeset_math(browser, book, site):
    pages = book_pages(book.html)
    assert {f"chapters/{c}.html" for c in CHAPTERS} | {"index.html", "search.html"} <= set(pages)
    failures = {}
    math_pages = figures = 0
    for page in pages:
        state = visit(browser, site + page)
        errors = list(state["problems"])
        errors += [f"image not loaded: {i['src']}" for i in state["images"] if not i["complete"] or i["width"] == 0]
        if state["math"]:
            math_pages += 1
            if state["mathjax"] != "ok":
                errors.append(state["mathjax"])
            if state["typeset"] < state["math"] or state["mathjaxErrors"]:
                errors.append(f"{state['math']} formulas, {state['typeset']} typeset, {state['mathjaxErrors']} errors")
            raw = [m.group(0) for m in re.finditer(r"\\\(|\\\[|\$\$", state["text"])]
            if raw:
                errors.append(f"raw TeX left in the text: {raw[:3]}")
        if page.startswith("chapters/"):
            figures += sum(i["src"].endswith(".png") for i in state["images"])
        if errors:
            failures[page] = errors
    assert not failures, json.dumps(failures, indent=1)
    assert math_pages >= 4  # chapters 2 to 5 are full of formulas
    assert figures >= 10  # every figure counted here has loaded (test_book checks each chapter has some)


def test_search_finds_dropout_in_the_chapters(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(site + "search.html?q=dropout")
    WebDriverWait(browser, 30).until(
        lambda d: "Search finished" in d.find_element(By.ID, "search-results").text
        or "found" in d.find_element(By.ID, "search-results").text.lower())
    links = browser.execute_script(
        "return [...document.querySelectorAll('#search-results ul.search li a')].map(a => a.getAttribute('href'))")
    assert problems(browser) == []
    hits = {link.split("?")[0].split("#")[0] for link in links}
    assert {"chapters/03_dropout_theory.html", "chapters/04_dropout_keras.html"} <= hits, links


def test_download_button_offers_the_chapter_notebook(browser, site):
    from selenium.webdriver.common.by import By

    browser.get(site + "chapters/02_weight_regularization.html")
    buttons = browser.find_elements(By.CSS_SELECTOR, "a.btn-download-notebook-button")
    assert [b.get_attribute("textContent").strip() for b in buttons] == [".ipynb"]
    notebook = buttons[0].get_attribute("href")
    assert notebook == site + "_sources/chapters/02_weight_regularization.ipynb"
    with urllib.request.urlopen(notebook) as response:  # what the button downloads
        nb = nbformat.reads(response.read().decode(), as_version=4)
    nbformat.validate(nb)
    # the chapter's own cells, beginning with the one that installs the course package when it is missing
    chapter = nbformat.read(ROOT / "chapters" / "02_weight_regularization.ipynb", as_version=4)
    assert [c.source for c in nb.cells] == [c.source for c in chapter.cells]
    assert "%pip install" in next(c.source for c in nb.cells if c.cell_type == "code")
    assert problems(browser) == []


def solution_lines(name: str) -> list[str]:
    """Lines that only the reference solutions and hidden tests of an exercise's source notebook contain."""
    nb = nbformat.read(SOURCE / name / f"{name}.ipynb", as_version=4)
    hidden, shown = [], []
    for cell in nb.cells:
        text = cell.source
        if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution"):
            # the whole answer cell is replaced, or the part after BEGIN SOLUTION
            parts = text.split("BEGIN SOLUTION", 1)
            shown.append(parts[0] if len(parts) == 2 else "")
            hidden.append(parts[-1])
            continue
        hidden += re.findall(r"### BEGIN (?:SOLUTION|HIDDEN TESTS)\n(.*?)### END", text, re.S)
        shown.append(re.sub(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n.*?### END (SOLUTION|HIDDEN TESTS)", "", text,
                            flags=re.S))
    shown_lines = {line.strip() for block in shown for line in block.splitlines()}
    return [line.strip() for block in hidden for line in block.splitlines()
            if len(line.strip()) > 12 and line.strip() not in shown_lines and "END SOLUTION" not in line]


def test_exercise_pages_show_no_solution(browser, site):
    for name in assignments():
        state = visit(browser, f"{site}exercises/student/{name}.html")
        text = html.unescape(state["text"])
        assert state["problems"] == []
        assert "YOUR CODE HERE" in text or "YOUR ANSWER HERE" in text, name
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text, name
        leaked = [line for line in solution_lines(name) if line in text]
        assert leaked == [], f"{name} shows solution lines: {leaked[:5]}"
