"""The loaders: shapes and dtypes, checksums, and clear errors for missing or corrupt files."""

import gzip
import shutil

import numpy as np
import pytest

from course_lib import data
from course_lib.data import (DataFileError, load_boston, load_digits, load_iris, load_mnist,
                             one_hot, parse_idx)


def test_mnist_test_split():
    images, labels = load_mnist("test")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.int64
    assert set(np.unique(labels)) == set(range(10))
    assert images.max() == 255 and images.min() == 0


def test_mnist_train_split():
    images, labels = load_mnist("train")
    assert images.shape == (60000, 28, 28) and labels.shape == (60000,)
    np.testing.assert_array_equal(np.bincount(labels)[:3], [5923, 6742, 5958])


def test_mnist_split_name():
    with pytest.raises(ValueError, match="'train' or 'test', got 'validation'"):
        load_mnist("validation")


def test_boston():
    X, y, names = load_boston()
    assert X.shape == (506, 13) and y.shape == (506,) and X.dtype == y.dtype == np.float64
    assert names[:3] == ["CRIM", "ZN", "INDUS"] and names[11] == "B" and len(names) == 13
    assert y[0] == 24.0 and X[0, 5] == 6.575
    X12, _, names12 = load_boston(drop_b=True)
    assert X12.shape == (506, 12) and "B" not in names12
    np.testing.assert_array_equal(X12[:, 11], X[:, 12])


def test_iris_and_digits():
    X, y = load_iris()
    assert X.shape == (150, 4) and y.dtype == np.int64 and np.bincount(y).tolist() == [50] * 3
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.max() == 16 and y.dtype == np.int64


def test_one_hot():
    np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    assert one_hot(np.array([0, 4])).shape == (2, 5)
    with pytest.raises(ValueError, match=r"\[0, 3\), got a maximum of 3"):
        one_hot(np.array([3]), 3)
    with pytest.raises(TypeError, match="integer labels"):
        one_hot(np.array([0.5]))


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A private copy of data/ that a test may damage; the loaders read it via COURSE_DATA_DIR."""
    for relpath in data.CHECKSUMS:
        (tmp_path / relpath).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(data.data_dir() / relpath, tmp_path / relpath)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    return tmp_path


def test_missing_file_names_it_and_how_to_restore(data_copy):
    (data_copy / "mnist/t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataFileError) as info:
        load_mnist("test")
    message = str(info.value)
    assert f"not found: {data_copy / 'mnist/t10k-labels-idx1-ubyte.gz'}." in message
    # the data folder in use (set by COURSE_DATA_DIR here, not a clone) and where the copy goes
    assert (f"The data folder in use is {data_copy} (the data folder set by "
            f"COURSE_DATA_DIR)") in message
    assert (f"Copy data/mnist/t10k-labels-idx1-ubyte.gz from a clone of the course repository "
            f"to {data_copy / 'mnist/t10k-labels-idx1-ubyte.gz'}") in message
    assert "git checkout" not in message  # no command that would not work here


@pytest.fixture
def fake_clone(tmp_path, monkeypatch):
    """A folder laid out like a clone (.git next to data/) holding a copy of the data."""
    repo = tmp_path / "course clone"  # a space, as in a Windows user folder
    (repo / ".git").mkdir(parents=True)
    for relpath in data.CHECKSUMS:
        (repo / "data" / relpath).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(data.data_dir() / relpath, repo / "data" / relpath)
    monkeypatch.setenv("COURSE_DATA_DIR", str(repo / "data"))
    return repo


def test_restore_hint_in_a_clone_works_from_any_folder(fake_clone):
    (fake_clone / "data/mnist/t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataFileError) as info:
        load_mnist("test")
    # git -C names the repository, so the command works from notebooks/ too
    assert (f'`git -C "{fake_clone.resolve()}" checkout -- data/mnist/t10k-labels-idx1-ubyte.gz`'
            f" (from any folder)") in str(info.value)


def test_corrupt_file_hint_deletes_it_first(fake_clone):
    path = fake_clone / "data/boston/boston_house_prices.csv"
    path.write_bytes(path.read_bytes().replace(b"24\n", b"25\n", 1))
    with pytest.raises(DataFileError, match=r"is corrupt: .*delete .*boston_house_prices\.csv, "
                                            r"then run `git -C .* checkout -- "
                                            r"data/boston/boston_house_prices\.csv`"):
        load_boston()


def test_boston_with_windows_line_endings_loads(data_copy):
    """A checkout converted to CRLF (git's core.autocrlf) holds the same data."""
    path = data_copy / "boston/boston_house_prices.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    X, y, names = load_boston()
    X_ref, y_ref, names_ref = _reference_boston()
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)
    assert names == names_ref


