"""How fast is the course's code? `make bench` runs this; it is not part of `make test`.

Measures, on this machine:

1. the limit: float32/float64 matrix-multiply GFLOP/s at the MLP's shapes, and the BLAS threads;
2. the MLP 784-500-250-100-10 (ReLU, batch 64, softmax cross-entropy, SGD): seconds per epoch
   on full MNIST and the achieved GFLOP/s as a fraction of the matrix-multiply figure;
3. the CNN Conv3x3(8) -> MaxPool2 -> Dense(1352, 10) (batch 32): seconds per epoch and per
   image, against the naive loop version per image;
4. the whole course: wall time to execute each notebook under nbval, and in total.

Prints a table and writes it as JSON to build/bench.json. Targets are reported, never
enforced: shared machines are noisy, so read medians and the min-max spread.

Usage: python benchmarks/bench.py [--quick] [--skip-notebooks] [--out build/bench.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

from course_lib.data import load_mnist
from course_lib.layers import Conv3x3, Dense, Flatten, MaxPool2, ReLU
from course_lib.losses import SoftmaxCrossEntropyLoss
from course_lib.model import Sequential
from course_lib.naive import (conv3x3_backward_naive, conv3x3_forward_naive,
                              maxpool2_backward_naive, maxpool2_forward_naive)
from course_lib.optim import SGD

ROOT = Path(__file__).resolve().parent.parent
MLP_SIZES = (784, 500, 250, 100, 10)

TARGETS = {
    "mlp_fraction_of_matmul": 0.60,
    "conv_speedup": 100.0,
    "course_seconds": 300.0,
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


def mnist(dtype, flat: bool) -> tuple[np.ndarray, np.ndarray]:
    images, labels = load_mnist("train")
    X = images.astype(dtype) / dtype(255)
    return (X.reshape(len(X), -1) if flat else X[:, None]), labels


def epoch_seconds(model: Sequential, X: np.ndarray, y: np.ndarray, batch: int,
                  epochs: int) -> list[float]:
    """Seconds per training epoch (forward, loss, backward, SGD step on every batch)."""
    loss, optimizer = SoftmaxCrossEntropyLoss(), SGD(0.01)
    order = np.random.default_rng(0).permutation(len(X))
    samples = []
    for _ in range(epochs):
        start = time.perf_counter()
        for i in range(0, len(X), batch):
            idx = order[i:i + batch]
            loss.forward(model.forward(X[idx]), y[idx])
            model.backward(loss.backward())
            optimizer.step(model)
        samples.append(time.perf_counter() - start)
    return samples


def bench_mlp(dtype, epochs: int, n: int | None, matmul_gflops: float) -> dict:
    X, y = mnist(dtype, flat=True)
    X, y = X[:n], y[:n]
    rng = np.random.default_rng(0)
    layers = []
    for n_in, n_out in zip(MLP_SIZES[:-2], MLP_SIZES[1:-1]):
        layers += [Dense(n_in, n_out, rng=rng), ReLU()]
    model = Sequential(layers + [Dense(MLP_SIZES[-2], MLP_SIZES[-1], rng=rng)]).astype(dtype)
    seconds = epoch_seconds(model, X, y, 64, epochs)
    # 2 FLOPs per weight in forward, 4 in backward (dx and dW); the first layer's dx
    # is computed too (course_lib does not skip it), so it counts.
    macs = sum(a * b for a, b in zip(MLP_SIZES[:-1], MLP_SIZES[1:]))
    flops_per_epoch = 6 * macs * len(X)
    achieved = flops_per_epoch / statistics.median(seconds) / 1e9
    return {"images": len(X), "seconds_per_epoch": summarize(seconds),
            "gflops": achieved, "fraction_of_matmul": achieved / matmul_gflops}


def bench_cnn(epochs: int, n: int | None, naive_images: int) -> dict:
    X, y = mnist(np.float32, flat=False)
    X, y = X[:n], y[:n]
    rng = np.random.default_rng(0)
    model = Sequential([Conv3x3(8, rng=rng), MaxPool2(), Flatten(),
                        Dense(1352, 10, rng=rng)]).astype(np.float32)
    seconds = epoch_seconds(model, X, y, 32, epochs)
    per_image = statistics.median(seconds) / len(X)

    # The naive loops: conv and pool forward and backward, one image at a time (float64,
    # as the classic code runs). The dense layer is the same matmul in both versions.
    conv = model.layers[0]
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
    return {"images": len(X), "seconds_per_epoch": summarize(seconds),
            "training_seconds_per_image": per_image,
            "conv_pool_seconds_per_image": {"naive": summarize(naive_samples),
                                            "vectorised_batch32": summarize(vec_per_image)},
            "conv_speedup": statistics.median(naive_samples) / statistics.median(vec_per_image)}


def bench_notebooks() -> dict:
    """Wall time of `pytest --nbval` on each notebook, one at a time."""
    times = {}
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
             "--nbval-current-env", "--nbval-sanitize-with", "nbval_sanitize.cfg",
             str(nb.relative_to(ROOT))], cwd=ROOT, capture_output=True, text=True)
        times[nb.name] = {"seconds": time.perf_counter() - start,
                          "passed": result.returncode == 0}
    return {"notebooks": times, "total_seconds": sum(t["seconds"] for t in times.values())}


def fmt(stats: dict, unit: str = "s", digits: int = 3) -> str:
    return (f"{stats['median']:.{digits}g} {unit} (min {stats['min']:.{digits}g}, "
            f"max {stats['max']:.{digits}g}, n={stats['n']})")


def report(r: dict) -> str:
    mm32, mm64 = r["matmul"]["float32"], r["matmul"]["float64"]
    lines = [
        "Benchmark of the course's code",
        "NOTE: machines are shared and noisy; medians over several runs, with min-max.",
        f"machine: {r['machine']['cpu_count']} cores, {r['machine']['platform']}, "
        f"numpy {r['machine']['numpy']}",
        "BLAS: " + ", ".join(f"{b['library']} {b['version']} ({b['kernel']}), {b['threads']} "
                             f"threads" for b in r["machine"]["blas"]),
        "",
        "1. Matrix multiply (64x784 @ 784x500), the machine's limit",
        f"   float32: {fmt(mm32['gflops'], 'GFLOP/s')}",
        f"   float64: {fmt(mm64['gflops'], 'GFLOP/s')}",
        "",
        "2. MLP 784-500-250-100-10, ReLU, batch 64, SGD, one epoch on MNIST",
    ]
    for dt in ("float32", "float64"):
        m = r["mlp"][dt]
        target = ""
        if dt == "float32":
            ok = m["fraction_of_matmul"] >= TARGETS["mlp_fraction_of_matmul"]
            target = (f"  [target >= {TARGETS['mlp_fraction_of_matmul']:.0%}: "
                      f"{'met' if ok else 'MISSED'}]")
        lines.append(f"   {dt}: {fmt(m['seconds_per_epoch'])} per epoch of {m['images']:,}; "
                     f"{m['gflops']:.1f} GFLOP/s = {m['fraction_of_matmul']:.0%} of matmul"
                     f"{target}")
    c = r["cnn"]
    ok = c["conv_speedup"] >= TARGETS["conv_speedup"]
    lines += [
        "",
        "3. CNN Conv3x3(8) -> MaxPool2 -> Dense(1352, 10), batch 32, float32",
        f"   epoch of {c['images']:,}: {fmt(c['seconds_per_epoch'])}; "
        f"{c['training_seconds_per_image'] * 1e6:.0f} us per image",
        f"   conv+pool forward+backward per image, naive loops: "
        f"{fmt(c['conv_pool_seconds_per_image']['naive'])}",
        f"   conv+pool forward+backward per image, vectorised (batch 32): "
        f"{fmt(c['conv_pool_seconds_per_image']['vectorised_batch32'])}",
        f"   speed-up {c['conv_speedup']:.0f}x  [target >= {TARGETS['conv_speedup']:.0f}x: "
        f"{'met' if ok else 'MISSED'}]",
    ]
    if "course" in r:
        lines += ["", "4. The whole course under nbval (one notebook at a time)"]
        for name, t in r["course"]["notebooks"].items():
            lines.append(f"   {name:<36} {t['seconds']:6.1f} s  "
                         f"{'passed' if t['passed'] else 'FAILED'}")
        total = r["course"]["total_seconds"]
        ok = total <= TARGETS["course_seconds"]
        lines.append(f"   {'total':<36} {total:6.1f} s  [target <= "
                     f"{TARGETS['course_seconds']:.0f} s: {'met' if ok else 'MISSED'}]")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats and 6,000 images: a smoke test, not a measurement")
    parser.add_argument("--skip-notebooks", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "build" / "bench.json"))
    args = parser.parse_args()
    n = 6000 if args.quick else None
    repeats, epochs = (3, 1) if args.quick else (7, 3)

    results = {"machine": {"cpu_count": __import__("os").cpu_count(),
                           "platform": platform.platform(), "numpy": np.__version__,
                           "blas": blas_info()},
               "targets": TARGETS, "quick": args.quick}
    results["matmul"] = {dt.__name__: bench_matmul(dt, repeats) for dt in (np.float32, np.float64)}
    results["mlp"] = {}
    for dt in (np.float32, np.float64):
        limit = results["matmul"][dt.__name__]["gflops"]["median"]
        results["mlp"][dt.__name__] = bench_mlp(dt, epochs, n, limit)
    results["cnn"] = bench_cnn(2 if not args.quick else 1, n, 3 if args.quick else 10)
    if not args.skip_notebooks:
        results["course"] = bench_notebooks()

    print(report(results))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
