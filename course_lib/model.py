"""A model as a stack of layers: forward runs them in order, backward in reverse."""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import zipfile
from collections.abc import Iterable, Iterator
from functools import cache

import numpy as np

from .layers import Layer
from .losses import Loss
from .validation import (check_bool, check_float_array, check_float_dtype, check_int,
                         check_not_class, describe, instance_example, values_checked)

_EXAMPLE = "Sequential([Dense(4, 8), ReLU(), Dense(8, 3)])"


def _is_layer_like(obj: object) -> bool:
    return callable(getattr(obj, "forward", None)) and callable(getattr(obj, "backward", None))


def _written_as(item: object) -> str:
    """How ``item`` (a layer or a layer class) is created, for a message: Dense(...), ReLU()."""
    return instance_example(item if isinstance(item, type) else type(item))


def _as_layer_list(layers: object) -> list:
    """``layers`` as a list, or a TypeError saying how to pass them (a list, not one layer)."""
    if isinstance(layers, type):
        raise TypeError(f"Sequential: layers is the class {layers.__name__}; pass a list of "
                        f"layers (instances), e.g. Sequential([{_written_as(layers)}]).")
    if _is_layer_like(layers):
        raise TypeError(f"Sequential: layers must be a list of layers, got a single "
                        f"{type(layers).__name__}; wrap it in a list: "
                        f"Sequential([{_written_as(layers)}]).")
    if layers is None or isinstance(layers, (str, bytes, dict)):
        raise TypeError(f"Sequential: layers must be a list of layers such as {_EXAMPLE}, "
                        f"got {describe(layers)}.")
    try:
        return list(layers)
    except TypeError:
        raise TypeError(f"Sequential: layers must be a list of layers such as {_EXAMPLE}, "
                        f"got {describe(layers)}.") from None


def _check_layer(layer: object, i: int) -> None:
    """A layer is anything with forward and backward methods (duck typing), not a class."""
    check_not_class(layer, f"item {i}", "a layer", where="Sequential")
    if isinstance(layer, Loss):
        raise TypeError(f"Sequential: item {i} is the loss {layer!r}; loss functions are passed "
                        f"to fit(model, loss, ...), not put in the model.")
    if not (callable(getattr(layer, "forward", None)) and callable(getattr(layer, "backward", None))):
        raise TypeError(f"Sequential: item {i} must be a layer with forward and backward methods, "
                        f"got {type(layer).__name__}. Loss functions are passed to fit, not put "
                        f"in the model.")
    for name in ("params", "grads"):
        if not isinstance(getattr(layer, name, {}), dict):
            raise TypeError(f"Sequential: item {i} ({type(layer).__name__}) has a {name} "
                            f"attribute that is not a dict; a layer's {name} maps names to arrays.")


def _check_input_shape(input_shape: object) -> tuple[int, ...]:
    """A sample's shape as a tuple of positive ints; an int n means (n,)."""
    if isinstance(input_shape, (int, np.integer)) and not isinstance(input_shape, bool):
        input_shape = (input_shape,)
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"Sequential.summary: input_shape must be a tuple of ints such as "
                        f"(784,) or (1, 28, 28), got {describe(input_shape)}.")
    return tuple(check_int(n, "input_shape", where="Sequential.summary") for n in input_shape)


@cache
def _takes_input_grad(backward: object) -> bool:
    """Whether a backward method accepts ``input_grad`` (course_lib's layers with weights do;
    a layer of one's own, or a subclass overriding backward, may not)."""
    try:
        return "input_grad" in inspect.signature(backward).parameters
    except (TypeError, ValueError):
        return False


def backward_without_input_grad(model: object, grad_out: np.ndarray) -> None:
    """``model.backward(grad_out)`` when dL/dx for the model's input is not needed (training):
    skipped, with ``input_grad=False``, if ``model`` (a Sequential or a layer) supports it."""
    if _takes_input_grad(type(model).backward):
        model.backward(grad_out, input_grad=False)
    else:
        model.backward(grad_out)


