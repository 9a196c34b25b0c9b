"""Lesson 08's checks accept correct answers in several styles and name each typical slip."""

import numpy as np
import pytest

from course_lib import checks
from course_lib.checks import ExerciseError
from course_lib.layers import Conv2d, MaxPool2d, conv_output_size as lib_output_size
from course_lib.naive import conv2d_forward_naive


# ---- correct answers --------------------------------------------------------------------
def output_size(size, kernel_size, stride=1, padding=0):
    return (size + 2 * padding - kernel_size) // stride + 1


def zero_pad(x, padding):
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def zero_pad_by_slicing(x, padding):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + 2 * padding, W + 2 * padding), dtype=x.dtype)
    out[:, :, padding:padding + H, padding:padding + W] = x
    return out


def im2col(x, k, s, p):
    xp = zero_pad(x, p)
    N, C, H, W = xp.shape
    Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
    cols = np.empty((N, C, k, k, Ho, Wo))
    for di in range(k):
        for dj in range(k):
            cols[:, :, di, dj] = xp[:, :, di:di + s * (Ho - 1) + 1:s, dj:dj + s * (Wo - 1) + 1:s]
    return cols.reshape(N, C * k * k, Ho * Wo), (Ho, Wo)


def conv_forward(x, W, b, stride=1, padding=0):
    F, C, k, _ = W.shape
    cols, (Ho, Wo) = im2col(x, k, stride, padding)
    return (W.reshape(F, -1) @ cols + b[:, None]).reshape(len(x), F, Ho, Wo)


def conv_forward_einsum(x, W, b, stride, padding):
    xp = zero_pad(x, padding)
    k = W.shape[2]
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))
    win = win[:, :, ::stride, ::stride]
    return np.einsum("ncijab,fcab->nfij", win, W) + b[None, :, None, None]


def conv_backward(x, W, g, stride=1, padding=0, *, overwrite=False, keep_pad=False,
                  db_per_image=False, flip_dW=False):
    N, C, H, Wd = x.shape
    F, _, k, _ = W.shape
    cols, (Ho, Wo) = im2col(x, k, stride, padding)
    g3 = g.reshape(N, F, -1)
    dW = np.einsum("nfp,nqp->fq", g3, cols).reshape(W.shape)
    db = g.sum(axis=(2, 3)) if db_per_image else g.sum(axis=(0, 2, 3))
    dcols = (W.reshape(F, -1).T @ g3).reshape(N, C, k, k, Ho, Wo)
    dxp = np.zeros((N, C, H + 2 * padding, Wd + 2 * padding))
    for i in range(Ho):
        for j in range(Wo):
            rows = slice(i * stride, i * stride + k)
            cs = slice(j * stride, j * stride + k)
            if overwrite:
                dxp[:, :, rows, cs] = dcols[:, :, :, :, i, j]
            else:
                dxp[:, :, rows, cs] += dcols[:, :, :, :, i, j]
    dx = dxp if keep_pad else dxp[:, :, padding:padding + H, padding:padding + Wd]
    return dx, (dW[:, :, ::-1, ::-1] if flip_dW else dW), db


def maxpool(x, kernel_size, stride):
    N, C, H, W = x.shape
    k, s = kernel_size, stride
    Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
    y = np.full((N, C, Ho, Wo), -np.inf)
    for di in range(k):
        for dj in range(k):
            y = np.maximum(y, x[:, :, di:di + s * (Ho - 1) + 1:s, dj:dj + s * (Wo - 1) + 1:s])
    return y


