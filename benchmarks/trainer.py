"""Ensemble trainer speed: FLOP rate vs a plain large matmul, and vs a sequential loop.

Run: ``.venv/bin/python -m benchmarks.trainer``. Per-step time: the median interval between
consecutive training steps of one run (progress callback), so building the nets, recording and
the final evaluation are not counted.
"""

from __future__ import annotations

import itertools
import statistics
import time

import torch
import torch.nn.functional as F

from depthscope.data import load
from depthscope.nets import build
from depthscope.train import RunConfig, batch_schedule, train_ensemble


def _seconds_per_step(configs: list[RunConfig], steps: int, data) -> float:
    """Median time between consecutive steps of one training run (record steps excluded)."""
    cfgs = [c.model_copy(update={"steps": steps + 2, "record_every": steps + 2})
            for c in configs]
    train_ensemble([c.model_copy(update={"steps": 2}) for c in cfgs], data)  # warm-up
    ends: list[float] = []
    train_ensemble(cfgs, data, progress=lambda _: ends.append(time.perf_counter()))
    # steps 0 and steps+1 record (step 0 ends at ends[0]); the steps between do not
    return statistics.median(b - a for a, b in itertools.pairwise(ends[:-1]))


def matmul_flops(n: int = 2048, repeats: int = 10) -> float:
    """Best FLOP rate of an ``n × n @ n × n`` float32 matmul."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = min(_timed(lambda: torch.mm(a, b)) for _ in range(repeats))
    return 2 * n**3 / best


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def trainer_flops(m: int = 32, depth: int = 20, width: int = 256, batch: int = 128,
                  steps: int = 16) -> float:
    """FLOP rate of the trainer's matmuls (forward, weight and input gradients)."""
    data = load("digits")
    configs = [RunConfig(depth=depth, width=width, batch_size=batch, seed=i, lr=1e-3)
               for i in range(m)]
    sizes = [data.in_features] + [width] * depth + [data.num_classes]
    macs = sum(a * b for a, b in itertools.pairwise(sizes))
    flops = 2 * m * batch * (3 * macs - sizes[0] * sizes[1])  # no input gradient for layer 0
    return flops / _seconds_per_step(configs, steps, data)


def sequential_seconds_per_step(configs: list[RunConfig], data, steps: int) -> float:
    """The plain loop: one nn.Sequential and one torch.optim.SGD per config."""
    start = time.perf_counter()
    for cfg in configs:
        net = build(cfg.mlp_spec(data.in_features, data.num_classes), seed=cfg.seed)
        opt = torch.optim.SGD(net.parameters(), lr=cfg.lr)
        batches = batch_schedule([cfg.seed], len(data.train), cfg.batch_size)
        for _ in range(steps):
            idx = next(batches)[0]
            loss = F.cross_entropy(net(data.train.X[idx]), data.train.y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return (time.perf_counter() - start) / steps


def small_speedup(m: int = 128, depth: int = 10, width: int = 32, batch: int = 64,
                  steps: int = 10) -> tuple[float, float]:
    data = load("digits")
    configs = [RunConfig(depth=depth, width=width, batch_size=batch, seed=i, lr=0.01)
               for i in range(m)]
    ours = _seconds_per_step(configs, steps, data)
    theirs = sequential_seconds_per_step(configs, data, steps)
    return ours, theirs


def main() -> None:
    print(f"torch threads: {torch.get_num_threads()}")
    print(f"{'measure':<52} {'value':>12}")
    before = matmul_flops()
    rate = trainer_flops()
    peak = max(before, matmul_flops())  # the best of both, measured around the trainer
    print(f"{'plain 2048^3 matmul (GFLOP/s)':<52} {peak / 1e9:>12.1f}", flush=True)
    print(f"{'trainer M=32 depth 20 width 256 batch 128 (GFLOP/s)':<52} {rate / 1e9:>12.1f}")
    print(f"{'  ratio trainer / matmul (target >= 0.60)':<52} {rate / peak:>12.2f}", flush=True)
    ours, theirs = small_speedup()
    print(f"{'sequential loop, M=128 width 32 depth 10 (ms/step)':<52} {theirs * 1e3:>12.1f}")
    print(f"{'trainer, same (ms/step)':<52} {ours * 1e3:>12.1f}")
    print(f"{'  speed-up trainer vs sequential (target >= 5)':<52} {theirs / ours:>12.1f}")


if __name__ == "__main__":
    main()
