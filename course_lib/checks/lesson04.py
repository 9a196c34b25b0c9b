"""Checks for lesson 04: the CNN on MNIST (convolution, max-pool, loops and im2col).

Each check runs the student's function on small float64 inputs (one to three
channels, a batch of one, odd and non-square sizes, windows with tied maxima)
and compares the answer with the loops of :mod:`course_lib.naive` or the
layers of :mod:`course_lib.layers`. When the answer is wrong, it is compared
with the usual wrong answers (a flipped filter, an output one pixel short,
channels not summed, the bias forgotten, ``=`` instead of ``+=``, a gradient
not summed over the batch, every tied maximum, columns in the wrong order...)
and the message names the slip that explains it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from .common import (PASSED, Unchanged, compare_arrays, fail, name_slip, no_delegation,
                     same_array)

#: (height, width, num_filters) that check_conv_pool_shape tries, with the right answers
L04_SHAPE_CASES = (((28, 28, 8), (8, 13, 13)), ((8, 8, 16), (16, 3, 3)),
                   ((27, 27, 8), (8, 12, 12)), ((12, 7, 4), (4, 5, 2)))

#: (N, C, H, W, F) of the convolution checks: a batch of 1, 1-3 channels, odd and
#: non-square sizes, an output of 1x1; the first case's output width equals F, so a
#: bias added along the width broadcasts there and is named rather than raising
L04_CONV_CASES = ((3, 2, 7, 6, 4), (2, 1, 6, 7, 3), (1, 3, 5, 8, 2), (1, 2, 3, 3, 2))

#: (N, C, H, W, F) of the backward check; the last has N == F, so summing db over the
#: filters instead of the images keeps the shape and shows in the values
L04_BACKWARD_CASES = ((2, 2, 5, 6, 3), (1, 1, 6, 4, 2), (3, 3, 5, 7, 3))

#: the window offsets (di, dj) in row-major order, the order in which ties are broken
L04_ROW_MAJOR = ((0, 0), (0, 1), (1, 0), (1, 1))

#: a 3x9 input whose 2x2 windows tie in every way: all four equal, top-right with
#: bottom-left, the top row, the bottom row; a last row and column that are dropped
L04_TIED_WINDOWS = np.array([[1., 1., 0., 2., 3., 3., 0., 0., 9.],
                             [1., 1., 2., 0., 0., 0., 5., 5., 9.],
                             [9., 9., 9., 9., 9., 9., 9., 9., 9.]])


# --------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------
def _l04_axes_order(got: object, expected: np.ndarray, what: str, layout: str) -> None:
    """Fail when ``got`` holds ``expected``'s numbers with its axes in another order."""
    if (not isinstance(got, np.ndarray) or got.ndim != expected.ndim
            or got.shape == expected.shape or sorted(got.shape) != sorted(expected.shape)):
        return
    for perm in itertools.permutations(range(expected.ndim)):
        if same_array(got, expected.transpose(perm)):
            fail(f"{what} holds the right numbers with its axes in the wrong order: shape "
                 f"{got.shape}, expected {expected.shape}, that is {layout}.")


