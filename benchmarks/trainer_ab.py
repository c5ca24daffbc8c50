"""Trainer speed of two commits side by side: old and new code in alternating processes.

For a change that must not move any number, one process cannot hold both versions: each
round runs one process per side, the order alternating from round to round, at the study's
shape (M = 32, depth 16, width 32, batch 64) and 1 torch thread, for tanh and logsig: the
median ms per non-recording step (``benchmarks.trainer.seconds_per_step``), its ratio to the
2048³ matmul timed in the same process, and the seconds of a whole 200-step run with a record
every 30 (records and final evaluation included). Printed per measure: each side's median and
the paired ratio new/old, the median over rounds with its 95 % bootstrap interval. Without a
commit (``make bench``) it compares HEAD with the working tree: on a clean tree, an A/A control.
Run: ``python -m benchmarks.trainer_ab [OLD_REV] [--rounds 6]`` (new: the working tree).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from benchmarks import ratio_text

ROOT = Path(__file__).resolve().parents[1]
ACTIVATIONS = ("tanh", "logsig")
MEASURES = ("ms/step", "ratio to matmul", "200 steps + records (s)")


def measure() -> dict[str, dict[str, float]]:
    """One side's numbers (this process, 1 torch thread)."""
    from benchmarks.trainer import STUDY, _configs, matmul_seconds, seconds_per_step, step_flops
    from depthscope.data import load
    from depthscope.train import train_ensemble

    torch.set_num_threads(1)
    data = load("digits", n=1500)
    out = {}
    for act in ACTIVATIONS:
        configs = _configs(32, act, STUDY, 200)
        train_ensemble([c.model_copy(update={"steps": 3}) for c in configs], data)  # kernels
        rate = 2 * 2048**3 / matmul_seconds()
        step = seconds_per_step(configs, data, 100)
        whole = [c.model_copy(update={"record_every": 30}) for c in configs]
        start = time.perf_counter()
        train_ensemble(whole, data)
        out[act] = dict(zip(MEASURES, (step * 1e3, step_flops(configs, data) / step / rate,
                                       time.perf_counter() - start), strict=True))
    return out


def side(src: Path) -> dict[str, dict[str, float]]:
    """:func:`measure` in a new process importing depthscope from ``src``."""
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{ROOT}"}
    done = subprocess.run([sys.executable, "-m", "benchmarks.trainer_ab", "--one"], env=env,
                          cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", nargs="?", default="HEAD",
                        help="the commit to compare the working tree with (default HEAD)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure()))
        return
    from depthscope.provenance import cpu_model

    runs: dict[str, list[dict[str, dict[str, float]]]] = {"old": [], "new": []}
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree),
                        args.old], check=True)
        try:
            for r in range(args.rounds):
                for name in ("old", "new") if r % 2 == 0 else ("new", "old"):
                    runs[name].append(side(tree / "src" if name == "old" else ROOT / "src"))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(tree)], check=True)
    print(f"{args.old} (old) vs the working tree (new), {args.rounds} alternating rounds, "
          f"1 thread; {cpu_model()} ({torch.backends.cpu.get_cpu_capability()})")
    for act in ACTIVATIONS:
        for what in MEASURES:
            values = {name: [run[act][what] for run in runs[name]] for name in runs}
            print(f"{act:<7} {what:<24} old {statistics.median(values['old']):8.3f}  new "
                  f"{statistics.median(values['new']):8.3f}  new/old "
                  f"{ratio_text(values, 'new', 'old', 3)}")


if __name__ == "__main__":
    main()
