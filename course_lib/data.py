"""Load the course's data sets from the committed files in ``data/`` (never from the network).

Every file is checked against its SHA-256 before it is parsed; a missing or
corrupt file raises :class:`DataFileError` naming the file, the data folder in
use, and how to restore it (a command that works from any working directory).
A text file (the Boston CSV, the word list) that a Windows checkout converted to
CRLF line endings is read after converting them back: its bytes, and so its
checksum, are otherwise those of the committed file. Iris and the 8x8 digits
come from scikit-learn, which ships them.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import sklearn.datasets

from .validation import check_bool, check_int, describe, is_real_number

#: SHA-256 of each committed file, as listed in data/README.md.
CHECKSUMS = {
    "mnist/train-images-idx3-ubyte.gz": "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
    "mnist/train-labels-idx1-ubyte.gz": "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
    "mnist/t10k-images-idx3-ubyte.gz": "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
    "mnist/t10k-labels-idx1-ubyte.gz": "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
    "boston/boston_house_prices.csv": "d98212636026544fc9b9c0f372e5f819872e6fa6fa757ab025efdda22180f2d6",
    "words/american-english": "9f513f1ceadb6a01c5485b7dbdfd5118dc66cd70b59cae2851292112d4066a32",
}

#: how many lowercase a-z words ``words/american-english`` holds (of its 104,334 lines)
WORDS_COUNT = 63875

_MNIST_FILES = {
    "train": ("mnist/train-images-idx3-ubyte.gz", "mnist/train-labels-idx1-ubyte.gz", 60000),
    "test": ("mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz", 10000),
}
_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049


class DataFileError(OSError):
    """A data file is missing, corrupt or not in the expected format."""


def data_dir() -> Path:
    """The folder holding the data files.

    ``$COURSE_DATA_DIR`` if set, else ``data/`` at the top of the repository.
    """
    env = os.environ.get("COURSE_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "data"


def _restore_hint(relpath: str, directory: Path, *, corrupt: bool = False) -> str:
    """How to get ``relpath`` back into ``directory``: a git command when it is a clone's data/.

    The command names the repository with ``git -C``, so it works from any
    working directory (Jupyter runs in notebooks/). A corrupt file is deleted
    first: git does not rewrite a file whose timestamps it has already seen.
    """
    folder = str(directory)
    if os.environ.get("COURSE_DATA_DIR"):
        folder += " (the data folder set by COURSE_DATA_DIR)"
    repo = directory.resolve().parent
    if directory.name == "data" and (repo / ".git").exists():
        delete = f"delete {directory / relpath}, then run " if corrupt else "run "
        return (f"The data folder in use is {folder}. To restore the file, {delete}"
                f"`git -C \"{repo}\" checkout -- data/{relpath}` (from any folder), or copy it "
                f"from a fresh clone of the course; data/README.md lists its source and SHA-256.")
    return (f"The data folder in use is {folder}. Copy data/{relpath} from a clone of the "
            f"course repository to {directory / relpath}; data/README.md lists its source and "
            f"SHA-256.")


def _is_text(relpath: str) -> bool:
    """Whether a Windows checkout could have converted the file's line endings to CRLF."""
    return relpath.endswith(".csv") or relpath.startswith("words/")


def read_verified(relpath: str, directory: Path | None = None) -> bytes:
    """Read a data file and check its SHA-256 against :data:`CHECKSUMS`.

    A text file (``.csv``, the word list) with CRLF line endings (what git's ``core.autocrlf`` makes
    on Windows without the repository's ``.gitattributes``) is accepted when,
    with LF endings, it is the committed file; the LF bytes are returned.

    Raises
    ------
    DataFileError
        If the file is missing or its checksum differs.
    ValueError
        If ``relpath`` is not one of the course's data files.
    """
    if relpath not in CHECKSUMS:
        raise ValueError(f"read_verified: {relpath!r} is not one of the course's data files: "
                         f"{', '.join(CHECKSUMS)}.")
    directory = Path(directory) if directory is not None else data_dir()
    path = directory / relpath
    if not path.is_file():
        raise DataFileError(f"Data file not found: {path}. {_restore_hint(relpath, directory)}")
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != CHECKSUMS[relpath] and _is_text(relpath) and b"\r\n" in raw:
        lf = raw.replace(b"\r\n", b"\n")
        if hashlib.sha256(lf).hexdigest() == CHECKSUMS[relpath]:
            return lf
    if digest != CHECKSUMS[relpath]:
        crlf = (" It has Windows (CRLF) line endings." if b"\r\n" in raw else "")
        raise DataFileError(f"Data file {path} is corrupt: SHA-256 {digest[:12]}... differs from "
                            f"the expected {CHECKSUMS[relpath][:12]}... "
                            f"({len(raw):,} bytes).{crlf} "
                            f"{_restore_hint(relpath, directory, corrupt=True)}")
    return raw


