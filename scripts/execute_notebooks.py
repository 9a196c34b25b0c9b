"""Execute course notebooks deterministically, in the order given.

Usage:
    python scripts/execute_notebooks.py --inplace notebooks/*.ipynb
    python scripts/execute_notebooks.py --output-dir build/notebooks notebooks/*.ipynb

Each notebook runs top to bottom in a fresh ``python3`` kernel of the Python
that runs this script (so run it with the venv's Python), with the notebook's
own folder as working directory, as ``pytest --nbval`` does. The result is
written so that re-executing deterministic code gives a byte-identical file:

* no per-cell timing metadata (``record_timing=False``, old timings removed);
* no ipywidgets state in the notebook metadata: it is recorded while the
  notebook runs, used below, then dropped;
* widget views (``application/vnd.jupyter.widget-view+json``, e.g. tqdm.auto
  progress bars) are dropped from outputs, keeping their ``text/plain``
  fallback: their model ids are random and, without the stored state, no
  viewer could draw them anyway;
* a tqdm.auto bar's ``text/plain`` is the bar as it was first drawn
  (``epoch 1/3:   0%|          | 0/1000 [00:00<?, ?batch/s]``); it is replaced
  by the bar's final state, read from the recorded widget state, without its
  elapsed time and rate (``epoch 1/3: 100%|██████████| 1000/1000 batch``), so that a
  reader of the stored notebook (or GitHub) sees how the loop ended, not a loop
  that seems never to have started, and re-executing still gives the same file.
  nbval_sanitize.cfg hides a bar's position, time and rate, so strict nbval
  compares the re-run's first-drawn bar with the stored final one as equal;
* stream outputs are merged and carriage returns resolved
  (``coalesce_streams=True``), the same way nbval compares them.

While a notebook runs, a progress bar (on stderr) counts its code cells and names
the section being run (the last markdown heading above the cell). The kernel talks
to this script over IPC sockets (Unix domain sockets in a temporary folder, readable
only by this user) rather than TCP on localhost, so nothing is exposed on a port
and the kernel has no reason to warn about unencrypted traffic.

A notebook whose execution fails is not written; the script goes on with the
others and exits with status 1 at the end.
"""

import argparse
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import html
import nbformat
from nbclient import NotebookClient
from tqdm import tqdm
from tqdm.std import Bar
from traitlets.config import Config

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
BAR_WIDTH = 10  # the width of the bar in tqdm's text/plain fallback
#: a bar's " [00:04<00:00, 230.1batch/s, loss=0.3]": time, rate and postfix
STATS = re.compile(r"\s*\[[^\]]*\]\s*$")
#: the unit in a rate, "230.1batch/s", "?batch/s" or "2.50s/batch"
UNIT = re.compile(r"(?:\?|[\d.]+)([A-Za-z]+)/s|s/([A-Za-z]+)")


def _widget_text(state, ref):
    """The text of the HTML widget ``ref`` ("IPY_MODEL_<id>"); tqdm pads with figure spaces."""
    value = state.get(ref.removeprefix("IPY_MODEL_"), {}).get("state", {}).get("value", "")
    return html.unescape(value).replace("\u2007", " ")


def final_bar_text(state, model_id):
    """The final state of the tqdm.notebook bar shown by widget ``model_id``, as tqdm's text
    without the elapsed time and rate (the unit stays, unless it is tqdm's default "it").

    ``state`` is the notebook's recorded widget state (model id -> model). A tqdm bar is an
    HBox of three widgets: an HTML description ("epoch 1/3: 100%"), a progress bar and an
    HTML tail (" 1000/1000 [00:04<00:00, 230.1batch/s]"). Returns None if ``model_id`` is
    not such a box, or is a bar without a total (its first text, "0it [00:00, ?it/s]",
    stays).
    """
    box = state.get(model_id, {}).get("state", {})
    children = box.get("children", [])
    if box.get("_model_name") != "HBoxModel" or len(children) != 3:
        return None
    progress = state.get(children[1].removeprefix("IPY_MODEL_"), {}).get("state", {})
    if "ProgressModel" not in str(progress.get("_model_name")):
        return None
    left, right = _widget_text(state, children[0]), _widget_text(state, children[2])
    if re.match(r"\s*[\d.]+[kMG]?/\?", right):  # a bar without a total ("7/?"): keep its first text
        return None
    stats = STATS.search(right)  # elapsed time and rate differ from run to run: left out
    unit = UNIT.search(stats.group(0)) if stats else None
    right = STATS.sub("", right)
    if unit and (unit.group(1) or unit.group(2)) != "it":  # keep the unit: "1000/1000 batch"
        right += f" {unit.group(1) or unit.group(2)}"
    total = progress.get("max") or 1
    fraction = min(max(progress.get("value", 0) / total, 0.0), 1.0)
    return f"{left}|{format(Bar(fraction, BAR_WIDTH, charset=Bar.UTF))}|{right}"


