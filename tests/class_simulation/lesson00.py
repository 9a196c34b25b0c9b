"""Simulated class, lesson 00 (tour of the data): ``prepare_images``."""

from class_simulation.answer import Answer

SETUP = """
import numpy as np
from course_lib import checks
"""

CHECK = "checks.check_prepare_images(prepare_images)"

ANSWERS = [
    Answer("prepare_images", "reshape(len, -1) / 255", "correct", """
def prepare_images(images):
    return images.reshape(len(images), -1).astype(np.float32) / 255
""", CHECK),
    Answer("prepare_images", "divides by the batch's largest value", "wrong", """
def prepare_images(images):
    flat = images.reshape(len(images), -1).astype(np.float32)
    return flat / flat.max()
""", CHECK, names=("255",)),
]
