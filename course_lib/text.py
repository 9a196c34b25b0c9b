"""Words as sequences of character tokens, for character-level language models.

The vocabulary is the 26 letters plus one boundary token ``"."`` (index 0),
which marks both the start and the end of a word, as in Karpathy's makemore.
A word of n letters becomes n + 1 prediction steps: from ``"."`` predict the
first letter, ..., from the last letter predict ``"."`` (the end)::

    "cat":  inputs  . c a t          targets  c a t .

A batch of words of different lengths is padded to the longest on the right;
``mask`` is True on the real steps and False on the padding, and a loss
(:class:`course_lib.losses.SequenceCrossEntropyLoss`) counts only the real
steps. A left-to-right model never sees the padding of a step it predicts,
since padding comes after it.
"""

from __future__ import annotations

import string

import numpy as np

from .validation import describe

#: the tokens: index 0 is the boundary ".", then "a" (1) to "z" (26)
VOCAB = "." + string.ascii_lowercase
#: the number of tokens, 27
VOCAB_SIZE = len(VOCAB)
#: the index of the boundary token (start and end of a word)
BOUNDARY = 0

_INDEX = {ch: i for i, ch in enumerate(VOCAB)}


def _check_word(word: object, where: str) -> str:
    if not isinstance(word, str) or not word or any(ch not in _INDEX or ch == "." for ch in word):
        raise ValueError(f"{where}: every word must be a non-empty string of lowercase a-z, "
                         f"got {describe(word)}.")
    return word


def encode_word(word: str) -> np.ndarray:
    """A word's tokens with a boundary at each end: ``"cat"`` -> [0, 3, 1, 20, 0] (int64)."""
    _check_word(word, "encode_word")
    return np.array([BOUNDARY, *(_INDEX[ch] for ch in word), BOUNDARY], dtype=np.int64)


def encode_words(words: list[str], length: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A batch of words as padded next-character prediction arrays.

    Parameters
    ----------
    words : list of str
        Non-empty lowercase a-z words.
    length : int, optional
        T, the number of steps; the default is the longest word's length + 1.
        Must be at least that (words are never cut).

    Returns
    -------
    inputs : ndarray of int64, shape (N, T)
        ``.`` then the letters; padding is ``BOUNDARY`` (0).
    targets : ndarray of int64, shape (N, T)
        The letters then ``.``: ``targets[:, t]`` is the token after ``inputs[:, t]``;
        padding is 0 (never counted: see ``mask``).
    mask : ndarray of bool, shape (N, T)
        True on a word's n + 1 real steps, False on its padding.

    Examples
    --------
    >>> inputs, targets, mask = encode_words(["cat", "a"])
    >>> inputs.tolist(), targets.tolist(), mask.sum(axis=1).tolist()
    ([[0, 3, 1, 20], [0, 1, 0, 0]], [[3, 1, 20, 0], [1, 0, 0, 0]], [4, 2])
    """
    where = "encode_words"
    if isinstance(words, str) or not isinstance(words, (list, tuple)) or not words:
        raise TypeError(f"{where}: words must be a non-empty list of strings, got "
                        f"{describe(words)}. For one word, pass [word].")
    for word in words:
        _check_word(word, where)
    longest = max(len(w) for w in words) + 1
    if length is None:
        length = longest
    elif isinstance(length, bool) or not isinstance(length, (int, np.integer)):
        raise TypeError(f"{where}: length must be an int, got {describe(length)}.")
    elif length < longest:
        raise ValueError(f"{where}: length {length} is too short: the longest word needs "
                         f"{longest} steps (its letters + the end token).")
    N = len(words)
    tokens = np.zeros((N, length + 1), dtype=np.int64)
    mask = np.zeros((N, length), dtype=bool)
    for n, word in enumerate(words):
        tokens[n, 1:len(word) + 1] = [_INDEX[ch] for ch in word]
        mask[n, :len(word) + 1] = True
    return tokens[:, :-1].copy(), tokens[:, 1:].copy(), mask


def decode(tokens: np.ndarray | list[int]) -> str:
    """Tokens back to text, boundaries as ``"."``: [0, 3, 1, 20, 0] -> ``".cat."``."""
    tokens = np.asarray(tokens)
    if tokens.ndim != 1 or tokens.dtype.kind not in "iu" or (
            tokens.size and (tokens.min() < 0 or tokens.max() >= VOCAB_SIZE)):
        raise ValueError(f"decode: tokens must be a 1-D array of ints in [0, {VOCAB_SIZE}), "
                         f"got {describe(tokens)}.")
    return "".join(VOCAB[i] for i in tokens)