def parse_idx(raw: bytes, magic: int, name: str = "IDX file") -> np.ndarray:
    """Parse an IDX file (images magic 2051, labels 2049), gzip-compressed or not.

    The header is big-endian int32: magic, the count, then rows and cols for images.
    Returns uint8 of shape (count,) or (count, rows, cols).
    """
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    ndim = 3 if magic == _IMAGES_MAGIC else 1
    header_len = 4 * (1 + ndim)
    if len(raw) < header_len:
        raise DataFileError(f"{name}: {len(raw)} bytes is shorter than the IDX header "
                            f"({header_len} bytes).")
    header = np.frombuffer(raw[:header_len], dtype=">i4")
    if header[0] != magic:
        raise DataFileError(f"{name}: IDX magic number {header[0]}, expected {magic}.")
    shape = tuple(int(n) for n in header[1:])
    expected = header_len + int(np.prod(shape))
    if len(raw) != expected:
        raise DataFileError(f"{name}: {len(raw):,} bytes, expected {expected:,} for shape {shape}.")
    return np.frombuffer(raw, dtype=np.uint8, offset=header_len).reshape(shape).copy()


def load_mnist(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """MNIST handwritten digits from ``data/mnist``.

    Parameters
    ----------
    split : {"train", "test"}
        60,000 training or 10,000 test images.

    Returns
    -------
    images : ndarray of uint8, shape (N, 28, 28)
        Pixel values 0 (background) to 255.
    labels : ndarray of int64, shape (N,)
        Digits 0-9.
    """
    if not isinstance(split, str):
        raise TypeError(f"load_mnist: split must be the string 'train' or 'test', got "
                        f"{describe(split)}.")
    if split not in _MNIST_FILES:
        raise ValueError(f"load_mnist: split must be 'train' or 'test', got {split!r}.")
    images_file, labels_file, count = _MNIST_FILES[split]
    images = parse_idx(read_verified(images_file), _IMAGES_MAGIC, images_file)
    labels = parse_idx(read_verified(labels_file), _LABELS_MAGIC, labels_file)
    if images.shape != (count, 28, 28) or labels.shape != (count,):
        raise DataFileError(f"MNIST {split}: got images {images.shape} and labels "
                            f"{labels.shape}, expected ({count}, 28, 28) and ({count},).")
    return images, labels.astype(np.int64)


def load_boston(*, drop_b: bool = False) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Boston house prices (Harrison and Rubinfeld, 1978) from ``data/boston``.

    The feature ``B`` was computed from the proportion of Black residents by
    town, an assumption about race and house prices built into the data set;
    scikit-learn removed it in version 1.2 for this reason. The course keeps
    it to show the data set as it was used for decades, and ``drop_b=True``
    to show results without it.

    Parameters
    ----------
    drop_b : bool, default False
        Leave out the ``B`` feature (12 features instead of 13). True or False
        only: a string such as ``"no"`` is refused, not read as true.

    Returns
    -------
    X : ndarray of float64, shape (506, 13) (or (506, 12) with drop_b)
    y : ndarray of float64, shape (506,)
        Median home value in $1000s (MEDV).
    feature_names : list of str
    """
    drop_b = check_bool(drop_b, "drop_b", where="load_boston")
    relpath = "boston/boston_house_prices.csv"
    lines = read_verified(relpath).decode("ascii").strip().splitlines()
    n_rows, n_features = (int(v) for v in lines[0].split(",")[:2])
    names = [name.strip("\"") for name in lines[1].split(",")]
    table = np.array([[float(v) for v in line.split(",")] for line in lines[2:]])
    if table.shape != (n_rows, n_features + 1):
        raise DataFileError(f"{relpath}: table of shape {table.shape}, expected "
                            f"({n_rows}, {n_features + 1}). "
                            f"{_restore_hint(relpath, data_dir(), corrupt=True)}")
    X, y, feature_names = table[:, :-1], table[:, -1], names[:-1]
    if drop_b:
        keep = [i for i, name in enumerate(feature_names) if name != "B"]
        X, feature_names = X[:, keep], [feature_names[i] for i in keep]
    return X, y, feature_names


def load_iris() -> tuple[np.ndarray, np.ndarray]:
    """Fisher's iris from scikit-learn: X float64 (150, 4), y int64 (150,) in {0, 1, 2}."""
    X, y = sklearn.datasets.load_iris(return_X_y=True)
    return X.astype(np.float64), y.astype(np.int64)


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 digits from scikit-learn: X float64 (1797, 64) with values 0-16, y int64 (1797,)."""
    X, y = sklearn.datasets.load_digits(return_X_y=True)
    return X.astype(np.float64), y.astype(np.int64)


def load_words() -> list[str]:
    """The English words of ``data/words`` that are lowercase a-z only, in file order.

    The file is Debian's ``wamerican`` word list, built from SCOWL (see
    ``data/words/COPYRIGHT``); lines with capitals, apostrophes or accents
    (proper nouns, possessives, loan words) are left out, which keeps
    63,875 of its 104,334 lines. Each word appears once.

    Returns
    -------
    list of str
        Words such as ``"aardvark"``, each at least one character of a-z.

    Raises
    ------
    DataFileError
        If ``data/words/american-english`` is missing or corrupt (checked by SHA-256
        before parsing), or does not hold the expected number of words.
    """
    relpath = "words/american-english"
    lines = read_verified(relpath).decode("utf-8").split("\n")
    words = [w for w in lines if w and w.isascii() and w.isalpha() and w.islower()]
    if len(words) != WORDS_COUNT:
        raise DataFileError(f"{relpath}: {len(words):,} lowercase a-z words, expected "
                            f"{WORDS_COUNT:,}. {_restore_hint(relpath, data_dir(), corrupt=True)}")
    return words


def split_words(words: list[str], fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), *,
                seed: int = 0) -> tuple[list[str], list[str], list[str]]:
    """Split a list of words into training, validation and test sets, by word, at random.

    A word lands in exactly one of the three sets, so a model is never measured
    on a word it was trained on. The same ``words`` and ``seed`` give the same
    split on every machine (a permutation from ``numpy.random.default_rng(seed)``).

    Parameters
    ----------
    words : list of str
        E.g. :func:`load_words`'s list.
    fractions : tuple of three floats, default (0.8, 0.1, 0.1)
        The share of training, validation and test; each > 0, summing to 1.
    seed : int, default 0
        Seed of the permutation (an int >= 0).

    Returns
    -------
    train, validation, test : list of str
        Of sizes ``round(f * len(words))`` for the last two fractions; training
        gets the rest. Each keeps the words in random order.

    Examples
    --------
    >>> train, val, test = split_words(load_words())
    >>> len(train), len(val), len(test)
    (51099, 6388, 6388)
    """
    where = "split_words"
    if not isinstance(words, (list, tuple)) or not all(isinstance(w, str) for w in words):
        raise TypeError(f"{where}: words must be a list of strings, got {describe(words)}.")
    if (not isinstance(fractions, (list, tuple)) or len(fractions) != 3
            or not all(is_real_number(f) for f in fractions)):
        raise TypeError(f"{where}: fractions must be three numbers (train, validation, test), "
                        f"e.g. (0.8, 0.1, 0.1), got {describe(fractions)}.")
    if min(fractions) <= 0 or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"{where}: fractions must each be > 0 and sum to 1, got "
                         f"{tuple(fractions)} (sum {sum(fractions):.6g}).")
    seed = check_int(seed, "seed", where=where, low=0)
    n = len(words)
    n_val, n_test = round(fractions[1] * n), round(fractions[2] * n)
    if n - n_val - n_test < 1 or n_val < 1 or n_test < 1:
        raise ValueError(f"{where}: {n} words are too few to split by {tuple(fractions)}: "
                         f"every set needs at least one word.")
    order = np.random.default_rng(seed).permutation(n)
    picked = [words[i] for i in order]
    return picked[:n - n_val - n_test], picked[n - n_val - n_test:n - n_test], picked[n - n_test:]


def one_hot(y: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """Integer labels (N,) -> one-hot float64 (N, K), K = ``num_classes`` or max(y) + 1.

    Parameters
    ----------
    y : array-like of int, shape (N,)
        Labels >= 0. May be empty when ``num_classes`` is given.
    num_classes : int, optional
        K, a positive int (not a float such as 2.5); every label must be < K.

    Raises
    ------
    TypeError
        For labels that are not integers, or a ``num_classes`` that is not an int.
    ValueError
        For labels out of range, or no labels and no ``num_classes``.
    """
    y = np.asarray(y)
    if num_classes is not None:
        num_classes = check_int(num_classes, "num_classes", where="one_hot")
    if y.ndim == 1 and y.size == 0:
        if num_classes is None:
            raise ValueError("one_hot: got no labels (an empty array), so the number of classes "
                             "cannot be read from them; pass num_classes, e.g. "
                             "one_hot(y, num_classes=10).")
        return np.zeros((0, num_classes))
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"one_hot: expected integer labels of shape (N,), got dtype {y.dtype} "
                        f"and shape {y.shape}.")
    if y.min() < 0:
        raise ValueError(f"one_hot: labels must be >= 0, got a minimum of {y.min()}.")
    k = int(y.max()) + 1 if num_classes is None else num_classes
    if y.max() >= k:
        raise ValueError(f"one_hot: labels must lie in [0, {k}), got a maximum of {y.max()}.")
    out = np.zeros((y.size, k))
    out[np.arange(y.size), y] = 1.0
    return out
