#!/usr/bin/env python3
"""Re-run the notebook tests under another BLAS setting (for maintainers).

The saved outputs were computed with the machine's own OpenBLAS kernels and
thread count; another CPU (a student's laptop, Binder, CI) may pick other
kernels and sum in another order. This script re-runs strict ``nbval`` (as
``make test`` does) with the BLAS forced to another kernel family and thread
count, so that a printed number that depends on them shows up here first::

    .venv/bin/python scripts/nbval_blas.py                      # Sandybridge kernels, 1 thread
    .venv/bin/python scripts/nbval_blas.py --coretype Haswell --threads 2
    .venv/bin/python scripts/nbval_blas.py notebooks/02_sgd_linear_models.ipynb --student
    .venv/bin/python scripts/nbval_blas.py --dry-run            # show the setting, run nothing
    .venv/bin/python scripts/nbval_blas.py -- -x -q             # extra pytest arguments after --

It sets ``OPENBLAS_CORETYPE`` (the kernel family of NumPy's bundled OpenBLAS;
the wheels are built with DYNAMIC_ARCH, so any family the CPU can run works,
e.g. Prescott, Nehalem, Sandybridge, Haswell, SkylakeX) and
``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS``; the pytest
process, its xdist workers and the notebook kernels inherit them. Before
running, it asks ``threadpoolctl`` in a fresh Python with that environment
which BLAS NumPy loads and stops (exit status 2) if the setting did not take
effect, e.g. a NumPy linked against MKL or Accelerate, which ignore OPENBLAS_*.
The exit status is otherwise pytest's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
PROBE = ("import json, numpy, threadpoolctl; "
         "print(json.dumps([i for i in threadpoolctl.threadpool_info() "
         "if i['user_api'] == 'blas']))")


def blas_environment(coretype: str | None, threads: int | None) -> dict[str, str]:
    """The current environment with the BLAS variables set (or left alone when None)."""
    env = dict(os.environ)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    if threads is not None:
        for name in THREAD_VARIABLES:
            env[name] = str(threads)
    return env


def probe_blas(python: str, env: dict[str, str]) -> list[dict]:
    """What threadpoolctl reports for NumPy's BLAS in a fresh interpreter with ``env``."""
    result = subprocess.run([python, "-c", PROBE], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"nbval_blas: could not ask threadpoolctl about the BLAS:\n"
                         f"{result.stderr.strip()}")
    return json.loads(result.stdout)


def check_setting(blas: list[dict], coretype: str | None, threads: int | None) -> list[str]:
    """The ways the requested setting did not take effect (empty when it did)."""
    if not blas:
        return ["threadpoolctl finds no BLAS library loaded by NumPy"]
    problems = []
    for lib in blas:
        name = f"{lib.get('internal_api')} {lib.get('version')} ({lib.get('filepath')})"
        if coretype and lib.get("internal_api") != "openblas":
            problems.append(f"{name} is not OpenBLAS: OPENBLAS_CORETYPE has no effect on it")
        elif coretype and str(lib.get("architecture", "")).lower() != coretype.lower():
            problems.append(f"{name} runs {lib.get('architecture')} kernels, not {coretype} "
                            f"(a coretype the CPU cannot run, or a build without DYNAMIC_ARCH)")
        if threads is not None and lib.get("num_threads") != threads:
            problems.append(f"{name} uses {lib.get('num_threads')} threads, not {threads}")
    return problems


def pytest_command(python: str, notebooks: list[str], *, student: bool, workers: int,
                   timeout: int, extra: list[str]) -> list[str]:
    """Strict nbval on ``notebooks`` (and their student tests), as `make test` runs it."""
    targets = list(notebooks)
    if student:
        for notebook in notebooks:
            lesson = Path(notebook).name[:2]
            test = REPO / "tests" / f"test_student_lesson{lesson}.py"
            if test.exists():
                targets.append(str(test.relative_to(REPO)))
    command = [python, "-m", "pytest", "--nbval", "--nbval-current-env",
               "--nbval-sanitize-with", "nbval_sanitize.cfg", "--nbval-cell-timeout", str(timeout)]
    if workers > 0:
        command += ["-n", str(workers), "--dist", "loadfile"]
    return command + extra + targets


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    extra: list[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    parser = argparse.ArgumentParser(
        description="Re-run strict nbval (and optionally the student notebook tests) under "
                    "another BLAS kernel family and thread count.",
        epilog="Arguments after -- go to pytest unchanged.")
    parser.add_argument("notebooks", nargs="*",
                        help="notebooks to test (default: every notebooks/*.ipynb)")
    parser.add_argument("--coretype", default="Sandybridge",
                        help="OPENBLAS_CORETYPE, the OpenBLAS kernel family (default "
                             "Sandybridge); 'none' leaves it unset")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads, OPENBLAS/OMP/MKL_NUM_THREADS (default 1); 0 leaves "
                             "them unset")
    parser.add_argument("--student", action="store_true",
                        help="also run tests/test_student_lessonNN.py for each notebook")
    parser.add_argument("--workers", type=int, default=2,
                        help="pytest-xdist workers, as make test (default 2; 0: none)")
    parser.add_argument("--timeout", type=int, default=600,
                        help="seconds per notebook cell (default 600, as make test)")
    parser.add_argument("--python", default=str(REPO / ".venv" / "bin" / "python"),
                        help="the interpreter with the course's packages (default .venv)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the BLAS setting and the command, run nothing")
    args = parser.parse_args(argv)

    coretype = None if args.coretype.lower() in ("", "none") else args.coretype
    threads = args.threads or None
    python = args.python if Path(args.python).exists() else sys.executable
    notebooks = args.notebooks or sorted(str(p.relative_to(REPO))
                                         for p in (REPO / "notebooks").glob("*.ipynb"))
    env = blas_environment(coretype, threads)

    blas = probe_blas(python, env)
    settings = {k: env[k] for k in ("OPENBLAS_CORETYPE", *THREAD_VARIABLES) if k in env}
    print("BLAS setting: " + (" ".join(f"{k}={v}" for k, v in settings.items()) or "(none)"))
    for lib in blas:
        print(f"NumPy's BLAS: {lib.get('internal_api')} {lib.get('version')}, "
              f"{lib.get('architecture')} kernels, {lib.get('num_threads')} thread(s)")
    problems = check_setting(blas, coretype, threads)
    if problems:
        print("nbval_blas: the BLAS setting did not take effect:\n  " + "\n  ".join(problems),
              file=sys.stderr)
        return 2

    command = pytest_command(python, notebooks, student=args.student, workers=args.workers,
                             timeout=args.timeout, extra=extra)
    print("$ " + " ".join(command), flush=True)
    if args.dry_run:
        return 0
    return subprocess.run(command, cwd=REPO, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
