"""Step through every slide deck and site page in headless Chromium, as a projector shows them.

Usage:
    python scripts/browser_check.py                      # build/slides and build/html
    python scripts/browser_check.py --slides-dir build/slides --site-dir build/html
    python scripts/browser_check.py --decks 01 --sizes 1280x800 --no-screenshots
    python scripts/browser_check.py --all-screenshots    # every slide, every size

For every deck (``*.slides.html``) and every page of the site, at every window
size (default 1280x800 and 1920x1080), it opens the file offline (``file://``;
``--serve`` uses a server on 127.0.0.1 instead), waits until MathJax has
typeset everything, and then, slide by slide (reveal.js: every slide and
subslide, with all its fragments shown), measures:

* **unreachable** content: lines of text, formulas or images that no scrolling
  brings into the window (below a slide that does not scroll, below the end of
  a scrolling slide whose box reaches past the window, cut by an
  ``overflow: hidden`` box, or off the right edge);
* **clipped code**: ``<pre>`` blocks (code and text outputs) wider than their
  box, so the right of the longest line is cut or needs sideways scrolling;
* **wrapped code**: ``<pre>`` blocks with more lines on the slide than in the
  text, i.e. a line was wrapped (on a site page this is reported, not a
  problem);
* **raw TeX** left in the prose (``$$``, ``\\frac`` ... outside MathJax and code),
  MathJax errors, and **broken formulas**: ones MathJax split into lines by
  itself (its automatic line breaks split formulas in table cells);
* **frozen progress bars**: tqdm's stored first state, ``0%|          | 0/404``;
* **console errors** (including failed loads) and **network requests** to
  anything but ``file://`` or the local server;
* and, as information, whether the slide scrolls (its end reachable) and
  figures shown at less than 70 % of their pixel size (their text shrinks).

It writes ``OUT/report.json`` (everything, per slide with the notebook cell ids
on it), ``OUT/report.md`` (the slides with problems, per deck, for the people
editing the notebooks), a screenshot of every slide with a problem
``OUT/<size>/<deck>/NNN_h-v.jpg`` (plus ``NNN_h-v_end.jpg`` scrolled to the end
for a slide that scrolls), a screenshot of the top of each site page, and the
contact sheets ``OUT/contact/<deck>.<size>.png``: for each deck at the first size
a thumbnail of every slide (``NNN_h-v_thumb.jpg``), at the other sizes the slides
with a problem, each framed by its state (red = a problem, orange = scrolls,
green = fits) and labelled with its number and problems. ``--all-screenshots``
photographs every slide at every size, as full screenshots.

A deck or page is loaded once: for the next size the window is resized, and a
deck is walked again from its first slide (the course template typesets and fits
each slide when it is shown, so each is measured as laid out at that size; the
test checks this against a fresh load). The walk waits on conditions, not on
timers: after each slide change until MathJax's queue has run (the template
typesets the shown slide again), images and fonts are ready, transitions are
finished, and the layout has not changed over two animation frames.

Chromium: ``$CHROMIUM`` or the first of chromium, chromium-browser,
google-chrome on PATH (Debian: ``apt-get install chromium``). It is driven over
its DevTools protocol with the ``websocket-client`` package.
Exit status: 0 when nothing is wrong, 1 when a problem was found, 2 when no
Chromium or nothing to check was found.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
IN_PAGE_JS = Path(__file__).resolve().parent / "browser_check.js"
SIZES = ((1280, 800), (1920, 1080))
# slide screenshots are JPEGs: quicker to capture than PNG, and at this quality code and
# formulas stay as sharp to the eye
JPEG_QUALITY = 85
SHOT_SUFFIX = ".jpg"
# contact sheet thumbnails are this wide; Chromium draws them at that size (a fifth of the
# time of a full screenshot)
THUMB_WIDTH = 256
# what check_deck photographs: "all" every slide (and its end if it scrolls); "problems"
# only the slides with a problem; "thumbnails" a thumbnail of every slide and a
# screenshot of the slides with a problem
SHOT_MODES = ("all", "problems", "thumbnails")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LOCAL_SCHEMES = {"file", "data", "blob", "about", "chrome", "devtools", "chrome-extension"}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
# what makes a slide or page fail, in report order
PROBLEM_KINDS = ("unreachable", "clipped_code", "wrapped_code", "raw_tex", "math_errors",
                 "broken_math", "frozen_progress", "console", "network")
# a page is read, not projected: a long output line may wrap there (reported, not failing)
PAGE_PROBLEM_KINDS = tuple(kind for kind in PROBLEM_KINDS if kind != "wrapped_code")
NO_CHROMIUM = ("no Chromium found (looked at $CHROMIUM and for " + ", ".join(CHROMIUM_NAMES)
               + " on PATH): install Debian's package with `apt-get install chromium`")


# --- Chromium and its DevTools protocol --------------------------------------------------------

def find_chromium() -> str | None:
    """Path of a Chromium executable: ``$CHROMIUM`` if set, else the first one on PATH."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if shutil.which(explicit) else None
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class DevToolsError(RuntimeError):
    """Chromium answered a DevTools command with an error, or did not answer in time."""


