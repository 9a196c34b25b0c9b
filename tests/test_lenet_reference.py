"""Lesson 08's network: a course_lib training step equals benchmarks/reference.py's
`lenet_step`, the bare-NumPy yardstick of `make bench`, in float64 and float32."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from course_lib.layers import Conv2d, Dense, Flatten, MaxPool2d, ReLU
from course_lib.losses import SoftmaxCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import SGD
from course_lib.train import fit

_spec = importlib.util.spec_from_file_location(
    "reference", Path(__file__).resolve().parent.parent / "benchmarks" / "reference.py")
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)

TOL = {np.float64: 1e-10, np.float32: 3e-5}


def lenet(channels, hidden, dtype):
    c1, c2 = channels
    return Sequential([Conv2d(1, c1, 5, dtype=dtype), MaxPool2d(2), ReLU(),
                       Conv2d(c1, c2, 5, dtype=dtype), MaxPool2d(2), ReLU(), Flatten(),
                       Dense(16 * c2, hidden, dtype=dtype), ReLU(), Dense(hidden, 10, dtype=dtype)])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_lenet_training_step_equals_the_reference(dtype):
    rng = np.random.default_rng(3)
    params = reference.lenet_init((3, 4), 6, rng, dtype)
    for b in params[1::2]:
        b[...] = rng.standard_normal(b.shape) * 0.1
    model = lenet((3, 4), 6, dtype)
    ours = [p for layer in model.layers for p in layer.params.values()]
    for p, value in zip(ours, params):
        p[...] = value
    x = rng.random((8, 1, 28, 28))
    x[x < 0.7] = 0.0                                    # MNIST-like: tied pooling windows
    x = x.astype(dtype)
    y = rng.integers(0, 10, 8)
    history = fit(model, SoftmaxCrossEntropyLoss(), SGD(0.05), x, y, epochs=1, batch_size=8,
                  progress=False)
    loss = reference.lenet_step(params, x, y, 0.05)
    assert history.loss[0] == pytest.approx(loss, rel=TOL[dtype])
    ours = [p for layer in model.layers for p in layer.params.values()]
    for got, want in zip(ours, params):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype])
