"""Run a student lesson in JupyterLab in headless Chromium, as a student does: Run All.

Usage:
    python scripts/lab_check.py [student/03_mlp_boston_iris_digits.ipynb] [--out build/lab]

Starts JupyterLab (``jupyter lab --no-browser``, a random token, its settings and
workspaces in a scratch folder) on a copy of the lesson with its outputs cleared,
opens it in headless Chromium (driven as ``scripts/browser_check.py`` does, over
the DevTools protocol), waits for the kernel, clicks *Run > Run All Cells*,
waits until every code cell has run, clicks the first collapsed hint, and
reports what a student sees, as JSON:

* ``cells`` / ``ran``: code cells, and those with an execution count;
* ``images``: figures rendered (``<img>`` with a decoded size);
* ``progress``: tqdm's widget bars (their text, width and style); ``finished``
  when there is one and each reached 100 % and turned "success";
* ``hint_opened``: whether the hint's ``<details>`` opened on the click;
* ``open_messages``: outputs that say "Not answered yet";
* ``errors``: error outputs (tracebacks) in the notebook;
* ``js_errors``: JavaScript exceptions and console errors in the page.

``tests/test_jupyterlab_browser.py`` asserts on it. The notebook is shown with
``windowingMode: "none"`` (every cell in the page), so that cells scrolled out
of view can be inspected; execution is the same.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))

import browser_check  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT_LESSON = REPO / "student" / "03_mlp_boston_iris_digits.ipynb"
OPEN = "Not answered yet"

#: JavaScript that describes what the notebook shows (after Run All)
STATE_JS = r"""
(() => {
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  if (!nb) return null;
  const code = [...nb.querySelectorAll('.jp-CodeCell')];
  const prompts = code.map(c => (c.querySelector('.jp-InputPrompt') || {}).textContent || '');
  const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
  const outputs = [...nb.querySelectorAll('.jp-OutputArea-output')];
  // tqdm.auto's bar in JupyterLab: an ipywidgets HBox (text, IntProgress, text); a bar
  // that finished has reached 100 % and turned "success"
  const bars = [...nb.querySelectorAll('.widget-hprogress, .widget-vprogress')].map(e => {
    const inner = e.querySelector('.progress-bar');
    const box = e.closest('.widget-hbox') || e.parentElement;
    return {text: (box ? box.textContent : '').trim().slice(0, 200),
            width: inner ? inner.style.width : '', classes: inner ? inner.className : ''};
  });
  return {
    cells: code.length,
    ran: prompts.filter(p => /\[\d+\]/.test(p)).length,
    running: prompts.filter(p => p.includes('*')).length,
    kernel: indicator ? (indicator.getAttribute('data-status') || indicator.textContent) : '',
    images: [...nb.querySelectorAll('.jp-RenderedImage img')]
      .filter(i => i.complete && i.naturalWidth > 0).length,
    progress: bars,
    open_messages: outputs.map(o => o.textContent).filter(t => t.includes('OPEN')).length,
    errors: [...nb.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
      .map(o => o.textContent).filter(t => /Traceback|Error/.test(t)).map(t => t.slice(0, 400)),
  };
})()
""".replace("OPEN", OPEN)


#: the notebook's kernel has started and is idle (the toolbar's kernel name and status)
KERNEL_READY_JS = r"""
(() => {
  const i = document.querySelector('.jp-Notebook-ExecutionIndicator');
  const name = document.querySelector('.jp-NotebookPanel-toolbar .jp-KernelName, '
                                      + '.jp-Toolbar-kernelName');
  return !!(i && i.getAttribute('data-status') === 'idle' && name
            && !/No Kernel/.test(name.textContent)
            && !document.querySelector('.jp-Dialog'));
})()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_without_outputs(lesson: Path, folder: Path) -> Path:
    """The lesson in ``folder`` with every output cleared (what Run All shows is new) and
    every source expanded."""
    nb = nbformat.read(lesson, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            # a collapsed source (the student view's assert-only cells) shows no execution
            # count to read; expand it here (tests/test_reading_view.py checks the collapsing)
            cell.metadata.get("jupyter", {}).pop("source_hidden", None)
    target = folder / lesson.name
    nbformat.write(nb, target)
    return target


class JupyterLab:
    """``jupyter lab`` on ``root`` on a free port with a random token (a context manager)."""

    def __init__(self, root: Path, scratch: Path, timeout: float = 120.0):
        self.root, self.scratch, self.timeout = root, scratch, timeout
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.process = None

    def __enter__(self) -> "JupyterLab":
        settings = self.scratch / "settings"
        tracker = settings / "@jupyterlab" / "notebook-extension"
        tracker.mkdir(parents=True)
        (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
        announcements = settings / "@jupyterlab" / "apputils-extension"
        announcements.mkdir(parents=True)
        (announcements / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(self.scratch / "workspaces"),
                   JUPYTER_RUNTIME_DIR=str(self.scratch / "runtime"),
                   JUPYTER_CONFIG_DIR=str(self.scratch / "config"))
        jupyter = Path(sys.executable).parent / "jupyter"
        args = [str(jupyter), "lab", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
                f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
                "--ServerApp.port_retries=0"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--allow-root")
        self.log = open(self.scratch / "jupyterlab.log", "wb")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=self.log, env=env,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=5):
                    return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"jupyter lab did not answer in {self.timeout} s: {self.log_tail()}")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"

    def log_tail(self) -> str:
        return (self.scratch / "jupyterlab.log").read_text(errors="replace")[-3000:]

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # our own process group
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.log.close()


def wait_until(tab: browser_check.Tab, test: str, timeout: float, what: str):
    """Poll the JavaScript expression ``test`` until it is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = tab.evaluate(test)
        if value:
            return value
        time.sleep(0.5)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def click(tab: browser_check.Tab, selector_js: str, what: str) -> None:
    """A real mouse click (press and release) at the centre of the element ``selector_js`` finds."""
    box = tab.evaluate(f"""(() => {{ const e = {selector_js}; if (!e) return null;
        e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect();
        return [r.x + r.width / 2, r.y + r.height / 2]; }})()""")
    if not box:
        raise RuntimeError(f"nothing to click: {what}")
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        tab.call("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                              "button": "left", "clickCount": 1})


def menu_item(label: str) -> str:
    return (f"[...document.querySelectorAll('.lm-Menu-itemLabel, .lm-MenuBar-itemLabel')]"
            f".find(e => e.textContent.trim() === {json.dumps(label)})")


def run_lesson(lesson: Path, timeout: float = 600.0) -> dict:
    """Run All on a copy of ``lesson`` in JupyterLab in Chromium; what the student sees."""
    chromium = browser_check.find_chromium()
    if chromium is None:
        raise RuntimeError(browser_check.NO_CHROMIUM)
    scratch = Path(tempfile.mkdtemp(prefix="course-lab-"))
    try:
        work = scratch / "work"
        work.mkdir()
        copy = copy_without_outputs(lesson, work)
        started = time.monotonic()
        with JupyterLab(work, scratch) as lab, browser_check.Chromium(chromium) as browser:
            tab = browser.new_tab(1280, 900)
            tab.goto(lab.url(f"lab/tree/{copy.name}"), timeout=120)
            wait_until(tab, "document.querySelectorAll('.jp-Notebook .jp-CodeCell').length > 0",
                       180, "the notebook to open")
            # on a slow machine JupyterLab may ask which kernel to start: take the one it offers
            deadline = time.monotonic() + 180
            while not tab.evaluate(KERNEL_READY_JS):
                if tab.evaluate("!!document.querySelector('.jp-Dialog .jp-mod-accept')"):
                    click(tab, "document.querySelector('.jp-Dialog .jp-mod-accept')",
                          "the dialog's Select button")
                if time.monotonic() > deadline:
                    raise TimeoutError("the kernel did not start within 180 s")
                time.sleep(0.5)
            opened = time.monotonic()
            click(tab, menu_item("Run"), "the Run menu")
            wait_until(tab, f"!!({menu_item('Run All Cells')})", 30, "the Run menu to open")
            click(tab, menu_item("Run All Cells"), "Run All Cells")
            try:
                state = wait_until(
                    tab, f"(() => {{ const s = {STATE_JS}; return s && s.running === 0 && "
                         f"s.ran === s.cells && s.kernel === 'idle' ? s : null }})()",
                    timeout, "Run All to finish")
            except TimeoutError as err:
                seen = tab.evaluate(STATE_JS)
                if os.environ.get("LAB_CHECK_SHOT"):
                    tab.screenshot(Path(os.environ["LAB_CHECK_SHOT"]))
                raise TimeoutError(f"{err}; the notebook shows {json.dumps(seen)[:3000]}; "
                                   f"page errors {tab.take_errors()[:10]}") from None
            ran = time.monotonic()
            hint = ("[...document.querySelectorAll('.jp-MarkdownCell details')]"
                    ".find(d => !d.open)")
            had_hint = tab.evaluate(f"!!({hint})")
            if had_hint:
                tab.evaluate(f"window.__hint = {hint}")
                click(tab, "window.__hint.querySelector('summary')", "a hint's summary")
                time.sleep(0.5)
            state["hint_opened"] = bool(had_hint and tab.evaluate("window.__hint.open"))
            state["js_errors"] = [e for e in tab.take_errors()]
            state["remote_requests"] = tab.take_remote_requests()
            state["finished"] = bool(state["progress"]) and all(
                b["width"] == "100%" and "progress-bar-success" in b["classes"]
                for b in state["progress"])
            state["seconds"] = {"open": round(opened - started, 1),
                                "run_all": round(ran - opened, 1)}
            tab.close()
        return state
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lesson", nargs="?", type=Path, default=DEFAULT_LESSON)
    args = parser.parse_args(argv)
    state = run_lesson(args.lesson)
    print(json.dumps(state, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
