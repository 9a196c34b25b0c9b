"""Run the lessons on the oldest versions the course declares, and on a Colab-like stack.

Usage:
    python scripts/compat.py                     # every stack, every lesson
    python scripts/compat.py --stack floor --notebooks 00 01
    python scripts/compat.py --keep              # keep the virtual environments

For each stack in :data:`STACKS` it makes a throw-away virtual environment
(``build/compat/<stack>``) with that Python, installs the stack's pinned
packages, ``course_lib`` (without its dependencies, so that the pins hold) and
today's ``ipykernel``/``nbclient``/``matplotlib-inline`` (what a student's
JupyterLab or Colab brings), then executes every lesson of ``notebooks/``
(solutions included) top to bottom in a kernel of that environment, with
matplotlib's inline backend as in a notebook (``MPLBACKEND`` unset). A lesson
passes when no cell raises.

* ``floor``: the lower bounds of ``pyproject.toml`` (Python, numpy, matplotlib,
  scikit-learn, tqdm), so that what the course says it supports is what runs;
* ``colab``: a recent Colab-like stack (Python 3.12, numpy 2.0, matplotlib 3.10,
  scikit-learn 1.6).

Prints one line per stack and lesson (seconds, or the first error) and writes
``build/compat/report.json``. Exit status 1 when a lesson failed on a stack, 2
when a stack could not be installed. ``make test-compat`` runs it.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "build" / "compat"

#: name -> (Python executables to try, pinned packages)
STACKS = {
    "floor": (["python3.10", "~/.pyenv/versions/3.10*/bin/python3.10"],
              ["numpy==1.24.4", "matplotlib==3.7.0", "scikit-learn==1.2.0", "tqdm==4.60.0",
               "scipy==1.10.1"]),
    "colab": (["python3.12", "~/.pyenv/versions/3.12*/bin/python3.12"],
              ["numpy==2.0.2", "matplotlib==3.10.0", "scikit-learn==1.6.1", "tqdm==4.67.1"]),
}
#: what a student's notebook server brings, whatever the course's versions (latest)
NOTEBOOK_SIDE = ["ipykernel", "nbclient", "nbformat", "matplotlib-inline", "ipywidgets",
                 "threadpoolctl"]

RUNNER = r"""
import json, sys, time, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
results = {}
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    start = time.monotonic()
    client = NotebookClient(nb, timeout=1200, kernel_name="python3",
                            resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}})
    try:
        client.execute()
        results[path] = {"ok": True, "seconds": round(time.monotonic() - start, 1)}
    except CellExecutionError as err:
        results[path] = {"ok": False, "seconds": round(time.monotonic() - start, 1),
                         "error": str(err)[-1500:]}
    print(json.dumps({path: results[path]}), flush=True)
"""


def find_python(candidates: list[str]) -> str | None:
    """The first candidate that runs (a pyenv shim may exist and still fail)."""
    for candidate in candidates:
        found = ([shutil.which(candidate)] if "/" not in candidate
                 else sorted(glob.glob(os.path.expanduser(candidate)))[-1:])
        for python in filter(None, found):
            if subprocess.run([python, "-c", "pass"], capture_output=True).returncode == 0:
                return python
    return None


def make_env(name: str, python: str, pins: list[str]) -> Path:
    env = OUT / name
    shutil.rmtree(env, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(env)], check=True)
    pip = [str(env / "bin" / "python"), "-m", "pip", "install", "--quiet",
           "--disable-pip-version-check"]
    subprocess.run(pip + pins + NOTEBOOK_SIDE, check=True)
    subprocess.run(pip + ["--no-deps", "-e", str(REPO)], check=True)
    return env


def versions(env: Path) -> dict:
    code = ("import sys, numpy, matplotlib, sklearn, tqdm, matplotlib_inline, ipykernel; "
            "print(__import__('json').dumps({'python': sys.version.split()[0], "
            "'numpy': numpy.__version__, 'matplotlib': matplotlib.__version__, "
            "'scikit-learn': sklearn.__version__, 'tqdm': tqdm.__version__, "
            "'matplotlib-inline': matplotlib_inline.__version__, "
            "'ipykernel': ipykernel.__version__}))")
    out = subprocess.run([str(env / "bin" / "python"), "-c", code], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)


def run_stack(name: str, notebooks: list[Path], keep: bool) -> dict:
    candidates, pins = STACKS[name]
    python = find_python(candidates)
    if python is None:
        return {"installed": False, "error": f"no Python for {name}: tried {candidates}"}
    try:
        env = make_env(name, python, pins)
    except subprocess.CalledProcessError as err:
        return {"installed": False, "error": f"pip failed: {err}"}
    report = {"installed": True, "versions": versions(env), "notebooks": {}}
    print(f"{name}: {report['versions']}", flush=True)
    process_env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    process_env.pop("PYTHONPATH", None)
    process = subprocess.run([str(env / "bin" / "python"), "-c", RUNNER,
                              *map(str, notebooks)], capture_output=True, text=True,
                             env=process_env)
    for line in process.stdout.splitlines():
        if line.startswith("{"):
            for path, result in json.loads(line).items():
                report["notebooks"][Path(path).stem] = result
                status = (f"ok in {result['seconds']} s" if result["ok"]
                          else "FAILED: " + result["error"].strip().splitlines()[-1][:300])
                print(f"  {name} {Path(path).stem}: {status}", flush=True)
    if process.returncode:
        report["error"] = process.stderr[-2000:]
    if not keep:
        shutil.rmtree(env, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="append", choices=sorted(STACKS))
    parser.add_argument("--notebooks", nargs="*", default=[],
                        help="lesson numbers (00 01 ...); default: every lesson")
    parser.add_argument("--keep", action="store_true", help="keep the environments")
    args = parser.parse_args(argv)
    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    if args.notebooks:
        notebooks = [p for p in notebooks if p.name[:2] in args.notebooks]
    OUT.mkdir(parents=True, exist_ok=True)
    report = {}
    for name in args.stack or list(STACKS):
        start = time.monotonic()
        report[name] = run_stack(name, notebooks, args.keep)
        report[name]["seconds"] = round(time.monotonic() - start, 1)
    (OUT / "report.json").write_text(json.dumps(report, indent=1))
    if not all(r["installed"] for r in report.values()):
        print("\n".join(r["error"] for r in report.values() if not r["installed"]))
        return 2
    failed = [(s, n) for s, r in report.items() for n, v in r["notebooks"].items() if not v["ok"]]
    missing = [s for s, r in report.items() if len(r["notebooks"]) != len(notebooks)]
    print("compat:", "every lesson ran on every stack" if not failed and not missing
          else f"failed: {failed} {('incomplete: ' + str(missing)) if missing else ''}")
    return 1 if failed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
