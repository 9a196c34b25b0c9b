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

A notebook whose execution fails is not written; the script goes on with the
others and exits with status 1 at the end.
"""

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

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


def execute(path, timeout):
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNELSPEC["name"],
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        store_widget_state=False,
        coalesce_streams=True,
    )
    client.execute()
    return normalise(nb)


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
        start = time.perf_counter()
        print(f"executing {path} ...", flush=True)
        try:
            nb = execute(path, args.timeout)
        except Exception as err:  # a failing cell, a timeout, a dead kernel
            print(f"FAILED {path}: {type(err).__name__}\n{err}", file=sys.stderr, flush=True)
            failed.append(path)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        print(f"  wrote {target} ({time.perf_counter() - start:.1f} s)", flush=True)

    if failed:
        print("failed: " + " ".join(map(str, failed)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
