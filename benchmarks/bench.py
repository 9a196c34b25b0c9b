"""How fast is the course's code? `make bench` runs this; it is not part of `make test`.

Measures, on this machine, in one run:

1. the limit: float32/float64 matrix-multiply GFLOP/s at the MLP's largest shapes;
2. the MLP 784-500-250-100-10 (ReLU, batch 64, softmax cross-entropy, SGD, float32, full
   MNIST): seconds per epoch of ``course_lib`` (``fit``) and of the minimal NumPy code of the
   same maths in ``benchmarks/reference.py``, epochs alternating between the two, and
   their ratio; also ``course_lib`` with the default float64 ``Dense`` fed float32 images;
3. the lesson-04 CNN Conv3x3(8) -> MaxPool2 -> Flatten -> Dense(1352, 10) (batch 32,
   float32), the same way; and the naive loops against the vectorised conv + pool;
4. lesson 08's LeNet-style network Conv2d(1, 16, 5) -> MaxPool2d(2) -> ReLU -> Conv2d(16, 32, 5)
   -> MaxPool2d(2) -> ReLU -> Flatten -> Dense(512, 128) -> ReLU -> Dense(128, 10) (batch 64,
   float32), against ``reference.lenet_step``, the same way;
5. lesson 07's graph: one epoch of the digits MLP 64-89-10 (tanh, batch 32, float64, SGD
   with momentum) trained by ``course_lib.autograd`` against the per-op ``Sequential``;
6. the lesson-09 character model Embedding(27, 16) -> LSTM(16, 64) -> TimeDense(64, 27)
   (masked sequence cross-entropy, SGD, float32): one epoch over the training words in
   batches of 128 words of similar length, the lesson's batches, the same way;
7. lesson 10's causal character transformer (Embedding, PositionalEmbedding, 2
   TransformerBlock(48, 4 heads), LayerNorm, TimeDense; batch 64 words, float32, SGD):
   seconds per epoch of 12,800 training words against the same maths in
   ``benchmarks/reference.py``, and, where the scratch environment .venv-ref (`make
   test-independent`) exists, one causal multi-head attention training step against
   PyTorch-CPU's (``benchmarks/torch_attention.py``; PyTorch is not a course dependency);
8. the whole course: each notebook under strict nbval (as `make test` runs it), one at a
   time, and the total.

Every figure is printed with its goal. BLAS runs with ``--threads`` threads (default 1,
as the lessons set it) on both sides. Machines are shared and noisy: read the medians,
with the min-max spread; ``--profile`` adds cProfile's top functions of one epoch.

Usage: python benchmarks/bench.py [--quick] [--skip-notebooks] [--notebook-dir DIR]
                                  [--threads N] [--epochs N] [--profile] [--out FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from course_lib.autograd import Tensor, no_grad, softmax_cross_entropy
from course_lib.data import load_digits, load_mnist, load_words, split_words
from course_lib.layers import (LSTM, Conv2d, Conv3x3, Dense, Embedding, Flatten, LayerNorm,
                               MaxPool2, MaxPool2d, PositionalEmbedding, ReLU, Tanh,
                               TimeDense, TransformerBlock)
from course_lib.losses import SequenceCrossEntropyLoss, SoftmaxCrossEntropyLoss
from course_lib.text import VOCAB_SIZE, encode_words
from course_lib.model import Sequential
from course_lib.naive import (conv3x3_backward_naive, conv3x3_forward_naive,
                              maxpool2_backward_naive, maxpool2_forward_naive)
from course_lib.optim import SGD
from course_lib.train import fit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference  # noqa: E402  (benchmarks/reference.py, the minimal NumPy code)

ROOT = Path(__file__).resolve().parent.parent
MLP_SIZES = (784, 500, 250, 100, 10)
LENET_CHANNELS, LENET_HIDDEN = (16, 32), 128  # lesson 08's chosen network
LR = 0.01

GOALS = {
    "mlp_ratio": 1.2,        # course_lib epoch / reference epoch, at most
    "cnn_ratio": 1.2,
    "lenet_ratio": 1.2,
    "lstm_ratio": 1.2,
    "transformer_ratio": 1.2,
    "attention_vs_torch": 1.5,  # an aim, not a course goal: PyTorch is not a dependency
    "conv_speedup": 100.0,   # naive loops / vectorised, at least (lesson 04 asserts it)
    "autograd_ratio": 4.0,   # lesson 07: Tensor epoch / Sequential epoch, at most
    "notebook_seconds": {"04_cnn_mnist.ipynb": 60.0, "05_mlp_activations_mnist.ipynb": 75.0,
                         "07_autograd.ipynb": 60.0,
                         "08_deep_cnn_mnist.ipynb": 120.0, "09_rnn_language_model.ipynb": 120.0,
                         "10_attention_transformer.ipynb": 120.0},
    # all notebooks under strict nbval: lessons 00-06 (180 s) plus the budgets of 07-10
    "course_seconds": 600.0,
}


def summarize(samples: list[float]) -> dict[str, float]:
    """Median, min and max of timing samples (seconds or rates)."""
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "n": len(samples)}


def time_repeated(fn, repeats: int, number: int) -> list[float]:
    """Seconds per call of ``fn``: ``repeats`` samples, each the mean of ``number`` calls."""
    fn()  # warm up caches and BLAS threads
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return samples


def blas_info() -> list[dict]:
    return [{"library": i.get("internal_api"), "version": i.get("version"),
             "threads": i.get("num_threads"), "kernel": i.get("architecture")}
            for i in threadpool_info() if i.get("user_api") == "blas"]


def bench_matmul(dtype, repeats: int) -> dict:
    """GFLOP/s of the MLP's largest product, (64, 784) @ (784, 500)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 784)).astype(dtype)
    b = rng.standard_normal((784, 500)).astype(dtype)
    flops = 2 * 64 * 784 * 500
    rates = [flops / s / 1e9 for s in time_repeated(lambda: a @ b, repeats, 200)]
    return {"shape": "64x784 @ 784x500", "gflops": summarize(rates)}


