"""Checks for lesson 00: getting started."""

from __future__ import annotations

import numpy as np

from .common import PASSED, compare_arrays, constant_ratio, fail

def _prepare_slips(images: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """(wrong answer, message) for the scaling slips on ``images``."""
    x = images.reshape(len(images), -1).astype(np.float64)
    lo, hi = x.min(), x.max()
    per_lo, per_hi = x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True)
    return [
        ((x - lo) / (hi - lo), "scaled by the batch's own smallest and largest pixel (min-max "
                               "scaling). Pixels are 0 to 255 whatever the batch holds: divide "
                               "by 255, so that the same pixel gets the same number in every "
                               "batch."),
        (x / hi, "divided by the batch's largest pixel, x / x.max(). A batch without a pure "
                 "white pixel would then be scaled differently: divide by 255, the largest "
                 "value a uint8 pixel can have."),
        ((x - per_lo) / (per_hi - per_lo), "scaled each image by its own smallest and largest "
                                           "pixel. Divide every image by the same 255."),
        (x / per_hi, "divided each image by its own largest pixel. Divide every image by the "
                     "same 255."),
        ((x - x.mean()) / x.std(), "standardised the pixels (mean 0, std 1). This exercise "
                                   "asks for values from 0 to 1: divide by 255."),
        ((x - 127.5) / 127.5, "scaled the pixels to the range -1 to 1 ((x - 127.5) / 127.5). "
                              "This exercise asks for values from 0 to 1: divide by 255."),
        (x / 256.0, "divided by 256. The largest uint8 pixel is 255, which must become 1: "
                    "divide by 255."),
        (images.reshape(x.shape[1], len(images)).T / 255.0,
         "mixes the pixels of different images: reshape(784, N).T fills the array in the "
         "wrong order, so a row is not one image. Reshape to (N, 784) directly: "
         "images.reshape(len(images), -1)."),
    ]


def check_prepare_images(prepare_images) -> None:
    """Check ``prepare_images(images)``: uint8 images (N, H, W) -> floats (N, H*W) in [0, 1].

    Calls it on fixed random batches of 3 and then 1 MNIST-sized images and
    compares with ``images.reshape(N, -1) / 255``. The first batch holds no
    0 and no 255 (its pixels lie from 3 to 250, as a dim image's do), so that
    scaling by the batch's min and max, by ``x.max()`` or per image differs
    from dividing by 255. Names the usual slips: images changed in place, not
    flattened, the whole batch flattened into one vector, one column per
    image, integer values (``//`` or no division), values up to 255, a wrong
    factor (``/ 256``), those scalings, float16's lost digits, a batch size
    written into the code.
    """
    rng = np.random.default_rng(0)
    batches = [rng.integers(3, 251, size=(3, 28, 28), dtype=np.uint8),
               rng.integers(0, 256, size=(1, 28, 28), dtype=np.uint8)]
    batches[0][1] //= 2  # one dim image: its largest pixel is not the batch's
    for images in batches:
        n = len(images)
        original = images.copy()
        what = f"prepare_images(images) for images of shape {images.shape}"
        try:
            got = prepare_images(images)
        except (ValueError, TypeError, IndexError) as err:
            fail(f"{what} raised {type(err).__name__}: {err}. The check calls it on batches of "
                 f"3 and of 1 image: take the batch size from the input (len(images) or -1), "
                 f"not a number written into the code.")
        if not np.array_equal(images, original):
            fail(f"{what} changed `images` in place. Leave the input alone and return a new "
                  f"array: images.reshape(...) / 255.0 makes one.")
        expected = images.reshape(n, -1) / 255.0
        if isinstance(got, np.ndarray):
            if got.shape == images.shape:
                fail(f"{what} returned shape {got.shape}: the images are still 28x28 grids. "
                      f"Flatten each into 784 numbers: images.reshape(len(images), -1).")
            if got.shape == (n * 784,):
                fail(f"{what} returned shape {got.shape}: the whole batch became one vector. "
                      f"Keep one row per image: images.reshape(len(images), -1), "
                      f"shape {expected.shape}.")
            if n > 1 and got.shape == (784, n):
                fail(f"{what} returned shape {got.shape}, one column per image. The course puts "
                      f"the batch first: one row per image, shape {expected.shape}.")
            if got.shape == expected.shape and not np.issubdtype(got.dtype, np.floating):
                fail(f"{what} returned integers (dtype {got.dtype}). Divide by 255.0 with `/` "
                      f"to get floats from 0 to 1; `//` rounds almost every pixel down to 0.")
            if got.shape == expected.shape and got.dtype == np.float16:
                fail(f"{what} returned float16, which keeps only about 3 significant digits "
                     f"(pixel 200 becomes {float(np.float16(200 / 255)):.6f}, not "
                     f"{200 / 255:.6f}). Use float32 or float64: `/ 255.0` gives float64.")
            if got.shape == expected.shape and not np.allclose(got, expected, rtol=1e-6,
                                                               atol=1e-7):
                for candidate, message in _prepare_slips(images):
                    if np.allclose(got, candidate, rtol=1e-5, atol=1e-6):
                        fail(f"{what} {message}")
                ratio = constant_ratio(got, expected)
                if ratio is not None and ratio < 1.5:  # larger: "values up to" below
                    fail(f"{what} is {ratio:.4g} times x / 255 everywhere: it divided by "
                         f"{255 / ratio:.4g} instead of 255. Divide by 255, the largest value a "
                         f"uint8 pixel can have, so that white becomes exactly 1.")
            if got.shape == expected.shape and np.nanmax(got) > 1.5:
                fail(f"{what} has values up to {np.nanmax(got):g}. Scale them to the range "
                      f"0 to 1: divide by 255.")
        compare_arrays(got, expected, what, rtol=1e-6, atol=1e-7)
    print(PASSED)
