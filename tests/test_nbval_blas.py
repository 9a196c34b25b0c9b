"""scripts/nbval_blas.py: the BLAS environment it sets, its check that the setting took
effect, and the pytest command it runs (nothing is run here but a BLAS probe)."""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import nbval_blas  # noqa: E402


def test_environment_sets_coretype_and_threads():
    env = nbval_blas.blas_environment("Sandybridge", 1)
    assert env["OPENBLAS_CORETYPE"] == "Sandybridge"
    assert all(env[name] == "1" for name in nbval_blas.THREAD_VARIABLES)


def test_check_setting_names_what_did_not_take_effect():
    openblas = {"user_api": "blas", "internal_api": "openblas", "version": "0.3",
                "filepath": "libopenblas.so", "architecture": "Haswell", "num_threads": 4}
    assert nbval_blas.check_setting([openblas], "haswell", 4) == []
    problems = nbval_blas.check_setting([openblas], "Sandybridge", 1)
    assert "runs Haswell kernels, not Sandybridge" in problems[0]
    assert "uses 4 threads, not 1" in problems[1]
    mkl = dict(openblas, internal_api="mkl")
    assert "is not OpenBLAS" in nbval_blas.check_setting([mkl], "Sandybridge", None)[0]
    assert nbval_blas.check_setting([], None, None) == [
        "threadpoolctl finds no BLAS library loaded by NumPy"]


def test_pytest_command_runs_strict_nbval_like_make_test():
    command = nbval_blas.pytest_command("python", ["notebooks/02_sgd_linear_models.ipynb"],
                                        student=True, workers=2, timeout=600, extra=["-x"])
    assert command[:3] == ["python", "-m", "pytest"]
    for part in ("--nbval", "--nbval-current-env", "nbval_sanitize.cfg", "loadfile", "-x"):
        assert part in command
    assert command[-2:] == ["notebooks/02_sgd_linear_models.ipynb",
                            "tests/test_student_lesson02.py"]


def test_dry_run_reports_the_blas_in_use(capsys):
    pytest.importorskip("threadpoolctl")
    status = nbval_blas.main(["--dry-run", "--coretype", "none", "--threads", "0",
                              "--python", sys.executable])
    out = capsys.readouterr().out
    assert status == 0 and "NumPy's BLAS:" in out and "--nbval" in out