class DevTools:
    """One websocket to the browser; pages are reached through flat sessions.

    Events are handed to ``listeners[session_id](message)`` as they arrive.
    """

    def __init__(self, url: str, timeout: float = 60.0):
        import websocket  # websocket-client, pinned in requirements.txt

        self._websocket = websocket
        self.ws = websocket.create_connection(url, timeout=timeout, suppress_origin=True,
                                              enable_multithread=False)
        self.timeout = timeout
        self.next_id = 0
        self.listeners = {}

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float | None = None) -> dict:
        """Send one command and return its result, dispatching the events read meanwhile."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._receive(deadline, method)
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise DevToolsError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self._dispatch(reply)

    def wait_for(self, predicate, timeout: float) -> dict:
        """Read events until ``predicate(event)`` is true; return that event."""
        deadline = time.monotonic() + timeout
        while True:
            event = self._receive(deadline, "waiting for an event")
            self._dispatch(event)
            if "method" in event and predicate(event):
                return event

    def _receive(self, deadline: float, what: str) -> dict:
        left = deadline - time.monotonic()
        if left <= 0:
            raise DevToolsError(f"no answer from Chromium in time ({what})")
        self.ws.settimeout(left)
        try:
            return json.loads(self.ws.recv())
        except self._websocket.WebSocketTimeoutException:
            raise DevToolsError(f"no answer from Chromium in time ({what})") from None

    def _dispatch(self, message: dict) -> None:
        listener = self.listeners.get(message.get("sessionId"))
        if listener and "method" in message:
            listener(message)

    def close(self) -> None:
        self.ws.close()


class Chromium:
    """A headless Chromium process with a throw-away profile (a context manager)."""

    def __init__(self, executable: str, timeout: float = 60.0):
        self.executable = executable
        self.timeout = timeout
        self.process = None
        self.profile = None
        self.devtools = None

    def __enter__(self) -> "Chromium":
        self.profile = Path(tempfile.mkdtemp(prefix="course-chromium-"))
        args = [self.executable, "--headless=new", "--disable-gpu", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-sync",
                "--disable-background-networking", "--disable-component-update",
                "--disable-default-apps", "--mute-audio", "--hide-crash-restore-bubble",
                "--force-device-scale-factor=1", "--font-render-hinting=none",
                # nothing leaves the machine: every host name but localhost fails to resolve
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
                "--remote-debugging-port=0", f"--user-data-dir={self.profile}", "about:blank"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        log = open(self.profile / "chromium.log", "wb")
        self.process = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        self.devtools = DevTools(self._browser_url(), self.timeout)
        return self

    def _browser_url(self) -> str:
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.profile / "chromium.log").read_text(errors="replace")[-2000:]
                raise DevToolsError(
                    f"Chromium exited with status {self.process.returncode}:\n{log}")
            if port_file.is_file():
                lines = port_file.read_text().split()
                if len(lines) >= 2:
                    return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            time.sleep(0.1)
        raise DevToolsError("Chromium did not open its DevTools port in time")

    def version(self) -> str:
        """Chromium's product name and version, e.g. "Chrome/156.0.8078.108"."""
        return self.devtools.call("Browser.getVersion").get("product", "?")

    def new_tab(self, width: int, height: int) -> "Tab":
        """A new page with a window of ``width`` x ``height`` CSS pixels."""
        target = self.devtools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.devtools.call("Target.attachToTarget",
                                     {"targetId": target, "flatten": True})["sessionId"]
        return Tab(self.devtools, target, session, width, height)

    def __exit__(self, *exc) -> None:
        try:
            if self.devtools:
                try:
                    self.devtools.call("Browser.close", timeout=5)
                except Exception:  # already gone, or the socket closed first
                    pass
                self.devtools.close()
        finally:
            if self.process and self.process.poll() is None:
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)  # our own process group
                    self.process.wait(timeout=5)
            if self.profile:
                shutil.rmtree(self.profile, ignore_errors=True)


