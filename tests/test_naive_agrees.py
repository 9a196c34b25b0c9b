"""The vectorised conv and pool agree with the loop versions in course_lib.naive."""

import numpy as np
import pytest

from course_lib.layers import Conv3x3, MaxPool2
from course_lib.naive import (conv3x3_backward_naive, conv3x3_forward_naive,
                              maxpool2_backward_all_ties_naive, maxpool2_backward_naive,
                              maxpool2_forward_naive)

SHAPES = [(1, 1, 3, 3), (1, 1, 28, 28), (2, 3, 7, 5), (3, 2, 9, 8), (1, 4, 6, 11)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("filters", [1, 3])
def test_conv3x3_matches_naive(shape, filters):
    rng = np.random.default_rng(sum(shape) * filters)
    conv = Conv3x3(filters, shape[1], rng=rng)
    conv.params["b"][:] = rng.standard_normal(filters)
    x = rng.standard_normal(shape)
    y = conv.forward(x)
    np.testing.assert_allclose(y, conv3x3_forward_naive(x, conv.params["W"], conv.params["b"]),
                               rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(y.shape)
    dx = conv.backward(g)
    dx_n, dW_n, db_n = conv3x3_backward_naive(x, conv.params["W"], g)
    np.testing.assert_allclose(dx, dx_n, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(conv.grads["W"], dW_n, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(conv.grads["b"], db_n, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES[1:] + [(2, 3, 2, 2)])
def test_maxpool2_matches_naive(shape):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape)
    pool = MaxPool2()
    y = pool.forward(x)
    np.testing.assert_array_equal(y, maxpool2_forward_naive(x))
    g = rng.standard_normal(y.shape)
    np.testing.assert_array_equal(pool.backward(g), maxpool2_backward_naive(x, g))


def test_maxpool2_matches_naive_with_ties():
    # integer-valued inputs in {0, 1, 2}: most windows hold a tied maximum
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, size=(2, 2, 6, 7)).astype(np.float64)
    pool = MaxPool2()
    g = rng.standard_normal(pool.forward(x).shape)
    np.testing.assert_array_equal(pool.backward(g), maxpool2_backward_naive(x, g))


def test_all_ties_version_differs_only_where_windows_tie():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 0] = 1.0  # first window has a unique maximum, the other three are all zeros
    g = np.ones((1, 1, 2, 2))
    right = maxpool2_backward_naive(x, g)
    wrong = maxpool2_backward_all_ties_naive(x, g)
    assert right.sum() == 4.0          # one input per window
    assert wrong.sum() == 1.0 + 3 * 4  # four inputs in each tied window
    np.testing.assert_array_equal(right[0, 0, :2, :2], wrong[0, 0, :2, :2])