def normalise(nb):
    """Remove the machine- and run-dependent parts of an executed notebook.

    Stored progress bars get their final text from the recorded widget state (see above).
    """
    widgets = nb.metadata.pop("widgets", None) or {}
    state = widgets.get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.outputs:
            data = out.get("data")
            if data is not None:
                view = data.pop(WIDGET_VIEW, None)
                if view and "text/plain" in data:
                    final = final_bar_text(state, view.get("model_id", ""))
                    if final is not None:
                        data["text/plain"] = final
                if not data:
                    continue
            outputs.append(out)
        cell.outputs = outputs
    return nb


HEADING = re.compile(r"^#{1,3}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def sections(nb):
    """For every cell index, the last markdown heading (#, ## or ###) at or above it."""
    current, names = "", []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            headings = HEADING.findall(cell.source)
            if headings:
                current = headings[-1]
        names.append(current)
    return names


def ipc_config(folder):
    """Kernel-manager settings: IPC transport, its socket files in ``folder``."""
    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(Path(folder) / "kernel")
    return config


def execute(path, timeout):
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    section = sections(nb)
    n_code = sum(cell.cell_type == "code" for cell in nb.cells)
    # On a terminal, one progress line redrawn in place; in a log file (CI, `make run > log`),
    # a plain line each time a new section starts, instead of carriage-return redraws.
    interactive = sys.stderr.isatty()
    bar = tqdm(total=n_code, leave=False, dynamic_ncols=True, file=sys.stderr,
               desc=f"  {path.stem}: starting the kernel", bar_format="{desc} [{elapsed}]",
               disable=not interactive)
    started, done, shown = time.perf_counter(), [0], [None]

    def on_start(cell, cell_index):
        if cell.cell_type != "code":
            return
        done[0] += 1
        bar.update(1)
        bar.set_description_str(f"  {path.stem}: cell {done[0]}/{n_code}, "
                                f"{section[cell_index][:60]}")
        if not interactive and section[cell_index] != shown[0]:
            shown[0] = section[cell_index]
            print(f"  {path.stem}: cell {done[0]}/{n_code}, {section[cell_index][:60]} "
                  f"[{time.perf_counter() - started:.0f} s]", file=sys.stderr, flush=True)

    stop = threading.Event()

    def tick():  # redraw every second, so that the clock runs during a long cell too
        while not stop.wait(1.0):
            bar.refresh()

    ticker = threading.Thread(target=tick, daemon=True)
    if interactive:
        ticker.start()
    with tempfile.TemporaryDirectory(prefix="nbkernel-") as folder:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name=KERNELSPEC["name"],
            resources={"metadata": {"path": str(path.parent)}},
            record_timing=False,
            store_widget_state=True,  # read by normalise(), then dropped
            coalesce_streams=True,
            on_cell_start=on_start,
            config=ipc_config(folder),
        )
        try:
            client.execute()
        finally:
            stop.set()
            if ticker.is_alive():
                ticker.join()
            bar.close()
    return normalise(nb)


def children_cpu():
    """CPU seconds used so far by this script's finished child processes (the kernels).

    On a busy machine the wall time of a notebook grows with the load; its CPU time
    much less.
    """
    times = os.times()
    return times.children_user + times.children_system


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--inplace", action="store_true", help="overwrite each notebook")
    where.add_argument("--output-dir", type=Path, help="write executed copies here")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)

    failed = []
    for path in args.notebooks:
        target = path if args.inplace else args.output_dir / path.name
        start, cpu = time.perf_counter(), children_cpu()
        print(f"executing {path} ...", flush=True)
        try:
            nb = execute(path, args.timeout)
        except Exception as err:  # a failing cell, a timeout, a dead kernel
            print(f"FAILED {path}: {type(err).__name__}\n{err}", file=sys.stderr, flush=True)
            failed.append(path)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        print(f"  wrote {target} ({time.perf_counter() - start:.1f} s, kernel CPU "
              f"{children_cpu() - cpu:.1f} s)", flush=True)

    if failed:
        print("failed: " + " ".join(map(str, failed)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
