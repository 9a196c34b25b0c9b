"""Lesson 00's exercise check: a correct answer passes, each usual slip gets its message."""

import numpy as np
import pytest

from course_lib import checks


def reference(images):
    return images.reshape(len(images), -1) / 255.0


def test_correct_answers_pass(capsys):
    checks.check_prepare_images(reference)
    checks.check_prepare_images(lambda im: (im.reshape(len(im), -1) / 255).astype(np.float32))
    checks.check_prepare_images(lambda im: im.reshape(im.shape[0], 784).astype(float) / 255)
    assert capsys.readouterr().out.count(checks.PASSED) == 3


def in_place(images):
    images //= 2
    return reference(images)


@pytest.mark.parametrize("answer, message", [
    (lambda im: im / 255.0, "still 28x28 grids"),
    (lambda im: im.reshape(-1) / 255.0, "the whole batch became one vector"),
    (lambda im: im.reshape(len(im), -1).T / 255.0, "one column per image"),
    (lambda im: im.reshape(len(im), -1) // 255, "returned integers"),
    (lambda im: im.reshape(len(im), -1).astype(float), "values up to 250"),
    (lambda im: im.reshape(len(im), -1) / 256.0, "divided by 256"),
    (lambda im: im.reshape(len(im), -1) / 300.0, "divided by 300 instead of 255"),
    (lambda im: (im.reshape(len(im), -1) - 127.5) / 127.5, "range -1 to 1"),
    (lambda im: im.reshape(3, -1) / 255.0, "not a number written into the code"),
    (lambda im: (lambda x: (x - x.min()) / (x.max() - x.min()))(im.reshape(len(im), -1)),
     "batch's own smallest and largest pixel"),
    (lambda im: (lambda x: x / x.max())(im.reshape(len(im), -1).astype(float)),
     r"batch's largest pixel, x / x.max\(\)"),
    (lambda im: (lambda x: (x - x.min(1, keepdims=True)) / np.ptp(x, 1, keepdims=True))(
        im.reshape(len(im), -1).astype(float)), "each image by its own smallest and largest"),
    (lambda im: (lambda x: x / x.max(1, keepdims=True))(im.reshape(len(im), -1).astype(float)),
     "each image by its own largest pixel"),
    (lambda im: (lambda x: (x - x.mean()) / x.std())(im.reshape(len(im), -1).astype(float)),
     "standardised"),
    (lambda im: (im.reshape(len(im), -1) / 255).astype(np.float16), "float16"),
    (lambda im: im.reshape(784, -1).T / 255.0, "mixes the pixels of different images"),
    (lambda im: list(reference(im)), "should be a NumPy array"),
    (in_place, "changed `images` in place"),
])
def test_slips_are_named(answer, message):
    with pytest.raises(checks.ExerciseError, match=message):
        checks.check_prepare_images(answer)


def test_wrong_values_name_an_index():
    def off_by_one_pixel(images):
        out = reference(images)
        out[0, 5] += 0.5
        return out

    with pytest.raises(checks.ExerciseError, match=r"at index \(0, 5\)"):
        checks.check_prepare_images(off_by_one_pixel)
