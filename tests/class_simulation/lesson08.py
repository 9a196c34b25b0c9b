"""Simulated class, lesson 08 (deeper CNNs): output sizes, zero padding, the convolution by
im2col, its backward, a strided max-pool."""

from class_simulation.answer import Answer

SETUP = """
import numpy as np

from course_lib import checks
from course_lib.gradcheck import check_layer
from course_lib.layers import Conv2d, Dense, Flatten, Layer, MaxPool2d, ReLU
from course_lib.losses import SoftmaxCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import SGDW, Adam
from course_lib.train import History, accuracy, fit
"""

SIZE = "checks.check_conv_output_size(conv_output_size)"
PAD = "checks.check_zero_pad(zero_pad)"
FWD = "checks.check_conv2d_forward(conv2d_forward)"
BWD = "checks.check_conv2d_backward(conv2d_backward)"
POOL = "checks.check_maxpool2d_forward(maxpool2d_forward)"

# the student's own zero_pad and output size (earlier exercises), which later answers use
EARLIER = """
def conv_output_size(size, kernel_size, stride, padding):
    return (size + 2 * padding - kernel_size) // stride + 1


def zero_pad(x, padding):
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))

"""

# an im2col by loops over the window positions: columns (N, C*k*k, Ho*Wo), rows in W's order
IM2COL = EARLIER + """
def im2col(x, kernel_size, stride, padding):
    N, C, H, W = x.shape
    k = kernel_size
    Ho = conv_output_size(H, k, stride, padding)
    Wo = conv_output_size(W, k, stride, padding)
    xp = zero_pad(x, padding)
    cols = np.empty((N, C * k * k, Ho * Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            cols[:, :, i * Wo + j] = patch.reshape(N, -1)
    return cols, (Ho, Wo)

"""


def conv_forward(body: str) -> str:
    """An answer whose conv2d_forward body is ``body`` (on top of a correct im2col)."""
    return IM2COL + "\ndef conv2d_forward(x, W, b, stride, padding):\n" + body


def conv_backward(body: str) -> str:
    return EARLIER + "\ndef conv2d_backward(x, W, grad_out, stride, padding):\n" + body


BWD_HEAD = """    N, C, H, Wd = x.shape
    F, _, k, _ = W.shape
    Ho, Wo = grad_out.shape[2:]
    xp = zero_pad(x, padding)
    dxp = np.zeros_like(xp)
    dW = np.zeros_like(W)
"""


def pool(body: str) -> str:
    return "\ndef maxpool2d_forward(x, kernel_size, stride):\n" + body


POOL_LOOPS = """    N, C, H, W = x.shape
    k, s = kernel_size, stride
    Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
    out = np.empty((N, C, Ho, Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * s:i * s + k, j * s:j * s + k].max(axis=(2, 3))
    return out
"""

