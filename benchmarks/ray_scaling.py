"""What Ray workers buy: one real sweep (digits, 32 runs of 600 steps at width 64, 16 batches)
trained on a private local Ray cluster of 1 CPU and of 2 CPUs, and by the local executor with
1 and 2 worker processes for reference (worker start-up inside the sweep time: what a user
pays).

Each round trains every variant once into a fresh store (rounds interleaved, order rotating);
the cluster's start-up is timed apart from the sweep. The ratio of each variant to one Ray
CPU is the median of the per-round ratios with its 95 % bootstrap interval over rounds.
Run: ``python -m benchmarks.ray_scaling [--rounds 2] [--steps 600] [--max-batch 2]`` (extra
``ray``): more steps and bigger batches make the batches CPU-bound, fewer make start-up and
per-task costs visible.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks import ratio_text
from depthscope.sweep import run_sweep

SPEC = {"name": "ray-scaling", "dataset": "digits", "steps": 600, "width": 64,
        "grid": {"activations": ["tanh", "relu"], "depths": [2, 8], "seeds": list(range(8))}}


def _ray(cpus: int):
    from depthscope.sweep.ray_executor import RayExecutor

    return RayExecutor(num_cpus=cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=SPEC["steps"])
    parser.add_argument("--max-batch", type=int, default=2, help="runs per batch (task)")
    args = parser.parse_args()
    spec = SPEC | {"steps": args.steps}
    try:
        import ray  # noqa: F401
    except ImportError:
        Console().print("ray is not installed (extra 'ray'): nothing to measure")
        return
    variants = {"Ray, 1 CPU": ("ray", 1), "Ray, 2 CPUs": ("ray", 2),
                "local, 1 process": ("local", 1), "local, 2 processes": ("local", 2)}
    sweep: dict[str, list[float]] = {k: [] for k in variants}
    start: dict[str, list[float]] = {k: [] for k in variants}
    names = list(variants)
    for r in range(args.rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            kind, n = variants[name]
            with tempfile.TemporaryDirectory() as tmp:
                store = Path(tmp) / "r.sqlite"
                began = time.perf_counter()
                executor = _ray(n) if kind == "ray" else None
                if executor is not None:
                    executor.parallelism  # noqa: B018 - starts the cluster, timed apart
                ready = time.perf_counter()
                run_sweep(spec, store=store, executor=executor or "local", workers=n,
                          progress=False, max_batch=args.max_batch)
                sweep[name].append(time.perf_counter() - ready)
                start[name].append(ready - began)
                if executor is not None:
                    executor.close()
    runs = len(SPEC["grid"]["seeds"]) * 4  # type: ignore[arg-type]
    table = Table(title=f"{runs} runs of {args.steps} steps (digits, width {SPEC['width']}), "
                        f"{args.max_batch} per batch, {args.rounds} interleaved rounds")
    for col in ("executor", "start-up s", "sweep s", "time vs Ray 1 CPU (95 % CI)"):
        table.add_column(col, justify="left" if col == "executor" else "right")
    for name in variants:
        table.add_row(name, f"{statistics.median(start[name]):.1f}",
                      f"{statistics.median(sweep[name]):.1f}",
                      ratio_text(sweep, name, "Ray, 1 CPU"))
    Console().print(table)


if __name__ == "__main__":
    main()
