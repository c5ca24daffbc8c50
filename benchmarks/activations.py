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

Beside every fused activation that torch has as a native op (``NATIVE``: forward and
backward both ATen kernels), the native op is timed in the same rotation: ``fused/native``.
Each ratio is the median over rounds of the within-round ratio, with its 95 % bootstrap
interval (a round times every step once, in a rotating order, so load changes cancel).

``--isa avx2|avx512`` runs the benchmark in a fresh process with ``ATEN_CPU_CAPABILITY`` set:
ATen's eager kernels (relu, the native ops) and Inductor's generated code (its vector ISA
follows that variable when ``cpp.simdlen`` is unset; the header line prints the ISA Inductor
picked and its vector width) both use that ISA. ``default`` keeps torch's own choice.

Run: ``python -m benchmarks.activations [--isa avx2] [--only logsig,gelu] [--reps 15]
[--no-subprocess]``.
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

from depthscope.activations.timing import ratios, rounds
from depthscope.provenance import cpu_model
from depthscope.study.stats import Interval, median_interval

N = 1 << 24
Step = Callable[[], object]
ISAS = ("default", "avx2", "avx512")
F_ = torch.nn.functional
# torch's own op for phi at depthscope's default parameters (autograd: one ATen kernel each way)
NATIVE: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "softplus": F_.softplus,
    "elu": F_.elu, "selu": F_.selu, "silu": F_.silu, "gelu": F_.gelu, "hardtanh": F_.hardtanh,
    "leaky_relu": F_.leaky_relu,
}


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


def isa_line() -> str:
    """The CPU, ATen's capability and the vector ISA Inductor generates code for."""
    from torch._inductor.cpu_vec_isa import pick_vec_isa

    isa = pick_vec_isa()
    width = isa.bit_width() if isa else 0
    return (f"CPU: {cpu_model()}; ATen capability {torch.backends.cpu.get_cpu_capability()}; "
            f"Inductor vector ISA {str(isa) or 'none'} ({width}-bit, {width // 32} float32 lanes)")


def _reexec_with_isa(isa: str, argv: list[str]) -> None:
    """Run this benchmark in a fresh process with ``ATEN_CPU_CAPABILITY=isa``."""
    env = {**os.environ, "ATEN_CPU_CAPABILITY": isa}
    rest = [a for i, a in enumerate(argv) if a != "--isa" and (i == 0 or argv[i - 1] != "--isa")]
    raise SystemExit(subprocess.call([sys.executable, "-m", "benchmarks.activations", *rest],
                                     env=env))


def _ratio(num: list[float], den: list[float]) -> Interval:
    """Median over rounds of ``num[r] / den[r]``, with its bootstrap interval."""
    return median_interval([a / b for a, b in zip(num, den, strict=True)])


def _text(iv: Interval | None) -> str:
    return "-" if iv is None else f"{iv.estimate:5.2f} [{iv.low:.2f}-{iv.high:.2f}]"


def main(argv: list[str] | None = None) -> None:
    """Print the ratio table (and cold/warm first-call costs in fresh processes)."""
    import depthscope.functional as F
    from depthscope.activations import get, names

    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m benchmarks.activations")
    parser.add_argument("--isa", choices=ISAS, default="default",
                        help="ATEN_CPU_CAPABILITY for ATen and Inductor (default: torch's pick)")
    parser.add_argument("--only", default="", help="comma-separated activation names")
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--no-naive", action="store_true", help="skip the slow naive column")
    parser.add_argument("--no-subprocess", action="store_true", help="skip cold/warm runs")
    args = parser.parse_args(argv)
    if args.isa != "default" and os.environ.get("ATEN_CPU_CAPABILITY") != args.isa:
        _reexec_with_isa(args.isa, argv)
    chosen = [n for n in args.only.split(",") if n] or names()

    F.set_backend("compiled")
    torch.manual_seed(0)
    x = torch.randn(N, requires_grad=True)  # (N,)
    g = torch.randn(N)  # (N,) upstream gradient
    relu = _step(torch.relu, x, g)
    print(isa_line())
    print(f"forward+backward on 2^24 float32, {torch.get_num_threads()} threads; {args.reps} "
          "rounds of relu, every fused activation and every native op in turn", flush=True)
    firsts: dict[str, float] = {}
    slow: dict[str, dict[str, float]] = {}
    steps: dict[str, Step] = {"torch.relu": relu}
    for name in chosen:  # compile, and time the slow forms (apart: their temporaries disturb)
        act = get(name)
        firsts[name] = first_call(name)
        fn = lambda t, a=act: F.activation(t, a)
        steps[name] = _step(fn, x, g, "compiled")
        if name in NATIVE:
            steps[f"native {name}"] = _step(NATIVE[name], x, g)
        forms = {"eager": _step(fn, x, g, "eager")}
        if not args.no_naive:
            forms["naive"] = _step(act.phi, x, g)
        slow[name] = ratios(forms, relu, max(3, args.reps // 3))[0]
    times = rounds(steps, args.reps, 1)  # one rotation: every step sees the same baseline
    print("ratios: median over rounds of the within-round ratio [95 % bootstrap interval]; "
          "eager/naive: median time / median relu time")
    print(f"{'activation':16s} {'fused / relu':>18s} {'native / relu':>18s} "
          f"{'fused / native':>18s} {'eager':>6s} {'naive':>6s} {'first s':>8s}")
    worst = 0.0
    for name in chosen:
        naive = f"{slow[name]['naive']:6.2f}" if "naive" in slow[name] else "     -"
        native = times.get(f"native {name}")
        fused = _ratio(times[name], times["torch.relu"])
        worst = max(worst, fused.estimate)
        cols = [_text(fused), _text(native and _ratio(native, times["torch.relu"])),
                _text(native and _ratio(times[name], native))]
        print(f"{name:16s} {cols[0]:>18s} {cols[1]:>18s} {cols[2]:>18s} "
              f"{slow[name]['eager']:6.2f} {naive} {firsts[name]:8.2f}")
    print(f"worst fused / relu: {worst:.2f} (target <= 1.30; fused / native target <= 1.00)",
          flush=True)
    if not args.no_subprocess:
        with tempfile.TemporaryDirectory() as cache:
            cold = _subprocess_first_call("logsig", cache)
            warm = _subprocess_first_call("logsig", cache)
        print(f"first call in a fresh process (logsig): cold cache {cold:.2f} s, "
              f"warm cache {warm:.2f} s (target < 5 s)")


if __name__ == "__main__":
    main()
