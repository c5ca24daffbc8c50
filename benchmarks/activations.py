"""Forward + backward time of every activation relative to ``torch.relu`` (issue 2).

For each activation on ``2^24`` float32 values: ``y = phi(x)``, then ``dy/dx`` for a fixed
upstream gradient via ``torch.autograd.grad``. Three implementations, each timed side by
side with ``torch.relu`` in the same process (warmed up, then rounds that run relu and the
candidate in turn; ratio of the median times; fused apart from eager and naive):

- ``fused``: ``depthscope.functional`` with compiled (Inductor) kernels;
- ``eager``: the same closed forms, uncompiled (the fallback);
- ``naive``: plain autograd through the formula (``act.phi(x)`` with ``requires_grad``).

``first`` is the first fused forward + backward in this process (tracing + Inductor, warm if
the Inductor cache already holds the kernels). ``cold``/``warm`` run one activation
in a fresh process with an empty, then the same (now warm) Inductor cache directory.

Run: ``python -m benchmarks.activations [--only logsig,gelu] [--reps 15] [--no-subprocess]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import torch

from depthscope.activations.timing import ratios

N = 1 << 24
Step = Callable[[], object]


def _step(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    g: torch.Tensor,
    backend: str | None = None,
) -> Step:
    """One forward + backward of ``f`` (under ``backend`` kernels if given)."""
    from depthscope.activations import kernels

    def step() -> object:
        previous = kernels.set_backend(backend) if backend else None
        try:
            return torch.autograd.grad(f(x), x, g)
        finally:
            if previous:
                kernels.set_backend(previous)

    return step


def first_call(name: str) -> float:
    """Seconds for the first fused forward + backward of ``name`` in this process."""
    import depthscope.functional as F

    x = torch.randn(N, requires_grad=True)
    g = torch.randn(N)
    t0 = time.perf_counter()
    torch.autograd.grad(F.activation(x, name), x, g)
    return time.perf_counter() - t0


def _subprocess_first_call(name: str, cache_dir: str) -> float:
    code = f"import benchmarks.activations as b; print(b.first_call({name!r}))"
    env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": cache_dir, "DEPTHSCOPE_KERNELS": "compiled"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    """Print the ratio table (and cold/warm first-call costs in fresh processes)."""
    import depthscope.functional as F
    from depthscope.activations import get, names

    parser = argparse.ArgumentParser(prog="python -m benchmarks.activations")
    parser.add_argument("--only", default="", help="comma-separated activation names")
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--no-naive", action="store_true", help="skip the slow naive column")
    parser.add_argument("--no-subprocess", action="store_true", help="skip cold/warm runs")
    args = parser.parse_args(argv)
    chosen = [n for n in args.only.split(",") if n] or names()

    F.set_backend("compiled")
    torch.manual_seed(0)
    x = torch.randn(N, requires_grad=True)  # (N,)
    g = torch.randn(N)  # (N,) upstream gradient
    relu = _step(torch.relu, x, g)
    print(f"forward+backward on 2^24 float32, {torch.get_num_threads()} threads, "
          f"time / torch.relu (fused: {args.reps} rounds, relu and fused in turn)", flush=True)
    print("fused/eager/naive: median time / median relu time; 'best': min time / min relu time")
    print(f"{'activation':16s} {'fused':>6s} {'best':>6s} {'eager':>6s} {'naive':>6s} "
          f"{'first s':>8s}")
    worst = worst_best = 0.0
    for name in chosen:
        act = get(name)
        first = first_call(name)
        fn = lambda t, a=act: F.activation(t, a)
        # fused apart from the slow eager/naive runs, whose temporaries disturb the timing
        r, best = ratios({"fused": _step(fn, x, g, "compiled")}, relu, args.reps)
        slow = {"eager": _step(fn, x, g, "eager")}
        if not args.no_naive:
            slow["naive"] = _step(act.phi, x, g)
        r.update(ratios(slow, relu, max(3, args.reps // 3))[0])
        worst, worst_best = max(worst, r["fused"]), max(worst_best, best["fused"])
        naive = f"{r['naive']:6.2f}" if "naive" in r else "     -"
        print(f"{name:16s} {r['fused']:6.2f} {best['fused']:6.2f} {r['eager']:6.2f} {naive} "
              f"{first:8.2f}", flush=True)
    print(f"worst fused ratio: median {worst:.2f}, best {worst_best:.2f} (target <= 1.30)")
    if not args.no_subprocess:
        with tempfile.TemporaryDirectory() as cache:
            cold = _subprocess_first_call("logsig", cache)
            warm = _subprocess_first_call("logsig", cache)
        print(f"first call in a fresh process (logsig): cold cache {cold:.2f} s, "
              f"warm cache {warm:.2f} s (target < 5 s)")


if __name__ == "__main__":
    main()
