"""The widget panel in a real JupyterLab: a server on a free localhost port, a notebook that
builds `StylizePanel` with tiny settings, opened in headless Chromium, its Run button pressed."""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from helpers import smooth_image
from styletransfer.images import save_image

pytestmark = pytest.mark.slow

NOTEBOOK = """\
from styletransfer.features import FeatureExtractor
from styletransfer.optimize import CONTENT_LAYERS, STYLE_LAYERS
from styletransfer.widgets import StylizePanel

extractor = FeatureExtractor([*CONTENT_LAYERS, *STYLE_LAYERS], weights=None)
StylizePanel("contents", "styles", size=64, steps=10, preview_every=2, extractor=extractor)"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server in `tmp_path`, holding panel.ipynb and a 64 x 40 photo; yields the
    notebook's address and shuts the server down after the test."""
    save_image(tmp_path / "contents" / "wide.png", smooth_image(1, 40, 64))
    save_image(tmp_path / "styles" / "style.png", smooth_image(2, 64, 64))
    cell = {"cell_type": "code", "execution_count": None, "id": "panel", "metadata": {}, "outputs": [],
            "source": NOTEBOOK}
    notebook = {"cells": [cell], "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "panel.ipynb").write_text(json.dumps(notebook))
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / ".runtime"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser", "--allow-root",
         "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={tmp_path}", f"--LabApp.workspaces_dir={tmp_path / '.workspaces'}",
         "--expose-app-in-browser"], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "lab.log").read_text()[-2000:]
                time.sleep(0.5)
        yield f"{base}/lab/tree/panel.ipynb?token={token}"
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def test_panel_runs_in_jupyterlab_with_a_live_preview_that_keeps_its_aspect(lab, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(lab)
    WebDriverWait(browser, 120).until(lambda d: d.execute_script(
        "const w = window.jupyterapp && jupyterapp.shell.currentWidget;"
        "return !!(w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel)"))
    error = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const w = jupyterapp.shell.currentWidget;"
        "w.sessionContext.ready.then(() => jupyterapp.commands.execute('notebook:run-all-cells'))"
        ".then(() => done(null), e => done(String(e)));")
    assert error is None
    run = WebDriverWait(browser, 180).until(
        lambda d: d.find_elements(By.XPATH, "//button[contains(@class, 'jupyter-button') and contains(., 'Run')]"))[0]
    preview = browser.find_element(By.CSS_SELECTOR, "img.widget-image")
    browser.execute_script(
        "window.previews = []; new MutationObserver(() => previews.push(arguments[0].src))"
        ".observe(arguments[0], {attributes: true, attributeFilter: ['src']});", preview)
    run.click()
    WebDriverWait(browser, 180).until(lambda d: "done in" in d.find_element(
        By.XPATH, "//div[contains(@class, 'widget-label') and contains(., 'step')]").text)

    assert len(set(browser.execute_script("return window.previews"))) >= 3  # the photo, then every 2 steps
    natural = browser.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", preview)
    shown = browser.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.width, r.height]",
                                   preview)
    assert natural == [64, 40]
    assert abs(shown[0] / shown[1] - 64 / 40) < 0.02 and shown[0] == pytest.approx(64, abs=1), shown
    bar = browser.find_element(By.CSS_SELECTOR, ".widget-hprogress .progress-bar")
    track = browser.find_element(By.CSS_SELECTOR, ".widget-hprogress .progress")
    assert bar.size["width"] == pytest.approx(track.size["width"], abs=1)  # the progress reached the end
    browser.save_screenshot(str(tmp_path / "panel.png"))
