"""Simulated class, lesson 04 (CNN on MNIST): shapes, convolution and max-pool forward and
backward with loops, im2col, the im2col forward pass and the strided max-pool."""

from class_simulation.answer import Answer

SETUP = """
import time
import timeit

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

from course_lib import checks, plots
from course_lib.data import load_digits, load_mnist
from course_lib.gradcheck import check_layer, numerical_gradient, relative_error
from course_lib.layers import Conv3x3, Dense, Flatten, Layer, MaxPool2, Tanh
from course_lib.losses import SoftmaxCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.optim import Adam, SGD
from course_lib.train import accuracy, fit
"""

SHAPE = "checks.check_conv_pool_shape(conv_pool_shape)"
AT = "checks.check_conv3x3_at(conv3x3_at)"
FWD = "checks.check_conv3x3_forward_loops(conv3x3_forward_loops)"
POOL = "checks.check_maxpool2_forward_loops(maxpool2_forward_loops)"
BWD = "checks.check_conv3x3_backward_loops(conv3x3_backward_loops)"
POOLB = "checks.check_maxpool2_backward_loops(maxpool2_backward_loops)"
IM2COL = "checks.check_im2col_3x3(im2col_3x3)"
FWD2 = "checks.check_conv3x3_forward_im2col(conv3x3_forward_im2col)"
POOL2 = "checks.check_maxpool2_forward(maxpool2_forward)"

#: a right im2col_3x3, as the student wrote it at exercise 7 (the im2col forward pass uses it)
IM2COL_RIGHT = """
def im2col_3x3(x):
    N, C, H, W = x.shape
    cols = np.empty((N, H - 2, W - 2, C, 3, 3), dtype=x.dtype)
    for di in range(3):
        for dj in range(3):
            cols[..., di, dj] = x[:, :, di:di + H - 2, dj:dj + W - 2].transpose(0, 2, 3, 1)
    return cols.reshape(N * (H - 2) * (W - 2), C * 9)
"""

BWD_HEAD = """
def conv3x3_backward_loops(x, W, grad_out):
    N, C, H, Wd = x.shape
    F = W.shape[0]
    dx, dW = np.zeros_like(x), np.zeros_like(W)
"""

POOLB_HEAD = """
def maxpool2_backward_loops(x, grad_out):
    N, C, H, W = x.shape
    dx = np.zeros_like(x)
"""

