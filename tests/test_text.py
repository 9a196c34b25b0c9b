"""Words as padded next-character arrays (course_lib.text)."""

import numpy as np
import pytest

from course_lib.text import BOUNDARY, VOCAB, VOCAB_SIZE, decode, encode_word, encode_words


def test_vocab():
    assert VOCAB_SIZE == 27 and VOCAB[BOUNDARY] == "." and VOCAB[1] == "a" and VOCAB[26] == "z"


def test_encode_words_pads_and_masks():
    inputs, targets, mask = encode_words(["cat", "a", "zebra"])
    assert inputs.shape == targets.shape == mask.shape == (3, 6)
    assert inputs.dtype == targets.dtype == np.int64 and mask.dtype == bool
    assert decode(inputs[0]) == ".cat.." and decode(targets[0]) == "cat..."
    assert mask.sum(axis=1).tolist() == [4, 2, 6]
    # the targets are the inputs shifted by one, on the real steps
    np.testing.assert_array_equal(inputs[2, 1:], targets[2, :-1])
    np.testing.assert_array_equal(encode_word("cat"), [0, 3, 1, 20, 0])
    assert encode_words(["cat"], length=7)[0].shape == (1, 7)


def test_encode_words_bad_input():
    with pytest.raises(ValueError, match="lowercase a-z, got str 'Cat'"):
        encode_words(["Cat"])
    with pytest.raises(ValueError, match="lowercase a-z"):
        encode_words([""])
    with pytest.raises(TypeError, match=r"pass \[word\]"):
        encode_words("cat")
    with pytest.raises(ValueError, match="length 3 is too short"):
        encode_words(["cat"], length=3)
    with pytest.raises(ValueError, match="decode"):
        decode([0, 27])