def mnist(flat: bool, n: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Full MNIST training images as float32 in [0, 1], (N, 784) or (N, 1, 28, 28)."""
    images, labels = load_mnist("train")
    X = images[:n].astype(np.float32) / np.float32(255)
    return (X.reshape(len(X), -1) if flat else X[:, None]), labels[:n]


class Clock:
    """Wall and CPU seconds of a block: ``with Clock() as c: ...``, then ``c.seconds``.

    CPU time (this process's) is what the ratios use when BLAS runs one thread: on a
    shared machine other processes stretch the wall time of whichever side they
    happen to overlap, but not the CPU time it needs.
    """

    def __enter__(self) -> "Clock":
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = {"wall": time.perf_counter() - self._wall,
                        "cpu": time.process_time() - self._cpu}


def lib_epoch(model: Sequential, X: np.ndarray, y: np.ndarray, batch: int, seed: int) -> dict:
    """Wall and CPU seconds for one epoch of course_lib's ``fit`` (shuffled batches, SGD)."""
    # the float64 model fed float32 warns that fit converts it: on purpose here
    with Clock() as clock, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit(model, SoftmaxCrossEntropyLoss(), SGD(LR), X, y, epochs=1, batch_size=batch,
            seed=seed, progress=False)
    return clock.seconds


def reference_epoch(step, params: list, X: np.ndarray, y: np.ndarray, batch: int,
                    seed: int) -> dict:
    """Wall and CPU seconds for one epoch of the minimal NumPy code: same shuffling, batches."""
    with Clock() as clock:
        order = np.random.default_rng(seed).permutation(len(X))
        for i in range(0, len(X), batch):
            idx = order[i:i + batch]
            step(params, X[idx], y[idx], LR)
    return clock.seconds


def side_by_side(runs: dict, epochs: int, clock: str) -> tuple[dict, dict]:
    """Time each run's epochs, the runs taking turns (so a busy spell hits them alike).

    Returns the summaries {run: {"wall": ..., "cpu": ...}} and the median seconds by
    ``clock`` ("cpu" or "wall") of each run.
    """
    for fn in runs.values():  # warm-up: caches, BLAS threads, first allocations
        fn(0)
    samples = {name: {"wall": [], "cpu": []} for name in runs}
    for e in range(epochs):
        for name, fn in runs.items():
            for kind, seconds in fn(e + 1).items():
                samples[name][kind].append(seconds)
    summaries = {name: {kind: summarize(v) for kind, v in s.items()}
                 for name, s in samples.items()}
    medians = {name: statistics.median(s[clock]) for name, s in samples.items()}
    return summaries, medians


def mlp_model(dtype) -> Sequential:
    rng = np.random.default_rng(0)
    layers = []
    for n_in, n_out in zip(MLP_SIZES[:-2], MLP_SIZES[1:-1]):
        layers += [Dense(n_in, n_out, rng=rng), ReLU()]
    model = Sequential(layers + [Dense(MLP_SIZES[-2], MLP_SIZES[-1], rng=rng)])
    return model.astype(dtype) if dtype is not None else model


def cnn_model() -> Sequential:
    rng = np.random.default_rng(0)
    return Sequential([Conv3x3(8, rng=rng), MaxPool2(), Flatten(),
                       Dense(1352, 10, rng=rng)]).astype(np.float32)


def lenet_model() -> Sequential:
    rng = np.random.default_rng(0)
    (c1, c2), h, f32 = LENET_CHANNELS, LENET_HIDDEN, np.float32
    return Sequential([Conv2d(1, c1, 5, rng=rng, dtype=f32), MaxPool2d(2), ReLU(),
                       Conv2d(c1, c2, 5, rng=rng, dtype=f32), MaxPool2d(2), ReLU(), Flatten(),
                       Dense(16 * c2, h, rng=rng, dtype=f32), ReLU(),
                       Dense(h, 10, rng=rng, dtype=f32)])


def bench_lenet(epochs: int, n: int | None, clock: str) -> dict:
    X, y = mnist(flat=False, n=n)
    lib = lenet_model()
    ref = reference.lenet_init(LENET_CHANNELS, LENET_HIDDEN, np.random.default_rng(0))
    samples, medians = side_by_side({
        "course_lib": lambda e: lib_epoch(lib, X, y, 64, e),
        "reference": lambda e: reference_epoch(reference.lenet_step, ref, X, y, 64, e),
    }, epochs, clock)
    return {"images": len(X), "seconds_per_epoch": samples,
            "ratio": medians["course_lib"] / medians["reference"]}


def bench_mlp(epochs: int, n: int | None, matmul_gflops: float, clock: str) -> dict:
    X, y = mnist(flat=True, n=n)
    lib32, lib64 = mlp_model(np.float32), mlp_model(None)
    ref = reference.mlp_init(MLP_SIZES, np.random.default_rng(0))
    samples, medians = side_by_side({
        "course_lib": lambda e: lib_epoch(lib32, X, y, 64, e),
        "reference": lambda e: reference_epoch(reference.mlp_step, ref, X, y, 64, e),
        "course_lib, float64 Dense fed float32": lambda e: lib_epoch(lib64, X, y, 64, e),
    }, epochs, clock)
    # 2 FLOPs per weight forward, 4 backward (dx and dW), minus the first layer's dx;
    # by wall time, as the matmul figure
    macs = sum(a * b for a, b in zip(MLP_SIZES[:-1], MLP_SIZES[1:]))
    flops = (6 * macs - 2 * MLP_SIZES[0] * MLP_SIZES[1]) * len(X)
    wall = samples["course_lib"]["wall"]["median"]
    return {"images": len(X), "seconds_per_epoch": samples,
            "ratio": medians["course_lib"] / medians["reference"],
            "ratio_float64_dense": medians["course_lib, float64 Dense fed float32"]
            / medians["reference"],
            "gflops": flops / wall / 1e9, "fraction_of_matmul": flops / wall / 1e9 / matmul_gflops}


def bench_cnn(epochs: int, n: int | None, naive_images: int, clock: str) -> dict:
    X, y = mnist(flat=False, n=n)
    lib = cnn_model()
    ref = reference.cnn_init(8, np.random.default_rng(0))
    samples, medians = side_by_side({
        "course_lib": lambda e: lib_epoch(lib, X, y, 32, e),
        "reference": lambda e: reference_epoch(reference.cnn_step, ref, X, y, 32, e),
    }, epochs, clock)

    # The naive loops: conv and pool forward and backward, one image at a time (float64,
    # as the classic code runs), against the vectorised layers on a batch of 32.
    conv = lib.layers[0]
    W, b = conv.params["W"].astype(np.float64), conv.params["b"].astype(np.float64)
    images = X[:naive_images].astype(np.float64)

    def naive_one(x):
        out = conv3x3_forward_naive(x, W, b)
        pooled = maxpool2_forward_naive(out)
        d_out = maxpool2_backward_naive(out, np.ones_like(pooled))
        conv3x3_backward_naive(x, W, d_out)

    naive_samples = []
    for i in range(naive_images):
        start = time.perf_counter()
        naive_one(images[i:i + 1])
        naive_samples.append(time.perf_counter() - start)

    vec_conv, vec_pool = Conv3x3(8, rng=0), MaxPool2()
    batch = X[:32].astype(np.float64)

    def vectorised_batch():
        pooled = vec_pool.forward(vec_conv.forward(batch))
        vec_conv.backward(vec_pool.backward(np.ones_like(pooled)))

    vec_per_image = [s / 32 for s in time_repeated(vectorised_batch, 7, 20)]
    return {"images": len(X), "seconds_per_epoch": samples,
            "ratio": medians["course_lib"] / medians["reference"],
            "conv_pool_seconds_per_image": {"naive": summarize(naive_samples),
                                            "vectorised_batch32": summarize(vec_per_image)},
            "conv_speedup": statistics.median(naive_samples) / statistics.median(vec_per_image)}


def bench_autograd(epochs: int, clock: str) -> dict:
    """Lesson 07: the digits MLP trained by the recorded graph against the per-op Sequential.

    Both sides start from the same weights and take the same batches and the same
    momentum update (the lesson's recipe), so only the way the gradient is computed
    differs: lesson 01's layers chained by hand, or the same layers as graph nodes.
    """
    X, y = load_digits()
    std = X.std(axis=0)
    X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    init = np.random.default_rng(0)
    model = Sequential([Dense(64, 89, init="glorot", rng=init), Tanh(),
                        Dense(89, 10, init="glorot", rng=init)])
    optimizer, loss_fn = SGD(0.05, momentum=0.9), SoftmaxCrossEntropyLoss()
    params = [Tensor(layer.params[k].copy(), requires_grad=True)
              for layer in (model.layers[0], model.layers[2]) for k in ("W", "b")]
    velocity = [np.zeros_like(p.data) for p in params]

    def batches(seed: int):
        order = np.random.default_rng(seed).permutation(len(X))
        return [(X[order[i:i + 32]], y[order[i:i + 32]]) for i in range(0, len(X), 32)]

    def sequential_epoch(seed: int) -> dict:
        data = batches(seed)
        with Clock() as c:
            for xb, yb in data:
                loss_fn.forward(model.forward(xb), yb)
                model.backward(loss_fn.backward())
                optimizer.step(model)
        return c.seconds

    def autograd_epoch(seed: int) -> dict:
        data = batches(seed)
        W1, b1, W2, b2 = params
        with Clock() as c:
            for xb, yb in data:
                loss = softmax_cross_entropy((Tensor(xb) @ W1 + b1).tanh() @ W2 + b2, yb)
                for p in params:
                    p.grad = None
                loss.backward()
                with no_grad():
                    for p, v in zip(params, velocity):
                        v *= 0.9
                        v -= 0.05 * p.grad
                        p.data += v
        return c.seconds

    samples, medians = side_by_side({"Sequential": sequential_epoch,
                                     "autograd": autograd_epoch}, epochs, clock)
    return {"images": len(X), "seconds_per_epoch": samples,
            "ratio": medians["autograd"] / medians["Sequential"]}


LSTM_SIZES = (VOCAB_SIZE, 16, 64)  # vocabulary, embedding, hidden: lesson 09's LSTM


def word_batches(n: int | None, batch: int = 128) -> list[tuple[np.ndarray, ...]]:
    """Lesson 09's training words as (inputs, targets, mask) batches of similar length."""
    words = split_words(load_words(), seed=0)[0][:n]
    rng = np.random.default_rng(0)
    order = sorted(range(len(words)), key=lambda i: (len(words[i]), rng.random()))
    return [encode_words([words[i] for i in order[k:k + batch]])
            for k in range(0, len(order), batch)]


def lstm_model() -> Sequential:
    V, E, H = LSTM_SIZES
    return Sequential([Embedding(V, E, rng=0, dtype=np.float32),
                       LSTM(E, H, rng=1, dtype=np.float32),
                       TimeDense(H, V, rng=2, dtype=np.float32)])


def lstm_lib_epoch(model: Sequential, batches: list) -> dict:
    """One epoch of course_lib's layers and loss, with SGD (the loop the lesson writes)."""
    loss, opt = SequenceCrossEntropyLoss(), SGD(LR)
    with Clock() as clock:
        for x, y, mask in batches:
            loss.forward(model.forward(x), y, mask)
            model.backward(loss.backward(), input_grad=False)
            opt.step(model)
    return clock.seconds


def lstm_reference_epoch(params: list, batches: list) -> dict:
    with Clock() as clock:
        for x, y, mask in batches:
            reference.lstm_step(params, x, y, mask, LR)
    return clock.seconds


def bench_lstm(epochs: int, n: int | None, clock: str) -> dict:
    batches = word_batches(n)
    lib = lstm_model()
    ref = reference.lstm_init(*LSTM_SIZES, np.random.default_rng(0))
    samples, medians = side_by_side({
        "course_lib": lambda e: lstm_lib_epoch(lib, batches),
        "reference": lambda e: lstm_reference_epoch(ref, batches),
    }, epochs, clock)
    steps = len(batches)
    return {"words": sum(len(b[0]) for b in batches), "steps": steps,
            "seconds_per_epoch": samples,
            "ms_per_step": {name: 1000 * m / steps for name, m in medians.items()},
            "ratio": medians["course_lib"] / medians["reference"]}


TRANSFORMER = {"dim": 48, "heads": 4, "blocks": 2, "batch": 64}


def transformer_model(max_len: int) -> Sequential:
    """Lesson 10's model, drawn from one generator in the order reference.transformer_init draws."""
    rng = np.random.default_rng(0)
    D = TRANSFORMER["dim"]
    layers = [Embedding(VOCAB_SIZE, D, rng=rng), PositionalEmbedding(max_len, D, rng=rng)]
    layers += [TransformerBlock(D, TRANSFORMER["heads"], causal=True, rng=rng)
               for _ in range(TRANSFORMER["blocks"])]
    layers += [LayerNorm(D), TimeDense(D, VOCAB_SIZE, rng=rng)]
    return Sequential(layers).astype(np.float32)


def transformer_batches(n_words: int) -> tuple[list, int]:
    """The first n_words training words (lesson 10's split) as encoded batches of 64, and T_max."""
    train, val, test = split_words(load_words())
    max_len = max(len(w) for w in train + val + test) + 1
    words, b = train[:n_words], TRANSFORMER["batch"]
    return [encode_words(words[i:i + b]) for i in range(0, len(words) - b + 1, b)], max_len


def transformer_lib_epoch(model: Sequential, batches: list, seed: int) -> dict:
    """One epoch of course_lib: forward, masked loss, backward, SGD; batches in a seeded order."""
    loss, optimizer = SequenceCrossEntropyLoss(), SGD(LR)
    with Clock() as clock:
        for i in np.random.default_rng(seed).permutation(len(batches)):
            x, y, m = batches[i]
            loss.forward(model.forward(x), y, m)
            model.backward(loss.backward(), input_grad=False)
            optimizer.step(model)
    return clock.seconds


def transformer_reference_epoch(params: list, batches: list, seed: int) -> dict:
    with Clock() as clock:
        for i in np.random.default_rng(seed).permutation(len(batches)):
            x, y, m = batches[i]
            reference.transformer_step(params, x, y, m, TRANSFORMER["heads"], LR)
    return clock.seconds


def torch_attention_step() -> dict | None:
    """benchmarks/torch_attention.py in .venv-ref (PyTorch), or None where there is none."""
    python = ROOT / ".venv-ref" / "bin" / "python"
    if not python.exists():
        return None
    result = subprocess.run([str(python), str(ROOT / "benchmarks" / "torch_attention.py")],
                            cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        return {"error": result.stderr.strip().splitlines()[-1:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def bench_transformer(epochs: int, n_words: int, clock: str) -> dict:
    batches, max_len = transformer_batches(n_words)
    lib = transformer_model(max_len)
    ref = reference.transformer_init(VOCAB_SIZE, TRANSFORMER["dim"], TRANSFORMER["heads"],
                                     TRANSFORMER["blocks"], max_len, np.random.default_rng(0))
    samples, medians = side_by_side({
        "course_lib": lambda e: transformer_lib_epoch(lib, batches, e),
        "reference": lambda e: transformer_reference_epoch(ref, batches, e),
    }, epochs, clock)
    return {"words": len(batches) * TRANSFORMER["batch"], "seconds_per_epoch": samples,
            "ratio": medians["course_lib"] / medians["reference"],
            "torch_attention": torch_attention_step()}


def profile_epochs(n: int) -> dict[str, str]:
    """cProfile's top functions (own time) of one course_lib epoch of the MLP and of the CNN."""
    out = {}
    for name, model, flat, batch in (("mlp", mlp_model(np.float32), True, 64),
                                     ("cnn", cnn_model(), False, 32),
                                     ("lenet", lenet_model(), False, 64)):
        X, y = mnist(flat=flat, n=n)
        lib_epoch(model, X, y, batch, 0)
        profiler = cProfile.Profile()
        profiler.enable()
        lib_epoch(model, X, y, batch, 1)
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("tottime").print_stats(12)
        out[name] = text.getvalue()
    return out


def bench_notebooks(folder: Path) -> dict:
    """Wall time of strict `pytest --nbval` on each notebook in ``folder``, one at a time."""
    times = {}
    for nb in sorted(folder.glob("*.ipynb")):
        start, cpu = time.perf_counter(), os.times()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
             "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "nbval_sanitize.cfg"),
             str(nb.resolve())], cwd=ROOT, capture_output=True, text=True)
        end = os.times()  # pytest and its kernel, waited for: CPU time, less load-dependent
        times[nb.name] = {"seconds": time.perf_counter() - start,
                          "cpu_seconds": (end.children_user + end.children_system)
                          - (cpu.children_user + cpu.children_system),
                          "passed": result.returncode == 0}
    return {"notebooks": times, "total_seconds": sum(t["seconds"] for t in times.values())}


def fmt(stats: dict, unit: str = "s", digits: int = 3) -> str:
    return (f"{stats['median']:.{digits}g} {unit} (min {stats['min']:.{digits}g}, "
            f"max {stats['max']:.{digits}g}, n={stats['n']})")


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def epoch_lines(seconds_per_epoch: dict) -> list[str]:
    """The report's lines for one section's epochs: wall and CPU seconds of each contender."""
    lines = []
    for name, stats in seconds_per_epoch.items():
        lines.append(f"   {name:<38} wall {fmt(stats['wall'])}")
        lines.append(f"   {'':<38} CPU  {fmt(stats['cpu'])}")
    return lines


def report(r: dict) -> str:
    mm32, mm64 = r["matmul"]["float32"], r["matmul"]["float64"]
    lines = [
        "Benchmark of the course's code",
        "NOTE: machines are shared and noisy; medians over several epochs, with min-max.",
        f"machine: {r['machine']['cpu_count']} cores, {r['machine']['platform']}, "
        f"numpy {r['machine']['numpy']}",
        "BLAS: " + ", ".join(f"{b['library']} {b['version']} ({b['kernel']})"
                             for b in r["machine"]["blas"])
        + f"; {r['threads']} thread(s) for sections 1-7, on both sides; ratios by "
          f"{r['clock']} time",
        "",
        "1. Matrix multiply (64x784 @ 784x500), the machine's limit",
        f"   float32: {fmt(mm32['gflops'], 'GFLOP/s')}",
        f"   float64: {fmt(mm64['gflops'], 'GFLOP/s')}",
    ]
    for key, title in (("mlp", "2. MLP 784-500-250-100-10, ReLU, batch 64, SGD, float32 input"),
                       ("cnn", "3. CNN Conv3x3(8) -> MaxPool2 -> Dense(1352, 10), batch 32, "
                               "float32"),
                       ("lenet", "4. Lesson 08's LeNet-style Conv2d(1, 16, 5) ... Dense(128, 10), "
                                 "batch 64, SGD, float32")):
        m = r[key]
        lines += ["", f"{title}: one epoch of {m['images']:,} images"]
        lines += epoch_lines(m["seconds_per_epoch"])
        goal = GOALS[f"{key}_ratio"]
        lines.append(f"   course_lib / reference ({r['clock']} time): {m['ratio']:.2f}x  "
                     f"[goal <= {goal}x: {verdict(m['ratio'] <= goal)}]")
        if key == "mlp":
            lines.append(f"   float64 Dense fed float32 / reference: "
                         f"{m['ratio_float64_dense']:.2f}x  [goal: no cost, as float32]")
            lines.append(f"   course_lib: {m['gflops']:.1f} GFLOP/s = "
                         f"{m['fraction_of_matmul']:.0%} of the float32 matmul")
        if key == "cnn":
            c = r["cnn"]
            lines += [
                f"   conv+pool forward+backward per image, naive loops: "
                f"{fmt(c['conv_pool_seconds_per_image']['naive'])}",
                f"   conv+pool forward+backward per image, vectorised (batch 32): "
                f"{fmt(c['conv_pool_seconds_per_image']['vectorised_batch32'])}",
                f"   speed-up {c['conv_speedup']:.0f}x  [goal >= {GOALS['conv_speedup']:.0f}x: "
                f"{verdict(c['conv_speedup'] >= GOALS['conv_speedup'])}]",
            ]
    a = r["autograd"]
    lines += ["", f"5. Lesson 07: digits MLP 64-89-10 tanh, batch 32, float64, one epoch of "
                  f"{a['images']:,} images"]
    lines += epoch_lines(a["seconds_per_epoch"])
    lines.append(f"   autograd / Sequential ({r['clock']} time): {a['ratio']:.2f}x  "
                 f"[goal <= {GOALS['autograd_ratio']}x: "
                 f"{verdict(a['ratio'] <= GOALS['autograd_ratio'])}]")
    if "lstm" in r:
        m = r["lstm"]
        lines += ["", f"6. Character LSTM Embedding(27, 16) -> LSTM(16, 64) -> TimeDense(64, 27), "
                      f"SGD, float32: one epoch of {m['words']:,} words in {m['steps']} "
                      f"batches of 128"]
        lines += epoch_lines(m["seconds_per_epoch"])
        lines.append(f"   per training step ({r['clock']} time): " + ", ".join(
            f"{name} {ms:.2f} ms" for name, ms in m["ms_per_step"].items()))
        goal = GOALS["lstm_ratio"]
        lines.append(f"   course_lib / reference ({r['clock']} time): {m['ratio']:.2f}x  "
                     f"[goal <= {goal}x: {verdict(m['ratio'] <= goal)}]")
    t = r["transformer"]
    lines += ["", f"7. Lesson 10's transformer (D {TRANSFORMER['dim']}, {TRANSFORMER['heads']} "
                  f"heads, {TRANSFORMER['blocks']} blocks, batch {TRANSFORMER['batch']} words, "
                  f"float32, SGD): one epoch of {t['words']:,} words"]
    lines += epoch_lines(t["seconds_per_epoch"])
    goal = GOALS["transformer_ratio"]
    lines.append(f"   course_lib / reference ({r['clock']} time): {t['ratio']:.2f}x  "
                 f"[goal <= {goal}x: {verdict(t['ratio'] <= goal)}]")
    ta = t["torch_attention"]
    if ta is None:
        lines.append("   causal attention step vs PyTorch-CPU: skipped (no .venv-ref: "
                     "`make test-independent` creates it)")
    elif "error" in ta:
        lines.append(f"   causal attention step vs PyTorch-CPU: failed: {ta['error']}")
    else:
        lines.append(f"   causal attention step {tuple(ta['shape'])}, {ta['heads']} heads, "
                     f"forward + backward, CPU time: course_lib {ta['course_lib_ms']:.2f} ms, "
                     f"torch {ta['torch']} {ta['torch_ms']:.2f} ms: {ta['ratio']:.2f}x  "
                     f"[aim <= {GOALS['attention_vs_torch']}x: "
                     f"{verdict(ta['ratio'] <= GOALS['attention_vs_torch'])}]")
    if "course" in r:
        lines += ["", "8. The course: each notebook under strict nbval, one at a time"]
        for name, t in r["course"]["notebooks"].items():
            goal = GOALS["notebook_seconds"].get(name)
            note = (f"  [goal <= {goal:.0f} s: {verdict(t['seconds'] <= goal)}]"
                    if goal else "")
            lines.append(f"   {name:<36} {t['seconds']:6.1f} s  (CPU {t['cpu_seconds']:6.1f} "
                         f"s)  {'passed' if t['passed'] else 'FAILED'}{note}")
        total = r["course"]["total_seconds"]
        cpu = sum(t["cpu_seconds"] for t in r["course"]["notebooks"].values())
        lines.append(f"   {'total':<36} {total:6.1f} s  (CPU {cpu:6.1f} s)  [goal <= "
                     f"{GOALS['course_seconds']:.0f} s: "
                     f"{verdict(total <= GOALS['course_seconds'])}]")
    for name, text in r.get("profile", {}).items():
        lines += ["", f"Profile of one course_lib epoch ({name}, "
                      f"{r['profile_images']:,} images), by own time:", text.rstrip()]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="6,000 images and fewer repeats: a smoke test, not a measurement")
    parser.add_argument("--skip-notebooks", action="store_true")
    parser.add_argument("--notebook-dir", type=Path, default=ROOT / "notebooks",
                        help="the notebooks to time (default notebooks/)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads for the matmul, MLP and CNN timings (default 1)")
    parser.add_argument("--epochs", type=int, default=3,
                        help="timed epochs per side (default 3; the median is reported)")
    parser.add_argument("--profile", action="store_true",
                        help="add cProfile's top functions of one MLP and one CNN epoch")
    parser.add_argument("--out", default=str(ROOT / "build" / "bench.json"))
    args = parser.parse_args()
    n = 6000 if args.quick else None
    repeats, epochs = (3, 1) if args.quick else (7, args.epochs)

    with threadpool_limits(args.threads, user_api="blas"):
        results = {"machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                               "numpy": np.__version__, "blas": blas_info()},
                   "threads": args.threads, "goals": GOALS, "quick": args.quick}
        results["matmul"] = {dt.__name__: bench_matmul(dt, repeats)
                             for dt in (np.float32, np.float64)}
        limit = results["matmul"]["float32"]["gflops"]["median"]
        results["clock"] = clock = "cpu" if args.threads == 1 else "wall"
        results["mlp"] = bench_mlp(epochs, n, limit, clock)
        results["cnn"] = bench_cnn(epochs, n, 3 if args.quick else 5, clock)
        results["lenet"] = bench_lenet(epochs, n, clock)
        results["autograd"] = bench_autograd(3 if args.quick else max(epochs, 5), clock)
        results["lstm"] = bench_lstm(epochs, 6400 if args.quick else None, clock)
        results["transformer"] = bench_transformer(epochs, 3200 if args.quick else 12800, clock)
        if args.profile:
            results["profile_images"] = 6000 if args.quick else 12800
            results["profile"] = profile_epochs(results["profile_images"])
    if not args.skip_notebooks:
        results["course"] = bench_notebooks(args.notebook_dir)

    print(report(results))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
