"""Checks for lesson 00: getting started."""

from __future__ import annotations

import numpy as np

from .common import PASSED, compare_arrays, fail

def check_prepare_images(prepare_images) -> None:
    """Check ``prepare_images(images)``: uint8 images (N, H, W) -> floats (N, H*W) in [0, 1].

    Calls it on fixed random batches of 3 and then 1 MNIST-sized images and
    compares with ``images.reshape(N, -1) / 255``. Names the usual slips:
    images changed in place, not flattened, the whole batch flattened into one
    vector, one column per image, integer values (``//`` or no division),
    values up to 255, a wrong factor (``/ 256``).
    """
    rng = np.random.default_rng(0)
    for n in (3, 1):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        images[0, 0, 0], images[-1, -1, -1] = 0, 255
        original = images.copy()
        what = f"prepare_images(images) for images of shape {images.shape}"
        got = prepare_images(images)
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
            if got.shape == expected.shape and np.nanmax(got) > 1.5:
                fail(f"{what} has values up to {np.nanmax(got):g}. Scale them to the range "
                      f"0 to 1: divide by 255.")
        compare_arrays(got, expected, what, rtol=1e-6, atol=1e-7)
    print(PASSED)