class Tab:
    """One page in Chromium at a fixed window size, recording console errors and requests."""

    def __init__(self, devtools: DevTools, target: str, session: str, width: int, height: int):
        self.devtools, self.target, self.session = devtools, target, session
        self.errors, self.requests, self._urls = [], [], {}
        devtools.listeners[session] = self._on_event
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable")
        self.resize(width, height)

    def resize(self, width: int, height: int) -> None:
        """Make the window ``width`` x ``height`` CSS pixels (a loaded page gets a resize)."""
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.size = (width, height)

    def call(self, method: str, params: dict | None = None, timeout: float | None = None) -> dict:
        """A DevTools command sent to this page."""
        return self.devtools.call(method, params, self.session, timeout)

    def _on_event(self, event: dict) -> None:
        method, params = event["method"], event.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            self._urls[params["requestId"]] = url
            self.requests.append(url)
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            url = self._urls.get(params.get("requestId"), "?")
            self.errors.append(f"failed to load {url}: {params.get('errorText')}")
        elif method == "Network.responseReceived" and params["response"].get("status", 200) >= 400:
            response = params["response"]
            self.errors.append(f"HTTP {response['status']} for {response['url']}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.errors.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            self.errors.append(f"exception: {text}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            self.errors.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}")

    def goto(self, url: str, timeout: float = 60.0) -> None:
        """Load ``url`` and wait for its load event."""
        self.call("Page.navigate", {"url": url})
        self.devtools.wait_for(lambda e: e["method"] == "Page.loadEventFired"
                               and e.get("sessionId") == self.session, timeout)

    def evaluate(self, expression: str, timeout: float = 60.0):
        """The value of a JavaScript expression (promises awaited)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                "returnByValue": True}, timeout=timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise DevToolsError(details.get("exception", {}).get("description") or details["text"])
        return result["result"].get("value")

    def screenshot(self, path: Path, width: int | None = None) -> Path:
        """Save what the window shows at ``path``, a JPEG (``.jpg``) or PNG; return ``path``.

        ``width``: the image's width in pixels (the window drawn smaller), else the window's.
        """
        params = {"format": "png"}
        if path.suffix.lower() in (".jpg", ".jpeg"):
            params = {"format": "jpeg", "quality": JPEG_QUALITY}
        if width:
            params["clip"] = {"x": 0, "y": 0, "width": self.size[0], "height": self.size[1],
                              "scale": width / self.size[0]}
        data = self.call("Page.captureScreenshot", params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def take_errors(self) -> list[str]:
        """The console errors and failed loads since the last call."""
        errors, self.errors = self.errors, []
        return errors

    def take_remote_requests(self) -> list[str]:
        """The addresses requested from the network (not local) since the last call."""
        remote = [url for url in self.requests if is_remote(url)]
        self.requests = []
        return remote

    def close(self) -> None:
        """Close the page."""
        self.devtools.listeners.pop(self.session, None)
        self.devtools.call("Target.closeTarget", {"targetId": self.target})


def is_remote(url: str) -> bool:
    """Whether loading ``url`` would use the network (anything but local files and 127.0.0.1)."""
    parsed = urlparse(url)
    if parsed.scheme in LOCAL_SCHEMES:
        return False
    return (parsed.hostname or "") not in LOCAL_HOSTS


@functools.lru_cache(maxsize=1)
def in_page_js() -> str:
    """The measuring code run in every page (scripts/browser_check.js)."""
    return IN_PAGE_JS.read_text(encoding="utf-8")


# --- serving the files ---------------------------------------------------------------------

class LocalServer:
    """A static file server on 127.0.0.1 (a context manager) for ``--serve``."""

    def __init__(self, root: Path):
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, root: Path, path: Path) -> str:
        """The server's address of ``path``, a file under ``root``."""
        port = self.httpd.server_address[1]
        return f"http://127.0.0.1:{port}/{path.resolve().relative_to(root.resolve()).as_posix()}"

    def __enter__(self) -> "LocalServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        """No access log on stderr."""


# --- one deck, one page --------------------------------------------------------------------

def size_name(size: tuple[int, int]) -> str:
    """(1280, 800) -> "1280x800"."""
    return f"{size[0]}x{size[1]}"


def problems_of(measured: dict, kinds=PROBLEM_KINDS) -> dict[str, list]:
    """The failing findings of one slide or page, by kind (empty kinds left out)."""
    return {kind: measured[kind] for kind in kinds if measured.get(kind)}


def open_and_settle(tab: Tab, url: str) -> str:
    """Load ``url``, add the measuring code and wait for MathJax; return MathJax's state."""
    tab.goto(url)
    tab.evaluate(in_page_js())
    return tab.evaluate("window.__courseCheck.settle(60000)", timeout=90)