def maxpool_loops(x, kernel_size, stride):
    N, C, H, W = x.shape
    Ho, Wo = (H - kernel_size) // stride + 1, (W - kernel_size) // stride + 1
    y = np.empty((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            y[:, :, i, j] = x[:, :, i * stride:i * stride + kernel_size,
                              j * stride:j * stride + kernel_size].max(axis=(2, 3))
    return y


def fails(check, answer, pattern):
    with pytest.raises(ExerciseError, match=pattern):
        check(answer)


# ---- exercise 1 -------------------------------------------------------------------------
def test_output_size_accepts_the_formula(capsys):
    checks.check_conv_output_size(output_size)
    checks.check_conv_output_size(lambda n, k, s, p: int(np.floor((n + 2 * p - k) / s)) + 1)
    assert capsys.readouterr().out.count("All checks passed") == 2


@pytest.mark.parametrize("answer, pattern", [
    (lambda n, k, s, p: (n + 2 * p - k) / s + 1, "float"),
    (lambda n, k, s, p: (n + p - k) // s + 1, "one side only"),
    (lambda n, k, s, p: (n + 2 * p - k) // s, r"forgets the \+ 1"),
    (lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1, "rounds up"),
    (lambda n, k, s, p: n + 2 * p - k + 1, "ignores the stride"),
    (lambda n, k, s, p: (n - k) // s + 1, "ignores the padding"),
    (lambda n, k, s, p: n, "expected"),
    (lambda n, k, s, p: lib_output_size(n, k, s, p), "No credit for calling it"),
])
def test_output_size_slips(answer, pattern):
    fails(checks.check_conv_output_size, answer, pattern)


# ---- exercise 2 -------------------------------------------------------------------------
@pytest.mark.parametrize("answer", [zero_pad, zero_pad_by_slicing])
def test_zero_pad_accepts(answer, capsys):
    checks.check_zero_pad(answer)
    assert "All checks passed" in capsys.readouterr().out


def pad_in_place(x, p):
    x += 0.0
    x[...] = x * 2
    return zero_pad(x, p)


@pytest.mark.parametrize("answer, pattern", [
    (lambda x, p: np.pad(x, p), "batch and channel axes"),
    (lambda x, p: np.pad(x, ((0, 0), (0, 0), (p, 0), (p, 0))), "one side"),
    (lambda x, p: np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="edge"), "edge pixels"),
    (lambda x, p: np.roll(zero_pad(x, p), (p, p), axis=(2, 3)), "off centre"),
    (pad_in_place, "in place"),
    (lambda x, p: None, "forget to return"),
])
def test_zero_pad_slips(answer, pattern):
    fails(checks.check_zero_pad, answer, pattern)


# ---- exercise 3 -------------------------------------------------------------------------
@pytest.mark.parametrize("answer", [conv_forward, conv_forward_einsum,
                                    lambda x, W, b, s, p: conv_forward(x, W, b, s, p)
                                    .astype(np.float32)])
def test_conv_forward_accepts(answer, capsys):
    checks.check_conv2d_forward(answer)
    assert "All checks passed" in capsys.readouterr().out


def conv_via_layer(x, W, b, s, p):
    layer = Conv2d(W.shape[1], W.shape[0], W.shape[2], stride=s, padding=p)
    layer.params["W"], layer.params["b"] = W, b
    return layer.forward(x)


@pytest.mark.parametrize("answer, pattern", [
    (lambda x, W, b, s, p: conv_forward(x, W, b, 1, p), "ignores the stride"),
    (lambda x, W, b, s, p: conv_forward(x, W, b, s, 0), "ignores the padding"),
    (lambda x, W, b, s, p: conv_forward(x, W[:, :, ::-1, ::-1], b, s, p), "flips the filter"),
    (lambda x, W, b, s, p: conv_forward(x, W, 0 * b, s, p), "forgets the bias"),
    (lambda x, W, b, s, p: conv_forward(x[:, :1], W[:, :1], b, s, p), "first input channel"),
    (lambda x, W, b, s, p: conv_forward(x, W, b, s, p).transpose(0, 1, 3, 2), "swapped|shape"),
    (conv_via_layer, "No credit for calling it"),
    (lambda x, W, b, s, p: conv2d_forward_naive(x, W, b, stride=s, padding=p),
     "No credit for calling it"),
    (lambda x, W, b, s, p: conv_forward(x, W, b, s, p) * 1.01, "wrong"),
])
def test_conv_forward_slips(answer, pattern):
    fails(checks.check_conv2d_forward, answer, pattern)


# ---- exercise 4 -------------------------------------------------------------------------
def test_conv_backward_accepts(capsys):
    checks.check_conv2d_backward(conv_backward)
    checks.check_conv2d_backward(lambda *a: list(conv_backward(*a)))
    assert capsys.readouterr().out.count("All checks passed") == 2


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(overwrite=True), r"add \(\+=\)"),
    (dict(keep_pad=True), "cut their gradient off"),
    (dict(db_per_image=True), "sum it over the batch"),
    (dict(flip_dW=True), "dW is flipped"),
])
def test_conv_backward_slips(kwargs, pattern):
    fails(checks.check_conv2d_backward, lambda *a: conv_backward(*a, **kwargs), pattern)


def test_conv_backward_other_slips():
    fails(checks.check_conv2d_backward, lambda *a: conv_backward(*a)[:2], "three arrays")

    def dW_not_summed(x, W, g, s, p):
        dx, dW, db = conv_backward(x, W, g, s, p)
        return dx, np.stack([dW / len(x)] * len(x)), db

    fails(checks.check_conv2d_backward, dW_not_summed, "sum over the images")

    def changes_grad(x, W, g, s, p):
        out = conv_backward(x, W, g, s, p)
        g *= 2
        return out

    fails(checks.check_conv2d_backward, changes_grad, "grad_out.*in place")


# ---- exercise 5 -------------------------------------------------------------------------
@pytest.mark.parametrize("answer", [maxpool, maxpool_loops])
def test_maxpool_accepts(answer, capsys):
    checks.check_maxpool2d_forward(answer)
    assert "All checks passed" in capsys.readouterr().out


def pool_via_layer(x, k, s):
    return MaxPool2d(k, stride=s).forward(x)


@pytest.mark.parametrize("answer, pattern", [
    (lambda x, k, s: maxpool(x, k, k), "not by the stride"),
    (lambda x, k, s: maxpool(x, k - 1, s)[:, :, :(x.shape[2] - k) // s + 1,
                                          :(x.shape[3] - k) // s + 1], "windows of"),
    (pool_via_layer, "No credit for calling it"),
    (lambda x, k, s: -maxpool(-x, k, s), "wrong"),
])
def test_maxpool_slips(answer, pattern):
    fails(checks.check_maxpool2d_forward, answer, pattern)


def test_maxpool_average_is_named():
    def average(x, k, s):
        N, C, H, W = x.shape
        Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
        y = np.zeros((N, C, Ho, Wo))
        for i in range(Ho):
            for j in range(Wo):
                y[:, :, i, j] = x[:, :, i * s:i * s + k, j * s:j * s + k].mean(axis=(2, 3))
        return y
    fails(checks.check_maxpool2d_forward, average, "averages")


def test_course_lib_works_again_after_a_refused_answer():
    with pytest.raises(ExerciseError):
        checks.check_maxpool2d_forward(pool_via_layer)
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    assert MaxPool2d(2).forward(x).ravel().tolist() == [5.0, 7.0, 13.0, 15.0]
    assert lib_output_size(28, 5) == 24


# ---- slips a simulated class found unnamed (tests/class_simulation/lesson08.py) -------------
@pytest.mark.parametrize("answer, pattern", [
    (lambda n, k, s, p: (n + 2 * p - k + 1) // s, "inside the floor division"),
    (lambda n, k, s, p: round((n + 2 * p - k) / s) + 1, "rounds to the nearest"),
])
def test_output_size_more_slips(answer, pattern):
    fails(checks.check_conv_output_size, answer, pattern)


def pad_top_left(x, p):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + 2 * p, W + 2 * p))
    out[:, :, :H, :W] = x
    return out


def pad_minus_slice(x, p):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + 2 * p, W + 2 * p))
    out[:, :, p:-p, p:-p] = x
    return out


