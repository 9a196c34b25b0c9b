"""Execute course notebooks deterministically, in the order given.

Usage:
    python scripts/execute_notebooks.py --inplace notebooks/*.ipynb
    python scripts/execute_notebooks.py --output-dir build/notebooks notebooks/*.ipynb

Each notebook runs top to bottom in a fresh ``python3`` kernel of the Python
that runs this script (so run it with the venv's Python), with the notebook's
own folder as working directory, as ``pytest --nbval`` does. The result is
written so that re-executing deterministic code gives a byte-identical file:

* no per-cell timing metadata (``record_timing=False``, old timings removed);
* no ipywidgets state in the notebook metadata (``store_widget_state=False``);
* widget views (``application/vnd.jupyter.widget-view+json``, e.g. tqdm.auto
  progress bars) are dropped from outputs, keeping their ``text/plain``
  fallback: their model ids are random and, without the stored state, no
  viewer could draw them anyway;
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

import nbformat
from nbclient import NotebookClient
from tqdm import tqdm
from traitlets.config import Config

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def normalise(nb):
    """Remove the machine- and run-dependent parts of an executed notebook."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.outputs:
            data = out.get("data")
            if data is not None:
                data.pop(WIDGET_VIEW, None)
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
            store_widget_state=False,
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