def check_deck(tab: Tab, url: str, shots: Path | None, mode: str = "all") -> dict:
    """Step through every slide of the deck at ``url`` at the tab's window size.

    Parameters
    ----------
    tab : Tab
        The Chromium page to use (its window size is the one measured).
    url : str
        The deck's address.
    shots : Path or None
        Folder for screenshots (``NNN_h-v.jpg``, plus ``NNN_h-v_end.jpg`` scrolled to the
        end for a slide that scrolls) and thumbnails (``NNN_h-v_thumb.jpg``); None for none.
    mode : str
        Which slides are photographed (:data:`SHOT_MODES`): "all" every slide, "problems"
        the slides with a problem, "thumbnails" a thumbnail of every slide (for the contact
        sheet) and a screenshot of the slides with a problem.

    Returns
    -------
    dict
        ``{"url", "mathjax", "load_errors", "load_network", "slides"}``: see :func:`run`.
    """
    name = size_name(tab.size)
    return check_deck_sizes(tab, url, [tab.size], {name: shots}, {name: mode})[name]


def check_deck_sizes(tab: Tab, url: str, sizes, shots: dict, modes: dict) -> dict:
    """Load the deck at ``url`` once and step through all its slides at each window size.

    Before the walk at another size the window is resized (reveal.js re-scales the
    deck); every slide is then shown again, so the course template typesets and fits
    it at that size, as for a person who opened the deck at that size. What went
    wrong while loading counts at every size.

    Parameters
    ----------
    tab : Tab
        The Chromium page to use.
    url : str
        The deck's address.
    sizes : sequence of (int, int)
        Window sizes (width, height), walked in this order.
    shots, modes : dict
        Size name -> screenshot folder (or None) and photographing mode, as ``shots``
        and ``mode`` of :func:`check_deck`.

    Returns
    -------
    dict
        Size name -> the result :func:`check_deck` returns for that size.
    """
    results = {}
    for i, size in enumerate(sizes):
        name = size_name(size)
        t0 = time.monotonic()
        if i == 0 or len(where_list) < 2:  # one slide: showing it again would not re-typeset
            if tuple(size) != tab.size:
                tab.resize(*size)
            state, load_errors, load_network, where_list = _open_deck(tab, url)
        else:
            resized = _resize(tab, size)
            if resized not in ("done", "no MathJax"):
                load_errors = load_errors + [f"after resizing to {name}: {resized}"]
        slides = _walk_deck(tab, where_list, shots.get(name), modes.get(name, "all"))
        results[name] = {"url": url, "mathjax": state, "load_errors": list(load_errors),
                         "load_network": list(load_network), "slides": slides,
                         "seconds": round(time.monotonic() - t0, 1)}
    return results


def _open_deck(tab: Tab, url: str):
    """Load a deck and wait for reveal.js: (MathJax state, load errors, network, slides)."""
    state = open_and_settle(tab, url)
    deadline = time.monotonic() + 30
    while not tab.evaluate("window.__courseCheck.revealReady()"):
        if time.monotonic() > deadline:
            raise DevToolsError(f"reveal.js never became ready in {url}")
        time.sleep(0.1)
    tab.evaluate("window.__courseCheck.prepareWalk()")
    load_errors, load_network = tab.take_errors(), tab.take_remote_requests()
    if state != "done":
        load_errors.append(f"MathJax: {state}")
    return state, load_errors, load_network, tab.evaluate("window.__courseCheck.slideList()")


def _walk_deck(tab: Tab, where_list: list[dict], shots: Path | None, mode: str) -> list[dict]:
    """Show and measure every slide of the loaded deck at the tab's size (and photograph)."""
    slides = []
    for number, where in enumerate(where_list, start=1):
        settled = tab.evaluate(f"window.__courseCheck.show({where['h']}, {where['v']}, "
                               f"{where['last_fragment']})", timeout=90)
        measured = tab.evaluate("window.__courseCheck.measureSlide()")
        measured["number"] = number
        measured["console"] = tab.take_errors()
        if settled not in ("done", "no MathJax"):
            measured["console"].append(f"not settled after 30 s: {settled}")
        measured["network"] = tab.take_remote_requests()
        measured["problems"] = sorted(problems_of(measured))
        stem = f"{number:03d}_{where['h']}-{where['v']}"
        if shots is not None and mode == "thumbnails":
            measured["thumbnail"] = str(tab.screenshot(shots / f"{stem}_thumb{SHOT_SUFFIX}",
                                                       THUMB_WIDTH))
        if shots is not None and (mode == "all" or measured["problems"]):
            measured["screenshot"] = str(tab.screenshot(shots / f"{stem}{SHOT_SUFFIX}"))
            if measured["scroll_px"]:
                tab.evaluate("window.__courseCheck.scrollSlideToEnd()")
                end = shots / f"{stem}_end{SHOT_SUFFIX}"
                measured["screenshot_end"] = str(tab.screenshot(end))
        slides.append(measured)
    return slides