@pytest.mark.parametrize("answer, pattern", [
    (pad_top_left, "top-left corner"),
    (pad_minus_slice, "p:-p is 0:0"),
])
def test_zero_pad_more_slips(answer, pattern):
    fails(checks.check_zero_pad, answer, pattern)


def conv_channels_last_columns(x, W, b, stride, padding):
    N, F, k = x.shape[0], W.shape[0], W.shape[2]
    xp = zero_pad(x, padding)
    Ho, Wo = output_size(x.shape[2], k, stride, padding), output_size(x.shape[3], k, stride,
                                                                      padding)
    y = np.empty((N, F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            y[:, :, i, j] = patch.transpose(0, 2, 3, 1).reshape(N, -1) @ W.reshape(F, -1).T + b
    return y


def conv_square_output(x, W, b, stride, padding):
    y = conv_forward(x, W, b, stride, padding)
    Ho = y.shape[2]
    return np.pad(y, ((0, 0), (0, 0), (0, 0), (0, max(0, Ho - y.shape[3]))))[..., :Ho]


@pytest.mark.parametrize("answer, pattern", [
    (conv_channels_last_columns, "\\(row, column, channel\\)"),
    (conv_square_output, "as if the images were square"),
])
def test_conv_forward_more_slips(answer, pattern):
    fails(checks.check_conv2d_forward, answer, pattern)


def test_conv_backward_averages_over_the_images_are_named():
    def db_mean(x, W, g, stride, padding):
        dx, dW, db = conv_backward(x, W, g, stride, padding)
        return dx, dW, db / x.shape[0]

    def dW_mean(x, W, g, stride, padding):
        dx, dW, db = conv_backward(x, W, g, stride, padding)
        return dx, dW / x.shape[0], db

    fails(checks.check_conv2d_backward, db_mean, "db averages over the 2 images")
    fails(checks.check_conv2d_backward, dW_mean, "dW averages over the 2 images")


def test_conv_backward_dW_from_the_unpadded_input_is_named():
    def unpadded(x, W, g, stride, padding):
        dx, _, db = conv_backward(x, W, g, stride, padding)
        k = W.shape[2]
        dW = np.zeros_like(W)
        for i in range(g.shape[2]):
            for j in range(g.shape[3]):
                patch = x[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
                if patch.shape[2:] == (k, k):
                    dW += np.einsum("nf,nckl->fckl", g[:, :, i, j], patch)
        return dx, dW, db

    fails(checks.check_conv2d_backward, unpadded, "without its padding")


@pytest.mark.parametrize("answer, pattern", [
    (lambda x, k, s: maxpool_loops(x, k, s)[:, :, :-1, :-1], "drops the last window"),
    (lambda x, k, s: np.broadcast_to(maxpool_loops(x, k, s).max(axis=1, keepdims=True),
                                     maxpool_loops(x, k, s).shape), "over the channels too"),
])
def test_maxpool_more_slips(answer, pattern):
    fails(checks.check_maxpool2d_forward, answer, pattern)


def test_conv_backward_windows_without_the_stride_are_named():
    def unstrided(x, W, g, stride, padding):
        _, dW, db = conv_backward(x, W, g, stride, padding)
        N, C, H, Wd = x.shape
        k = W.shape[2]
        dxp = np.zeros((N, C, H + 2 * padding, Wd + 2 * padding))
        for i in range(g.shape[2]):
            for j in range(g.shape[3]):
                dxp[:, :, i:i + k, j:j + k] += np.einsum("nf,fckl->nckl", g[:, :, i, j], W)
        return dxp[:, :, padding:padding + H, padding:padding + Wd], dW, db

    fails(checks.check_conv2d_backward, unstrided, "without the stride")
