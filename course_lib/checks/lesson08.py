"""Checks for lesson 08: deeper CNNs (output sizes, zero padding, a strided and padded
multi-channel convolution by im2col, its backward, a strided max-pool).

Each check runs the student's function on small float64 inputs (a batch of one and of
several, one to three channels, non-square images, kernels 1, 3 and 5, strides 1 to 3,
padding 0 to 2) and compares the answer with the loops of :mod:`course_lib.naive`.
When the answer is wrong, it is compared with the usual wrong answers (padding on one
side only, the stride ignored, a flipped filter, the bias forgotten, the padding's
gradient not cut off, ``=`` instead of ``+=`` where windows overlap, a gradient not
summed over the batch, rounding up...) and the message names the slip that explains it.
An answer that calls course_lib's own convolution or pooling is refused: the exercise
is to write it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import naive
from ..layers import conv as conv_module
from .common import PASSED, Unchanged, compare_arrays, fail, name_slip, refuse_delegation

#: (size, kernel, stride, padding) that check_conv_output_size tries
L08_SIZE_CASES = ((28, 5, 1, 0), (28, 3, 1, 1), (28, 3, 2, 1), (7, 3, 2, 0), (14, 5, 1, 2),
                  (10, 4, 3, 1), (5, 5, 1, 0), (9, 1, 2, 0), (12, 3, 2, 0))

#: (N, C, H, W, F, kernel, stride, padding) of the convolution checks: non-square images,
#: a batch of one, kernels 1/3/5, strides 1-3, overlapping windows, padding 0-2
L08_CONV_CASES = ((2, 3, 7, 6, 4, 3, 2, 1), (1, 1, 6, 5, 2, 5, 1, 2), (3, 2, 5, 8, 3, 1, 1, 0),
                  (2, 2, 9, 7, 2, 3, 1, 0), (2, 1, 8, 8, 3, 3, 3, 2), (2, 2, 6, 7, 2, 5, 2, 1))

#: (N, C, H, W, kernel, stride) of the max-pool checks: overlapping and spaced windows
L08_POOL_CASES = ((2, 3, 7, 6, 2, 2), (1, 2, 9, 7, 3, 2), (2, 1, 8, 9, 3, 3), (1, 2, 6, 7, 2, 1),
                  (2, 2, 9, 8, 2, 3))


# --------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------
#: course_lib's own pieces an answer must not call: module, attribute name, what it is
_L08_PIECES = ((naive, "conv2d_forward_naive", "course_lib.naive.conv2d_forward_naive"),
               (naive, "conv2d_backward_naive", "course_lib.naive.conv2d_backward_naive"),
               (naive, "maxpool2d_forward_naive", "course_lib.naive.maxpool2d_forward_naive"),
               (conv_module, "patches", "course_lib.layers.patches"),
               (conv_module, "add_patches", "course_lib.layers.add_patches"),
               (conv_module, "pad_images", "course_lib.layers.pad_images"),
               (conv_module, "conv_output_size", "course_lib.layers.conv_output_size"),
               (conv_module.Conv2d, "forward", "course_lib.layers.Conv2d"),
               (conv_module.Conv2d, "backward", "course_lib.layers.Conv2d"),
               (conv_module.MaxPool2d, "forward", "course_lib.layers.MaxPool2d"),
               (conv_module.MaxPool2d, "backward", "course_lib.layers.MaxPool2d"))


def _l08_call(function: Callable[..., object], args: tuple, what: str) -> object:
    """``function(*args)``, failing when the student's code calls one of course_lib's own
    pieces (:data:`_L08_PIECES`, however they were imported): a profile hook watches the
    calls (``common.refuse_delegation``); nothing of course_lib is changed while it runs."""
    with refuse_delegation(what, *(getattr(owner, name) for owner, name, _ in _L08_PIECES)):
        return function(*args)


def _l08_conv_inputs(case: tuple[int, ...], seed: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    N, C, H, W, F, k, s, p = case
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((N, C, H, W)), rng.standard_normal((F, C, k, k)),
            rng.standard_normal(F), s, p)


def _l08_out(size: int, k: int, s: int, p: int) -> int:
    return (size + 2 * p - k) // s + 1


# --------------------------------------------------------------------------------------
# Exercise 1: the output size
# --------------------------------------------------------------------------------------
def check_conv_output_size(conv_output_size: Callable[..., object]) -> None:
    """Check ``conv_output_size(size, kernel_size, stride, padding) -> int``.

    The number of window positions along one axis of ``size`` pixels, padded with
    ``padding`` zeros on both sides: ``(size + 2 padding - kernel_size) // stride + 1``.
    Names the slips: a float (``/``), padding on one side only, the ``+ 1`` forgotten,
    rounding up, the stride ignored.
    """
    answers = []
    for size, k, s, p in L08_SIZE_CASES:
        what = f"conv_output_size({size}, {k}, {s}, {p})"
        got = _l08_call(conv_output_size, (size, k, s, p), what)
        if isinstance(got, np.ndarray) and got.ndim == 0:
            got = got.item()
        if isinstance(got, (float, np.floating)):
            fail(f"{what} returned the float {got}; the number of positions is an int. Use "
                 f"// (floor division): a last window that does not fit is dropped.")
        if not isinstance(got, (int, np.integer)) or isinstance(got, bool):
            fail(f"{what} should return an int, got {got!r}.")
        answers.append(int(got))
    expected = [_l08_out(size, k, s, p) for size, k, s, p in L08_SIZE_CASES]
    if answers == expected:
        print(PASSED)
        return
    slips = [(lambda n, k, s, p: (n + p - k) // s + 1, "pads one side only: padding adds "
              "p zeros on each side, 2 p in all."),
             (lambda n, k, s, p: (n + 2 * p - k) // s, "forgets the + 1: the first window "
              "sits at 0, then one more every stride, (size + 2 p - k) // s + 1 in all."),
             (lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1, "rounds up: a last window that "
              "does not fit wholly inside the padded image is dropped (floor, //)."),
             (lambda n, k, s, p: n + 2 * p - k + 1, "ignores the stride: windows s pixels apart "
              "fit (size + 2 p - k) // s + 1 times."),
             (lambda n, k, s, p: (n - k) // s + 1, "ignores the padding."),
             (lambda n, k, s, p: (n + 2 * p - k + 1) // s, "puts the + 1 inside the floor "
              "division; it counts the first window and comes after it: "
              "(size + 2 p - k) // s + 1."),
             (lambda n, k, s, p: round((n + 2 * p - k) / s) + 1, "rounds to the nearest "
              "(round()): a last window that does not fit is dropped, so round down, "
              "floor (//).")]
    i = next(i for i, (a, e) in enumerate(zip(answers, expected)) if a != e)
    size, k, s, p = L08_SIZE_CASES[i]
    what = f"conv_output_size({size}, {k}, {s}, {p})"
    for rule, message in slips:
        if all(a == rule(*case) for a, case in zip(answers, L08_SIZE_CASES)):
            fail(f"{what} returned {answers[i]}, expected {expected[i]}: it {message}")
    fail(f"{what} returned {answers[i]}, expected {expected[i]} = "
         f"({size} + 2 * {p} - {k}) // {s} + 1.")


# --------------------------------------------------------------------------------------
# Exercise 2: zero padding
# --------------------------------------------------------------------------------------
def check_zero_pad(zero_pad: Callable[..., object]) -> None:
    """Check ``zero_pad(x, padding) -> xp``: ``padding`` rows and columns of zeros on every
    side of each image of x (N, C, H, W), (N, C, H + 2p, W + 2p); x unchanged.

    Names the slips: the batch or channel axes padded too, one side only, copies of the
    edge pixels instead of zeros, the image moved off centre, x changed in place.
    """
    rng = np.random.default_rng(80)
    for shape, p in (((2, 3, 4, 5), 1), ((1, 1, 3, 2), 2), ((3, 2, 5, 4), 0), ((2, 2, 2, 3), 3)):
        x = rng.standard_normal(shape) + 2.0                  # no zeros inside the images
        what = f"zero_pad(x, {p}) for x of shape {shape}"
        inputs = Unchanged(x=x)
        try:
            got = _l08_call(zero_pad, (x, p), what)
        except (ValueError, IndexError) as err:
            if p:
                raise
            fail(f"{what} raised {type(err).__name__}: {err}. With padding 0 a slice "
                 f"p:-p is 0:0 (-0 is 0), which is empty: slice p:p + H instead.")
        inputs.check(f"zero_pad(x, {p})")
        if p == 0 and isinstance(got, np.ndarray) and got.ndim == 4 and 0 in got.shape[2:]:
            fail(f"{what} has shape {got.shape}: with padding 0 a slice p:-p is 0:0 (-0 is "
                 f"0), which is empty. Slice p:p + H instead.")
        N, C, H, W = shape
        expected = np.zeros((N, C, H + 2 * p, W + 2 * p))
        expected[:, :, p:p + H, p:p + W] = x
        if isinstance(got, np.ndarray) and got.shape != expected.shape:
            if got.shape == (N + 2 * p, C + 2 * p, H + 2 * p, W + 2 * p):
                fail(f"{what} has shape {got.shape}, expected {expected.shape}: it pads the "
                     f"batch and channel axes too. Pad only height and width: with np.pad, "
                     f"((0, 0), (0, 0), (p, p), (p, p)).")
            if got.shape == (N, C, H + p, W + p):
                fail(f"{what} has shape {got.shape}, expected {expected.shape}: it pads one "
                     f"side only. Zeros go on every side: top and bottom, left and right.")
        slips = [(np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="edge"),
                  "repeats the edge pixels in the border: pad with zeros (np.pad's default "
                  "mode='constant')."),
                 (np.roll(expected, (p, p), axis=(2, 3)), "puts the image off centre: it "
                  "belongs at [p:p + H, p:p + W]."),
                 (np.roll(expected, (-p, -p), axis=(2, 3)), "puts the image in the top-left "
                  "corner, off centre, with all the zeros after it: it belongs at "
                  "[p:p + H, p:p + W].")]
        name_slip(got, expected, slips, what)
        compare_arrays(got, expected, what)
    print(PASSED)


# --------------------------------------------------------------------------------------
# Exercises 3 and 4: a padded, strided, multi-channel convolution by im2col, and its backward
# --------------------------------------------------------------------------------------
def _l08_shape_slips(got: object, case: tuple[int, ...], what: str) -> None:
    if not isinstance(got, np.ndarray) or got.ndim != 4:
        return
    N, C, H, W, F, k, s, p = case
    expected = (N, F, _l08_out(H, k, s, p), _l08_out(W, k, s, p))
    if got.shape == expected:
        return
    if s > 1 and got.shape == (N, F, _l08_out(H, k, 1, p), _l08_out(W, k, 1, p)):
        fail(f"{what} has shape {got.shape}, expected {expected}: it ignores the stride "
             f"{s}. Windows start every {s} pixels: rows i * s to i * s + k.")
    if p and got.shape == (N, F, _l08_out(H, k, s, 0), _l08_out(W, k, s, 0)):
        fail(f"{what} has shape {got.shape}, expected {expected}: it ignores the padding "
             f"{p}. Pad x with zeros first (your zero_pad).")
    if got.shape == (N, F, _l08_out(W, k, s, p), _l08_out(H, k, s, p)):
        fail(f"{what} has shape {got.shape}, expected {expected}: height and width are "
             f"swapped.")
    for side, size in (("height", H), ("width", W)):
        if got.shape == (N, F, _l08_out(size, k, s, p), _l08_out(size, k, s, p)):
            fail(f"{what} has shape {got.shape}, expected {expected}: it computes both output "
                 f"sizes from the {side} ({size}), as if the images were square. Ho comes "
                 f"from H, Wo from W.")


def check_conv2d_forward(conv2d_forward: Callable[..., object]) -> None:
    """Check ``conv2d_forward(x, W, b, stride, padding) -> y``, the convolution by im2col.

    x (N, C, H, W), W (F, C, k, k), b (F,) -> y (N, F, Ho, Wo), with ``y[n, f, i, j] =
    b[f] + sum_{c, di, dj} W[f, c, di, dj] * xp[n, c, i*s + di, j*s + dj]`` (xp: x padded
    with zeros). Tries kernels 1, 3 and 5, strides 1-3, padding 0-2, non-square images.
    Names the slips: the stride or padding ignored, height and width swapped, a flipped
    filter (a true convolution), the bias forgotten, channels not summed, x changed.
    """
    for n, case in enumerate(L08_CONV_CASES):
        x, W, b, s, p = _l08_conv_inputs(case, seed=81 + n)
        what = (f"conv2d_forward(x, W, b, stride={s}, padding={p}) for x of shape {x.shape} "
                f"and W of shape {W.shape}")
        expected = naive.conv2d_forward_naive(x, W, b, stride=s, padding=p)
        inputs = Unchanged(x=x, W=W, b=b)
        got = _l08_call(conv2d_forward, (x, W, b, s, p), what)
        inputs.check("conv2d_forward(x, W, b, stride, padding)")
        _l08_shape_slips(got, case, what)
        flipped = naive.conv2d_forward_naive(x, W[:, :, ::-1, ::-1].copy(), b, stride=s,
                                             padding=p)
        no_bias = expected - b[None, :, None, None]
        per_channel = None
        if x.shape[1] > 1:  # the first channel's share only: channels not summed
            per_channel = naive.conv2d_forward_naive(x[:, :1], W[:, :1], b, stride=s, padding=p)
        slips = [(_l08_channels_last_columns(x, W, b, s, p),
                  "pairs columns ordered (row, column, channel) with W.reshape(F, -1), whose "
                  "order is (channel, row, column): flatten each patch in W's order, "
                  "patch.reshape(N, C * k * k) of the (N, C, k, k) window."),
                 (flipped, "flips the filter (a true convolution): a CNN slides W unflipped "
                  "(cross-correlation), W[f, c, di, dj] times the pixel di, dj into the window."),
                 (no_bias, "forgets the bias b[f] of each filter."),
                 (per_channel, "uses only the first input channel: sum over every channel c "
                  "of the patch (the columns of im2col hold C * k * k values).")]
        name_slip(got, expected, slips, what)
        compare_arrays(got, expected, what)
    print(PASSED)


def _l08_channels_last_columns(x: np.ndarray, W: np.ndarray, b: np.ndarray, s: int,
                               p: int) -> np.ndarray:
    """The slip: im2col columns flattened (row, column, channel), W flattened (C, k, k)."""
    N, F, k = x.shape[0], W.shape[0], W.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    Ho, Wo = _l08_out(x.shape[2], k, s, p), _l08_out(x.shape[3], k, s, p)
    y = np.empty((N, F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, :, i * s:i * s + k, j * s:j * s + k].transpose(0, 2, 3, 1)
            y[:, :, i, j] = patch.reshape(N, -1) @ W.reshape(F, -1).T + b
    return y


def _l08_unpadded_dW(x: np.ndarray, g: np.ndarray, k: int, s: int) -> np.ndarray:
    """The slip: dW from the windows of x without its padding (those that fit inside x)."""
    dW = np.zeros((g.shape[1], x.shape[1], k, k))
    for i in range(g.shape[2]):
        for j in range(g.shape[3]):
            patch = x[:, :, i * s:i * s + k, j * s:j * s + k]
            if patch.shape[2:] == (k, k):
                dW += np.einsum("nf,nckl->fckl", g[:, :, i, j], patch)
    return dW


def _l08_backward_parts(got: object, what: str) -> tuple:
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        fail(f"{what} should return three arrays (dx, dW, db), got {type(got).__name__}"
             + (f" of {len(got)} items." if isinstance(got, (tuple, list)) else "."))
    return tuple(got)


def check_conv2d_backward(conv2d_backward: Callable[..., object]) -> None:
    """Check ``conv2d_backward(x, W, grad_out, stride, padding) -> (dx, dW, db)``.

    The gradients of :func:`check_conv2d_forward`'s convolution: dx (N, C, H, W) (the
    padding's part cut off), dW (F, C, k, k), db (F,). Names the slips: dx with the
    padding still on, ``=`` instead of ``+=`` where windows overlap (col2im), db or dW
    not summed over the images, a flipped dW, the inputs changed.
    """
    for n, case in enumerate(L08_CONV_CASES):
        x, W, _, s, p = _l08_conv_inputs(case, seed=90 + n)
        N, C, H, W_, F, k, _, _ = case
        Ho, Wo = _l08_out(H, k, s, p), _l08_out(W_, k, s, p)
        g = np.random.default_rng(99 + n).standard_normal((N, F, Ho, Wo))
        what = (f"conv2d_backward(x, W, grad_out, stride={s}, padding={p}) for x of shape "
                f"{x.shape} and W of shape {W.shape}")
        dx_e, dW_e, db_e = naive.conv2d_backward_naive(x, W, g, stride=s, padding=p)
        inputs = Unchanged(x=x, W=W, grad_out=g)
        got = _l08_call(conv2d_backward, (x, W, g, s, p), what)
        inputs.check("conv2d_backward(x, W, grad_out, stride, padding)")
        dx, dW, db = _l08_backward_parts(got, what)
        if p and isinstance(dx, np.ndarray) and dx.shape == (N, C, H + 2 * p, W_ + 2 * p):
            fail(f"{what}: dx has shape {dx.shape}, the padded input's; expected {x.shape}. "
                 f"The zeros of the padding are not inputs: cut their gradient off, "
                 f"dxp[:, :, p:p + H, p:p + W].")
        if isinstance(db, np.ndarray) and db.shape == (N, F):
            fail(f"{what}: db has shape {db.shape}, one per image; sum it over the batch "
                 f"too: db has shape ({F},).")
        if isinstance(dW, np.ndarray) and dW.shape == (N, F, C, k, k):
            fail(f"{what}: dW has shape {dW.shape}, one per image; sum over the images: "
                 f"dW has the shape of W, {W.shape}.")
        # = instead of +=: only the last window's share of each overlapped pixel survives
        overwrite = _l08_overwrite_dx(W, g, x.shape, s, p)
        name_slip(dx, dx_e, [(overwrite, "keeps only one window's gradient for pixels "
                                   "that several windows share: add (+=) each patch's "
                                   "gradient into dx, do not assign (=)."),
                             (_l08_overwrite_dx(W, g, x.shape, s, p, stride_in_dx=False)
                              if s > 1 else None,
                              f"puts window (i, j)'s gradient at rows i to i + k, without the "
                              f"stride: the window started at i * {s} (rows i * s to "
                              f"i * s + k) in the forward, so its gradient goes back there.")],
                  f"{what}: dx")
        compare_arrays(dx, dx_e, f"{what}: dx")
        name_slip(dW, dW_e, [(dW_e[:, :, ::-1, ::-1].copy(), "is flipped: dW[f, c, di, "
                                   "dj] sums grad_out times the pixel di, dj into each window."),
                             (dW_e / N, f"averages over the {N} images; sum them: every "
                                        f"image's loss depends on W."),
                             (_l08_unpadded_dW(x, g, k, s) if p else None,
                              "takes the windows from x without its padding; dW sums "
                              "grad_out times the windows of the padded input (your "
                              "zero_pad(x, p)).")],
                  f"{what}: dW")
        compare_arrays(dW, dW_e, f"{what}: dW")
        name_slip(db, db_e, [(db_e / N, f"averages over the {N} images; sum them: db = "
                                        f"grad_out.sum(axis=(0, 2, 3)).")], f"{what}: db")
        compare_arrays(db, db_e, f"{what}: db")
    print(PASSED)


def _l08_overwrite_dx(W: np.ndarray, g: np.ndarray, x_shape: tuple[int, ...], s: int,
                      p: int, *, stride_in_dx: bool = True) -> np.ndarray:
    """dx when each window's gradient is assigned (=) instead of added: the last wins.

    With ``stride_in_dx=False``, the other slip: each window's gradient added (+=) at rows
    i to i + k instead of i * s to i * s + k."""
    N, C, H, W_ = x_shape
    F, _, k, _ = W.shape
    Ho, Wo = g.shape[2:]
    dxp = np.zeros((N, C, H + 2 * p, W_ + 2 * p))
    patch_grads = np.einsum("nfij,fcab->nijcab", g, W)
    for i in range(Ho):
        for j in range(Wo):
            if stride_in_dx:
                dxp[:, :, i * s:i * s + k, j * s:j * s + k] = patch_grads[:, i, j]
            else:
                dxp[:, :, i:i + k, j:j + k] += patch_grads[:, i, j]
    return dxp[:, :, p:p + H, p:p + W_]


# --------------------------------------------------------------------------------------
# Exercise 5: a max-pool with any window and stride
# --------------------------------------------------------------------------------------
def check_maxpool2d_forward(maxpool2d_forward: Callable[..., object]) -> None:
    """Check ``maxpool2d_forward(x, kernel_size, stride) -> y``: the maximum of every
    k x k window, windows ``stride`` pixels apart; x (N, C, H, W) -> (N, C, Ho, Wo) with
    ``Ho = (H - k) // stride + 1``. Tries overlapping (stride < k) and spaced (stride > k)
    windows. Names the slips: the stride taken as k, an average, a window one pixel short,
    x changed.
    """
    rng = np.random.default_rng(85)
    for N, C, H, W, k, s in L08_POOL_CASES:
        x = rng.standard_normal((N, C, H, W))
        what = f"maxpool2d_forward(x, {k}, {s}) for x of shape {x.shape}"
        expected = naive.maxpool2d_forward_naive(x, k, s)
        inputs = Unchanged(x=x)
        got = _l08_call(maxpool2d_forward, (x, k, s), what)
        inputs.check(f"maxpool2d_forward(x, {k}, {s})")
        if isinstance(got, np.ndarray) and got.shape != expected.shape and s != k and \
                got.shape == naive.maxpool2d_forward_naive(x, k, k).shape:
            fail(f"{what} has shape {got.shape}, expected {expected.shape}: it moves the window "
                 f"by the kernel size {k}, not by the stride {s}.")
        if isinstance(got, np.ndarray) and got.shape == (N, C, expected.shape[2] - 1,
                                                         expected.shape[3] - 1):
            fail(f"{what} has shape {got.shape}, expected {expected.shape}: it drops the last "
                 f"window. (H - k) // s + 1 windows fit: the + 1 counts the first one, at 0.")
        average = np.stack([x[:, :, i * s:i * s + k, j * s:j * s + k].mean(axis=(2, 3))
                            for i in range(expected.shape[2]) for j in range(expected.shape[3])],
                           axis=-1).reshape(expected.shape)
        short = None
        if k > 1:
            short = naive.maxpool2d_forward_naive(x[:, :, :, :], k - 1, s)
            short = short[:, :, :expected.shape[2], :expected.shape[3]] \
                if short.shape[2] >= expected.shape[2] and short.shape[3] >= expected.shape[3] \
                else None
        slips = [(average, "averages each window: a max-pool keeps its maximum."),
                 (np.broadcast_to(expected.max(axis=1, keepdims=True), expected.shape).copy()
                  if C > 1 else None,
                  "takes the maximum over the channels too: pool each channel on its own, "
                  "the maximum over the window's rows and columns (axes 2 and 3) only."),
                 (short, f"uses windows of {k - 1} x {k - 1}: a window spans rows i * s to "
                  f"i * s + k (exclusive), k of them.")]
        name_slip(got, expected, slips, what)
        compare_arrays(got, expected, what)
    print(PASSED)


__all__ = ["check_conv_output_size", "check_zero_pad", "check_conv2d_forward",
           "check_conv2d_backward", "check_maxpool2d_forward"]