def _resize(tab: Tab, size) -> str:
    """Give the loaded page a window of ``size``; wait until it has laid itself out again."""
    tab.evaluate("window.__courseCheck.expectResize()")
    tab.resize(*size)
    return tab.evaluate(f"window.__courseCheck.resized({size[0]}, {size[1]}, 30000)", timeout=90)


def check_page(tab: Tab, url: str, shot: Path | None) -> dict:
    """One page of the site: measurements, problems and a screenshot of its top."""
    name = size_name(tab.size)
    return check_page_sizes(tab, url, [tab.size], {name: shot})[name]


def check_page_sizes(tab: Tab, url: str, sizes, shots: dict) -> dict:
    """One page of the site at each window size, loaded once and then resized.

    ``shots``: size name -> path of a screenshot of the page's top, or None. Returns
    size name -> measurements and problems (``"problems"``); what went wrong while
    loading counts at every size.
    """
    results = {}
    for i, size in enumerate(sizes):
        if i == 0:
            if tuple(size) != tab.size:
                tab.resize(*size)
            state = open_and_settle(tab, url)
            settled = state
        else:
            settled = _resize(tab, size)
        measured = tab.evaluate("window.__courseCheck.measurePage()")
        errors, network = tab.take_errors(), tab.take_remote_requests()
        if i == 0:
            load_errors, load_network, errors, network = errors, network, [], []
        measured["console"] = load_errors + errors
        measured["network"] = load_network + network
        if state != "done":
            measured["console"].append(f"MathJax: {state}")
        if settled != state and settled not in ("done", "no MathJax"):
            measured["console"].append(f"after resizing: {settled}")
        shot = shots.get(size_name(size))
        if shot is not None:
            measured["screenshot"] = str(tab.screenshot(shot))
        measured["problems"] = sorted(problems_of(measured, PAGE_PROBLEM_KINDS))
        measured["url"] = url
        results[size_name(size)] = measured
    return results


# --- the whole run -------------------------------------------------------------------------

def collect_targets(slides_dir: Path | None, site_dir: Path | None,
                    only: list[str] | None = None) -> tuple[list[Path], list[Path]]:
    """The decks and the site pages to check, in name order, filtered by name prefixes."""
    def wanted(path):
        return not only or any(path.name.startswith(prefix) for prefix in only)

    decks = sorted(p for p in slides_dir.glob("*.slides.html") if wanted(p)) if slides_dir else []
    pages = sorted(p for p in site_dir.glob("*.html") if wanted(p) or p.name == "index.html") \
        if site_dir else []
    if only and site_dir:
        pages = [p for p in pages if wanted(p)]
    return decks, pages


def run(decks: list[Path], pages: list[Path], out_dir: Path, sizes=SIZES,
        screenshots: bool = True, serve_root: Path | None = None, chromium: str | None = None,
        progress=print, all_screenshots: bool = False) -> dict:
    """Check decks and pages in headless Chromium and write the report files.

    Parameters
    ----------
    decks, pages : list of Path
        ``*.slides.html`` decks and site pages (``*.html``) to check; ``pages`` may also
        be a callable returning them, called once the decks are checked (the site can
        be built meanwhile).
    out_dir : Path
        Where report.json, report.md, the screenshots and the contact sheets go.
    sizes : sequence of (int, int)
        Window sizes (width, height); every deck and page is checked at each.
    screenshots : bool
        Save screenshots and contact sheets: a screenshot of every slide with a problem
        (and of each page's top), at the first size a thumbnail of every slide; a
        contact sheet per deck at the first size, and at the others where a slide has a
        problem.
    serve_root : Path or None
        Serve this folder on 127.0.0.1 and load the files from there; None loads
        them from ``file://`` as an instructor would.
    chromium : str or None
        The Chromium executable; None finds one (:func:`find_chromium`).
    progress : callable
        Called with one line of text per deck and page checked.
    all_screenshots : bool
        A full screenshot of every slide at every size (slower; the contact sheets are
        made from them).

    Returns
    -------
    dict
        ``{"sizes", "chromium", "seconds", "decks": {deck: {size: result}},
        "pages": {page: {size: result}}, "contact_sheets"}``; a deck's result has
        ``"slides"``, one dict per slide with its measurements, its notebook cell
        ids (``"cells"``) and the kinds of problem it has (``"problems"``).

    Raises
    ------
    FileNotFoundError
        No Chromium was found.
    """
    chromium = chromium or find_chromium()
    if not chromium:
        raise FileNotFoundError(NO_CHROMIUM)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    report = {"sizes": [size_name(s) for s in sizes], "decks": {}, "pages": {}}
    server = LocalServer(serve_root) if serve_root else None
    names = [size_name(size) for size in sizes]
    # the contact sheets: thumbnails of every slide at the first size
    modes = {name: "all" if all_screenshots else "thumbnails" if i == 0 else "problems"
             for i, name in enumerate(names)}
    with Chromium(chromium) as browser, (server or contextlib.nullcontext()):
        report["chromium"] = browser.version()
        tab = browser.new_tab(*sizes[0])
        try:
            for deck in decks:
                shots = {name: out_dir / name / deck_name(deck) if screenshots else None
                         for name in names}
                for folder in shots.values():
                    if folder is not None and folder.exists():
                        shutil.rmtree(folder)
                results = check_deck_sizes(tab, _url(deck, server, serve_root), sizes, shots,
                                           modes)
                report["decks"][deck_name(deck)] = results
                for name, result in results.items():
                    progress(f"{name} {deck.name}: {deck_line(result)}")
            for page in pages() if callable(pages) else pages:
                shots = {name: out_dir / name / "site" / f"{page.stem}.png" if screenshots
                         else None for name in names}
                results = check_page_sizes(tab, _url(page, server, serve_root), sizes, shots)
                report["pages"][page.name] = results
                for name, result in results.items():
                    progress(f"{name} {page.name}: {', '.join(result['problems']) or 'ok'}")
        finally:
            tab.close()
    report["seconds"] = round(time.monotonic() - started, 1)
    if screenshots:
        report["contact_sheets"] = write_contact_sheets(report, out_dir / "contact")
    write_reports(report, out_dir)
    return report


