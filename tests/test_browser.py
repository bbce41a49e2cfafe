"""End to end: a student's path through JupyterLab, in a real (headless) Chromium.

JupyterLab runs on loopback over a temporary copy of the course, and Playwright drives
Debian's Chromium (``/usr/bin/chromium``; Playwright's own browser download is never
used). Screenshots of each scenario's end state go to ``test-artifacts/`` (git-ignored).

Without Chromium or Playwright the tests are skipped with a one-line reason, except
when ``COURSE_REQUIRE_BROWSER=1`` (CI sets it): then a skip would hide a broken set-up,
so the test fails instead.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Playwright client is not installed (pip install -e '.[browser]')"
    return None


@pytest.fixture(scope="module")
def browser_ready():
    reason = _missing_reason()
    if reason:
        if os.environ.get("COURSE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"COURSE_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)


def _clear_outputs(path: Path) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(browser_ready, tmp_path_factory):
    """A JupyterLab server on loopback over a copy of the notebooks; yields (base_url, token)."""
    work = tmp_path_factory.mktemp("lab")
    for folder in ("notebooks", "exercises"):
        shutil.copytree(ROOT / folder, work / folder, ignore=shutil.ignore_patterns("solutions"))
    for notebook in work.rglob("*.ipynb"):  # a student starts from a notebook without outputs
        _clear_outputs(notebook)
    config = work / ".jupyter"
    (config / "labconfig").mkdir(parents=True)
    settings = work / ".settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Start the notebook's own kernel without asking, and keep every cell in the DOM so the
    # test can read all outputs (the default windowing renders only the visible cells).
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps(
        {"autoStartDefaultKernel": True, "windowingMode": "none"}))
    # The news/announcement toast would cover the notebook in screenshots.
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    token, port = secrets.token_hex(16), _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTERLAB_SETTINGS_DIR=str(work / ".settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(work / ".workspaces"), COURSE_DATA="sample")
    log = open(work / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}", "--allow-root",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start: {(work / 'lab.log').read_text()[-500:]}")
            time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser context per scenario; a screenshot is kept when the scenario fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        page.screenshot(path=str(ARTIFACTS / f"FAILED_{request.node.name}.png"))
    context.close()


def open_notebook(page, lab, path: str):
    base, token = lab
    page.goto(f"{base}/lab/tree/{path}?token={token}&reset")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", state="visible")
    wait_idle(page)


def wait_idle(page, timeout_ms: int = 120_000):
    """Wait until the notebook's kernel is started and idle (the status bar says so)."""
    page.wait_for_function(
        "() => /Python 3 \\(ipykernel\\) \\| Idle/.test(document.querySelector('#jp-main-statusbar')?.textContent || '')",
        timeout=timeout_ms)


def wait_all_executed(page, timeout_ms: int = 240_000):
    """Wait until every code cell of the visible notebook shows an execution count like [7]."""
    page.wait_for_function(
        r"""() => {
            const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0 && prompts.every(p => /\[\d+\]/.test(p.textContent));
        }""", timeout=timeout_ms)


def run_menu(page, menu: str, item: str):
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


def test_start_here_runs_clean_in_jupyterlab(page, lab):
    open_notebook(page, lab, "notebooks/00_start_here.ipynb")
    run_menu(page, "Run", "Run All Cells")
    panel = page.locator(".jp-NotebookPanel:visible")
    try:
        wait_all_executed(page)
        panel.locator(".jp-RenderedImage").last.scroll_into_view_if_needed()
    finally:
        page.screenshot(path=str(ARTIFACTS / "scenario1_start_here.png"))
    text = panel.evaluate("element => element.textContent")
    assert "OK   Python" in text and "OK   Keras backend" in text, text[:500]
    assert "checks OK" in text
    assert panel.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    assert panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").count() == 0
    assert "Traceback" not in text
    assert panel.locator(".jp-RenderedImage img").count() >= 1


def nth_code_cell_with(panel, text: str):
    cells = panel.locator(".jp-CodeCell")
    contents = cells.all_text_contents()
    index = next(i for i, content in enumerate(contents) if text in content)
    return cells.nth(index)


def type_into_cell(page, cell, text: str):
    """Replace a code cell's source the way a student does: click, select all, type."""
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    for k, line in enumerate(text.splitlines()):
        if k:
            page.keyboard.press("Enter")
            page.keyboard.press("Home")  # undo any auto-indent
        page.keyboard.type(line)


def run_cell_and_check(page, graded_cell, check_cell, expected: str):
    """Run the graded cell, then its check cell, and wait for the check's message."""
    graded_cell.locator(".cm-content").click()
    page.keyboard.press("Control+Enter")
    check_cell.locator(".cm-content").click()
    page.keyboard.press("Control+Enter")
    check_cell.locator(".jp-OutputArea-output", has_text=expected).wait_for(timeout=60_000)
    return check_cell.locator(".jp-OutputArea-output").inner_text()


def test_exercise_check_gives_specific_feedback(page, lab):
    open_notebook(page, lab, "exercises/01_convolution_1d.ipynb")
    run_menu(page, "Run", "Run All Cells")
    wait_all_executed(page)
    panel = page.locator(".jp-NotebookPanel:visible")
    graded = nth_code_cell_with(panel, "n_valid = None")  # by position: its text is about to change
    check = nth_code_cell_with(panel, "ex.q2.check(")
    assert "Not attempted yet" in check.locator(".jp-OutputArea-output").inner_text()

    type_into_cell(page, graded, "n_full = 100\nn_same = 100\nn_valid = 94")
    message = run_cell_and_check(page, graded, check, "n_full is 100, too small")
    assert message.startswith("❌") and "full keeps every partial overlap" in message
    assert "106" not in message   # a graded question never shows the expected value
    check.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "scenario2_wrong_answer.png"))

    type_into_cell(page, graded, "n_full = 106\nn_same = 100\nn_valid = 94")
    message = run_cell_and_check(page, graded, check, "Correct!")
    assert message.startswith("✅")
    check.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "scenario2_right_answer.png"))


def test_explorer_slider_redraws_the_figure(page, lab):
    open_notebook(page, lab, "notebooks/04_padding_stride_dilation_channels.ipynb")
    run_menu(page, "Run", "Run All Cells")
    wait_all_executed(page)
    panel = page.locator(".jp-NotebookPanel:visible")
    explorer = nth_code_cell_with(panel, "conv_explorer()")
    picture = explorer.locator(".widget-output img").first
    picture.wait_for()
    explorer.scroll_into_view_if_needed()
    before = picture.get_attribute("src")
    stride = explorer.locator(".widget-slider", has_text="stride").first
    stride.locator(".noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    # The explorer replaces its picture on each redraw, so look the <img> up afresh every time.
    page.wait_for_function(
        "([cell, old]) => { const img = cell.querySelector('.widget-output img');"
        " return img !== null && img.getAttribute('src') !== old; }",
        arg=[explorer.element_handle(), before])
    assert stride.locator(".widget-readout").first.inner_text().strip() == "2"
    page.screenshot(path=str(ARTIFACTS / "scenario3_explorer.png"))
