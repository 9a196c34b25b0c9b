"""Weight initialisation schemes for Dense and Conv3x3.

Each scheme draws a weight array of a given shape from ``fan_in`` (inputs per
output unit) and ``fan_out``; the scale is what keeps activations from
shrinking or exploding as they pass through many layers.
"""

from __future__ import annotations

import numpy as np

INITS = ("he", "glorot", "lecun", "uniform", "normal", "zeros")


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Return a Generator: ``rng`` itself, one seeded with an int, or a fresh one for None."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)) and rng < 0:
        raise ValueError(f"rng: a seed must be an int >= 0, got {rng!r}.")
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None, "
                    f"got {type(rng).__name__}.")


def initialize(shape: tuple[int, ...], fan_in: int, fan_out: int, init: str,
               rng: np.random.Generator, dtype: type = np.float64) -> np.ndarray:
    """Draw a weight array.

    Parameters
    ----------
    shape : tuple of int
        Shape of the weight array.
    fan_in, fan_out : int
        Number of inputs and outputs per unit.
    init : {"he", "glorot", "lecun", "uniform", "normal", "zeros"}
        - ``"he"``: normal, std sqrt(2 / fan_in); for ReLU (He et al., 2015).
        - ``"glorot"``: uniform in +-sqrt(6 / (fan_in + fan_out)); for tanh and
          sigmoid (Glorot and Bengio, 2010).
        - ``"lecun"``: normal, std sqrt(1 / fan_in).
        - ``"uniform"``: uniform in +-0.05, Keras' RandomUniform default, as the
          early course code used; ignores the layer size.
        - ``"normal"``: normal, std 0.01; ignores the layer size.
        - ``"zeros"``: all zeros (shows the symmetry problem).
    rng : numpy.random.Generator
    dtype : float32 or float64
    """
    if init == "he":
        w = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
    elif init == "glorot":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        w = rng.uniform(-limit, limit, size=shape)
    elif init == "lecun":
        w = rng.normal(0.0, np.sqrt(1.0 / fan_in), size=shape)
    elif init == "uniform":
        w = rng.uniform(-0.05, 0.05, size=shape)
    elif init == "normal":
        w = rng.normal(0.0, 0.01, size=shape)
    elif init == "zeros":
        w = np.zeros(shape)
    else:
        raise ValueError(f"init must be one of {INITS}, got {init!r}.")
    return w.astype(dtype)