ANSWERS = [
    # ==== exercise 1: conv_pool_shape ===================================================
    Answer("conv_pool_shape", "integer division", "correct", """
def conv_pool_shape(height, width, num_filters):
    return num_filters, (height - 2) // 2, (width - 2) // 2
""", SHAPE),
    Answer("conv_pool_shape", "int() of a float division, a tuple built in steps", "correct", """
def conv_pool_shape(height, width, num_filters):
    conv_h, conv_w = height - 3 + 1, width - 3 + 1
    return (num_filters, int(conv_h / 2), int(conv_w / 2))
""", SHAPE),
    Answer("conv_pool_shape", "pooling forgotten", "wrong", """
def conv_pool_shape(height, width, num_filters):
    return num_filters, height - 2, width - 2
""", SHAPE, names=("pool",)),
    Answer("conv_pool_shape", "shrink by 3", "wrong", """
def conv_pool_shape(height, width, num_filters):
    return num_filters, (height - 3) // 2, (width - 3) // 2
""", SHAPE, names=("3",)),
    Answer("conv_pool_shape", "rounds up (ceil)", "wrong", """
import math

def conv_pool_shape(height, width, num_filters):
    return num_filters, math.ceil((height - 2) / 2), math.ceil((width - 2) / 2)
""", SHAPE, names=("round",)),
    Answer("conv_pool_shape", "filters last", "wrong", """
def conv_pool_shape(height, width, num_filters):
    return (height - 2) // 2, (width - 2) // 2, num_filters
""", SHAPE, names=("first",)),
    Answer("conv_pool_shape", "float sizes (/ 2)", "wrong", """
def conv_pool_shape(height, width, num_filters):
    return num_filters, (height - 2) / 2, (width - 2) / 2
""", SHAPE, names=("int",)),

    # ==== exercise 2: conv3x3_at ========================================================
    Answer("conv3x3_at", "tensordot over three axes", "correct", """
def conv3x3_at(x, W, b, i, j):
    return np.tensordot(W, x[:, i:i + 3, j:j + 3], axes=3) + b
""", AT),
    Answer("conv3x3_at", "four loops, float32 output", "correct", """
def conv3x3_at(x, W, b, i, j):
    F, C = W.shape[:2]
    y = np.zeros(F, dtype=np.float32)
    for f in range(F):
        acc = b[f]
        for c in range(C):
            for di in range(3):
                for dj in range(3):
                    acc += W[f, c, di, dj] * x[c, i + di, j + dj]
        y[f] = acc
    return y
""", AT),
    Answer("conv3x3_at", "window centred on (i, j)", "wrong", """
def conv3x3_at(x, W, b, i, j):
    C, H, Wd = x.shape
    pad = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    return (W * pad[None, :, i:i + 3, j:j + 3]).sum(axis=(1, 2, 3)) + b
""", AT, names=("centres the window",)),
    Answer("conv3x3_at", "i and j swapped", "wrong", """
def conv3x3_at(x, W, b, i, j):
    return (W * x[None, :, j:j + 3, i:i + 3]).sum(axis=(1, 2, 3)) + b
""", AT, names=("swaps i and j",)),
    Answer("conv3x3_at", "filter flipped (true convolution)", "wrong", """
def conv3x3_at(x, W, b, i, j):
    return (W[:, :, ::-1, ::-1] * x[None, :, i:i + 3, j:j + 3]).sum(axis=(1, 2, 3)) + b
""", AT, names=("flips the filter",)),
    Answer("conv3x3_at", "channels not summed", "wrong", """
def conv3x3_at(x, W, b, i, j):
    return (W * x[None, :, i:i + 3, j:j + 3]).sum(axis=(2, 3)) + b[:, None]
""", AT, names=("channels",)),
    Answer("conv3x3_at", "bias forgotten", "wrong", """
def conv3x3_at(x, W, b, i, j):
    return np.einsum("fcij,cij->f", W, x[:, i:i + 3, j:j + 3])
""", AT, names=("bias",)),
    Answer("conv3x3_at", "a course_lib Conv3x3 layer", "delegates", """
def conv3x3_at(x, W, b, i, j):
    layer = Conv3x3(W.shape[1], W.shape[0])
    layer.params["W"][...] = W
    layer.params["b"][...] = b
    return layer.forward(x[None])[0, :, i, j]
""", AT, names=("write it yourself",)),

    # ==== exercise 3: conv3x3_forward_loops =============================================
    Answer("conv3x3_forward_loops", "loops over positions, einsum inside", "correct", """
def conv3x3_forward_loops(x, W, b):
    N, C, H, Wd = x.shape
    y = np.empty((N, W.shape[0], H - 2, Wd - 2))
    for i in range(H - 2):
        for j in range(Wd - 2):
            y[:, :, i, j] = np.einsum("ncij,fcij->nf", x[:, :, i:i + 3, j:j + 3], W) + b
    return y
""", FWD),
    Answer("conv3x3_forward_loops", "loops over the nine offsets, float32", "correct", """
def conv3x3_forward_loops(x, W, b):
    N, C, H, Wd = x.shape
    x32, W32 = x.astype(np.float32), W.astype(np.float32)
    y = np.zeros((N, W.shape[0], H - 2, Wd - 2), dtype=np.float32)
    for di in range(3):
        for dj in range(3):
            patch = x32[:, :, di:di + H - 2, dj:dj + Wd - 2]
            y += np.einsum("nchw,fc->nfhw", patch, W32[:, :, di, dj])
    return y + b.astype(np.float32)[None, :, None, None]
""", FWD),
    Answer("conv3x3_forward_loops", "output one pixel short (range(H - 3))", "wrong", """
def conv3x3_forward_loops(x, W, b):
    N, C, H, Wd = x.shape
    y = np.zeros((N, W.shape[0], H - 3, Wd - 3))
    for i in range(H - 3):
        for j in range(Wd - 3):
            y[:, :, i, j] = np.einsum("ncij,fcij->nf", x[:, :, i:i + 3, j:j + 3], W) + b
    return y
""", FWD, names=("short",)),
    Answer("conv3x3_forward_loops", "bias added once per channel", "wrong", """
def conv3x3_forward_loops(x, W, b):
    N, C, H, Wd = x.shape
    F = W.shape[0]
    y = np.zeros((N, F, H - 2, Wd - 2))
    for c in range(C):
        for i in range(H - 2):
            for j in range(Wd - 2):
                y[:, :, i, j] += x[:, c, i:i + 3, j:j + 3].reshape(N, 9) @ W[:, c].reshape(F, 9).T + b
    return y
""", FWD, names=("channel",)),
    Answer("conv3x3_forward_loops", "filter flipped", "wrong", """
def conv3x3_forward_loops(x, W, b):
    Wf = W[:, :, ::-1, ::-1]
    N, C, H, Wd = x.shape
    y = np.zeros((N, W.shape[0], H - 2, Wd - 2))
    for i in range(H - 2):
        for j in range(Wd - 2):
            y[:, :, i, j] = np.einsum("ncij,fcij->nf", x[:, :, i:i + 3, j:j + 3], Wf) + b
    return y
""", FWD, names=("flips the filter",)),
    Answer("conv3x3_forward_loops", "axes (N, H, W, F)", "wrong", """
def conv3x3_forward_loops(x, W, b):
    N, C, H, Wd = x.shape
    y = np.zeros((N, H - 2, Wd - 2, W.shape[0]))
    for i in range(H - 2):
        for j in range(Wd - 2):
            y[:, i, j, :] = np.einsum("ncij,fcij->nf", x[:, :, i:i + 3, j:j + 3], W) + b
    return y
""", FWD, names=("order",)),
    Answer("conv3x3_forward_loops", "first channel only", "wrong", """
def conv3x3_forward_loops(x, W, b):
    N, C, H, Wd = x.shape
    y = np.zeros((N, W.shape[0], H - 2, Wd - 2))
    for i in range(H - 2):
        for j in range(Wd - 2):
            y[:, :, i, j] = np.einsum("nij,fij->nf", x[:, 0, i:i + 3, j:j + 3], W[:, 0]) + b
    return y
""", FWD, names=("channel",)),
    Answer("conv3x3_forward_loops", "a Conv3x3 layer's forward", "delegates", """
def conv3x3_forward_loops(x, W, b):
    layer = Conv3x3(W.shape[1], W.shape[0])
    layer.params["W"][...] = W
    layer.params["b"][...] = b
    return layer.forward(x)
""", FWD, names=("write it yourself",)),

    # ==== exercise 4: maxpool2_forward_loops ============================================
    Answer("maxpool2_forward_loops", "loops over windows, .max(axis=(2, 3))", "correct", """
def maxpool2_forward_loops(x):
    N, C, H, W = x.shape
    y = np.empty((N, C, H // 2, W // 2), dtype=x.dtype)
    for i in range(H // 2):
        for j in range(W // 2):
            y[:, :, i, j] = x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max(axis=(2, 3))
    return y
""", POOL),
    Answer("maxpool2_forward_loops", "every index, max() of four numbers", "correct", """
def maxpool2_forward_loops(x):
    N, C, H, W = x.shape
    y = np.zeros((N, C, H // 2, W // 2))
    for n in range(N):
        for c in range(C):
            for i in range(H // 2):
                for j in range(W // 2):
                    a, b = x[n, c, 2 * i, 2 * j], x[n, c, 2 * i, 2 * j + 1]
                    d, e = x[n, c, 2 * i + 1, 2 * j], x[n, c, 2 * i + 1, 2 * j + 1]
                    y[n, c, i, j] = max(a, b, d, e)
    return y
""", POOL),
    Answer("maxpool2_forward_loops", "maximum started at 0", "wrong", """
def maxpool2_forward_loops(x):
    N, C, H, W = x.shape
    y = np.zeros((N, C, H // 2, W // 2))
    for i in range(H // 2):
        for j in range(W // 2):
            for di in range(2):
                for dj in range(2):
                    y[:, :, i, j] = np.maximum(y[:, :, i, j], x[:, :, 2 * i + di, 2 * j + dj])
    return y
""", POOL, names=("0",)),
    Answer("maxpool2_forward_loops", "stride 1 (overlapping windows)", "wrong", """
def maxpool2_forward_loops(x):
    N, C, H, W = x.shape
    y = np.zeros((N, C, H // 2, W // 2))
    for i in range(H // 2):
        for j in range(W // 2):
            y[:, :, i, j] = x[:, :, i:i + 2, j:j + 2].max(axis=(2, 3))
    return y
""", POOL, names=("stride",)),
    Answer("maxpool2_forward_loops", "average pooling", "wrong", """
def maxpool2_forward_loops(x):
    N, C, H, W = x.shape
    y = np.zeros((N, C, H // 2, W // 2))
    for i in range(H // 2):
        for j in range(W // 2):
            y[:, :, i, j] = x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].mean(axis=(2, 3))
    return y
""", POOL, names=("average",)),
    Answer("maxpool2_forward_loops", "odd row kept (ceil sizes)", "wrong", """
def maxpool2_forward_loops(x):
    N, C, H, W = x.shape
    Ho, Wo = (H + 1) // 2, (W + 1) // 2
    y = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            y[:, :, i, j] = x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max(axis=(2, 3))
    return y
""", POOL, names=("odd",)),
    Answer("maxpool2_forward_loops", "top-left corner only", "wrong", """
def maxpool2_forward_loops(x):
    N, C, H, W = x.shape
    y = np.zeros((N, C, H // 2, W // 2))
    for i in range(H // 2):
        for j in range(W // 2):
            y[:, :, i, j] = x[:, :, 2 * i, 2 * j]
    return y
""", POOL, names=("corner",)),
    Answer("maxpool2_forward_loops", "a MaxPool2 layer", "delegates", """
def maxpool2_forward_loops(x):
    return MaxPool2().forward(x)
""", POOL, names=("write it yourself",)),

    # ==== exercise 5: conv3x3_backward_loops ============================================
    Answer("conv3x3_backward_loops", "loops over positions, einsum, += on windows", "correct",
           BWD_HEAD + """
    for i in range(H - 2):
        for j in range(Wd - 2):
            g = grad_out[:, :, i, j]
            dx[:, :, i:i + 3, j:j + 3] += np.einsum("nf,fcuv->ncuv", g, W)
            dW += np.einsum("nf,ncuv->fcuv", g, x[:, :, i:i + 3, j:j + 3])
    return dx, dW, grad_out.sum(axis=(0, 2, 3))
""", BWD),
    Answer("conv3x3_backward_loops", "loops over the nine offsets (shifted slices)", "correct",
           BWD_HEAD + """
    Ho, Wo = H - 2, Wd - 2
    for di in range(3):
        for dj in range(3):
            window = x[:, :, di:di + Ho, dj:dj + Wo]
            dW[:, :, di, dj] = np.tensordot(grad_out, window, axes=([0, 2, 3], [0, 2, 3]))
            dx[:, :, di:di + Ho, dj:dj + Wo] += np.einsum("nfhw,fc->nchw", grad_out, W[:, :, di, dj])
    db = np.zeros(F)
    for f in range(F):
        db[f] = grad_out[:, f].sum()
    return dx, dW, db
""", BWD),
    Answer("conv3x3_backward_loops", "dx written with = (overlaps lost)", "wrong", BWD_HEAD + """
    for i in range(H - 2):
        for j in range(Wd - 2):
            g = grad_out[:, :, i, j]
            dx[:, :, i:i + 3, j:j + 3] = np.einsum("nf,fcuv->ncuv", g, W)
            dW += np.einsum("nf,ncuv->fcuv", g, x[:, :, i:i + 3, j:j + 3])
    return dx, dW, grad_out.sum(axis=(0, 2, 3))
""", BWD, names=("+=",)),
    Answer("conv3x3_backward_loops", "dW averaged over the batch", "wrong", BWD_HEAD + """
    for i in range(H - 2):
        for j in range(Wd - 2):
            g = grad_out[:, :, i, j]
            dx[:, :, i:i + 3, j:j + 3] += np.einsum("nf,fcuv->ncuv", g, W)
            dW += np.einsum("nf,ncuv->fcuv", g, x[:, :, i:i + 3, j:j + 3])
    return dx, dW / N, grad_out.sum(axis=(0, 2, 3))
""", BWD, names=("batch mean",)),
    Answer("conv3x3_backward_loops", "db summed over positions only (per image)", "wrong", BWD_HEAD + """
    for i in range(H - 2):
        for j in range(Wd - 2):
            g = grad_out[:, :, i, j]
            dx[:, :, i:i + 3, j:j + 3] += np.einsum("nf,fcuv->ncuv", g, W)
            dW += np.einsum("nf,ncuv->fcuv", g, x[:, :, i:i + 3, j:j + 3])
    return dx, dW, grad_out[0].sum(axis=(1, 2))
""", BWD, names=("image 0's sum only",)),
    Answer("conv3x3_backward_loops", "dx with the flipped filter", "wrong", BWD_HEAD + """
    Wf = W[:, :, ::-1, ::-1]
    for i in range(H - 2):
        for j in range(Wd - 2):
            g = grad_out[:, :, i, j]
            dx[:, :, i:i + 3, j:j + 3] += np.einsum("nf,fcuv->ncuv", g, Wf)
            dW += np.einsum("nf,ncuv->fcuv", g, x[:, :, i:i + 3, j:j + 3])
    return dx, dW, grad_out.sum(axis=(0, 2, 3))
""", BWD, names=("flips the filter",)),
    Answer("conv3x3_backward_loops", "returns (dW, dx, db)", "wrong", BWD_HEAD + """
    for i in range(H - 2):
        for j in range(Wd - 2):
            g = grad_out[:, :, i, j]
            dx[:, :, i:i + 3, j:j + 3] += np.einsum("nf,fcuv->ncuv", g, W)
            dW += np.einsum("nf,ncuv->fcuv", g, x[:, :, i:i + 3, j:j + 3])
    return dW, dx, grad_out.sum(axis=(0, 2, 3))
""", BWD, names=("order",)),
    Answer("conv3x3_backward_loops", "a Conv3x3 layer's backward", "delegates", """
def conv3x3_backward_loops(x, W, grad_out):
    layer = Conv3x3(W.shape[1], W.shape[0])
    layer.params["W"][...] = W
    layer.forward(x)
    dx = layer.backward(grad_out)
    return dx, layer.grads["W"], layer.grads["b"]
""", BWD, names=("write it yourself",)),

    # ==== exercise 6: maxpool2_backward_loops ===========================================
    Answer("maxpool2_backward_loops", "np.argmax + divmod per window", "correct", POOLB_HEAD + """
    for n in range(N):
        for c in range(C):
            for i in range(H // 2):
                for j in range(W // 2):
                    window = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                    di, dj = divmod(int(np.argmax(window)), 2)
                    dx[n, c, 2 * i + di, 2 * j + dj] = grad_out[n, c, i, j]
    return dx
""", POOLB),
    Answer("maxpool2_backward_loops", "np.unravel_index, float32", "correct", """
def maxpool2_backward_loops(x, grad_out):
    N, C, H, W = x.shape
    dx = np.zeros(x.shape, dtype=np.float32)
    for n in range(N):
        for c in range(C):
            for i in range(H // 2):
                for j in range(W // 2):
                    window = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                    di, dj = np.unravel_index(window.argmax(), window.shape)
                    dx[n, c, 2 * i + di, 2 * j + dj] += grad_out[n, c, i, j]
    return dx
""", POOLB),
    Answer("maxpool2_backward_loops", "every tied maximum gets the gradient", "wrong", POOLB_HEAD + """
    for i in range(H // 2):
        for j in range(W // 2):
            window = x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
            mask = window == window.max(axis=(2, 3), keepdims=True)
            dx[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2] = mask * grad_out[:, :, i:i + 1, j:j + 1]
    return dx
""", POOLB, names=("tied",)),
    Answer("maxpool2_backward_loops", "1 written instead of the gradient", "wrong", POOLB_HEAD + """
    for n in range(N):
        for c in range(C):
            for i in range(H // 2):
                for j in range(W // 2):
                    window = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                    di, dj = divmod(int(np.argmax(window)), 2)
                    dx[n, c, 2 * i + di, 2 * j + dj] = 1
    return dx
""", POOLB, names=("1",)),
    Answer("maxpool2_backward_loops", "gradient spread as in average pooling", "wrong", POOLB_HEAD + """
    for i in range(H // 2):
        for j in range(W // 2):
            dx[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2] = grad_out[:, :, i:i + 1, j:j + 1] / 4
    return dx
""", POOLB, names=("average",)),
    Answer("maxpool2_backward_loops", "row and column of the window swapped (divmod reversed)",
           "wrong", POOLB_HEAD + """
    for n in range(N):
        for c in range(C):
            for i in range(H // 2):
                for j in range(W // 2):
                    window = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                    dj, di = divmod(int(np.argmax(window)), 2)
                    dx[n, c, 2 * i + di, 2 * j + dj] = grad_out[n, c, i, j]
    return dx
""", POOLB, names=("mirrored",)),
    Answer("maxpool2_backward_loops", "the last maximum (>= while scanning)", "wrong", POOLB_HEAD + """
    for n in range(N):
        for c in range(C):
            for i in range(H // 2):
                for j in range(W // 2):
                    best, where = -np.inf, (0, 0)
                    for di in range(2):
                        for dj in range(2):
                            if x[n, c, 2 * i + di, 2 * j + dj] >= best:
                                best, where = x[n, c, 2 * i + di, 2 * j + dj], (di, dj)
                    dx[n, c, 2 * i + where[0], 2 * j + where[1]] = grad_out[n, c, i, j]
    return dx
""", POOLB, names=("last",)),
    Answer("maxpool2_backward_loops", "a MaxPool2 layer's backward", "delegates", """
def maxpool2_backward_loops(x, grad_out):
    pool = MaxPool2()
    pool.forward(x)
    return pool.backward(grad_out)
""", POOLB, names=("write it yourself",)),

    # ==== exercise 7: im2col_3x3 ========================================================
    Answer("im2col_3x3", "loops over the nine offsets into a 6-D array", "correct", IM2COL_RIGHT,
           IM2COL),
    Answer("im2col_3x3", "a row per window in a Python loop", "correct", """
def im2col_3x3(x):
    N, C, H, W = x.shape
    rows = []
    for n in range(N):
        for i in range(H - 2):
            for j in range(W - 2):
                rows.append(x[n, :, i:i + 3, j:j + 3].ravel())
    return np.array(rows)
""", IM2COL),
    Answer("im2col_3x3", "sliding_window_view", "correct", """
from numpy.lib.stride_tricks import sliding_window_view

def im2col_3x3(x):
    N, C, H, W = x.shape
    win = sliding_window_view(x, (3, 3), axis=(2, 3))        # (N, C, H-2, W-2, 3, 3)
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N * (H - 2) * (W - 2), C * 9)
""", IM2COL),
    Answer("im2col_3x3", "cols transposed", "wrong", IM2COL_RIGHT.replace(
        "return cols.reshape(N * (H - 2) * (W - 2), C * 9)",
        "return cols.reshape(N * (H - 2) * (W - 2), C * 9).T"), IM2COL, names=("transpose",)),
    Answer("im2col_3x3", "offset-major columns (channel last)", "wrong", """
def im2col_3x3(x):
    N, C, H, W = x.shape
    cols = np.empty((N, H - 2, W - 2, 3, 3, C), dtype=x.dtype)
    for di in range(3):
        for dj in range(3):
            cols[:, :, :, di, dj, :] = x[:, :, di:di + H - 2, dj:dj + W - 2].transpose(0, 2, 3, 1)
    return cols.reshape(N * (H - 2) * (W - 2), C * 9)
""", IM2COL, names=("offset",)),
    Answer("im2col_3x3", "windows read column by column", "wrong", """
def im2col_3x3(x):
    N, C, H, W = x.shape
    rows = []
    for n in range(N):
        for i in range(H - 2):
            for j in range(W - 2):
                rows.append(x[n, :, i:i + 3, j:j + 3].transpose(0, 2, 1).ravel())
    return np.array(rows)
""", IM2COL, names=("column by column",)),
    Answer("im2col_3x3", "rows ordered column by column (j outer)", "wrong", """
def im2col_3x3(x):
    N, C, H, W = x.shape
    rows = []
    for n in range(N):
        for j in range(W - 2):
            for i in range(H - 2):
                rows.append(x[n, :, i:i + 3, j:j + 3].ravel())
    return np.array(rows)
""", IM2COL, names=("column by column",)),
    Answer("im2col_3x3", "one window short (range(H - 3))", "wrong", """
def im2col_3x3(x):
    N, C, H, W = x.shape
    rows = []
    for n in range(N):
        for i in range(H - 3):
            for j in range(W - 3):
                rows.append(x[n, :, i:i + 3, j:j + 3].ravel())
    return np.array(rows)
""", IM2COL, names=("short",)),
    Answer("im2col_3x3", "course_lib's im2col_3x3", "delegates", """
from course_lib.layers import im2col_3x3 as course_im2col

def im2col_3x3(x):
    return course_im2col(x)
""", IM2COL, names=("write it yourself",)),

    # ==== exercise 8: conv3x3_forward_im2col ============================================
    Answer("conv3x3_forward_im2col", "product, reshape, transpose", "correct", IM2COL_RIGHT + """
def conv3x3_forward_im2col(x, W, b):
    N, C, H, Wd = x.shape
    F = W.shape[0]
    out = im2col_3x3(x) @ W.reshape(F, -1).T + b
    return out.reshape(N, H - 2, Wd - 2, F).transpose(0, 3, 1, 2)
""", FWD2),
    Answer("conv3x3_forward_im2col", "einsum on the columns, moveaxis", "correct", IM2COL_RIGHT + """
def conv3x3_forward_im2col(x, W, b):
    N, C, H, Wd = x.shape
    cols = im2col_3x3(x).reshape(N, H - 2, Wd - 2, -1)
    out = np.einsum("nhwk,fk->nhwf", cols, W.reshape(len(W), -1)) + b
    return np.moveaxis(out, -1, 1)
""", FWD2),
    Answer("conv3x3_forward_im2col", "reshaped straight to (N, F, H-2, W-2)", "wrong",
           IM2COL_RIGHT + """
def conv3x3_forward_im2col(x, W, b):
    N, C, H, Wd = x.shape
    F = W.shape[0]
    return (im2col_3x3(x) @ W.reshape(F, -1).T + b).reshape(N, F, H - 2, Wd - 2)
""", FWD2, names=("transpose",)),
    Answer("conv3x3_forward_im2col", "W reshaped to (C*9, F) instead of transposed", "wrong",
           IM2COL_RIGHT + """
def conv3x3_forward_im2col(x, W, b):
    N, C, H, Wd = x.shape
    F = W.shape[0]
    out = im2col_3x3(x) @ W.reshape(-1, F) + b
    return out.reshape(N, H - 2, Wd - 2, F).transpose(0, 3, 1, 2)
""", FWD2, names=("W.reshape",)),
    Answer("conv3x3_forward_im2col", "filter axis left last", "wrong", IM2COL_RIGHT + """
def conv3x3_forward_im2col(x, W, b):
    N, C, H, Wd = x.shape
    F = W.shape[0]
    return (im2col_3x3(x) @ W.reshape(F, -1).T + b).reshape(N, H - 2, Wd - 2, F)
""", FWD2, names=("axes in the wrong order",)),
    Answer("conv3x3_forward_im2col", "bias forgotten", "wrong", IM2COL_RIGHT + """
def conv3x3_forward_im2col(x, W, b):
    N, C, H, Wd = x.shape
    F = W.shape[0]
    out = im2col_3x3(x) @ W.reshape(F, -1).T
    return out.reshape(N, H - 2, Wd - 2, F).transpose(0, 3, 1, 2)
""", FWD2, names=("bias",)),
    Answer("conv3x3_forward_im2col", "Conv3x3's forward", "delegates", IM2COL_RIGHT + """
def conv3x3_forward_im2col(x, W, b):
    layer = Conv3x3(W.shape[1], W.shape[0])
    layer.params["W"][...] = W
    layer.params["b"][...] = b
    return layer.forward(x)
""", FWD2, names=("write it yourself",)),

    # ==== exercise 9: maxpool2_forward ==================================================
    Answer("maxpool2_forward", "four strided slices after cropping", "correct", """
def maxpool2_forward(x):
    N, C, H, W = x.shape
    x = x[:, :, :H // 2 * 2, :W // 2 * 2]
    return np.maximum(np.maximum(x[:, :, ::2, ::2], x[:, :, ::2, 1::2]),
                      np.maximum(x[:, :, 1::2, ::2], x[:, :, 1::2, 1::2]))
""", POOL2),
    Answer("maxpool2_forward", "reshape into 2x2 blocks, max over two axes", "correct", """
def maxpool2_forward(x):
    N, C, H, W = x.shape
    Ho, Wo = H // 2, W // 2
    blocks = x[:, :, :2 * Ho, :2 * Wo].reshape(N, C, Ho, 2, Wo, 2)
    return blocks.max(axis=(3, 5))
""", POOL2),
    Answer("maxpool2_forward", "strided slices without cropping (odd row kept)", "wrong", """
def maxpool2_forward(x):
    return np.maximum(np.maximum(x[:, :, ::2, ::2], x[:, :, ::2, 1::2]),
                      np.maximum(x[:, :, 1::2, ::2], x[:, :, 1::2, 1::2]))
""", POOL2, names=("odd",)),
    Answer("maxpool2_forward", "reshape with the wrong axis order (blocks mixed)", "wrong", """
def maxpool2_forward(x):
    N, C, H, W = x.shape
    Ho, Wo = H // 2, W // 2
    blocks = x[:, :, :2 * Ho, :2 * Wo].reshape(N, C, 2, Ho, 2, Wo)
    return blocks.max(axis=(2, 4))
""", POOL2, names=("2x2 block", "(n, c, h // 2, 2, w // 2, 2)")),
    Answer("maxpool2_forward", "two corners only", "wrong", """
def maxpool2_forward(x):
    N, C, H, W = x.shape
    x = x[:, :, :H // 2 * 2, :W // 2 * 2]
    return np.maximum(x[:, :, ::2, ::2], x[:, :, 1::2, 1::2])
""", POOL2, names=("two diagonal corners",)),
    Answer("maxpool2_forward", "np.minimum", "wrong", """
def maxpool2_forward(x):
    N, C, H, W = x.shape
    x = x[:, :, :H // 2 * 2, :W // 2 * 2]
    return np.minimum(np.minimum(x[:, :, ::2, ::2], x[:, :, ::2, 1::2]),
                      np.minimum(x[:, :, 1::2, ::2], x[:, :, 1::2, 1::2]))
""", POOL2, names=("minimum",)),
    Answer("maxpool2_forward", "stride 1 (np.maximum of shifted copies)", "wrong", """
def maxpool2_forward(x):
    m = np.maximum(np.maximum(x[:, :, :-1, :-1], x[:, :, :-1, 1:]),
                   np.maximum(x[:, :, 1:, :-1], x[:, :, 1:, 1:]))
    N, C, H, W = x.shape
    return m[:, :, :H // 2, :W // 2]
""", POOL2, names=("stride",)),
    Answer("maxpool2_forward", "MaxPool2's forward", "delegates", """
def maxpool2_forward(x):
    return MaxPool2().forward(x)
""", POOL2, names=("write it yourself",)),
]