def test_crlf_file_that_differs_is_still_corrupt(data_copy):
    path = data_copy / "boston/boston_house_prices.csv"
    raw = path.read_bytes().replace(b"24\n", b"25\n", 1).replace(b"\n", b"\r\n")
    path.write_bytes(raw)
    with pytest.raises(DataFileError, match=r"is corrupt: .* It has Windows \(CRLF\) line endings"):
        load_boston()


def _reference_boston():
    """load_boston from the repository's own data/, whatever COURSE_DATA_DIR says."""
    import os
    saved = os.environ.pop("COURSE_DATA_DIR", None)
    try:
        return load_boston()
    finally:
        if saved is not None:
            os.environ["COURSE_DATA_DIR"] = saved


def test_read_verified_names_the_known_files():
    with pytest.raises(ValueError, match=r"'boston/boston\.csv' is not one of the course's data "
                                         r"files: mnist/train-images"):
        data.read_verified("boston/boston.csv")


def test_corrupt_file_names_it_and_the_checksums(data_copy):
    path = data_copy / "boston/boston_house_prices.csv"
    path.write_bytes(path.read_bytes().replace(b"24\n", b"25\n", 1))
    with pytest.raises(DataFileError, match=r"boston_house_prices.csv is corrupt: SHA-256 .* "
                                            r"differs from the expected d98212636026"):
        load_boston()


def test_truncated_mnist_file(data_copy):
    path = data_copy / "mnist/t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DataFileError, match="t10k-images-idx3-ubyte.gz is corrupt"):
        load_mnist("test")


def test_idx_parser_checks_magic_and_size():
    good = np.array([2049, 3], dtype=">i4").tobytes() + bytes([1, 2, 3])
    np.testing.assert_array_equal(parse_idx(gzip.compress(good), 2049), [1, 2, 3])
    with pytest.raises(DataFileError, match="magic number 2049, expected 2051"):
        parse_idx(np.array([2049, 1, 1, 1], dtype=">i4").tobytes() + b"x", 2051, "images")
    with pytest.raises(DataFileError, match="9 bytes, expected 11"):
        parse_idx(good[:-2], 2049)
    with pytest.raises(DataFileError, match="shorter than the IDX header"):
        parse_idx(b"\x00\x00", 2049)


def test_words():
    from course_lib.data import WORDS_COUNT, load_words
    words = load_words()
    assert len(words) == WORDS_COUNT == 63875 and len(set(words)) == len(words)
    assert all(w.isascii() and w.isalpha() and w.islower() for w in words)
    assert words[0] == "a" and "zebra" in words


def test_split_words_is_fixed_and_disjoint():
    from course_lib.data import load_words, split_words
    words = load_words()
    train, val, test = split_words(words)
    assert (len(train), len(val), len(test)) == (51099, 6388, 6388)
    assert not (set(train) & set(val)) and not (set(train) & set(test)) and not (set(val) & set(test))
    assert sorted(train + val + test) == sorted(words)
    assert split_words(words) == (train, val, test)  # the same seed, the same split
    assert split_words(words, seed=1)[1] != val
    with pytest.raises(ValueError, match="sum to 1"):
        split_words(words, (0.8, 0.1, 0.2))
    with pytest.raises(TypeError, match="list of strings"):
        split_words("abc")
    with pytest.raises(ValueError, match="too few"):
        split_words(["a", "b"])


def test_words_missing_or_corrupt(data_copy):
    from course_lib.data import load_words
    path = data_copy / "words/american-english"
    path.write_bytes(path.read_bytes().replace(b"zebra\n", b"zebre\n"))
    with pytest.raises(DataFileError, match=r"american-english is corrupt: SHA-256"):
        load_words()
    path.unlink()
    with pytest.raises(DataFileError, match=r"Data file not found: .*american-english"):
        load_words()


def test_words_with_windows_line_endings_load(data_copy):
    from course_lib.data import load_words
    path = data_copy / "words/american-english"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert len(load_words()) == 63875