def _url(path: Path, server: LocalServer | None, root: Path | None) -> str:
    """The address Chromium loads ``path`` from: the local server's, else file://."""
    return server.url(root, path) if server else path.resolve().as_uri()


def deck_name(path: Path) -> str:
    """build/slides/01_x.slides.html -> "01_x"."""
    return path.name.removesuffix(".slides.html")


# --- summaries -----------------------------------------------------------------------------

def deck_counts(result: dict) -> dict[str, int]:
    """How many slides of one deck at one size have each kind of problem, and scroll."""
    slides = result["slides"]
    counts = {"slides": len(slides)}
    for kind in PROBLEM_KINDS:
        counts[kind] = sum(1 for s in slides if s.get(kind))
    counts["scrolls"] = sum(1 for s in slides if s["scroll_px"] > 0)
    counts["scrolls_reachable"] = sum(1 for s in slides
                                      if s["scroll_px"] > 0 and not s["unreachable"])
    counts["fits"] = sum(1 for s in slides if s["scroll_px"] == 0 and not s["problems"])
    counts["small_figures"] = sum(1 for s in slides if s.get("small_figures"))
    counts["failing"] = sum(1 for s in slides if s["problems"])
    return counts


def deck_line(result: dict) -> str:
    """One line of counts for a deck at one size."""
    c = deck_counts(result)
    return (f"{c['slides']} slides, {c['failing']} with problems: {c['unreachable']} unreachable, "
            f"{c['clipped_code']} clipped code, {c['wrapped_code']} wrapped code, "
            f"{c['raw_tex'] + c['math_errors'] + c['broken_math']} raw TeX/broken maths, "
            f"{c['frozen_progress']} frozen bars, {c['console']} console, {c['network']} network; "
            f"{c['scrolls']} scroll ({c['scrolls_reachable']} to their end), {c['fits']} fit")


def slide_label(slide: dict) -> str:
    """A slide's number in the deck and its reveal.js position, e.g. "12 (4.3)"."""
    return f"{slide['number']} ({slide['h']}.{slide['v']})"


def _unreachable_by_cell(items: list[dict]) -> list[str]:
    """Unreachable lines grouped by notebook cell: how many, how far, the worst one."""
    by_cell = {}
    for item in items:
        by_cell.setdefault(item["cell"] or "?", []).append(item)
    lines = []
    for cell, found in by_cell.items():
        worst = {side: max(i[side] for i in found) for side in ("below", "above", "right", "left")}
        sides = ", ".join(f"{px} px {side}" for side, px in worst.items() if px > 2)
        lines.append(f"unreachable in cell {cell}: {len(found)} line(s)/item(s), up to {sides}; "
                     f"e.g. \"{found[0]['text']}\"")
    return lines


