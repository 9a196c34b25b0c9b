"""Lesson 10's bench yardstick computes what course_lib computes: ``benchmarks/reference.py``'s
bare-NumPy transformer step against course_lib's layers (Embedding, PositionalEmbedding,
TransformerBlock, LayerNorm, TimeDense, SequenceCrossEntropyLoss, SGD), from the same seed."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from course_lib.layers import (Embedding, LayerNorm, PositionalEmbedding, TimeDense,
                               TransformerBlock)
from course_lib.losses import SequenceCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import SGD
from course_lib.text import VOCAB_SIZE, encode_words

_spec = importlib.util.spec_from_file_location(
    "reference", Path(__file__).resolve().parent.parent / "benchmarks" / "reference.py")
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-4)])
@pytest.mark.parametrize("blocks", [1, 2])
def test_reference_transformer_step_matches_course_lib(dtype, tol, blocks):
    D, H, max_len = 8, 2, 12
    rng = np.random.default_rng(0)
    layers = [Embedding(VOCAB_SIZE, D, rng=rng), PositionalEmbedding(max_len, D, rng=rng)]
    layers += [TransformerBlock(D, H, causal=True, rng=rng) for _ in range(blocks)]
    layers += [LayerNorm(D), TimeDense(D, VOCAB_SIZE, rng=rng)]
    model = Sequential(layers).astype(dtype)
    params = reference.transformer_init(VOCAB_SIZE, D, H, blocks, max_len,
                                        np.random.default_rng(0), dtype=dtype)
    lib_params = [p for layer in model.layers for p in layer.params.values()]
    assert len(params) == len(lib_params)
    for a, b in zip(params, lib_params):
        np.testing.assert_array_equal(a, b)  # the same initial values, in the same order
    loss, optimizer = SequenceCrossEntropyLoss(), SGD(0.5)
    for words in (["cat", "attention", "a"], ["transformer", "dog"], ["zebra", "quiz", "ox"]):
        x, y, m = encode_words(words)
        lib_loss = loss.forward(model.forward(x), y, m)
        model.backward(loss.backward(), input_grad=False)
        optimizer.step(model)
        ref_loss = reference.transformer_step(params, x, y, m, H, 0.5)
        assert abs(lib_loss - ref_loss) < tol * 10
    for a, b in zip(params, lib_params):
        np.testing.assert_allclose(a, b, atol=tol, rtol=tol)
