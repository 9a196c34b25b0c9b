"""Lesson 04's exercise checks: correct answers pass, each usual slip gets its message.

Also smoke tests for the lesson's plot helpers (plots.image_row, conv_sliding_window,
speed_bars, filters_and_feature_maps) and a test of the claim the lesson makes about
max-pool ties: on real digits, one argmax gives the true gradient of the filters and
biases, every-tied-position does not.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import checks, plots  # noqa: E402


# --- conv_pool_shape ------------------------------------------------------------------

def shape_reference(height, width, num_filters):
    return num_filters, (height - 2) // 2, (width - 2) // 2


def test_shape_correct_answers_pass(capsys):
    checks.check_conv_pool_shape(shape_reference)
    checks.check_conv_pool_shape(lambda h, w, f: [f, (h - 2) // 2, (w - 2) // 2])
    checks.check_conv_pool_shape(lambda h, w, f: np.array([f, (h - 2) // 2, (w - 2) // 2]))
    checks.check_conv_pool_shape(lambda h, w, f: (f, int(np.floor((h - 2) / 2)),
                                                  int(np.floor((w - 2) / 2))))
    assert capsys.readouterr().out.count(checks.PASSED) == 4


@pytest.mark.parametrize("answer, message", [
    (lambda h, w, f: (f, (h - 2) / 2, (w - 2) / 2), "Use // to halve"),
    (lambda h, w, f: f * (h - 2) // 2 * (w - 2) // 2, "should return a tuple of ints"),
    (lambda h, w, f: ((h - 2) // 2, (w - 2) // 2), "the height and width only"),
    (lambda h, w, f: (f, (h - 2) // 2, (w - 2) // 2, 1), "should return three numbers"),
    (lambda h, w, f: ((h - 2) // 2, (w - 2) // 2, f), "the number of filters goes first"),
    (lambda h, w, f: (1, (h - 2) // 2, (w - 2) // 2), "the first entry is the number of filters"),
    (lambda h, w, f: (f, h - 2, w - 2), "the size after the convolution only"),
    (lambda h, w, f: (f, h // 2, w // 2), "shrinks the image by 2"),
    (lambda h, w, f: (f, -(-(h - 2) // 2), -(-(w - 2) // 2)), "rounds up"),
    (lambda h, w, f: (f, (h - 1) // 2, (w - 1) // 2), "rounds up, or shrinks by 1"),
    (lambda h, w, f: (f, (h - 3) // 2, (w - 3) // 2), "shrinks by 3"),
    (lambda h, w, f: (f, (w - 2) // 2, (h - 2) // 2), "swaps height and width"),
    (lambda h, w, f: (f, (h - 2) // 2, (w - 2) // 2 + (h == 8)), r"returned \(16, 3, 4\), "
                                                                  r"expected \(16, 3, 3\)"),
])
def test_shape_slips_are_named(answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_conv_pool_shape(answer)


# --- conv3x3_at -----------------------------------------------------------------------

def conv_reference(x, W, b, i, j):
    return (W * x[:, i:i + 3, j:j + 3]).sum(axis=(1, 2, 3)) + b


def conv_loops(x, W, b, i, j):
    F, C = W.shape[:2]
    y = np.zeros(F)
    for f in range(F):
        y[f] = b[f]
        for c in range(C):
            for di in range(3):
                for dj in range(3):
                    y[f] += W[f, c, di, dj] * x[c, i + di, j + dj]
    return y


def test_conv_correct_answers_pass(capsys):
    checks.check_conv3x3_at(conv_reference)
    checks.check_conv3x3_at(conv_loops)
    checks.check_conv3x3_at(lambda x, W, b, i, j: W.reshape(len(W), -1)
                            @ x[:, i:i + 3, j:j + 3].ravel() + b)
    assert capsys.readouterr().out.count(checks.PASSED) == 3


def in_place(x, W, b, i, j):
    x *= 1.0
    b += 1.0
    return conv_reference(x, W, b - 1.0, i, j)


@pytest.mark.parametrize("answer, message", [
    (lambda x, W, b, i, j: (W * x[:, i:i + 3, j:j + 3]).sum(axis=(2, 3)) + b[:, None],
     r"has shape \(3, 2\).*Sum over the channels"),
    (lambda x, W, b, i, j: (W * x[:, i:i + 3, j:j + 3]).sum() + b.sum(), "a single number"),
    (lambda x, W, b, i, j: conv_reference(x, W, b, j, i), "swaps i and j"),
    (lambda x, W, b, i, j: conv_reference(x, W, b, i - 1, j - 1), "centres the window"),
    (lambda x, W, b, i, j: conv_reference(x, W[:, :, ::-1, ::-1], b, i, j), "flips the filter"),
    (lambda x, W, b, i, j: conv_reference(x, W, 0 * b, i, j), "forgets the bias"),
    (lambda x, W, b, i, j: 2 * conv_reference(x, W, b, i, j), "2 times the expected value"),
    (lambda x, W, b, i, j: conv_reference(x, W, b, i, j + (i == 4)), r"at index \(\d,\)"),
    (lambda x, W, b, i, j: list(conv_reference(x, W, b, i, j)), "should be a NumPy array"),
    (in_place, "changed its inputs in place"),
])
def test_conv_slips_are_named(answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_conv3x3_at(answer)


# --- maxpool2_forward -----------------------------------------------------------------

def pool_reference(x):
    H, W = x.shape[2] // 2 * 2, x.shape[3] // 2 * 2
    return np.maximum(np.maximum(x[:, :, 0:H:2, 0:W:2], x[:, :, 0:H:2, 1:W:2]),
                      np.maximum(x[:, :, 1:H:2, 0:W:2], x[:, :, 1:H:2, 1:W:2]))


def pool_reshape(x):
    N, C, H, W = x.shape
    x = x[:, :, :H // 2 * 2, :W // 2 * 2]
    return x.reshape(N, C, H // 2, 2, W // 2, 2).max(axis=(3, 5))


def test_pool_correct_answers_pass(capsys):
    checks.check_maxpool2_forward(pool_reference)
    checks.check_maxpool2_forward(pool_reshape)
    assert capsys.readouterr().out.count(checks.PASSED) == 2


def pool_in_place(x):
    y = pool_reference(x)
    x[...] = 0
    return y


def corners(x):
    H, W = x.shape[2] // 2 * 2, x.shape[3] // 2 * 2
    return [x[:, :, di:H:2, dj:W:2] for di in (0, 1) for dj in (0, 1)]


@pytest.mark.parametrize("answer, message", [
    (pool_in_place, "changed x in place"),
    (lambda x: np.maximum(np.maximum(x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2]),
                          np.maximum(x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2]))
     if x.shape[2] % 2 == 0 and x.shape[3] % 2 == 0 else x[:, :, ::2, ::2],
     r"has shape \(1, 2, 4, 3\), expected \(1, 2, 3, 2\): an odd last row"),
    (lambda x: corners(x)[0], "only the top-left corner"),
    (lambda x: sum(corners(x)) / 4, "averages each window"),
    (lambda x: np.minimum(np.minimum(*corners(x)[:2]), np.minimum(*corners(x)[2:])),
     "takes the minimum"),
    (lambda x: np.maximum(*corners(x)[:2]), "two top corners"),
    (lambda x: np.maximum(corners(x)[0], corners(x)[2]), "two left corners"),
    (lambda x: np.maximum(corners(x)[0], corners(x)[3]), "two diagonal corners"),
    (lambda x: pool_reference(x).transpose(0, 1, 3, 2), "should have shape"),
    (lambda x: pool_reference(x) + 1, "at index"),
])
def test_pool_slips_are_named(answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_maxpool2_forward(answer)


# --- the tie claim ----------------------------------------------------------------------

def test_one_argmax_is_the_parameter_gradient_at_mnist_ties():
    from course_lib.data import load_mnist
    from course_lib.gradcheck import numerical_gradient, relative_error
    from course_lib.layers import Conv3x3, Dense, Flatten, MaxPool2
    from course_lib.losses import SoftmaxCrossEntropyLoss
    from course_lib.model import Sequential
    from course_lib.naive import maxpool2_backward_all_ties_naive

    images, labels = load_mnist("test")
    x, y = (images[:2] / 255.0)[:, None], labels[:2]
    rng = np.random.default_rng(0)
    conv, pool, dense = Conv3x3(4, rng=rng), MaxPool2(), Dense(4 * 13 * 13, 10, rng=rng)
    conv.params["b"][:] = rng.normal(0, 0.1, size=4)
    model, loss = Sequential([conv, pool, Flatten(), dense]), SoftmaxCrossEntropyLoss()
    numeric = {k: numerical_gradient(lambda: loss.forward(model.forward(x), y), conv.params[k])
               for k in ("W", "b")}

    loss.forward(model.forward(x), y)
    model.backward(loss.backward())
    for k in ("W", "b"):
        assert relative_error(conv.grads[k], numeric[k]) < 1e-7

    loss.forward(model.forward(x), y)
    grad_pool_out = model.layers[2].backward(dense.backward(loss.backward()))
    conv.backward(maxpool2_backward_all_ties_naive(conv.forward(x), grad_pool_out))
    assert relative_error(conv.grads["b"], numeric["b"]) > 0.1


# --- plot helpers -----------------------------------------------------------------------

def test_image_row_draws_one_panel_per_image():
    fig = plots.image_row([np.zeros((28, 28)), np.ones((26, 26)), np.eye(13)],
                          ["a", "b", "c"], grid=True, symmetric=True, colorbar=True)
    assert [ax.get_title() for ax in fig.axes[:3]] == ["a", "b", "c"]
    plt.close(fig)


def test_conv_sliding_window_draws_the_valid_correlation():
    image = np.arange(30.0).reshape(5, 6)
    kernel = np.zeros((3, 3))
    kernel[1, 1] = 1.0  # picks the window's centre
    fig = plots.conv_sliding_window(image, kernel, positions=[(0, 0), (2, 3)])
    out = fig.axes[2].images[0].get_array()
    np.testing.assert_array_equal(out, image[1:-1, 1:-1])
    assert fig.axes[2].get_title() == "output 3x4"
    assert len(fig.axes[0].patches) == 2 and len(fig.axes[2].patches) == 2
    plt.close(fig)


def test_speed_bars_labels_every_bar():
    times = {"1 image": {"loops": 0.2, "vectorised": 0.0002},
             "batch of 32": {"loops": 6.0, "vectorised": 0.003}}
    ax = plots.speed_bars(times)
    assert len(ax.patches) == 4
    labels = [t.get_text() for t in ax.texts]
    assert "6,000 ms" in labels and "0.2 ms" in labels and ax.get_yscale() == "log"
    plt.close(ax.figure)


@pytest.mark.parametrize("num_filters, rows", [(8, 2), (16, 4), (5, 2)])
def test_filters_and_feature_maps_wraps_rows(num_filters, rows):
    fig = plots.filters_and_feature_maps(np.zeros((28, 28)), np.ones((num_filters, 1, 3, 3)),
                                         np.ones((num_filters, 26, 26)))
    ncols = min(8, num_filters) + 1
    assert len(fig.axes) == rows * ncols
    titles = [ax.get_title() for ax in fig.axes]
    assert f"filter {num_filters - 1}" in titles and f"map {num_filters - 1}" in titles
    plt.close(fig)