def describe(slide: dict) -> list[str]:
    """One line per problem of a slide or page, in words, naming the notebook cells."""
    lines = _unreachable_by_cell(slide.get("unreachable", []))
    for item in slide.get("clipped_code", []):
        lines.append(f"{item['kind']} {item['px']} px too wide in cell {item['cell'] or '?'} "
                     f"({item['columns']} columns at {item['font_px']} px): \"{item['text']}\"")
    for item in slide.get("wrapped_code", []):
        lines.append(f"{item['kind']} wraps in cell {item['cell'] or '?'}: {item['lines']} lines "
                     f"shown as {item['rendered']} ({item['columns']} columns at "
                     f"{item['font_px']} px): \"{item['text']}\"")
    for kind, words in (("raw_tex", "raw TeX"), ("math_errors", "MathJax error"),
                        ("broken_math", "formula broken into lines"),
                        ("frozen_progress", "frozen progress bar")):
        for item in slide.get(kind, []):
            lines.append(f"{words} in cell {item['cell'] or '?'}: \"{item['text']}\"")
    lines += [f"console: {text}" for text in slide.get("console", [])]
    lines += [f"network request: {url}" for url in slide.get("network", [])]
    return lines


def write_reports(report: dict, out_dir: Path) -> None:
    """Write ``out_dir/report.json`` and ``out_dir/report.md``."""
    (out_dir / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    (out_dir / "report.md").write_text(markdown_report(report), encoding="utf-8")


def markdown_report(report: dict) -> str:
    """The report for people: counts per deck and size, then each slide with a problem."""
    out = ["# Slides and site in Chromium", "",
           f"{report.get('chromium', '?')}, window sizes {', '.join(report['sizes'])}, "
           f"{report.get('seconds', '?')} s.", "",
           "| deck | size | slides | unreachable | clipped code | wrapped code | TeX/maths | "
           "frozen bars | console/network | scroll (to end) | fit | small figures |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for deck, by_size in report["decks"].items():
        for size, result in by_size.items():
            c = deck_counts(result)
            out.append(f"| {deck} | {size} | {c['slides']} | {c['unreachable']} | "
                       f"{c['clipped_code']} | {c['wrapped_code']} | "
                       f"{c['raw_tex'] + c['math_errors'] + c['broken_math']} | "
                       f"{c['frozen_progress']} | {c['console'] + c['network']} | "
                       f"{c['scrolls']} ({c['scrolls_reachable']}) | {c['fits']} | "
                       f"{c['small_figures']} |")
    for deck, by_size in report["decks"].items():
        out += ["", f"## {deck}"]
        for size, result in by_size.items():
            bad = [s for s in result["slides"] if s["problems"] or s["scroll_px"]]
            out += ["", f"### {size}: {deck_line(result)}"]
            if result.get("load_errors"):
                out += [f"- on load: {e}" for e in result["load_errors"]]
            for slide in bad:
                head = (f"- slide {slide_label(slide)} \"{slide['title']}\", cells "
                        f"{', '.join(slide['cells']) or '-'}")
                if slide["scroll_px"]:
                    head += f"; scrolls {slide['scroll_px']} px"
                out.append(head)
                out += [f"  - {line}" for line in describe(slide)]
                for fig in slide.get("small_figures", []):
                    out.append(f"  - (info) figure in cell {fig['cell']} shown at "
                               f"{int(fig['scale'] * 100)} % ({fig['natural']} -> {fig['shown']})")
    if report["pages"]:
        out += ["", "## Site pages"]
        for page, by_size in report["pages"].items():
            for size, result in by_size.items():
                lines = describe(result)
                status = "ok" if not result["problems"] else ", ".join(result["problems"])
                out.append(f"- {page} at {size}: {status}")
                out += [f"  - {line}" for line in lines]
    return "\n".join(out) + "\n"


# --- contact sheets ------------------------------------------------------------------------

def write_contact_sheets(report: dict, out_dir: Path, columns: int = 6,
                         thumb_width: int = 256) -> list[str]:
    """A PNG of thumbnails per deck and size; needs Pillow (matplotlib brings it)."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for deck, by_size in report["decks"].items():
        for size, result in by_size.items():
            slides = [s for s in result["slides"] if s.get("thumbnail") or s.get("screenshot")]
            if not slides:
                continue
            path = out_dir / f"{deck}.{size}.png"
            _contact_sheet(Image, ImageDraw, ImageFont, deck, size, result, slides,
                           columns, thumb_width).save(path)
            written.append(str(path))
    return written


def _contact_sheet(Image, ImageDraw, ImageFont, deck, size, result, slides, columns, thumb_width):
    """One contact sheet: a header line, then the thumbnails framed by their status."""
    width, height = (int(n) for n in size.split("x"))
    thumb_height = round(thumb_width * height / width)
    pad, label, header = 8, 18, 34
    rows = -(-len(slides) // columns)
    sheet = Image.new("RGB", (pad + columns * (thumb_width + pad),
                              header + rows * (thumb_height + label + pad) + pad), "white")
    draw = ImageDraw.Draw(sheet)
    font = _font(ImageFont, 14)
    head = f"{deck} at {size}: {deck_line(result)}"
    if len(slides) < len(result["slides"]):
        head = f"{deck} at {size}, the slides with a problem: {deck_line(result)}"
    draw.text((pad, 8), head, fill="black", font=font)
    for i, slide in enumerate(slides):
        x = pad + (i % columns) * (thumb_width + pad)
        y = header + (i // columns) * (thumb_height + label + pad)
        with Image.open(slide.get("thumbnail") or slide["screenshot"]) as shot:
            shot.draft("RGB", (thumb_width, thumb_height))  # a JPEG decodes at 1/2, 1/4...
            sheet.paste(shot.convert("RGB").resize((thumb_width, thumb_height),
                                                   Image.Resampling.LANCZOS), (x, y))
        colour = "#d62728" if slide["problems"] else "#ff7f0e" if slide["scroll_px"] else "#2ca02c"
        draw.rectangle((x - 2, y - 2, x + thumb_width + 1, y + thumb_height + 1),
                       outline=colour, width=3)
        tag = ",".join(_SHORT[k] for k in slide["problems"])
        if slide["scroll_px"]:
            tag += f" scroll {slide['scroll_px']}px"
        draw.text((x, y + thumb_height + 2), f"{slide_label(slide)} {tag}"[:40], fill=colour,
                  font=font)
    return sheet


_SHORT = {"unreachable": "HIDDEN", "clipped_code": "WIDE", "wrapped_code": "WRAP", "raw_tex": "TEX",
          "math_errors": "MATH", "broken_math": "MATH", "frozen_progress": "BAR", "console": "ERR",
          "network": "NET"}


def _font(ImageFont, size):
    """Pillow's own font at ``size`` px (a fixed bitmap font on old Pillow)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: a fixed bitmap font
        return ImageFont.load_default()


# --- command line --------------------------------------------------------------------------

def parse_size(text: str) -> tuple[int, int]:
    """"1280x800" -> (1280, 800)."""
    width, height = text.lower().split("x")
    return int(width), int(height)


def main(argv=None) -> int:
    """The command line (see the module's docstring); returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slides-dir", type=Path, default=REPO / "build" / "slides",
                        help="folder of *.slides.html decks (default build/slides)")
    parser.add_argument("--site-dir", type=Path, default=REPO / "build" / "html",
                        help="folder of the site's pages (default build/html); '' for none")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "browser",
                        help="where the report and screenshots go (default build/browser)")
    parser.add_argument("--sizes", default=",".join(size_name(s) for s in SIZES),
                        help="window sizes, e.g. 1280x800,1920x1080")
    parser.add_argument("--decks", nargs="*", help="only decks and pages whose names start so")
    parser.add_argument("--no-screenshots", action="store_true", help="measure only")
    parser.add_argument("--all-screenshots", action="store_true",
                        help="a screenshot of every slide at every size (default: of the "
                             "slides with a problem, and a thumbnail of every slide at the "
                             "first size for the contact sheets)")
    parser.add_argument("--serve", action="store_true",
                        help="load the files from a server on 127.0.0.1, not from file://")
    args = parser.parse_args(argv)

    site_dir = args.site_dir if str(args.site_dir) not in ("", ".") else None
    decks, pages = collect_targets(args.slides_dir, site_dir, args.decks)
    if not decks and not pages:
        print(f"nothing to check in {args.slides_dir} or {site_dir}: run `make html` first",
              file=sys.stderr)
        return 2
    if not find_chromium():
        print(NO_CHROMIUM, file=sys.stderr)
        return 2
    serve_root = None
    if args.serve:
        serve_root = Path(os.path.commonpath([p.resolve() for p in decks + pages])).parent \
            if len(decks + pages) == 1 else Path(os.path.commonpath([p.resolve().parent
                                                                     for p in decks + pages]))
    report = run(decks, pages, args.out, [parse_size(s) for s in args.sizes.split(",")],
                 screenshots=not args.no_screenshots, serve_root=serve_root,
                 all_screenshots=args.all_screenshots)
    failing = sum(1 for by_size in report["decks"].values() for r in by_size.values()
                  for s in r["slides"] if s["problems"])
    failing += sum(1 for by_size in report["pages"].values() for r in by_size.values()
                   if r["problems"])
    print(f"{report['seconds']} s; report: {args.out / 'report.md'}; "
          f"{failing} slide/page checks with problems")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
