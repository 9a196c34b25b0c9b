"""Lesson 04's exercise checks: correct answers pass, each usual slip gets its message.

Correct answers come in several styles (loops over every index, loops over positions
with einsum, whole-array NumPy) and in float32; wrong answers are the slips a student
makes, each rejected with the message that names it.

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
    checks.check_conv3x3_at(lambda x, W, b, i, j: conv_reference(
        x.astype(np.float32), W.astype(np.float32), b.astype(np.float32), i, j))
    assert capsys.readouterr().out.count(checks.PASSED) == 4


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
    (in_place, "changed its input `b` in place"),
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
    checks.check_maxpool2_forward(lambda x: pool_reshape(x.astype(np.float32)))
    assert capsys.readouterr().out.count(checks.PASSED) == 3


def pool_in_place(x):
    y = pool_reference(x)
    x[...] = 0
    return y


def corners(x):
    H, W = x.shape[2] // 2 * 2, x.shape[3] // 2 * 2
    return [x[:, :, di:H:2, dj:W:2] for di in (0, 1) for dj in (0, 1)]


@pytest.mark.parametrize("answer, message", [
    (pool_in_place, "changed its input `x` in place"),
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
    (lambda x: pool_reference(x).transpose(0, 1, 3, 2), "axes in the wrong order"),
    (lambda x: pool_reference(x)[:, :, :, :-1], "should have shape"),
    (lambda x: pool_reference(x) + 1, "at index"),
])
def test_pool_slips_are_named(answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_maxpool2_forward(answer)


# --- shared references for the loop and im2col exercises -------------------------------

def windows_of(x):
    """(N, C, H-2, W-2, 3, 3): every 3x3 window of x, a view."""
    return np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(2, 3))


def conv_einsum(x, W, b):
    return np.einsum("ncijab,fcab->nfij", windows_of(x), W) + b[None, :, None, None]


def conv_all_loops(x, W, b):
    N, C, H, Wd = x.shape
    F = W.shape[0]
    y = np.zeros((N, F, H - 2, Wd - 2))
    for n in range(N):
        for f in range(F):
            for i in range(H - 2):
                for j in range(Wd - 2):
                    y[n, f, i, j] = np.sum(x[n, :, i:i + 3, j:j + 3] * W[f]) + b[f]
    return y


def conv_position_loops(x, W, b):
    N, C, H, Wd = x.shape
    y = np.zeros((N, W.shape[0], H - 2, Wd - 2))
    for i in range(H - 2):
        for j in range(Wd - 2):
            y[:, :, i, j] = np.einsum("ncab,fcab->nf", x[:, :, i:i + 3, j:j + 3], W) + b
    return y


def conv_float32(x, W, b):
    return conv_einsum(x.astype(np.float32), W.astype(np.float32), b.astype(np.float32))


# --- conv3x3_forward_loops --------------------------------------------------------------

def test_conv_forward_loops_correct_answers_pass(capsys):
    for answer in (conv_all_loops, conv_position_loops, conv_einsum, conv_float32):
        checks.check_conv3x3_forward_loops(answer)
    assert capsys.readouterr().out.count(checks.PASSED) == 4


def conv_channel_overwritten(x, W, b):
    # `=` inside the loop over channels: only the last channel's sum survives
    N, C, H, Wd = x.shape
    y = np.zeros((N, W.shape[0], H - 2, Wd - 2))
    for n in range(N):
        for f in range(W.shape[0]):
            for i in range(H - 2):
                for j in range(Wd - 2):
                    for c in range(C):
                        y[n, f, i, j] = np.sum(x[n, c, i:i + 3, j:j + 3] * W[f, c]) + b[f]
    return y


def conv_bias_per_channel(x, W, b):
    N, C, H, Wd = x.shape
    y = np.zeros((N, W.shape[0], H - 2, Wd - 2))
    for c in range(C):
        y += conv_einsum(x[:, c:c + 1], W[:, c:c + 1], b)
    return y


def conv_changes_x(x, W, b):
    y = conv_einsum(x, W, b)
    x[0, 0, 0, 0] = 0.0
    return y


CONV_FORWARD_SLIPS = [
    (lambda x, W, b: conv_einsum(x, W[:, :, ::-1, ::-1], b), "flips the filter"),
    (lambda x, W, b: conv_einsum(x, W, b)[:, :, :-1, :-1], "one window short"),
    (lambda x, W, b: conv_einsum(np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))), W, b),
     "A valid convolution"),
    (lambda x, W, b: conv_einsum(x[:, :1], W[:, :1], b), "first channel only"),
    (conv_channel_overwritten, "only the last channel's sum"),
    (lambda x, W, b: conv_einsum(x, W, 0 * b), "forgets the bias"),
    (conv_bias_per_channel, "once per channel"),
    (lambda x, W, b: conv_einsum(x, W, 0 * b) + b, "along the last axis"),
    (lambda x, W, b: conv_einsum(x, W, b).transpose(0, 2, 3, 1), "axes in the wrong order"),
    (lambda x, W, b: conv_einsum(x, W, b)[:, :, ::-1], r"is wrong: at index \(\d, \d, \d, \d\)"),
    (conv_changes_x, "changed its input `x` in place"),
    (lambda x, W, b: None, "forget to return"),
]


@pytest.mark.parametrize("answer, message", CONV_FORWARD_SLIPS)
def test_conv_forward_loops_slips_are_named(answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_conv3x3_forward_loops(answer)


# --- im2col_3x3 -------------------------------------------------------------------------

def im2col_loops(x):
    N, C, H, W = x.shape
    rows = []
    for n in range(N):
        for i in range(H - 2):
            for j in range(W - 2):
                rows.append(x[n, :, i:i + 3, j:j + 3].ravel())
    return np.array(rows)


def im2col_views(x):
    N, C, H, W = x.shape
    return windows_of(x).transpose(0, 2, 3, 1, 4, 5).reshape(N * (H - 2) * (W - 2), C * 9)


def im2col_slices(x):
    # nine slices, one per offset (di, dj), as course_lib does it
    N, C, H, W = x.shape
    cols = np.empty((N, H - 2, W - 2, C, 3, 3), dtype=x.dtype)
    for di in range(3):
        for dj in range(3):
            cols[..., di, dj] = x[:, :, di:di + H - 2, dj:dj + W - 2].transpose(0, 2, 3, 1)
    return cols.reshape(-1, C * 9)


def test_im2col_correct_answers_pass(capsys):
    for answer in (im2col_loops, im2col_views, im2col_slices,
                   lambda x: im2col_slices(x.astype(np.float32))):
        checks.check_im2col_3x3(answer)
    assert capsys.readouterr().out.count(checks.PASSED) == 4


def im2col_offset_major(x):
    N, C, H, W = x.shape
    return windows_of(x).transpose(0, 2, 3, 4, 5, 1).reshape(-1, C * 9)


def im2col_changes_x(x):
    cols = im2col_views(x).copy()
    x += 1.0
    return cols


IM2COL_SLIPS = [
    (lambda x: im2col_views(x).T, "the transpose of"),
    (im2col_offset_major, "offset by offset"),
    (lambda x: windows_of(x).transpose(0, 2, 3, 1, 5, 4).reshape(-1, x.shape[1] * 9),
     "column by column; read it row by row"),
    (lambda x: windows_of(x).transpose(0, 3, 2, 1, 4, 5).reshape(-1, x.shape[1] * 9),
     "orders the windows column by column"),
    (lambda x: windows_of(x).transpose(2, 3, 0, 1, 4, 5).reshape(-1, x.shape[1] * 9),
     "image index last"),
    (lambda x: windows_of(x)[..., ::-1, ::-1].transpose(0, 2, 3, 1, 4, 5)
     .reshape(-1, x.shape[1] * 9), "flips each window"),
    (lambda x: windows_of(x).transpose(0, 2, 3, 1, 4, 5).reshape(
        x.shape[0], x.shape[2] - 2, x.shape[3] - 2, -1), "reshape it to"),
    (lambda x: im2col_views(x[:, :, :-1, :-1]), "one window short"),
    (im2col_changes_x, "changed its input `x` in place"),
]


@pytest.mark.parametrize("answer, message", IM2COL_SLIPS)
def test_im2col_slips_are_named(answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_im2col_3x3(answer)


# --- conv3x3_forward_im2col -------------------------------------------------------------

def conv_im2col(x, W, b, im2col=im2col_views):
    N, C, H, Wd = x.shape
    F = len(W)
    y = im2col(x) @ W.reshape(F, -1).T + b
    return y.reshape(N, H - 2, Wd - 2, F).transpose(0, 3, 1, 2)


def test_conv_im2col_correct_answers_pass(capsys):
    checks.check_conv3x3_forward_im2col(conv_im2col)
    checks.check_conv3x3_forward_im2col(lambda x, W, b: conv_im2col(x, W, b, im2col_slices))
    checks.check_conv3x3_forward_im2col(
        lambda x, W, b: np.einsum("nijk,fk->nfij", im2col_views(x).reshape(
            len(x), x.shape[2] - 2, x.shape[3] - 2, -1), W.reshape(len(W), -1))
        + b[:, None, None])
    checks.check_conv3x3_forward_im2col(
        lambda x, W, b: conv_im2col(*(a.astype(np.float32) for a in (x, W, b))))
    assert capsys.readouterr().out.count(checks.PASSED) == 4


def im2col_product(x, W, b):
    return im2col_views(x) @ W.reshape(len(W), -1).T + b


def conv_im2col_changes_W(x, W, b):
    y = conv_im2col(x, W, b)
    W *= 2.0
    return y


@pytest.mark.parametrize("answer, message", [
    (lambda x, W, b: im2col_product(x, W, b).reshape(len(x), len(W), x.shape[2] - 2, -1),
     "straight to"),
    (lambda x, W, b: (im2col_views(x) @ W.reshape(-1, len(W)) + b).reshape(
        len(x), x.shape[2] - 2, x.shape[3] - 2, -1).transpose(0, 3, 1, 2),
     r"W.reshape\(-1, F\)"),
    (im2col_product, "the matrix product itself"),
    (lambda x, W, b: im2col_product(x, W, b).reshape(len(x), x.shape[2] - 2, -1, len(W)),
     "axes in the wrong order"),
    (lambda x, W, b: conv_im2col(x, W, 0 * b), "forgets the bias"),
    (lambda x, W, b: conv_im2col(x, W[:, :, ::-1, ::-1], b), "flips the filter"),
    (lambda x, W, b: conv_im2col(x, W, b, im2col_offset_major), "is wrong: at index"),
    (conv_im2col_changes_W, "changed its input `W` in place"),
])
def test_conv_im2col_slips_are_named(answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_conv3x3_forward_im2col(answer)


# --- maxpool2_forward_loops -------------------------------------------------------------

def pool_loops(x):
    N, C, H, W = x.shape
    y = np.zeros((N, C, H // 2, W // 2))
    for n in range(N):
        for c in range(C):
            for i in range(H // 2):
                for j in range(W // 2):
                    y[n, c, i, j] = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max()
    return y


def pool_window_loops(x):
    N, C, H, W = x.shape
    y = np.empty((N, C, H // 2, W // 2), dtype=x.dtype)
    for i in range(H // 2):
        for j in range(W // 2):
            y[:, :, i, j] = x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max(axis=(2, 3))
    return y


def test_pool_loops_correct_answers_pass(capsys):
    for answer in (pool_loops, pool_window_loops, pool_reshape,
                   lambda x: pool_window_loops(x.astype(np.float32))):
        checks.check_maxpool2_forward_loops(answer)
    assert capsys.readouterr().out.count(checks.PASSED) == 4


def pool_partial_windows(x):
    N, C, H, W = x.shape
    y = np.zeros((N, C, -(-H // 2), -(-W // 2)))
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            y[:, :, i, j] = x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max(axis=(2, 3))
    return y


def pool_overlapping(x):
    N, C, H, W = x.shape
    y = np.zeros((N, C, H // 2, W // 2))
    for i in range(H // 2):
        for j in range(W // 2):
            y[:, :, i, j] = x[:, :, i:i + 2, j:j + 2].max(axis=(2, 3))
    return y


def pool_from_zero(x):
    N, C, H, W = x.shape
    y = np.zeros((N, C, H // 2, W // 2))
    for i in range(H // 2):
        for j in range(W // 2):
            for a in range(2):
                for b in range(2):
                    y[:, :, i, j] = np.maximum(y[:, :, i, j], x[:, :, 2 * i + a, 2 * j + b])
    return y


@pytest.mark.parametrize("answer, message", [
    (pool_partial_windows, "an odd last row or column has no full 2x2 window"),
    (pool_overlapping, "overlapping windows"),
    (pool_from_zero, "starts each maximum at 0"),
    (lambda x: corners(x)[0], "only the top-left corner"),
    (lambda x: sum(corners(x)) / 4, "averages each window"),
    (pool_in_place, "changed its input `x` in place"),
    (lambda x: pool_window_loops(x).transpose(0, 1, 3, 2), "axes in the wrong order"),
])
def test_pool_loops_slips_are_named(answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_maxpool2_forward_loops(answer)


# --- conv3x3_backward_loops -------------------------------------------------------------

def conv_backward_all_loops(x, W, grad_out):
    N, C, H, Wd = x.shape
    F = W.shape[0]
    dx, dW, db = np.zeros_like(x), np.zeros_like(W), np.zeros(F)
    for n in range(N):
        for f in range(F):
            for i in range(H - 2):
                for j in range(Wd - 2):
                    g = grad_out[n, f, i, j]
                    dx[n, :, i:i + 3, j:j + 3] += g * W[f]
                    dW[f] += g * x[n, :, i:i + 3, j:j + 3]
                    db[f] += g
    return dx, dW, db


def conv_backward_positions(x, W, grad_out, overwrite_dx=False, reverse_loops=False):
    N, C, H, Wd = x.shape
    dx, dW = np.zeros_like(x), np.zeros_like(W)
    positions = [(i, j) for i in range(H - 2) for j in range(Wd - 2)]
    if reverse_loops:
        positions = positions[::-1]
    for i, j in positions:
        g = grad_out[:, :, i, j]
        contribution = np.einsum("nf,fcab->ncab", g, W)
        if overwrite_dx:
            dx[:, :, i:i + 3, j:j + 3] = contribution
        else:
            dx[:, :, i:i + 3, j:j + 3] += contribution
        dW += np.einsum("nf,ncab->fcab", g, x[:, :, i:i + 3, j:j + 3])
    return dx, dW, grad_out.sum(axis=(0, 2, 3))


def conv_backward_float32(x, W, grad_out):
    return conv_backward_positions(x.astype(np.float32), W.astype(np.float32),
                                   grad_out.astype(np.float32))


def test_conv_backward_correct_answers_pass(capsys):
    for answer in (conv_backward_all_loops, conv_backward_positions, conv_backward_float32,
                   lambda x, W, g: list(conv_backward_all_loops(x, W, g))):
        checks.check_conv3x3_backward_loops(answer)
    assert capsys.readouterr().out.count(checks.PASSED) == 4


def conv_backward_overwrite_all_loops(x, W, grad_out):
    N, C, H, Wd = x.shape
    dx, dW, db = conv_backward_all_loops(x, W, grad_out)
    dx = np.zeros_like(x)
    for n in range(N):
        for f in range(W.shape[0]):
            for i in range(H - 2):
                for j in range(Wd - 2):
                    dx[n, :, i:i + 3, j:j + 3] = grad_out[n, f, i, j] * W[f]
    return dx, dW, db


def conv_backward_dW_per_image(x, W, grad_out):
    dx, _, db = conv_backward_all_loops(x, W, grad_out)
    for n in range(len(x)):        # `=` for each image: the last one wins
        dW = conv_backward_all_loops(x[n:n + 1], W, grad_out[n:n + 1])[1]
    return dx, dW, db


def conv_backward_dW_last_window(x, W, grad_out):
    dx, _, db = conv_backward_all_loops(x, W, grad_out)
    dW = np.zeros_like(W)
    for f in range(len(W)):
        for n in range(len(x)):
            dW[f] = grad_out[n, f, -1, -1] * x[n, :, -3:, -3:]
    return dx, dW, db


def replace(index, make):
    """A backward answer that is right except for output ``index``, made by ``make``."""
    def answer(x, W, g):
        parts = list(conv_backward_positions(x, W, g))
        parts[index] = make(x, W, g, parts[index])
        return tuple(parts)
    return answer


def conv_backward_changes_grad_out(x, W, grad_out):
    result = conv_backward_positions(x, W, grad_out)
    grad_out *= 0.5
    return result


@pytest.mark.parametrize("answer, message", [
    (lambda x, W, g: conv_backward_positions(x, W, g, overwrite_dx=True),
     r"overwrites the windows' gradients \(`=`\)"),
    (conv_backward_overwrite_all_loops, r"overwrites the windows' gradients \(`=`\)"),
    (lambda x, W, g: conv_backward_positions(x, W, g, overwrite_dx=True, reverse_loops=True),
     "right at the corner pixels"),
    (replace(0, lambda x, W, g, dx: conv_backward_positions(x, W[:, :, ::-1, ::-1], g)[0]),
     "dx of .* flips the filter"),
    (conv_backward_dW_per_image, "holds the gradient of image 1 only"),
    (replace(1, lambda x, W, g, dW: dW / len(x)), "is the batch mean"),
    (conv_backward_dW_last_window, "last window of the last image only"),
    (replace(1, lambda x, W, g, dW: dW[:, :, ::-1, ::-1]), "dW of .* is flipped"),
    (replace(2, lambda x, W, g, db: g[-1].sum(axis=(1, 2))), "holds image 1's sum only"),
    (replace(2, lambda x, W, g, db: g.mean(axis=(0, 2, 3))), "is a mean"),
    (replace(2, lambda x, W, g, db: g.sum(axis=(1, 2, 3))), "one number per filter"),
    (replace(2, lambda x, W, g, db: g.sum(axis=(1, 2, 3)) if len(x) == len(W) else db),
     "sums over the filters instead of the images"),
    (replace(2, lambda x, W, g, db: g.sum(axis=0)), r"has shape \(3, 3, 4\)"),
    (lambda x, W, g: conv_backward_positions(x, W, g)[1::-1] + (g.sum(axis=(0, 2, 3)),),
     r"returned \(dW, dx, db\)"),
    (lambda x, W, g: conv_backward_positions(x, W, g)[:2], "got 2 values"),
    (lambda x, W, g: conv_backward_positions(x, W, g)[0], "should return three arrays"),
    (conv_backward_changes_grad_out, "changed its input `grad_out` in place"),
])
def test_conv_backward_slips_are_named(answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_conv3x3_backward_loops(answer)


# --- maxpool2_backward_loops ------------------------------------------------------------

def pool_backward_loops(x, grad_out):
    N, C, H, W = x.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H // 2):
                for j in range(W // 2):
                    k = np.argmax(x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2])
                    dx[n, c, 2 * i + k // 2, 2 * j + k % 2] = grad_out[n, c, i, j]
    return dx


def pool_backward_window_loops(x, grad_out):
    N, C, H, W = x.shape
    dx = np.zeros_like(x)
    for i in range(H // 2):
        for j in range(W // 2):
            window = x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].reshape(N, C, 4)
            first = np.eye(4)[window.argmax(axis=2)].reshape(N, C, 2, 2)
            dx[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2] = first * grad_out[:, :, i, j, None, None]
    return dx


def pool_backward_layer(x, grad_out):
    from course_lib.layers import MaxPool2
    pool = MaxPool2()
    pool.forward(x)
    return pool.backward(grad_out)


def test_pool_backward_correct_answers_pass(capsys):
    for answer in (pool_backward_loops, pool_backward_window_loops,
                   lambda x, g: pool_backward_loops(x.astype(np.float32), g.astype(np.float32))):
        checks.check_maxpool2_backward_loops(answer)
    assert capsys.readouterr().out.count(checks.PASSED) == 3
    with pytest.raises(checks.ExerciseError, match="calls course_lib's .*MaxPool2"):
        checks.check_maxpool2_backward_loops(pool_backward_layer)


def pool_backward_pick(pick):
    """Loops that send each window's gradient to the position ``pick(window)`` returns."""
    def answer(x, grad_out):
        N, C, H, W = x.shape
        dx = np.zeros_like(x)
        for n in range(N):
            for c in range(C):
                for i in range(H // 2):
                    for j in range(W // 2):
                        a, b = pick(x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2])
                        dx[n, c, 2 * i + a, 2 * j + b] = grad_out[n, c, i, j]
        return dx
    return answer


def last_maximum(window):
    k = 3 - np.argmax(window.ravel()[::-1])
    return k // 2, k % 2


def column_major_first(window):
    k = np.argmax(window.T.ravel())
    return k % 2, k // 2


def mirrored(window):
    k = np.argmax(window)
    return k % 2, k // 2


def pool_backward_cut(x, grad_out):
    N, C, H, W = x.shape
    return pool_backward_loops(x[:, :, :H // 2 * 2, :W // 2 * 2], grad_out)


def pool_backward_dropped_row(x, grad_out):
    dx = pool_backward_loops(x, grad_out)
    if x.shape[2] % 2:
        dx[:, :, -1, :] = 1.0
    return dx


def pool_backward_whole(x, grad_out):
    H, W = x.shape[2] // 2 * 2, x.shape[3] // 2 * 2
    dx = np.zeros_like(x)
    dx[:, :, :H, :W] = np.kron(grad_out, np.ones((2, 2)))
    return dx


def pool_backward_changes_x(x, grad_out):
    dx = pool_backward_loops(x, grad_out)
    x[...] = np.round(x)
    return dx


@pytest.mark.parametrize("answer, message", [
    (lambda x, g: __import__("course_lib.naive").naive.maxpool2_backward_all_ties_naive(x, g),
     "every tied maximum"),
    (pool_backward_pick(last_maximum), "the last maximum"),
    (pool_backward_pick(column_major_first), "column by column"),
    (pool_backward_pick(mirrored), "mirrored position"),
    (pool_backward_whole, "all four positions"),
    (lambda x, g: pool_backward_whole(x, g) / 4, "average pooling"),
    (lambda x, g: pool_backward_loops(x, np.ones_like(g)), "writes 1 at each maximum"),
    (pool_backward_cut, "it is still there"),
    (lambda x, g: g.copy(), "the shape of grad_out"),
    (pool_backward_dropped_row, "puts gradient in the odd last row"),
    (pool_backward_changes_x, "changed its input `x` in place"),
])
def test_pool_backward_slips_are_named(answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_maxpool2_backward_loops(answer)


def test_the_tied_windows_tie_in_every_way():
    from course_lib.checks.lesson04 import L04_TIED_WINDOWS
    x = L04_TIED_WINDOWS[None, None]
    g = np.arange(1.0, 5.0).reshape(1, 1, 1, 4)
    rules = {rule: pool_backward_pick(rule)(x, g) for rule in (last_maximum, column_major_first)}
    first = pool_backward_loops(x, g)
    assert all(not np.array_equal(dx, first) for dx in rules.values())
    assert not first[0, 0, 2].any() and not first[0, 0, :, 8].any()


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


# --- no credit for calling the reference ---------------------------------------------------
def _naive():
    from course_lib import naive
    return naive


@pytest.mark.parametrize("check, answer, reference", [
    ("check_conv3x3_at", lambda x, W, b, i, j: _naive().conv3x3_forward_naive(
        x[None], W, b)[0, :, i, j], "conv3x3_forward_naive"),
    ("check_conv3x3_forward_loops", lambda x, W, b: _naive().conv3x3_forward_naive(x, W, b),
     "conv3x3_forward_naive"),
    ("check_conv3x3_forward_im2col", lambda x, W, b: _naive().conv3x3_forward_naive(x, W, b),
     "conv3x3_forward_naive"),
    ("check_maxpool2_forward_loops", lambda x: _naive().maxpool2_forward_naive(x),
     "maxpool2_forward_naive"),
    ("check_maxpool2_forward", lambda x: _naive().maxpool2_forward_naive(x),
     "maxpool2_forward_naive"),
    ("check_conv3x3_backward_loops", lambda x, W, g: _naive().conv3x3_backward_naive(x, W, g),
     "conv3x3_backward_naive"),
    ("check_maxpool2_backward_loops", lambda x, g: _naive().maxpool2_backward_naive(x, g),
     "maxpool2_backward_naive"),
    ("check_im2col_3x3", lambda x: __import__("course_lib.layers", fromlist=["x"]).im2col_3x3(x),
     "im2col_3x3"),
])
def test_calling_the_reference_gets_no_credit(capsys, check, answer, reference):
    with pytest.raises(checks.ExerciseError, match=f"calls course_lib's .*{reference}.*"
                                                    f"write it yourself"):
        getattr(checks, check)(answer)
    assert checks.PASSED not in capsys.readouterr().out


def test_calling_the_layer_class_gets_no_credit():
    from course_lib.layers import Conv3x3

    def via_layer(x, W, b):  # fails inside course_lib: the call is what the message names
        return Conv3x3.forward(Conv3x3.__new__(Conv3x3), x)

    with pytest.raises(checks.ExerciseError, match="Conv3x3"):
        checks.check_conv3x3_forward_loops(via_layer)


def test_strided_pool_that_keeps_the_odd_row_is_named():
    def keeps_odd(x):
        return np.maximum(np.maximum(x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2]),
                          np.maximum(x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2]))

    with pytest.raises(checks.ExerciseError, match=r"odd last row or column has no full 2x2"):
        checks.check_maxpool2_forward(keeps_odd)


def test_block_reshape_with_the_two_before_the_size_is_named():
    def mixed_blocks(x):  # (N, C, 2, Ho, 2, Wo): rows i and i + Ho in one "window"
        N, C, H, W = x.shape
        Ho, Wo = H // 2, W // 2
        return x[:, :, :2 * Ho, :2 * Wo].reshape(N, C, 2, Ho, 2, Wo).max(axis=(2, 4))

    for check in (checks.check_maxpool2_forward, checks.check_maxpool2_forward_loops):
        with pytest.raises(checks.ExerciseError, match=r"\(N, C, 2, H // 2, 2, W // 2\).*not a "
                                                       r"2x2 block"):
            check(mixed_blocks)