ANSWERS = [
    # --- exercise 1: the output size ------------------------------------------------------
    Answer("conv_output_size", "int() of a true division", "correct", """
def conv_output_size(size, kernel_size, stride, padding):
    return int((size - kernel_size + 2 * padding) / stride) + 1
""", SIZE),
    Answer("conv_output_size", "math.floor, keyword names", "correct", """
import math


def conv_output_size(size, kernel_size, stride, padding):
    return math.floor((size + padding * 2 - kernel_size) / stride) + 1
""", SIZE),
    Answer("conv_output_size", "counts the window starts in a range", "correct", """
def conv_output_size(size, kernel_size, stride, padding):
    return len(range(0, size + 2 * padding - kernel_size + 1, stride))
""", SIZE),
    Answer("conv_output_size", "true division, a float", "wrong", """
def conv_output_size(size, kernel_size, stride, padding):
    return (size + 2 * padding - kernel_size) / stride + 1
""", SIZE, names=("float", "//")),
    Answer("conv_output_size", "+ 1 inside the floor division", "wrong", """
def conv_output_size(size, kernel_size, stride, padding):
    return (size + 2 * padding - kernel_size + 1) // stride
""", SIZE, names=("+ 1", "inside")),
    Answer("conv_output_size", "round() to the nearest", "wrong", """
def conv_output_size(size, kernel_size, stride, padding):
    return round((size + 2 * padding - kernel_size) / stride) + 1
""", SIZE, names=("nearest", "floor")),
    Answer("conv_output_size", "padding on one side", "wrong", """
def conv_output_size(size, kernel_size, stride, padding):
    return (size + padding - kernel_size) // stride + 1
""", SIZE, names=("one side",)),
    Answer("conv_output_size", "stride ignored", "wrong", """
def conv_output_size(size, kernel_size, stride, padding):
    return size + 2 * padding - kernel_size + 1
""", SIZE, names=("ignores the stride",)),
    Answer("conv_output_size", "course_lib's conv_output_size", "delegates", """
from course_lib.layers import conv_output_size as reference


def conv_output_size(size, kernel_size, stride, padding):
    return reference(size, kernel_size, stride, padding)
""", SIZE, names=("course_lib", "yourself")),

    # --- exercise 2: zero padding ---------------------------------------------------------
    Answer("zero_pad", "np.concatenate with blocks of zeros", "correct", """
def zero_pad(x, padding):
    N, C, H, W = x.shape
    side = np.zeros((N, C, H, padding), dtype=x.dtype)
    rows = np.concatenate([side, x, side], axis=3)
    top = np.zeros((N, C, padding, W + 2 * padding), dtype=x.dtype)
    return np.concatenate([top, rows, top], axis=2)
""", PAD),
    Answer("zero_pad", "np.pad with mode and constant_values", "correct", """
def zero_pad(x, padding):
    width = [(0, 0)] * 2 + [(padding, padding)] * 2
    return np.pad(x, width, mode="constant", constant_values=0.0)
""", PAD),
    Answer("zero_pad", "np.pad on every axis", "wrong", """
def zero_pad(x, padding):
    return np.pad(x, padding)
""", PAD, names=("batch and channel",)),
    Answer("zero_pad", "zeros after the image only", "wrong", """
def zero_pad(x, padding):
    return np.pad(x, ((0, 0), (0, 0), (0, padding), (0, padding)))
""", PAD, names=("one side",)),
    Answer("zero_pad", "the image in the top-left corner", "wrong", """
def zero_pad(x, padding):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    out[:, :, :H, :W] = x
    return out
""", PAD, names=("off centre",)),
    Answer("zero_pad", "the slice p:-p (empty when p = 0)", "wrong", """
def zero_pad(x, padding):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    out[:, :, padding:-padding, padding:-padding] = x
    return out
""", PAD, names=("p:-p", "padding 0")),
    Answer("zero_pad", "edge pixels repeated", "wrong", """
def zero_pad(x, padding):
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), mode="edge")
""", PAD, names=("edge",)),
    Answer("zero_pad", "course_lib's pad_images", "delegates", """
from course_lib.layers import pad_images


def zero_pad(x, padding):
    return pad_images(x, padding)
""", PAD, names=("course_lib", "yourself")),

    # --- exercise 3: the convolution --------------------------------------------------------
    Answer("conv2d_forward", "im2col by loops, then np.matmul", "correct", conv_forward("""
    cols, (Ho, Wo) = im2col(x, W.shape[2], stride, padding)
    y = np.matmul(W.reshape(W.shape[0], -1), cols) + b[:, None]
    return y.reshape(x.shape[0], W.shape[0], Ho, Wo)
"""), FWD),
    Answer("conv2d_forward", "sliding_window_view and einsum", "correct", EARLIER + """
from numpy.lib.stride_tricks import sliding_window_view


def conv2d_forward(x, W, b, stride, padding):
    k = W.shape[-1]
    windows = sliding_window_view(zero_pad(x, padding), (k, k), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride]
    return np.einsum("nchwij,fcij->nfhw", windows, W) + b.reshape(1, -1, 1, 1)
""", FWD),
    Answer("conv2d_forward", "loops over output pixels with np.tensordot", "correct",
           EARLIER + """
def conv2d_forward(x, W, b, stride, padding):
    N, C, H, Wd = x.shape
    F, _, k, _ = W.shape
    Ho = conv_output_size(H, k, stride, padding)
    Wo = conv_output_size(Wd, k, stride, padding)
    xp = zero_pad(x, padding)
    y = np.zeros((N, F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            window = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            y[:, :, i, j] = np.tensordot(window, W, axes=([1, 2, 3], [1, 2, 3])) + b
    return y
""", FWD),
    Answer("conv2d_forward", "flipped filter (a true convolution)", "wrong", conv_forward("""
    cols, (Ho, Wo) = im2col(x, W.shape[2], stride, padding)
    Wf = W[:, :, ::-1, ::-1]
    y = Wf.reshape(W.shape[0], -1) @ cols + b[:, None]
    return y.reshape(x.shape[0], W.shape[0], Ho, Wo)
"""), FWD, names=("flips the filter",)),
    Answer("conv2d_forward", "bias left out", "wrong", conv_forward("""
    cols, (Ho, Wo) = im2col(x, W.shape[2], stride, padding)
    return (W.reshape(W.shape[0], -1) @ cols).reshape(x.shape[0], W.shape[0], Ho, Wo)
"""), FWD, names=("bias",)),
    Answer("conv2d_forward", "im2col columns in (row, column, channel) order", "wrong",
           EARLIER + """
def conv2d_forward(x, W, b, stride, padding):
    N, C, H, Wd = x.shape
    F, _, k, _ = W.shape
    Ho = conv_output_size(H, k, stride, padding)
    Wo = conv_output_size(Wd, k, stride, padding)
    xp = zero_pad(x, padding)
    cols = np.empty((N, k * k * C, Ho * Wo))
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            cols[:, :, i * Wo + j] = patch.transpose(0, 2, 3, 1).reshape(N, -1)
    y = W.reshape(F, -1) @ cols + b[:, None]
    return y.reshape(N, F, Ho, Wo)
""", FWD, names=("order",)),
    Answer("conv2d_forward", "Wo computed from the height", "wrong", EARLIER + """
def conv2d_forward(x, W, b, stride, padding):
    N, C, H, Wd = x.shape
    F, _, k, _ = W.shape
    Ho = conv_output_size(H, k, stride, padding)
    xp = zero_pad(x, padding)
    y = np.zeros((N, F, Ho, Ho))
    for i in range(Ho):
        for j in range(Ho):
            window = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            if window.shape[-1] == k:
                y[:, :, i, j] = np.einsum("nckl,fckl->nf", window, W) + b
    return y
""", FWD, names=("height", "square")),
    Answer("conv2d_forward", "stride ignored", "wrong", EARLIER + """
from numpy.lib.stride_tricks import sliding_window_view


def conv2d_forward(x, W, b, stride, padding):
    k = W.shape[-1]
    windows = sliding_window_view(zero_pad(x, padding), (k, k), axis=(2, 3))
    return np.einsum("nchwij,fcij->nfhw", windows, W) + b.reshape(1, -1, 1, 1)
""", FWD, names=("ignores the stride",)),
    Answer("conv2d_forward", "course_lib's Conv2d layer", "delegates", """
def conv2d_forward(x, W, b, stride, padding):
    layer = Conv2d(W.shape[1], W.shape[0], W.shape[2], stride=stride, padding=padding, rng=0)
    layer.params["W"], layer.params["b"] = W, b
    return layer.forward(x)
""", FWD, names=("course_lib", "yourself")),
    Answer("conv2d_forward", "course_lib's naive loops", "delegates", """
from course_lib.naive import conv2d_forward_naive


def conv2d_forward(x, W, b, stride, padding):
    return conv2d_forward_naive(x, W, b, stride=stride, padding=padding)
""", FWD, names=("course_lib", "yourself")),

    # --- exercise 4: the backward ---------------------------------------------------------
    Answer("conv2d_backward", "loops over windows, += into the padded dx", "correct",
           conv_backward(BWD_HEAD + """    for i in range(Ho):
        for j in range(Wo):
            rows = slice(i * stride, i * stride + k)
            cols = slice(j * stride, j * stride + k)
            g = grad_out[:, :, i, j]
            dW += np.einsum("nf,nckl->fckl", g, xp[:, :, rows, cols])
            dxp[:, :, rows, cols] += np.einsum("nf,fckl->nckl", g, W)
    H0, W0 = padding, padding
    return dxp[:, :, H0:H0 + H, W0:W0 + Wd], dW, grad_out.sum(axis=(0, 2, 3))
"""), BWD),
    Answer("conv2d_backward", "im2col columns and np.add.at for col2im", "correct",
           EARLIER + """
def conv2d_backward(x, W, grad_out, stride, padding):
    N, C, H, Wd = x.shape
    F, _, k, _ = W.shape
    Ho, Wo = grad_out.shape[2:]
    xp = zero_pad(x, padding)
    ii = (np.arange(Ho) * stride)[:, None, None, None] + np.arange(k)[None, None, :, None]
    jj = (np.arange(Wo) * stride)[None, :, None, None] + np.arange(k)[None, None, None, :]
    ii, jj = np.broadcast_arrays(ii, jj)
    patches = xp[:, :, ii, jj]                         # (N, C, Ho, Wo, k, k)
    g = grad_out
    dW = np.einsum("nfhw,nchwkl->fckl", g, patches)
    dpatches = np.einsum("nfhw,fckl->nchwkl", g, W)
    dxp = np.zeros_like(xp)
    np.add.at(dxp, (slice(None), slice(None), ii, jj), dpatches)
    dx = dxp[:, :, padding:padding + H, padding:padding + Wd]
    return dx, dW, g.sum(axis=0).sum(axis=(1, 2))
""", BWD),
    Answer("conv2d_backward", "= instead of += where windows overlap", "wrong",
           conv_backward(BWD_HEAD + """    for i in range(Ho):
        for j in range(Wo):
            rows = slice(i * stride, i * stride + k)
            cols = slice(j * stride, j * stride + k)
            g = grad_out[:, :, i, j]
            dW += np.einsum("nf,nckl->fckl", g, xp[:, :, rows, cols])
            dxp[:, :, rows, cols] = np.einsum("nf,fckl->nckl", g, W)
    return dxp[:, :, padding:padding + H, padding:padding + Wd], dW, grad_out.sum(axis=(0, 2, 3))
"""), BWD, names=("+=",)),
    Answer("conv2d_backward", "dx returned with the padding on", "wrong",
           conv_backward(BWD_HEAD + """    for i in range(Ho):
        for j in range(Wo):
            rows = slice(i * stride, i * stride + k)
            cols = slice(j * stride, j * stride + k)
            g = grad_out[:, :, i, j]
            dW += np.einsum("nf,nckl->fckl", g, xp[:, :, rows, cols])
            dxp[:, :, rows, cols] += np.einsum("nf,fckl->nckl", g, W)
    return dxp, dW, grad_out.sum(axis=(0, 2, 3))
"""), BWD, names=("padding",)),
    Answer("conv2d_backward", "db averaged over the images", "wrong",
           conv_backward(BWD_HEAD + """    for i in range(Ho):
        for j in range(Wo):
            rows = slice(i * stride, i * stride + k)
            cols = slice(j * stride, j * stride + k)
            g = grad_out[:, :, i, j]
            dW += np.einsum("nf,nckl->fckl", g, xp[:, :, rows, cols])
            dxp[:, :, rows, cols] += np.einsum("nf,fckl->nckl", g, W)
    db = grad_out.sum(axis=(2, 3)).mean(axis=0)
    return dxp[:, :, padding:padding + H, padding:padding + Wd], dW, db
"""), BWD, names=("sum", "images")),
    Answer("conv2d_backward", "windows placed without the stride in dx", "wrong",
           conv_backward(BWD_HEAD + """    for i in range(Ho):
        for j in range(Wo):
            g = grad_out[:, :, i, j]
            dW += np.einsum("nf,nckl->fckl", g,
                            xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k])
            dxp[:, :, i:i + k, j:j + k] += np.einsum("nf,fckl->nckl", g, W)
    return dxp[:, :, padding:padding + H, padding:padding + Wd], dW, grad_out.sum(axis=(0, 2, 3))
"""), BWD, names=("without the stride",)),
    Answer("conv2d_backward", "dW from the unpadded x", "wrong",
           conv_backward(BWD_HEAD + """    for i in range(Ho):
        for j in range(Wo):
            rows = slice(i * stride, i * stride + k)
            cols = slice(j * stride, j * stride + k)
            g = grad_out[:, :, i, j]
            patch = x[:, :, rows, cols]
            if patch.shape[2:] == (k, k):
                dW += np.einsum("nf,nckl->fckl", g, patch)
            dxp[:, :, rows, cols] += np.einsum("nf,fckl->nckl", g, W)
    return dxp[:, :, padding:padding + H, padding:padding + Wd], dW, grad_out.sum(axis=(0, 2, 3))
"""), BWD, names=("padded",)),
    Answer("conv2d_backward", "course_lib's naive backward", "delegates", """
from course_lib import naive


def conv2d_backward(x, W, grad_out, stride, padding):
    return naive.conv2d_backward_naive(x, W, grad_out, stride=stride, padding=padding)
""", BWD, names=("course_lib", "yourself")),

    # --- exercise 5: max-pool -------------------------------------------------------------
    Answer("maxpool2d_forward", "loops over window positions", "correct", pool(POOL_LOOPS),
           POOL),
    Answer("maxpool2d_forward", "sliding_window_view, then every stride-th window", "correct", """
from numpy.lib.stride_tricks import sliding_window_view


def maxpool2d_forward(x, kernel_size, stride):
    windows = sliding_window_view(x, (kernel_size, kernel_size), axis=(-2, -1))
    return windows[:, :, ::stride, ::stride].max(axis=(-1, -2))
""", POOL),
    Answer("maxpool2d_forward", "as_strided windows of the strided grid", "correct", """
from numpy.lib.stride_tricks import as_strided


def maxpool2d_forward(x, kernel_size, stride):
    N, C, H, W = x.shape
    k, s = kernel_size, stride
    Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
    sN, sC, sH, sW = x.strides
    win = as_strided(x, (N, C, Ho, Wo, k, k), (sN, sC, sH * s, sW * s, sH, sW), writeable=False)
    return win.max(axis=(4, 5))
""", POOL),
    Answer("maxpool2d_forward", "average pooling", "wrong", pool(
        POOL_LOOPS.replace(".max(axis=(2, 3))", ".mean(axis=(2, 3))")), POOL,
        names=("averages",)),
    Answer("maxpool2d_forward", "windows k apart (stride ignored)", "wrong", pool(
        POOL_LOOPS.replace("k, s = kernel_size, stride", "k = s = kernel_size")), POOL,
        names=("kernel size",)),
    Answer("maxpool2d_forward", "the last window dropped (no + 1)", "wrong", pool(
        POOL_LOOPS.replace("Ho, Wo = (H - k) // s + 1, (W - k) // s + 1",
                           "Ho, Wo = (H - k) // s, (W - k) // s")), POOL,
        names=("last window",)),
    Answer("maxpool2d_forward", "maximum over the channels too", "wrong", pool(
        POOL_LOOPS.replace(".max(axis=(2, 3))", ".max(axis=(1, 2, 3), keepdims=True)[:, :, 0, 0]")),
        POOL, names=("channels",)),
    Answer("maxpool2d_forward", "windows one pixel short", "wrong", pool(
        POOL_LOOPS.replace("x[:, :, i * s:i * s + k, j * s:j * s + k]",
                           "x[:, :, i * s:i * s + k - 1, j * s:j * s + k - 1]")), POOL,
        names=("windows of",)),
    Answer("maxpool2d_forward", "course_lib's MaxPool2d", "delegates", """
def maxpool2d_forward(x, kernel_size, stride):
    return MaxPool2d(kernel_size, stride=stride).forward(x)
""", POOL, names=("course_lib", "yourself")),
]
