"""A clone made as Git for Windows makes it (core.autocrlf=true) still loads every data set.

Without ``.gitattributes`` marking ``data/**`` binary, git converts the Boston
CSV's line endings to CRLF on checkout, its SHA-256 no longer matches, and
lessons 00, 02 and 03 cannot load it. The test clones the repository's HEAD
(what a student gets), so it checks the committed ``.gitattributes``.
"""

import hashlib
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from course_lib import data

REPO = Path(__file__).resolve().parent.parent


def _is_git_checkout() -> bool:
    if shutil.which("git") is None:
        return False
    result = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--is-inside-work-tree"],
                            capture_output=True, text=True)
    return result.returncode == 0 and result.stdout.strip() == "true"


@pytest.fixture(scope="module")
def crlf_clone(tmp_path_factory):
    """A fresh clone of HEAD with core.autocrlf=true (Git for Windows' default)."""
    if not _is_git_checkout():
        pytest.skip("needs git and a git checkout of the course")
    clone = tmp_path_factory.mktemp("windows") / "course"
    subprocess.run(["git", "clone", "--quiet", "--config", "core.autocrlf=true", str(REPO),
                    str(clone)], check=True)
    return clone


def test_autocrlf_leaves_every_data_file_byte_for_byte(crlf_clone):
    for relpath, expected in data.CHECKSUMS.items():
        raw = (crlf_clone / "data" / relpath).read_bytes()
        endings = " (CRLF line endings)" if b"\r\n" in raw else ""
        assert hashlib.sha256(raw).hexdigest() == expected, (
            f"{relpath} changed on checkout with core.autocrlf=true{endings}: is data/** "
            f"binary in .gitattributes?")


def test_autocrlf_clone_loads_every_data_set(crlf_clone, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(crlf_clone / "data"))
    assert data.data_dir() == crlf_clone / "data"
    X, y, names = data.load_boston()
    assert X.shape == (506, 13) and y[0] == 24.0 and names[11] == "B"
    assert data.load_boston(drop_b=True)[0].shape == (506, 12)
    images, labels = data.load_mnist("test")
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)
    images, labels = data.load_mnist("train")
    assert images.shape == (60000, 28, 28) and np.bincount(labels)[0] == 5923
    assert data.load_iris()[0].shape == (150, 4)
    assert len(data.load_words()) == data.WORDS_COUNT
    assert data.load_digits()[0].shape == (1797, 64)
