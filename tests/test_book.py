"""The rendered book, built as the README says (`jupyter-book build notebooks`) but in fast
mode, then its landing page and one chapter opened in headless Chromium."""

import functools
import http.server
import os
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from helpers import REPO

pytestmark = [pytest.mark.slow, pytest.mark.network]

CHAPTER = "05_style_and_similarity"  # figures, tables and display maths


@pytest.fixture(scope="module")
def book(request, tmp_path_factory, imagenet):
    """The HTML folder of a fresh fast-mode build; warnings (a broken cross-reference, a
    missing image, a cell that raised) fail it. Chapters that nbval ran in full earlier in
    this session (`notebooks/conftest.py`) are put in the build's execution cache with their
    outputs, as the build would have cached them; the build runs the others."""
    out = tmp_path_factory.mktemp("book")
    executions = request.config.pluginmanager.get_plugin("chapter_executions")
    executed = executions.executed() if executions and os.environ.get("STYLETRANSFER_FAST") == "1" else {}
    if executed:
        from jupyter_cache import get_cache

        cache, copies = get_cache(out / "_build" / ".jupyter_cache"), tmp_path_factory.mktemp("executed")
        for path, nb in executed.items():
            nbformat.write(nb, copies / path.name)
            cache.cache_notebook_file(copies / path.name, check_validity=False)
    print(f"the book reuses nbval's runs of {len(executed)} chapters")
    command = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(REPO / "notebooks"),
               "--path-output", str(out), "--warningiserror", "--keep-going"]
    run = subprocess.run(command, env={**os.environ, "STYLETRANSFER_FAST": "1"}, capture_output=True, text=True)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    return out / "_build" / "html"


@pytest.fixture
def served(book):
    """The book served on a free localhost port, as a browser sees it."""
    handler = functools.partial(_QuietHandler, directory=str(book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(value for name, value in attrs if name in ("id", "name") and value)


@functools.cache
def _ids(path):
    parser = _Ids()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return parser.ids


def test_every_chapter_the_references_and_the_course_outline_are_pages(book):
    toc = (REPO / "notebooks" / "_toc.yml").read_text()
    chapters = sorted(p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert all(f"file: {name}" in toc for name in chapters)
    for name in chapters + ["index", "references", "course"]:
        page = (book / f"{name}.html").read_text(encoding="utf-8")
        assert "Traceback" not in page, name
    assert "Gatys" in (book / "references.html").read_text(encoding="utf-8")
    assert "Learning objectives" in (book / "course.html").read_text(encoding="utf-8")


def _wait_for_page(browser):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 60).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && [...document.images].every(i => i.complete)"))
    browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "(window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.resolve()).then(() => done())")


@pytest.mark.parametrize("page", ["index", CHAPTER])
def test_pages_show_every_image_keep_their_links_and_typeset_the_maths(book, served, browser, page, tmp_path):
    browser.get(served + f"{page}.html")
    _wait_for_page(browser)
    images = browser.execute_script("return [...document.images].map(i => [i.src, i.naturalWidth])")
    assert len(images) >= 4 and [src for src, width in images if width == 0] == []

    fetched = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert [url for url in fetched if not url.startswith(served)] == []  # nothing from the internet

    text = browser.execute_script("return document.body.innerText")
    assert "$$" not in text and "\\(" not in text and "\\[" not in text  # every formula typeset
    if page == CHAPTER:
        assert browser.execute_script("return document.querySelectorAll('mjx-container').length") >= 2
        browser.save_screenshot(str(tmp_path / f"{page}.png"))
        assert (tmp_path / f"{page}.png").stat().st_size > 10_000

    links = browser.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.href)")
    inside = [urlsplit(url) for url in links if url.startswith(served)]
    assert len(inside) >= 10
    for url in inside:
        target = book / unquote(url.path).lstrip("/")
        target = target / "index.html" if target.is_dir() else target
        assert target.is_file(), f"broken link {url.geturl()} on {page}"
        if url.fragment and target.suffix == ".html":
            assert unquote(url.fragment) in _ids(target), f"broken anchor {url.geturl()} on {page}"
