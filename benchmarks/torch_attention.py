"""A causal multi-head self-attention training step: course_lib against PyTorch (CPU).

Not part of the course's dependencies: run it with the scratch environment of
`make test-independent` (.venv-ref, which has torch); ``benchmarks/bench.py`` runs it
there when .venv-ref exists and reports the result. One thread on both sides, float32,
the lesson's shapes: forward and backward of ``MultiHeadSelfAttention(48, 4, causal=True)``
on (64, 16, 48), dL/dx and every parameter gradient, against the same computation in
PyTorch (``torch.nn.functional.scaled_dot_product_attention`` with ``is_causal=True``
inside the same projections, autograd for the backward). course_lib's layer runs as inside a
model (``values_checked``: no second scan of its input for NaN). Prints one JSON line.

Usage: .venv-ref/bin/python benchmarks/torch_attention.py [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from course_lib.layers import MultiHeadSelfAttention
from course_lib.validation import values_checked

N, T, D, H = 64, 16, 48, 4


def seconds_per_step(step, repeats: int, number: int = 50) -> list[float]:
    step()
    samples = []
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(number):
            step()
        samples.append((time.process_time() - start) / number)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    layer = MultiHeadSelfAttention(D, H, causal=True, rng=0, dtype=np.float32)
    x = rng.standard_normal((N, T, D)).astype(np.float32)
    g = rng.standard_normal((N, T, D)).astype(np.float32)

    def course_lib_step():
        # as inside a model's training step (Sequential, fit): the input was scanned for
        # NaN and inf where it entered the model, and the layer does not scan it again
        with values_checked():
            layer.forward(x)
            layer.backward(g)

    p = {k: torch.tensor(v, requires_grad=True) for k, v in layer.params.items()}
    tx, tg = torch.tensor(x, requires_grad=True), torch.tensor(g)

    def torch_step():
        for t in (tx, *p.values()):
            t.grad = None
        q, k, v = ((tx @ p[f"W{n}"] + p[f"b{n}"]).reshape(N, T, H, D // H).transpose(1, 2)
                   for n in "qkv")
        o = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        y = o.transpose(1, 2).reshape(N, T, D) @ p["Wo"] + p["bo"]
        y.backward(tg)

    with threadpool_limits(1, user_api="blas"):
        ours = seconds_per_step(course_lib_step, args.repeats)
        theirs = seconds_per_step(torch_step, args.repeats)
    result = {"shape": [N, T, D], "heads": H, "torch": torch.__version__,
              "course_lib_ms": 1e3 * statistics.median(ours),
              "torch_ms": 1e3 * statistics.median(theirs)}
    result["ratio"] = result["course_lib_ms"] / result["torch_ms"]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
