"""Checks for lesson 04: the CNN on MNIST."""

from __future__ import annotations

import numpy as np

from .common import PASSED, compare_arrays, fail

#: (height, width, num_filters) that check_conv_pool_shape tries, with the right answers
L04_SHAPE_CASES = (((28, 28, 8), (8, 13, 13)), ((8, 8, 16), (16, 3, 3)),
                   ((27, 27, 8), (8, 12, 12)), ((12, 7, 4), (4, 5, 2)))


def check_conv_pool_shape(conv_pool_shape) -> None:
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


def _l04_conv_at(x: np.ndarray, W: np.ndarray, b: np.ndarray, i: int, j: int) -> np.ndarray:
    """The reference: output (F,) of a valid 3x3 cross-correlation of x (C, H, W) at (i, j)."""
    return np.einsum("fcij,cij->f", W, x[:, i:i + 3, j:j + 3]) + b


def check_conv3x3_at(conv3x3_at) -> None:
    """Check ``conv3x3_at(x, W, b, i, j) -> y``: one position of a 3x3 convolution.

    ``x`` is one image (C, H, W), ``W`` the filters (F, C, 3, 3), ``b`` the biases
    (F,); ``y`` (F,) holds ``y[f] = b[f] + sum_{c,di,dj} W[f,c,di,dj] x[c,i+di,j+dj]``,
    the column (i, j) of Conv3x3's output. Uses two channels and three filters.
    Names the usual slips: the wrong shape (channels not summed), i and j swapped,
    the window centred on (i, j), the filter flipped (true convolution), the
    bias forgotten.
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
        x_in, W_in, b_in = x.copy(), W.copy(), b.copy()
        got = conv3x3_at(x_in, W_in, b_in, i, j)
        if not (np.array_equal(x_in, x) and np.array_equal(W_in, W)
                and np.array_equal(b_in, b)):
            fail(f"{what} changed its inputs in place; compute y without writing to x, W or b.")
        expected = y_all[:, i, j]
        if np.ndim(got) == 0 and isinstance(got, (float, int, np.number)):
            fail(f"{what} is a single number; it should have shape {expected.shape}, one "
                  f"number per filter. Sum over (channel, row, column) only, not filters.")
        if isinstance(got, np.ndarray) and got.shape != expected.shape:
            if got.shape in ((F, C), (C, F), (F, C, 3, 3)):
                fail(f"{what} has shape {got.shape}; it should be {expected.shape}, one number "
                      f"per filter. Sum over the channels as well as the 3x3 window.")
        if isinstance(got, np.ndarray) and got.shape == expected.shape:
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
            for alternative, message in slips:
                if alternative is not None and np.allclose(got, alternative, rtol=1e-6,
                                                           atol=1e-10) \
                        and not np.allclose(alternative, expected, rtol=1e-6, atol=1e-10):
                    fail(f"{what} {message}")
        compare_arrays(got, expected, what)
    print(PASSED)


def check_maxpool2_forward(maxpool2_forward) -> None:
    """Check ``maxpool2_forward(x) -> y``: 2x2 max-pooling, stride 2, on (N, C, H, W).

    Compares with :class:`course_lib.layers.MaxPool2` on an even-sized input, an
    odd-sized one (the last row and column are dropped) and one with many ties.
    Names the usual slips: the input changed in place, the odd row or column
    kept, one corner of each window only (plain subsampling), the average or the
    minimum instead of the maximum, the maximum of two corners only.
    """
    from ..layers import MaxPool2

    rng = np.random.default_rng(5)
    inputs = [rng.standard_normal((2, 3, 6, 8)), rng.standard_normal((1, 2, 7, 5)),
              rng.integers(0, 3, size=(2, 1, 6, 6)).astype(np.float64)]
    for x in inputs:
        what = f"maxpool2_forward(x) for x of shape {x.shape}"
        x_in = x.copy()
        got = maxpool2_forward(x_in)
        if not np.array_equal(x_in, x):
            fail(f"{what} changed x in place; compute the result without writing to x.")
        expected = MaxPool2().forward(x)
        N, C, H, W = x.shape
        if (isinstance(got, np.ndarray) and got.shape != expected.shape
                and got.shape == (N, C, -(-H // 2), -(-W // 2))):
            fail(f"{what} has shape {got.shape}, expected {expected.shape}: an odd last row or "
                  f"column has no full 2x2 window and is dropped. Slice up to 2 * (H // 2), "
                  f"e.g. x[:, :, 0:2 * (H // 2):2, 0:2 * (W // 2):2].")
        if isinstance(got, np.ndarray) and got.shape == expected.shape:
            Ho, Wo = H // 2, W // 2
            corners = np.stack([x[:, :, di:2 * Ho:2, dj:2 * Wo:2]
                                for di in (0, 1) for dj in (0, 1)])
            slips = [(corners[0], "keeps only the top-left corner of each window (plain "
                                  "subsampling): take the maximum of all four corners, "
                                  "x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2], x[:, :, 1::2, 0::2] "
                                  "and x[:, :, 1::2, 1::2]."),
                     (corners.mean(axis=0), "averages each window (average pooling); max-pooling "
                                            "keeps the largest value."),
                     (corners.min(axis=0), "takes the minimum of each window; max-pooling keeps "
                                           "the largest value."),
                     (np.maximum(corners[0], corners[1]), "takes the maximum of the two top "
                                                          "corners only; use all four."),
                     (np.maximum(corners[0], corners[2]), "takes the maximum of the two left "
                                                          "corners only; use all four."),
                     (np.maximum(corners[0], corners[3]), "takes the maximum of two diagonal "
                                                          "corners only; use all four.")]
            for alternative, message in slips:
                if np.allclose(got, alternative) and not np.allclose(alternative, expected):
                    fail(f"{what} {message}")
        compare_arrays(got, expected, what)
    print(PASSED)
