"""Forward + backward time of every activation relative to ``torch.relu`` (issue 2).

For each activation on ``2^24`` float32 values: ``y = phi(x)``, then ``dy/dx`` for a fixed
upstream gradient via ``torch.autograd.grad``. Three implementations, each timed side by
side with ``torch.relu`` in the same process (warmed up, then rounds that run relu and the
candidates in turn; ratio of the median times). All fused kernels share one rotation, so each
sees the same ReLU baseline; eager and naive are timed apart (their temporaries disturb):

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
    print(f"forward+backward on 2^24 float32, {torch.get_num_threads()} threads, time / "
          f"torch.relu; fused: {args.reps} rounds of relu and every fused activation in turn",
          flush=True)
    firsts: dict[str, float] = {}
    slow: dict[str, dict[str, float]] = {}
    fused: dict[str, Step] = {}
    for name in chosen:  # compile, and time the slow forms (apart: their temporaries disturb)
        act = get(name)
        firsts[name] = first_call(name)
        fn = lambda t, a=act: F.activation(t, a)
        fused[name] = _step(fn, x, g, "compiled")
        forms = {"eager": _step(fn, x, g, "eager")}
        if not args.no_naive:
            forms["naive"] = _step(act.phi, x, g)
        slow[name] = ratios(forms, relu, max(3, args.reps // 3))[0]
    # one rotation for all fused kernels: every activation sees the same ReLU baseline
    median, best = ratios(fused, relu, args.reps)
    print("fused/eager/naive: median time / median relu time; 'best': min time / min relu time")
    print(f"{'activation':16s} {'fused':>6s} {'best':>6s} {'eager':>6s} {'naive':>6s} "
          f"{'first s':>8s}")
    for name in chosen:
        naive = f"{slow[name]['naive']:6.2f}" if "naive" in slow[name] else "     -"
        print(f"{name:16s} {median[name]:6.2f} {best[name]:6.2f} {slow[name]['eager']:6.2f} "
              f"{naive} {firsts[name]:8.2f}")
    print(f"worst fused ratio: median {max(median.values()):.2f}, best {max(best.values()):.2f}"
          " (target <= 1.30)", flush=True)
    if not args.no_subprocess:
        with tempfile.TemporaryDirectory() as cache:
            cold = _subprocess_first_call("logsig", cache)
            warm = _subprocess_first_call("logsig", cache)
        print(f"first call in a fresh process (logsig): cold cache {cold:.2f} s, "
              f"warm cache {warm:.2f} s (target < 5 s)")


if __name__ == "__main__":
    main()