def _l04_inputs(case: tuple[int, ...], seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random float64 x (N, C, H, W), W (F, C, 3, 3), b (F,) for a case (N, C, H, W, F)."""
    N, C, H, W, F = case
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((N, C, H, W)), rng.standard_normal((F, C, 3, 3)),
            rng.standard_normal(F))


def _l04_conv_shape_slips(got: object, x_shape: tuple[int, ...], F: int, what: str) -> None:
    """Name an output one pixel short, or as large as a padded convolution's."""
    if not isinstance(got, np.ndarray) or got.ndim != 4:
        return
    N, C, H, W = x_shape
    expected = (N, F, H - 2, W - 2)
    if got.shape == (N, F, H - 3, W - 3):
        fail(f"{what} has shape {got.shape}, expected {expected}: one window short along each "
             f"axis. A 3x3 window fits at H - 2 positions, i = 0, 1, ..., H - 3: "
             f"range(H - 2).")
    if got.shape in ((N, F, H - 1, W - 1), (N, F, H, W)):
        fail(f"{what} has shape {got.shape}, expected {expected}. A valid convolution (no "
             f"padding) only uses windows that lie wholly inside the image: a 3x3 window fits "
             f"at H - 2 positions along an axis of length H.")


def _l04_check_conv_forward(forward: Callable[..., object], name: str,
                            reference: Callable[..., np.ndarray],
                            extra_slips: Callable[..., list]) -> None:
    """The checks shared by the loop and im2col forward passes of the convolution."""
    for k, case in enumerate(L04_CONV_CASES):
        N, C, H, W_, F = case
        x, W, b = _l04_inputs(case, seed=40 + k)
        what = f"{name}(x, W, b) for x of shape {x.shape} and W of shape {W.shape}"
        inputs = Unchanged(x=x, W=W, b=b)
        got = forward(x, W, b)
        inputs.check(f"{name}(x, W, b)")
        expected = reference(x, W, b)
        _l04_conv_shape_slips(got, x.shape, F, what)
        _l04_axes_order(got, expected, what, "(N, F, H - 2, W - 2): image, filter, row, column")
        unbiased = expected - b[None, :, None, None]
        slips = [(reference(x, W[:, :, ::-1, ::-1], b),
                  "flips the filter, as the convolution of signal processing does. Deep "
                  "learning's 'convolution' is a cross-correlation: W[f, c, di, dj] multiplies "
                  "x[n, c, i + di, j + dj], no flip."),
                 (reference(x[:, :1], W[:, :1], b) if C > 1 else None,
                  "uses the first channel only. Each output sums over all C channels as well "
                  "as over the 3x3 window."),
                 (reference(x[:, -1:], W[:, -1:], b) if C > 1 else None,
                  "keeps only the last channel's sum: an `=` inside a loop over the channels "
                  "overwrites the others. Add the channels up (+=, or sum over the channel "
                  "axis too)."),
                 (unbiased, "forgets the bias: add b[f] to every output of filter f."),
                 (unbiased + C * b[None, :, None, None] if C > 1 else None,
                  "adds the bias once per channel (C times). Add b[f] once per output value."),
                 (unbiased + b if W_ - 2 == F else None,
                  "adds b along the last axis (the width). b[f] belongs to filter f, the "
                  "second axis: b[None, :, None, None], or b[:, None, None] for one image.")]
        name_slip(got, expected, slips + extra_slips(x, W, b), what)
        compare_arrays(got, expected, what)
    print(PASSED)


def _l04_pool_windows(x: np.ndarray) -> list[np.ndarray]:
    """The four corners of every 2x2 window of x, in row-major order, odd edges dropped."""
    Ho, Wo = x.shape[2] // 2, x.shape[3] // 2
    return [x[:, :, di:2 * Ho:2, dj:2 * Wo:2] for di, dj in L04_ROW_MAJOR]


def _l04_pool_inputs() -> list[np.ndarray]:
    """Inputs of the max-pool checks: even, odd and non-square, small integers that tie, tied windows."""
    rng = np.random.default_rng(5)
    return [rng.standard_normal((2, 3, 6, 8)), rng.standard_normal((1, 2, 7, 5)),
            rng.integers(0, 3, size=(2, 1, 6, 6)).astype(np.float64),
            L04_TIED_WINDOWS[None, None].copy()]


def _l04_check_pool_forward(forward: Callable[..., object], name: str) -> None:
    """The checks shared by the loop and strided-slice forward passes of the max-pool."""
    from ..naive import maxpool2_forward_naive

    for x in _l04_pool_inputs():
        what = f"{name}(x) for x of shape {x.shape}"
        inputs = Unchanged(x=x)
        N, C, H, W = x.shape
        try:
            got = forward(x)
        except (ValueError, IndexError) as err:
            if H % 2 or W % 2:
                fail(f"{what} raised {type(err).__name__}: {err}. With an odd height or width "
                     f"(here {H} x {W}) the strided slices x[:, :, 0::2] and x[:, :, 1::2] "
                     f"differ in length ({-(-H // 2)} and {H // 2} rows): the odd last row "
                     f"or column has no full 2x2 window. Drop it first, as MaxPool2 does: "
                     f"slice up to 2 * (H // 2) and 2 * (W // 2).")
            raise
        inputs.check(f"{name}(x)")
        expected = maxpool2_forward_naive(x)
        if (isinstance(got, np.ndarray) and got.shape != expected.shape
                and got.shape == (N, C, -(-H // 2), -(-W // 2))):
            fail(f"{what} has shape {got.shape}, expected {expected.shape}: an odd last row or "
                 f"column has no full 2x2 window and is dropped, as MaxPool2 does. Use H // 2 "
                 f"windows along the height, W // 2 along the width.")
        _l04_axes_order(got, expected, what, "(N, C, H // 2, W // 2)")
        Ho, Wo = H // 2, W // 2
        corners = np.stack(_l04_pool_windows(x))
        overlapping = np.max([x[:, :, di:di + Ho, dj:dj + Wo] for di, dj in L04_ROW_MAJOR],
                             axis=0)
        slips = [(corners[0], "keeps only the top-left corner of each window (plain "
                              "subsampling): take the maximum of all four."),
                 (corners.mean(axis=0), "averages each window (average pooling); max-pooling "
                                        "keeps the largest value."),
                 (corners.min(axis=0), "takes the minimum of each window; max-pooling keeps "
                                       "the largest value."),
                 (np.maximum(corners[0], corners[1]), "takes the maximum of the two top "
                                                      "corners only; use all four."),
                 (np.maximum(corners[0], corners[2]), "takes the maximum of the two left "
                                                      "corners only; use all four."),
                 (np.maximum(corners[0], corners[3]), "takes the maximum of two diagonal "
                                                      "corners only; use all four."),
                 (overlapping, "uses overlapping windows x[i:i+2, j:j+2]. With stride 2, "
                               "window (i, j) covers rows 2i, 2i+1 and columns 2j, 2j+1: "
                               "x[:, :, 2*i:2*i+2, 2*j:2*j+2]."),
                 (np.maximum(expected, 0), "starts each maximum at 0, so a window of negative "
                                           "numbers gives 0. Start from the window's own "
                                           "values (.max() of the window, or its first entry)."),
                 (x[:, :, :2 * Ho, :2 * Wo].reshape(N, C, 2, Ho, 2, Wo).max(axis=(2, 4)),
                  "reshapes to (N, C, 2, H // 2, 2, W // 2): that groups rows i and i + H // 2, "
                  "which are not neighbours, so a 'window' is not a 2x2 block. Reshape to "
                  "(N, C, H // 2, 2, W // 2, 2) and take the max over axes 3 and 5.")]
        name_slip(got, expected, slips, what)
        compare_arrays(got, expected, what)
    print(PASSED)


def _l04_pool_backward_rule(x: np.ndarray, grad_out: np.ndarray,
                            order: tuple[tuple[int, int], ...]) -> np.ndarray:
    """dx that gives each window's gradient to its first maximum in ``order``."""
    Ho, Wo = x.shape[2] // 2, x.shape[3] // 2
    corners = {offset: x[:, :, offset[0]:2 * Ho:2, offset[1]:2 * Wo:2] for offset in order}
    y = np.max(list(corners.values()), axis=0)
    dx, taken = np.zeros_like(x), np.zeros(y.shape, dtype=bool)
    for di, dj in order:
        mask = (corners[di, dj] == y) & ~taken
        taken |= mask
        dx[:, :, di:2 * Ho:2, dj:2 * Wo:2] = mask * grad_out
    return dx


# --------------------------------------------------------------------------------------
# Exercise 1: output sizes
# --------------------------------------------------------------------------------------
def check_conv_pool_shape(conv_pool_shape: Callable[..., object]) -> None:
    """Check ``conv_pool_shape(height, width, num_filters) -> (F, H_out, W_out)``.

    The shape of one image's output after a valid 3x3 convolution with
    ``num_filters`` filters (stride 1) and a 2x2 max-pool (stride 2, an odd last
    row or column dropped), as Conv3x3 and MaxPool2 compute it. Tries square,
    odd and non-square sizes. Names the usual slips: not three ints, the filter
    count missing or not first, the pooling forgotten, the convolution's shrink
    by 2 forgotten or taken as 3, rounding up, height and width swapped.
    """
    answers = []
    for (h, w, f), expected in L04_SHAPE_CASES:
        what = f"conv_pool_shape({h}, {w}, {f})"
        got = conv_pool_shape(h, w, f)
        if isinstance(got, np.ndarray):
            got = tuple(got.tolist())
        if not isinstance(got, (tuple, list)) or not all(
                isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in got):
            fail(f"{what} should return a tuple of ints (filters, height, width), got "
                 f"{got!r}. Use // to halve: / gives floats.")
        got = tuple(int(n) for n in got)
        if got != expected and got == expected[1:]:
            fail(f"{what} returned {got}, the height and width only. Put the number of "
                 f"filters (feature maps) first: {expected}.")
        if len(got) != 3:
            fail(f"{what} should return three numbers (filters, height, width), got {got}.")
        if got[0] != f:
            if f in got[1:]:
                fail(f"{what} returned {got}: the number of filters goes first, as in "
                     f"Conv3x3's output (N, F, H, W). Expected {expected}.")
            fail(f"{what} returned {got}: the first entry is the number of filters, {f}, "
                 f"one feature map per filter. Expected {expected}.")
        answers.append(got)
    # A slip is named when it explains every answer; some agree with the right one on
    # some sizes (27 // 2 == (27 - 2 + 1) // 2), so all four sizes are looked at together.
    slips = [(lambda h, w: (h - 2, w - 2), "is the size after the convolution only; the 2x2 "
              "max-pool then halves height and width (rounding down)."),
             (lambda h, w: (h // 2, w // 2), "forgets that the valid 3x3 convolution first "
              "shrinks the image by 2 (28 -> 26)."),
             (lambda h, w: ((h - 1) // 2, (w - 1) // 2), "rounds up, or shrinks by 1 in the "
              "convolution. A 3x3 filter fits at H - 2 positions, and the pool drops an odd "
              "last row or column: (H - 2) // 2."),
             (lambda h, w: ((h - 3) // 2, (w - 3) // 2), "shrinks by 3 in the convolution. A "
              "3x3 filter fits at H - 2 positions along an axis of H."),
             (lambda h, w: ((w - 2) // 2, (h - 2) // 2), "swaps height and width: return "
              "(filters, height, width).")]
    wrong = [(case, got) for case, got in zip(L04_SHAPE_CASES, answers) if got != case[1]]
    if not wrong:
        print(PASSED)
        return
    ((h, w, f), expected), got = wrong[0]
    what = f"conv_pool_shape({h}, {w}, {f})"
    for rule, message in slips:
        if all(got[1:] == rule(*case[:2]) for (case, _), got in zip(L04_SHAPE_CASES, answers)):
            fail(f"{what} returned {got}: it {message} Expected {expected}.")
    fail(f"{what} returned {got}, expected {expected}: (F, (H - 2) // 2, (W - 2) // 2).")


# --------------------------------------------------------------------------------------
# Exercise 2: one position of the convolution
# --------------------------------------------------------------------------------------
def _l04_conv_at(x: np.ndarray, W: np.ndarray, b: np.ndarray, i: int, j: int) -> np.ndarray:
    """The reference: output (F,) of a valid 3x3 cross-correlation of x (C, H, W) at (i, j)."""
    return np.einsum("fcij,cij->f", W, x[:, i:i + 3, j:j + 3]) + b


@no_delegation("course_lib.naive.conv3x3_forward_naive", "course_lib.layers.Conv3x3")
def check_conv3x3_at(conv3x3_at: Callable[..., object]) -> None:
    """Check ``conv3x3_at(x, W, b, i, j) -> y``: one position of a 3x3 convolution.

    ``x`` is one image (C, H, W), ``W`` the filters (F, C, 3, 3), ``b`` the biases
    (F,); ``y`` (F,) holds ``y[f] = b[f] + sum_{c,di,dj} W[f,c,di,dj] x[c,i+di,j+dj]``,
    the column (i, j) of Conv3x3's output. Uses two channels, three filters and a
    non-square image, at four positions including the corners. Names the usual
    slips: an input changed in place (named), the wrong shape (channels not
    summed, or everything summed), i and j swapped, the window centred on
    (i, j), the filter flipped (true convolution), the bias forgotten.
    """
    from ..layers import Conv3x3

    rng = np.random.default_rng(4)
    C, F, H, W_ = 2, 3, 7, 8
    x = rng.standard_normal((C, H, W_))
    W = rng.standard_normal((F, C, 3, 3))
    b = rng.standard_normal(F)
    conv = Conv3x3(F, C, rng=0)
    conv.params["W"][...], conv.params["b"][...] = W, b
    y_all = conv.forward(x[None])[0]                     # (F, H-2, W-2)
    for i, j in ((2, 4), (4, 1), (0, 0), (4, 5)):
        what = f"conv3x3_at(x, W, b, {i}, {j})"
        inputs = Unchanged(x=x, W=W, b=b)
        got = conv3x3_at(x, W, b, i, j)
        inputs.check(what)
        expected = y_all[:, i, j]
        if np.ndim(got) == 0 and isinstance(got, (float, int, np.number)):
            fail(f"{what} is a single number; it should have shape {expected.shape}, one "
                 f"number per filter. Sum over (channel, row, column) only, not filters.")
        if isinstance(got, np.ndarray) and got.shape != expected.shape:
            if got.shape in ((F, C), (C, F), (F, C, 3, 3)):
                fail(f"{what} has shape {got.shape}; it should be {expected.shape}, one number "
                     f"per filter. Sum over the channels as well as the 3x3 window.")
        slips = [(y_all[:, j, i] if max(i, j) < min(H, W_) - 2 else None,
                  "swaps i and j: i is the row (height), j the column (width), "
                  "x[:, i:i+3, j:j+3]."),
                 (y_all[:, i - 1, j - 1] if min(i, j) >= 1 else None,
                  "centres the window on (i, j). Output (i, j) of a valid convolution "
                  "uses the window whose top-left corner is (i, j): x[:, i:i+3, j:j+3]."),
                 (_l04_conv_at(x, W[:, :, ::-1, ::-1], b, i, j),
                  "flips the filter, as the convolution of signal processing does. Deep "
                  "learning's 'convolution' is a cross-correlation: W[f, c, di, dj] "
                  "multiplies x[c, i + di, j + dj], no flip."),
                 (expected - b, "forgets the bias: add b[f] to each filter's sum.")]
        name_slip(got, expected, slips, what)
        compare_arrays(got, expected, what)
    print(PASSED)


# --------------------------------------------------------------------------------------
# Exercises 3 and 8: the convolution's forward pass, with loops and with im2col
# --------------------------------------------------------------------------------------
@no_delegation("course_lib.naive.conv3x3_forward_naive", "course_lib.layers.Conv3x3")
def check_conv3x3_forward_loops(conv3x3_forward_loops: Callable[..., object]) -> None:
    """Check ``conv3x3_forward_loops(x, W, b) -> y``, the convolution's forward pass.

    ``x`` (N, C, H, W), ``W`` (F, C, 3, 3), ``b`` (F,) -> ``y`` (N, F, H-2, W-2),
    ``y[n, f, i, j] = b[f] + sum_{c, di, dj} W[f, c, di, dj] x[n, c, i+di, j+dj]``
    (valid cross-correlation, stride 1). Compared with
    :func:`course_lib.naive.conv3x3_forward_naive` on float64 inputs with 1 to 3
    channels, a batch of 1, odd and non-square sizes and a 1x1 output. Any correct
    answer passes: loops over every index, loops over positions with einsum,
    float32. Names the usual slips: an input changed in place (named), an output
    one pixel short (H - 3) or padded (H - 1, H), axes in the wrong order, the
    filter flipped (true convolution), the channels not summed (first or last
    channel only), the bias forgotten, added once per channel or along the width.
    """
    from ..naive import conv3x3_forward_naive

    _l04_check_conv_forward(conv3x3_forward_loops, "conv3x3_forward_loops",
                            conv3x3_forward_naive, lambda x, W, b: [])


def _l04_im2col_forward_slips(x: np.ndarray, W: np.ndarray,
                              b: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """The wrong answers of the im2col forward pass: a reshape without the transpose, W cut wrong."""
    from ..layers import im2col_3x3

    N, C, H, W_ = x.shape
    F = W.shape[0]
    cols = im2col_3x3(x)
    flat = cols @ W.reshape(F, -1).T + b
    cut = cols @ W.reshape(-1, F) + b
    return [(flat.reshape(N, F, H - 2, W_ - 2),
             "reshapes the product (one row per window (n, i, j), one column per filter) "
             "straight to (N, F, H - 2, W - 2), which scrambles it. Reshape to "
             "(N, H - 2, W - 2, F) first, then move the filter axis: .transpose(0, 3, 1, 2)."),
            (cut.reshape(N, H - 2, W_ - 2, F).transpose(0, 3, 1, 2),
             "multiplies by W.reshape(-1, F), which cuts the filters' numbers into the wrong "
             "columns. W.reshape(F, -1) is one filter per row (like the rows of cols); its "
             "transpose .T is the (C*9, F) matrix to multiply by.")]


@no_delegation("course_lib.naive.conv3x3_forward_naive", "course_lib.layers.Conv3x3")
def check_conv3x3_forward_im2col(conv3x3_forward_im2col: Callable[..., object]) -> None:
    """Check ``conv3x3_forward_im2col(x, W, b) -> y``: the convolution as one matrix product.

    Same contract as :func:`check_conv3x3_forward_loops`, x (N, C, H, W), W (F, C,
    3, 3), b (F,) -> y (N, F, H-2, W-2), compared with
    :class:`course_lib.layers.Conv3x3` on the same inputs. The answer is expected
    to compute ``im2col_3x3(x) @ W.reshape(F, -1).T + b`` and reshape it, but any
    correct answer passes. Names the slips of the loop version plus those of the
    product: the (N*(H-2)*(W-2), F) product not reshaped, or reshaped straight to
    (N, F, H-2, W-2) without the transpose, W reshaped to (C*9, F) instead of
    transposed, the filter axis left last. If the student's own im2col_3x3 is
    wrong, this check fails too: solve that exercise first.
    """
    from ..layers import Conv3x3

    def reference(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        conv = Conv3x3(W.shape[0], W.shape[1], rng=0)
        conv.params["W"], conv.params["b"] = W.copy(), b.copy()
        return conv.forward(x)

    def forward(x, W, b):
        # the (N*Ho*Wo, F) product itself, not reshaped, is named here
        got = conv3x3_forward_im2col(x, W, b)
        N, C, H, W_ = x.shape
        if isinstance(got, np.ndarray) and got.shape == (N * (H - 2) * (W_ - 2), W.shape[0]):
            fail(f"conv3x3_forward_im2col(x, W, b) for x of shape {x.shape} returned the matrix "
                 f"product itself, shape {got.shape}: one row per window (n, i, j), one column "
                 f"per filter. Reshape it to (N, H - 2, W - 2, F) and move the filter axis "
                 f"second: .transpose(0, 3, 1, 2).")
        return got

    _l04_check_conv_forward(forward, "conv3x3_forward_im2col", reference,
                            _l04_im2col_forward_slips)


# --------------------------------------------------------------------------------------
# Exercises 4 and 9: the max-pool's forward pass, with loops and with strided slices
# --------------------------------------------------------------------------------------
@no_delegation("course_lib.naive.maxpool2_forward_naive", "course_lib.layers.MaxPool2")
def check_maxpool2_forward_loops(maxpool2_forward_loops: Callable[..., object]) -> None:
    """Check ``maxpool2_forward_loops(x) -> y``: 2x2 max-pooling, stride 2, with loops.

    x (N, C, H, W) -> y (N, C, H // 2, W // 2), ``y[n, c, i, j]`` the maximum of
    ``x[n, c, 2i:2i+2, 2j:2j+2]``. Compared with
    :func:`course_lib.naive.maxpool2_forward_naive` on an even-sized input, an
    odd-sized one with a batch of 1 (the last row and column are dropped), small
    integers with many ties and windows tied in every way. Names the usual
    slips: an input changed in place, the odd row or column kept, axes in the
    wrong order, overlapping windows (stride 1), the maximum started at 0, one
    corner only (subsampling), the average or minimum, two corners only.
    """
    _l04_check_pool_forward(maxpool2_forward_loops, "maxpool2_forward_loops")


@no_delegation("course_lib.naive.maxpool2_forward_naive", "course_lib.layers.MaxPool2")
def check_maxpool2_forward(maxpool2_forward: Callable[..., object]) -> None:
    """Check ``maxpool2_forward(x) -> y``: 2x2 max-pooling, stride 2, on (N, C, H, W).

    The version without loops (four strided slices and ``np.maximum``); the same
    inputs and slips as :func:`check_maxpool2_forward_loops`, compared with
    :func:`course_lib.naive.maxpool2_forward_naive`, which agrees with
    :class:`course_lib.layers.MaxPool2`.
    """
    _l04_check_pool_forward(maxpool2_forward, "maxpool2_forward")


# --------------------------------------------------------------------------------------
# Exercise 5: the convolution's backward pass
# --------------------------------------------------------------------------------------
def _l04_backward_parts(got: object, shapes: tuple[tuple[int, ...], ...], what: str) -> tuple:
    """``got`` as (dx, dW, db), or ExerciseError naming what came back instead."""
    names = ("dx", "dW", "db")
    if isinstance(got, np.ndarray) or not isinstance(got, (tuple, list)):
        fail(f"{what} should return three arrays, (dx, dW, db), got "
             f"{type(got).__name__}" + (" (did the function forget to return?)."
                                        if got is None else "."))
    if len(got) != 3:
        fail(f"{what} should return three arrays, (dx, dW, db), got {len(got)} values.")
    got_shapes = [np.shape(a) for a in got]
    if got_shapes != list(shapes) and sorted(map(str, got_shapes)) == sorted(map(str, shapes)):
        order = ", ".join(names[shapes.index(s)] for s in got_shapes)
        fail(f"{what} returned ({order}); return them in the order (dx, dW, db).")
    return tuple(got)


@no_delegation("course_lib.naive.conv3x3_backward_naive",
               "course_lib.layers.Conv3x3",
               "course_lib.layers.conv.col2im_3x3",
               "course_lib.layers.conv.add_patches_3x3")
def check_conv3x3_backward_loops(conv3x3_backward_loops: Callable[..., object]) -> None:
    """Check ``conv3x3_backward_loops(x, W, grad_out) -> (dx, dW, db)``.

    The gradients of the valid 3x3 convolution, x (N, C, H, W), W (F, C, 3, 3),
    grad_out (N, F, H-2, W-2) -> dx (N, C, H, W), dW (F, C, 3, 3), db (F,):
    every output position adds ``grad_out[n, f, i, j] * W[f]`` into the window
    ``dx[n, :, i:i+3, j:j+3]`` and ``grad_out[n, f, i, j] * x[n, :, i:i+3, j:j+3]``
    into ``dW[f]``. Compared with :func:`course_lib.naive.conv3x3_backward_naive`
    on float64 inputs with 1 to 3 channels, a batch of 1, non-square sizes and
    N == F. Any correct answer passes (loops over every index or over positions
    only, einsum, float32). Names the usual slips: an input changed in place
    (named), not three arrays or in another order, dx written with ``=``
    instead of ``+=`` (overlapping windows lost), dx with the flipped filter,
    dW of one image only (not summed over the batch), dW or db averaged over
    the batch, dW of the last window only, dW flipped, db not summed over the
    images or the positions, db summed over the filters.
    """
    from ..naive import conv3x3_backward_naive

    for k, case in enumerate(L04_BACKWARD_CASES):
        N, C, H, W_, F = case
        x, W, _ = _l04_inputs(case, seed=50 + k)
        g = np.random.default_rng(60 + k).standard_normal((N, F, H - 2, W_ - 2))
        what = (f"conv3x3_backward_loops(x, W, grad_out) for x of shape {x.shape}, W of shape "
                f"{W.shape}")
        inputs = Unchanged(x=x, W=W, grad_out=g)
        got = conv3x3_backward_loops(x, W, g)
        inputs.check("conv3x3_backward_loops(x, W, grad_out)")
        dx, dW, db = conv3x3_backward_naive(x, W, g)
        got_dx, got_dW, got_db = _l04_backward_parts(got, (x.shape, W.shape, (F,)), what)

        # dx: each window adds g * W[f] to its 3x3 patch; windows overlap
        last_only = np.zeros_like(x)     # `=` in loops over n, f, i, j: the last filter wins
        summed = np.zeros_like(x)        # `=` in loops over positions, filters summed
        for i in range(H - 2):
            for j in range(W_ - 2):
                last_only[:, :, i:i + 3, j:j + 3] = g[:, -1, i, j, None, None, None] * W[-1]
                summed[:, :, i:i + 3, j:j + 3] = np.einsum("nf,fcab->ncab", g[:, :, i, j], W)
        overwrite = ("overwrites the windows' gradients (`=`) where they overlap. A pixel "
                     "belongs to up to nine windows and gets the gradient from each: add "
                     "with `dx[n, :, i:i+3, j:j+3] += ...`.")
        name_slip(got_dx, dx, [(summed, overwrite), (last_only, overwrite),
                                    (conv3x3_backward_naive(x, W[:, :, ::-1, ::-1], g)[0],
                                     "flips the filter: each window hands back grad_out[n, f, "
                                     "i, j] * W[f] as it is, no flip (the forward pass did not "
                                     "flip either).")], f"dx of {what}")
        if (isinstance(got_dx, np.ndarray) and got_dx.shape == dx.shape
                and not same_array(got_dx, dx)
                and same_array(got_dx[:, :, [0, 0, -1, -1], [0, -1, 0, -1]],
                                 dx[:, :, [0, 0, -1, -1], [0, -1, 0, -1]])):
            fail(f"dx of {what} is right at the corner pixels, which only one window covers, "
                 f"and wrong where windows overlap. Every window adds its share: "
                 f"`dx[n, :, i:i+3, j:j+3] += ...`, not `=`.")
        compare_arrays(got_dx, dx, f"dx of {what}")

        # dW: a sum over every image and every position
        per_image = [conv3x3_backward_naive(x[n:n + 1], W, g[n:n + 1])[1] for n in range(N)]
        dW_slips = [(dW_n, f"holds the gradient of image {n} only: dW is a sum over every "
                           f"image of the batch as well as every position (+=, never = "
                           f"inside the loop over images).")
                    for n, dW_n in enumerate(per_image)] if N > 1 else []
        dW_slips += [(dW / N if N > 1 else None,
                      f"is the batch mean (1/{N} of the sum). The convolution's gradient is a "
                      f"plain sum; the loss already divided by N."),
                     (np.einsum("nf,ncab->fcab", g[:, :, -1, -1], x[:, :, -3:, -3:]),
                      "holds the last window's contribution only: add every window's with "
                      "`dW[f] += ...`, not `=`."),
                     (g[-1, :, -1, -1, None, None, None] * x[-1, None, :, -3:, -3:],
                      "holds the last window of the last image only: add every window's "
                      "contribution with `dW[f] += ...`, not `=`."),
                     (dW[:, :, ::-1, ::-1], "is flipped: dW[f, c, di, dj] collects "
                                            "grad_out[n, f, i, j] * x[n, c, i + di, j + dj].")]
        name_slip(got_dW, dW, dW_slips, f"dW of {what}")
        compare_arrays(got_dW, dW, f"dW of {what}")

        # db: a sum over the images and the positions
        if isinstance(got_db, np.ndarray) and got_db.shape != db.shape:
            fail(f"db of {what} has shape {got_db.shape}; it holds one number per filter, "
                 f"shape {db.shape}: sum grad_out over the images and all positions, "
                 f"axis=(0, 2, 3).")
        db_slips = [(g[n].sum(axis=(1, 2)), f"holds image {n}'s sum only: sum grad_out over "
                                            f"the batch too, axis=(0, 2, 3).")
                    for n in range(N)] if N > 1 else []
        db_slips += [(g.mean(axis=(0, 2, 3)), "is a mean; db is the sum of grad_out over the "
                                              "images and positions, axis=(0, 2, 3)."),
                     (db / N if N > 1 else None, f"is 1/{N} of the sum: the convolution's "
                                                 f"gradient is a plain sum over the batch."),
                     (g.sum(axis=(1, 2, 3)) if N == F else None,
                      "sums over the filters instead of the images: db[f] adds up grad_out[:, "
                      "f], axis=(0, 2, 3)."),
                     (g[:, :, -1, -1].sum(axis=0), "holds the last position only: add every "
                                                   "position's gradient (+=, or a sum over "
                                                   "axes 2 and 3).")]
        name_slip(got_db, db, db_slips, f"db of {what}")
        compare_arrays(got_db, db, f"db of {what}")
    print(PASSED)


# --------------------------------------------------------------------------------------
# Exercise 6: the max-pool's backward pass
# --------------------------------------------------------------------------------------
@no_delegation("course_lib.naive.maxpool2_backward_naive",
               "course_lib.layers.MaxPool2")
def check_maxpool2_backward_loops(maxpool2_backward_loops: Callable[..., object]) -> None:
    """Check ``maxpool2_backward_loops(x, grad_out) -> dx``: one argmax per window.

    x (N, C, H, W), grad_out (N, C, H // 2, W // 2) -> dx (N, C, H, W): each
    window's gradient goes to its first maximum in row-major order (what
    ``np.argmax`` returns on the flattened window), zero elsewhere and in a
    dropped odd last row or column. Compared with
    :func:`course_lib.naive.maxpool2_backward_naive` on random inputs (even, odd
    with a batch of 1), small integers with many ties and windows tied in every
    way (all four, top row, bottom row, the two off-diagonal corners). Names the
    usual slips: an input changed in place (named), every tied maximum getting
    the gradient, the last maximum, ties broken column by column, the gradient
    sent to the whole window or spread as in average pooling, 1 written
    instead of the gradient, the position in the window mirrored, dx of the
    wrong shape (the odd row or column cut off), gradient in the dropped row or
    column.
    """
    from ..naive import maxpool2_backward_all_ties_naive, maxpool2_backward_naive

    for k, x in enumerate(_l04_pool_inputs()):
        N, C, H, W = x.shape
        Ho, Wo = H // 2, W // 2
        g = np.random.default_rng(70 + k).uniform(0.5, 2.0, size=(N, C, Ho, Wo))
        g *= np.random.default_rng(80 + k).choice([-1.0, 1.0], size=g.shape)
        what = f"maxpool2_backward_loops(x, grad_out) for x of shape {x.shape}"
        inputs = Unchanged(x=x, grad_out=g)
        got = maxpool2_backward_loops(x, g)
        inputs.check("maxpool2_backward_loops(x, grad_out)")
        expected = maxpool2_backward_naive(x, g)
        if isinstance(got, np.ndarray) and got.shape != x.shape:
            if got.shape == (N, C, 2 * Ho, 2 * Wo):
                fail(f"{what} has shape {got.shape}; dx has the shape of x, {x.shape}. The odd "
                     f"last row or column did not reach the output: its gradient is 0, but it "
                     f"is still there (start from np.zeros_like(x)).")
            if got.shape == g.shape:
                fail(f"{what} has the shape of grad_out, {got.shape}; dx has the shape of x, "
                     f"{x.shape}: one gradient per input pixel.")
        whole = np.zeros_like(x)
        whole[:, :, :2 * Ho, :2 * Wo] = np.repeat(np.repeat(g, 2, axis=2), 2, axis=3)
        first_max = maxpool2_backward_naive(x, np.ones_like(g))
        mirrored = np.zeros_like(x)
        for (di, dj) in L04_ROW_MAJOR:
            mirrored[:, :, dj:2 * Ho:2, di:2 * Wo:2] = expected[:, :, di:2 * Ho:2, dj:2 * Wo:2]
        first_rule = ("The rule of this lesson: one argmax per window, the first maximum in "
                      "row-major order, (0, 0), (0, 1), (1, 0), (1, 1), which is what "
                      "np.argmax returns on the flattened window.")
        slips = [(maxpool2_backward_all_ties_naive(x, g),
                  f"sends each window's gradient to every tied maximum. At a tie the max has no "
                  f"gradient, and giving it to all of them counts it several times. "
                  f"{first_rule}"),
                 (_l04_pool_backward_rule(x, g, L04_ROW_MAJOR[::-1]),
                  f"sends the gradient to the last maximum of a tied window (`>=` where `>` "
                  f"was meant, or an argmax of the reversed window). {first_rule}"),
                 (_l04_pool_backward_rule(x, g, ((0, 0), (1, 0), (0, 1), (1, 1))),
                  f"breaks ties column by column ((0, 0), (1, 0), (0, 1), (1, 1)): the "
                  f"window was flattened or searched in column-major order. {first_rule}"),
                 (whole, "sends the gradient to all four positions of every window; only the "
                         "maximum influenced the output, so only it gets the gradient."),
                 (whole / 4, "spreads the gradient evenly over the window, which is average "
                             "pooling's backward; max-pooling gives all of it to the maximum."),
                 (first_max, "writes 1 at each maximum; write the incoming gradient "
                             "grad_out[n, c, i, j] there."),
                 (mirrored, "puts the gradient at the mirrored position in the window: the "
                            "flat index k of a 2x2 window is row k // 2, column k % 2 "
                            "(np.unravel_index(k, (2, 2))).")]
        name_slip(got, expected, slips, what)
        if (isinstance(got, np.ndarray) and got.shape == x.shape
                and (np.any(got[:, :, 2 * Ho:, :]) or np.any(got[:, :, :, 2 * Wo:]))):
            fail(f"{what} puts gradient in the odd last row or column, which no window used "
                 f"(the forward pass dropped it): leave it 0.")
        compare_arrays(got, expected, what)
    print(PASSED)


# --------------------------------------------------------------------------------------
# Exercise 7: im2col
# --------------------------------------------------------------------------------------
@no_delegation("course_lib.layers.conv.im2col_3x3", "course_lib.layers.conv.patches_3x3")
def check_im2col_3x3(im2col_3x3: Callable[..., object]) -> None:
    """Check ``im2col_3x3(x) -> cols``, every 3x3 window of x as a row, in course_lib's layout.

    x (N, C, H, W) -> cols (N * (H-2) * (W-2), C * 9): row ``n (H-2)(W-2) + i (W-2)
    + j`` holds the window ``x[n, :, i:i+3, j:j+3]`` flattened channel by
    channel, row by row (column ``9 c + 3 di + dj``), as ``W[f].ravel()`` is.
    Compared with :func:`course_lib.layers.im2col_3x3` on the lesson's 4x4
    example and on random inputs with 1 to 3 channels, a batch of 1 and of 3,
    non-square sizes. Names the usual slips: an input changed in place, cols
    transposed, one window short, a 3-D or 4-D array not reshaped, columns in
    offset-major order (all channels of one offset together), windows read
    column by column, rows ordered column by column or with the image index
    last, windows flipped.
    """
    from ..layers import im2col_3x3 as reference

    rng = np.random.default_rng(7)
    inputs_ = [np.arange(16.0).reshape(1, 1, 4, 4), rng.standard_normal((2, 2, 5, 6)),
               rng.standard_normal((1, 3, 4, 7)), rng.standard_normal((3, 1, 3, 3))]
    for x in inputs_:
        N, C, H, W = x.shape
        Ho, Wo = H - 2, W - 2
        what = f"im2col_3x3(x) for x of shape {x.shape}"
        inputs = Unchanged(x=x)
        got = im2col_3x3(x)
        inputs.check("im2col_3x3(x)")
        expected = reference(x)
        rows, K = expected.shape
        if isinstance(got, np.ndarray) and got.shape != expected.shape:
            if got.shape == (K, rows) and rows != K:
                fail(f"{what} has shape {got.shape}, the transpose of {expected.shape}: one "
                     f"row per window, one column per (channel, di, dj).")
            if got.shape == (N * (Ho - 1) * (Wo - 1), K):
                fail(f"{what} has shape {got.shape}, expected {expected.shape}: one window "
                     f"short along each axis. A 3x3 window fits at H - 2 positions.")
            if got.size == expected.size and same_array(got.reshape(expected.shape), expected):
                fail(f"{what} has shape {got.shape}, with the right numbers in the right "
                     f"order: reshape it to (N * (H - 2) * (W - 2), C * 9) = {expected.shape}.")
        windows = expected.reshape(N, Ho, Wo, C, 3, 3)
        flat = (rows, K)
        slips = [(windows.transpose(0, 1, 2, 4, 5, 3).reshape(flat),
                  "orders each row offset by offset (the C channels of offset (0, 0), then "
                  "those of (0, 1), ...). The layout is channel by channel, "
                  "x[n, :, i:i+3, j:j+3].ravel(): column 9 c + 3 di + dj, like W[f].ravel(), "
                  "so that it lines up with W.reshape(F, -1)."),
                 (windows.transpose(0, 1, 2, 3, 5, 4).reshape(flat),
                  "reads each window column by column; read it row by row (di, then dj), "
                  "as .ravel() does: column 9 c + 3 di + dj."),
                 (windows.transpose(0, 2, 1, 3, 4, 5).reshape(flat),
                  "orders the windows column by column. Row n (H-2)(W-2) + i (W-2) + j holds "
                  "window (n, i, j): loop over i outside j, or reshape from (N, H-2, W-2, ...)."),
                 (windows.transpose(1, 2, 0, 3, 4, 5).reshape(flat),
                  "puts the image index last. The rows go image by image: all windows of "
                  "image 0 first, row n (H-2)(W-2) + i (W-2) + j."),
                 (windows[..., ::-1, ::-1].reshape(flat),
                  "flips each window; copy x[n, :, i:i+3, j:j+3] as it is.")]
        name_slip(got, expected, slips, what)
        compare_arrays(got, expected, what)
    print(PASSED)
