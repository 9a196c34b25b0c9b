"""Simulated class, lesson 00 (tour of the data): ``prepare_images``."""

from class_simulation.answer import Answer

SETUP = """
import numpy as np
import matplotlib.pyplot as plt

from course_lib.data import load_mnist, load_boston, load_iris, load_digits, one_hot
from course_lib import checks
"""

CHECK = "checks.check_prepare_images(prepare_images)"

ANSWERS = [
    # --- correct ------------------------------------------------------------------------
    Answer("prepare_images", "reshape(len, -1) / 255", "correct", """
def prepare_images(images):
    return images.reshape(len(images), -1).astype(np.float32) / 255
""", CHECK),
    Answer("prepare_images", "a loop over the images, np.stack of ravel()", "correct", """
def prepare_images(images):
    rows = []
    for image in images:
        rows.append(image.ravel() / 255.0)
    return np.stack(rows)
""", CHECK),
    Answer("prepare_images", "shape[0] and 28 * 28, multiplied by 1/255", "correct", """
def prepare_images(images):
    n = images.shape[0]
    return images.reshape(n, 28 * 28) * (1 / 255)
""", CHECK),
    Answer("prepare_images", "np.divide with dtype= and keyword out of a copy", "correct", """
def prepare_images(images):
    flat = np.array(images, dtype=np.float64).reshape(images.shape[0], -1)
    np.divide(flat, 255.0, out=flat)
    return flat
""", CHECK),
    # --- wrong --------------------------------------------------------------------------
    Answer("prepare_images", "divides by the batch's largest value", "wrong", """
def prepare_images(images):
    flat = images.reshape(len(images), -1).astype(np.float32)
    return flat / flat.max()
""", CHECK, names=("255",)),
    Answer("prepare_images", "integer division //", "wrong", """
def prepare_images(images):
    return images.reshape(len(images), -1) // 255
""", CHECK, names=("integers", "//")),
    Answer("prepare_images", "float16 to save memory", "wrong", """
def prepare_images(images):
    return (images.reshape(len(images), -1) / 255).astype(np.float16)
""", CHECK, names=("float16", "digits")),
    Answer("prepare_images", "divides the flattened view in place (uint8 zeros, input changed)",
           "wrong", """
def prepare_images(images):
    flat = images.reshape(len(images), -1)
    flat //= 255
    return flat
""", CHECK, names=("in place",)),
    Answer("prepare_images", "batch size written into the code", "wrong", """
def prepare_images(images):
    return images.reshape(3, 784) / 255.0
""", CHECK, names=("batch size",)),
    Answer("prepare_images", "divides by 256", "wrong", """
def prepare_images(images):
    return images.reshape(len(images), -1) / 256
""", CHECK, names=("256",)),
    Answer("prepare_images", "one column per image (reshape(-1, N))", "wrong", """
def prepare_images(images):
    return images.reshape(-1, len(images)) / 255.0
""", CHECK, names=("column per image",)),
    Answer("prepare_images", "scaled to -1..1 ((x - 127.5) / 127.5)", "wrong", """
def prepare_images(images):
    return (images.reshape(len(images), -1) - 127.5) / 127.5
""", CHECK, names=("-1", "0 to 1")),
    Answer("prepare_images", "per-image min-max scaling", "wrong", """
def prepare_images(images):
    flat = images.reshape(len(images), -1).astype(float)
    lo = flat.min(axis=1, keepdims=True)
    hi = flat.max(axis=1, keepdims=True)
    return (flat - lo) / (hi - lo)
""", CHECK, names=("each image",)),
    Answer("prepare_images", "not flattened", "wrong", """
def prepare_images(images):
    return images / 255.0
""", CHECK, names=("784", "flatten")),
]