def _backward_first(layer: object, grad_out: np.ndarray, input_grad: bool) -> np.ndarray | None:
    """The first layer's backward: dL/dx of the model's input, or None when not wanted."""
    if input_grad:
        return layer.backward(grad_out)
    backward_without_input_grad(layer, grad_out)
    return None


@contextlib.contextmanager
def layers_in_mode(model: object, training: bool) -> Iterator[None]:
    """Run a block with every layer of ``model`` in training (True) or evaluation (False)
    mode, then put each layer back in the mode it was in, even if the block raises.

    ``model`` is a Sequential or a single layer; a layer of one's own without a
    ``training`` attribute is left alone.
    """
    layers = model.layers if isinstance(model, Sequential) else [model]
    modes = [(layer, layer.training) for layer in layers if hasattr(layer, "training")]
    try:
        for layer, _ in modes:
            layer.training = training
        yield
    finally:
        for layer, mode in modes:
            layer.training = mode


def evaluation_mode(model: object) -> contextlib.AbstractContextManager[None]:
    """``layers_in_mode(model, False)``: no dropout, BatchNorm's running statistics."""
    return layers_in_mode(model, False)


#: the state a layer keeps besides its params, saved and loaded with them (BatchNorm's)
BUFFERS = ("running_mean", "running_var")
#: the key of a saved model's description in its .npz file
_ARCHITECTURE_KEY = "__architecture__"


def _layer_state(layer: object) -> dict[str, np.ndarray]:
    """A layer's params and buffers (BatchNorm's running statistics), by name."""
    state = dict(getattr(layer, "params", {}))
    state.update({name: getattr(layer, name) for name in BUFFERS
                  if isinstance(getattr(layer, name, None), np.ndarray)})
    return state


def _architecture(model: "Sequential") -> list[dict]:
    """What a file must match to be loaded into ``model``: each layer's type and the
    names and shapes of its arrays (its repr is kept to explain a mismatch)."""
    return [{"type": type(layer).__name__, "repr": repr(layer),
             "arrays": {name: list(a.shape) for name, a in _layer_state(layer).items()}}
            for layer in model.layers]


def _describe_layer(entry: dict) -> str:
    arrays = ", ".join(f"{name} {tuple(shape)}" for name, shape in entry["arrays"].items())
    return f"{entry['repr']}" + (f" with {arrays}" if arrays else "")


def _num_params(layer: object) -> int:
    return int(sum(p.size for p in getattr(layer, "params", {}).values()))


