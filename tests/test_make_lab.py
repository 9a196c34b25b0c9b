"""`make lab`: copies new lessons, announces newer ones without touching the copy, runs as root."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make_lab(tmp_path: Path) -> str:
    """Run `make lab` with a stand-in for jupyter that prints its arguments."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    fake = venv / "bin" / "jupyter"
    fake.write_text("#!/bin/sh\necho jupyter \"$@\"\n")
    fake.chmod(0o755)
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", "install", "lab", f"VENV={venv}",
         f"LAB_DIR={tmp_path / 'work'}"],
        cwd=REPO, capture_output=True, text=True, check=True)
    return result.stdout


def test_make_lab_copies_then_announces_a_newer_lesson_without_touching_the_copy(tmp_path):
    first = make_lab(tmp_path)
    lessons = sorted(p.name for p in (REPO / "student").glob("*.ipynb"))
    assert first.count("new lesson:") == len(lessons)
    work = tmp_path / "work"
    mine = work / lessons[0]
    mine.write_text(mine.read_text() + " ")  # the student's answers
    assert "updated lesson" not in make_lab(tmp_path)  # student/ unchanged: nothing to say

    copied = work / ".copied" / lessons[0]  # as if student/ had changed since the copy
    copied.write_text(copied.read_text() + "\n")
    again = make_lab(tmp_path)
    assert f"updated lesson: student/{lessons[0]} is newer" in again
    assert "new lesson" not in again
    assert mine.read_text().endswith(" ")  # the student's copy is untouched


def test_make_lab_adds_allow_root_only_as_root(tmp_path):
    out = make_lab(tmp_path)
    launched = [line for line in out.splitlines() if line.startswith("jupyter lab")]
    assert launched
    assert ("--allow-root" in launched[-1]) == (os.geteuid() == 0)
