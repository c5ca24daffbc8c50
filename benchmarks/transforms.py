"""DKS (Martens et al. 2021) against DeepMind's own package: solve time and agreement.

For every activation both support and MLP depths 10, 50 and 100, DeepMind's
``dks.pytorch.activation_transform.get_transformed_activations`` (``dks==0.1.2``, extra
``bench``) and ``depthscope.theory.dks_transform`` solve the same transform, side by side in
one process: rounds interleaved, each round's order reversed from the last. Time: the median
of each call's seconds; the ratio dks / depthscope is the median of the per-round ratios with
its 95 % bootstrap interval. Agreement: the largest difference of the two transformed
functions on x in [-3, 3] (a point-symmetric activation's mirror ``-f(-x)`` solves the same
equations and counts as the same solution). TAT is left out: dks's TAT solver takes about a
minute per depth. Run: ``python -m benchmarks.transforms [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

from benchmarks import ratio_text
from depthscope.provenance import cpu_model
from depthscope.theory import dks_transform
from depthscope.theory.shaping import DKS_PACKAGE_NAMES

DEPTHS = (10, 50, 100)
X = np.linspace(-3.0, 3.0, 61)


def _mlp(depth: int):
    def subnet_max(x, r):  # dks's description of a network: the MLP's maximal C-map
        for _ in range(depth):
            x = r(x)
        return x

    return subnet_max


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    console = Console()
    try:
        from dks.pytorch.activation_transform import get_transformed_activations
    except ImportError as err:
        console.print(f"dks is not installed ({err}); pip install -e '.[bench]'")
        return
    warnings.simplefilter("ignore", RuntimeWarning)  # dks's own cosh overflows
    table = Table(title=f"DKS transform: dks==0.1.2 against depthscope, {cpu_model()} "
                        f"({torch.backends.cpu.get_cpu_capability()})")
    for column in ("activation", "depth", "dks ms", "depthscope ms",
                   "dks / depthscope (95 % CI)", "max |Δf| on [-3, 3]"):
        table.add_column(column, justify="left" if column == "activation" else "right")
    x = torch.tensor(X, dtype=torch.float64)
    for depth in DEPTHS:
        for ours, theirs in DKS_PACKAGE_NAMES.items():
            times: dict[str, list[float]] = {"dks": [], "depthscope": []}
            results: dict[str, object] = {}

            def call_dks(theirs: str = theirs, depth: int = depth) -> object:
                return get_transformed_activations([theirs], method="DKS",
                                                   subnet_max_func=_mlp(depth))[theirs]

            def call_ours(ours: str = ours, depth: int = depth) -> object:
                return dks_transform(ours, depth)

            calls = {"dks": call_dks, "depthscope": call_ours}
            for r in range(args.rounds):
                for name in (list(calls) if r % 2 == 0 else list(calls)[::-1]):
                    start = time.perf_counter()
                    results[name] = calls[name]()
                    times[name].append(time.perf_counter() - start)
            theirs_f = results["dks"](x).numpy()  # type: ignore[operator]
            ours_f = results["depthscope"].activation.phi(X)  # type: ignore[attr-defined]
            diff = min(np.abs(theirs_f - ours_f).max(),
                       np.abs(theirs_f + ours_f[::-1]).max())  # the mirror -f(-x)
            table.add_row(ours, str(depth), f"{statistics.median(times['dks']) * 1e3:.0f}",
                          f"{statistics.median(times['depthscope']) * 1e3:.0f}",
                          ratio_text(times, "dks", "depthscope", 1), f"{diff:.1e}")
    console.print(table)
    console.print("sigmoid: dks's root breaks its own guard (alpha·gamma < 2 is tested on "
                  "sigmoid, not on the transformed function), so it may be another of the "
                  "equations' roots; the suite compares invariants there "
                  "(tests/theory/test_theory_shaping.py).", highlight=False)


if __name__ == "__main__":
    main()