class Sequential:
    """Layers applied one after another.

    Parameters
    ----------
    layers : list (or other iterable) of Layer
        Anything with ``forward(x)`` and ``backward(grad_out)`` methods (and
        ``params``/``grads`` dicts if it has weights) works: a course_lib layer or
        one a student wrote, subclassing :class:`~course_lib.layers.Layer` or not.
        A Sequential in the list contributes its layers (both models share them).

    Raises
    ------
    TypeError
        For one layer instead of a list (``Sequential(Dense(4, 3))``), layers as
        separate arguments, a class instead of a layer (``ReLU`` for ``ReLU()``),
        a loss, or anything without forward and backward.
    ValueError
        For an empty list.

    Examples
    --------
    >>> from course_lib.layers import Dense, ReLU
    >>> model = Sequential([Dense(4, 8, rng=0), ReLU(), Dense(8, 3, rng=1)])
    >>> model.predict(np.zeros((5, 4))).shape
    (5, 3)
    """

    def __init__(self, layers: Iterable[Layer], *more: object) -> None:
        if more:
            items = ", ".join(_written_as(item) for item in (layers, *more))
            raise TypeError(f"Sequential takes one list of layers, got {1 + len(more)} separate "
                            f"arguments; put them in one list: Sequential([{items}]).")
        given = _as_layer_list(layers)
        if not given:
            raise ValueError("Sequential needs at least one layer, got an empty list.")
        for i, layer in enumerate(given):
            _check_layer(layer, i)
        self.layers = []
        for layer in given:  # a nested Sequential contributes its layers, so they train too
            self.layers.extend(layer.layers if isinstance(layer, Sequential) else [layer])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Run every layer's forward, in order; each caches what its backward needs.

        The first layer checks ``x`` fully (NaN and inf too); the arrays the layers
        pass on are not scanned again (their type, rank and shape still are checked).
        """
        x = self.layers[0].forward(x)
        with values_checked():
            for layer in self.layers[1:]:
                x = layer.forward(x)
        return x

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Run every layer's backward, in reverse, filling each layer's ``grads``.

        Returns dL/dx for the model's input; with ``input_grad=False`` (training, where
        nothing uses it) returns None, and the first layer skips computing it if it
        can (a Dense or Conv3x3 then saves a matrix product).
        """
        input_grad = check_bool(input_grad, "input_grad", where="Sequential.backward")
        layers = self.layers
        if len(layers) > 1:
            grad_out = layers[-1].backward(grad_out)  # checks grad_out fully: from outside
            with values_checked():
                for layer in reversed(layers[1:-1]):
                    grad_out = layer.backward(grad_out)
                return _backward_first(layers[0], grad_out, input_grad)
        return _backward_first(layers[0], grad_out, input_grad)

    def train(self, mode: bool = True) -> "Sequential":
        """Put every layer in training mode (``layer.training = mode``); returns the model.

        Dropout drops units and BatchNorm uses the batch's statistics only in
        training mode; the other layers behave the same in both modes.
        """
        mode = check_bool(mode, "mode", where="Sequential.train")
        for layer in self.layers:
            layer.training = mode
        return self

    def eval(self) -> "Sequential":
        """Put every layer in evaluation mode (``layer.training = False``); returns the model."""
        return self.train(False)

    @property
    def training(self) -> bool:
        """True when any layer is in training mode."""
        return any(getattr(layer, "training", True) for layer in self.layers)

    def predict(self, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Forward pass over ``X`` in batches (bounded memory); returns the model's output.

        Runs in evaluation mode (no dropout, BatchNorm's running statistics) and
        leaves every layer in the mode it was in.
        """
        check_float_array(X, "X", where="Sequential.predict")
        batch_size = check_int(batch_size, "batch_size", where="Sequential.predict")
        with evaluation_mode(self), values_checked():  # X was scanned just above, as a whole
            outputs = [self.forward(X[i:i + batch_size]) for i in range(0, len(X), batch_size)]
        return np.concatenate(outputs, axis=0)

    def astype(self, dtype: type) -> "Sequential":
        """Convert every layer's parameters to ``dtype`` (float32 or float64); returns self."""
        dtype = check_float_dtype(dtype, where="Sequential.astype")
        for layer in self.layers:
            if isinstance(layer, Layer):
                layer.astype(dtype)
            else:  # a duck-typed layer: convert its params dict
                params = getattr(layer, "params", {})
                for key, value in params.items():
                    params[key] = value.astype(dtype)
        return self

    def num_params(self) -> int:
        """Number of trainable scalars."""
        return sum(_num_params(layer) for layer in self.layers)

    def save(self, path: str | os.PathLike) -> None:
        """Save every layer's parameters, and BatchNorm's running statistics, to ``path``.

        The file is NumPy's ``.npz`` (``np.savez``): plain arrays and a JSON description
        of the layers, no pickle, so loading a file can never run code. Load it into a
        model of the same architecture with :meth:`load`.

        Parameters
        ----------
        path : str or path-like
            The file to write; NumPy adds ``.npz`` if the name does not end with it.
        """
        arrays = {f"{i}.{name}": value for i, layer in enumerate(self.layers)
                  for name, value in _layer_state(layer).items()}
        arrays[_ARCHITECTURE_KEY] = np.array(json.dumps(_architecture(self)))
        np.savez(path, **arrays)

    def load(self, path: str | os.PathLike) -> "Sequential":
        """Load parameters (and running statistics) saved by :meth:`save`; returns self.

        The model must have the architecture of the saved one: the same layers in the
        same order, with arrays of the same names and shapes. The values are copied into
        the model's arrays (which keep their dtype), so an optimiser holding them still
        updates the model.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is not a model saved by :meth:`save` (not an ``.npz``, corrupt,
            or without the description), or was saved from another architecture: the
            message names the first layer that differs.
        """
        where = "Sequential.load"
        if not os.path.exists(path) and os.path.exists(os.fspath(path) + ".npz"):
            path = os.fspath(path) + ".npz"  # np.savez added the suffix
        if not os.path.exists(path):
            raise FileNotFoundError(f"{where}: no file {os.fspath(path)!r}; save a model "
                                    f"with model.save(path) first.")
        if not zipfile.is_zipfile(path):  # np.load would try it as a pickle and say so
            raise ValueError(f"{where}: {os.fspath(path)!r} is not an .npz archive (the format "
                             f"of Sequential.save); the file is corrupt or of another kind.")
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except (ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
            raise ValueError(f"{where}: {os.fspath(path)!r} is not a model saved by "
                             f"Sequential.save (a .npz file): {err}") from None
        if _ARCHITECTURE_KEY not in arrays:
            raise ValueError(f"{where}: {os.fspath(path)!r} is an .npz file without a model "
                             f"description; it was not written by Sequential.save.")
        saved = json.loads(str(arrays.pop(_ARCHITECTURE_KEY)))
        ours = _architecture(self)
        for i, (a, b) in enumerate(zip(saved, ours)):
            if a["type"] != b["type"] or a["arrays"] != b["arrays"]:
                raise ValueError(f"{where}: the file holds another architecture. Layer {i} "
                                 f"is {_describe_layer(a)} in the file but "
                                 f"{_describe_layer(b)} in this model.")
        if len(saved) != len(ours):
            raise ValueError(f"{where}: the file holds another architecture: {len(saved)} "
                             f"layers in the file, {len(ours)} in this model.")
        for i, layer in enumerate(self.layers):
            for name, target in _layer_state(layer).items():
                target[...] = arrays[f"{i}.{name}"]
        return self

    def summary(self, input_shape: tuple[int, ...] | None = None) -> str:
        """A table of layers, output shapes and parameter counts.

        Parameters
        ----------
        input_shape : tuple of int or int, optional
            Shape of one sample, without the batch axis, e.g. ``(784,)`` (or just
            ``784``) or ``(1, 28, 28)``. A forward pass on one zero sample finds the
            output shapes. May be left out when the first layer is a Dense (its
            ``n_in`` says it).

        Returns
        -------
        str
            The table; ``print`` it.
        """
        if input_shape is None:
            first = self.layers[0]
            if not hasattr(first, "n_in"):
                raise ValueError("Sequential.summary: pass input_shape, the shape of one "
                                 "sample without the batch axis, e.g. (1, 28, 28).")
            input_shape = (first.n_in,)
        input_shape = _check_input_shape(input_shape)
        dtype = next((p.dtype for layer in self.layers for p in layer.params.values()),
                     np.float64)
        x = np.zeros((1, *input_shape), dtype=dtype)
        rows = [("Layer (type)", "Output shape", "Param #")]
        with evaluation_mode(self):  # one sample: no batch statistics, no running update
            for i, layer in enumerate(self.layers):
                x = layer.forward(x)
                rows.append((f"{i}: {layer!r}", str((None, *x.shape[1:])),
                             f"{_num_params(layer):,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(3)]
        line = "-" * (sum(widths) + 4)

        def fmt(r: tuple[str, str, str]) -> str:
            return f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}"

        body = [fmt(rows[0]), line.replace("-", "=")] + [fmt(r) for r in rows[1:]]
        body += [line.replace("-", "="), f"Total params: {self.num_params():,}"]
        return "\n".join(body)

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential([\n  {inner},\n])"
