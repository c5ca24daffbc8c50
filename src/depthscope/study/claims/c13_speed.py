"""Claim 13: logsig's "particularly ugly derivative" makes it too slow for practical use."""

from __future__ import annotations

import numpy as np
import torch

from depthscope.activations.timing import Step, forward_backward, rounds, synchronized
from depthscope.report.figures import plot
from depthscope.study import stats
from depthscope.study.claims import ESSAY, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.result import ClaimResult, Table

TOO_SLOW = 1.5  # "too slow for practical use": a training step > 1.5x tanh's (the claim's own)
INFO = ClaimInfo(
    "13", ESSAY,
    "logsig has a particularly ugly derivative that slows down training (too slow for "
    "practical use).",
    "Time whole training steps (forward, backward, SGD update) of the same MLP with logsig, "
    "tanh and ReLU, and — for context — forward + backward of the isolated activation on one "
    "float32 tensor (fused closed-form kernels and a naive autograd composition). Rounds run "
    "every variant in turn (rotating order), each keeping its least-disturbed of a few calls; "
    "ratios are taken within a round, so machine load cancels, and their median gets a 95 % "
    "bootstrap interval over rounds. An A/A control (ReLU against a second, identical ReLU "
    "net) shows the noise floor.",
)
RULE = (f"\"Too slow for practical use\" = a logsig training step takes more than {TOO_SLOW:g}× "
        "tanh's. Holds if the 95 % interval of the median per-round ratio logsig/tanh lies "
        f"above {TOO_SLOW:g}, does not hold if at or below it, otherwise inconclusive.")
ACTIVATIONS = ("tanh", "sigmoid", "softsign", "logsig", "softplus")
STEP_ACTIVATIONS = ("relu", "tanh", "logsig")


def _mlp(act: str, ctx: Context) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    import depthscope.nn as dnn

    p = ctx.profile
    gen = torch.Generator().manual_seed(0)
    layers: list[torch.nn.Module] = []
    for i in range(p.bench_depth + 1):
        lin = torch.nn.Linear(p.bench_width, p.bench_width if i < p.bench_depth else 10)
        with torch.no_grad():
            lin.weight.normal_(0.0, p.bench_width ** -0.5, generator=gen)
            lin.bias.zero_()
        layers.append(lin)
        if i < p.bench_depth:
            layers.append(dnn.Activation(act))
    net = torch.nn.Sequential(*layers).to(ctx.device)
    return net, torch.optim.SGD(net.parameters(), lr=1e-3)


def _train_step(act: str, ctx: Context, x: torch.Tensor, y: torch.Tensor) -> Step:
    net, opt = _mlp(act, ctx)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(net(x), y).backward()
        opt.step()

    return step


def ratio_interval(times: dict[str, list[float]], num: str, den: str) -> stats.Interval:
    """Median of the per-round ratios ``num / den`` with its bootstrap interval over rounds."""
    r = np.asarray(times[num]) / np.asarray(times[den])  # (rounds,)
    return stats.bootstrap([r.size], lambda idx: float(np.median(r[idx])))


def decide(step: stats.Interval, aa: stats.Interval, kernel: stats.Interval) -> tuple[str, str]:
    """:data:`RULE` on the training-step ratio's interval."""
    text = (f"a logsig training step takes {step.text()}× tanh's (A/A control ReLU/ReLU "
            f"{aa.text()}); the isolated fused kernel, forward + backward, {kernel.text()}× "
            "tanh's")
    where = stats.side(step, TOO_SLOW)
    if where == "above":
        return "holds", text + "."
    if where == "below":
        return "does not hold", text + (
            f" — below the {TOO_SLOW:g}× of \"too slow\": written in closed form its derivative "
            "costs little in training.")
    return "inconclusive", text + f" — the interval reaches across {TOO_SLOW:g}."


def _where(device: torch.device) -> str:
    """The machine the timings come from, in words."""
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    from depthscope.provenance import cpu_model

    return f"CPU ({cpu_model()}, {torch.backends.cpu.get_cpu_capability()})"


def check(ctx: Context) -> ClaimResult:
    import depthscope.functional as F
    from depthscope.activations import get

    p = ctx.profile
    device = torch.device(ctx.device)
    gen = torch.Generator().manual_seed(0)
    xb = torch.randn(p.bench_batch, p.bench_width, generator=gen).to(device)  # (B, width)
    yb = torch.randint(0, 10, (p.bench_batch,), generator=gen).to(device)  # (B,)
    steps = {f"step {a}": _train_step(a, ctx, xb, yb) for a in STEP_ACTIVATIONS}
    steps["step relu (A/A)"] = _train_step("relu", ctx, xb, yb)
    x = torch.randn(p.bench_size, generator=gen).to(device).requires_grad_()  # (N,)
    g = torch.randn(p.bench_size, generator=gen).to(device)  # (N,)
    steps["kernel relu"] = forward_backward(torch.relu, x, g)
    for name in ctx.track(ACTIVATIONS, "claim 13: preparing kernels"):
        act = get(name)
        steps[f"kernel {name}"] = forward_backward(lambda t, a=act: F.activation(t, a), x, g)
        steps[f"naive {name}"] = forward_backward(act.phi, x, g)
    times = rounds({k: synchronized(v, device) for k, v in steps.items()}, p.bench_rounds,
                   p.bench_inner)
    where = _where(device)

    step = ratio_interval(times, "step logsig", "step tanh")
    aa = ratio_interval(times, "step relu (A/A)", "step relu")
    kernel = ratio_interval(times, "kernel logsig", "kernel tanh")
    verdict, why = decide(step, aa, kernel)
    why += (f" Measured on {where} with depthscope's fused activation kernels; the essay "
            "speaks of GPUs, so run with --device cuda to measure there.")
    step_rows = [(a, 1e3 * float(np.median(times[f"step {a}"])),
                  ratio_interval(times, f"step {a}", "step tanh").text(),
                  ratio_interval(times, f"step {a}", "step relu").text())
                 for a in STEP_ACTIVATIONS]
    step_rows.append(("relu (A/A control)", 1e3 * float(np.median(times["step relu (A/A)"])),
                      ratio_interval(times, "step relu (A/A)", "step tanh").text(), aa.text()))
    kernel_rows = [(a, ratio_interval(times, f"kernel {a}", "kernel relu").text(),
                    ratio_interval(times, f"naive {a}", "kernel relu").text())
                   for a in ACTIVATIONS]
    fused = {a: ratio_interval(times, f"kernel {a}", "kernel relu") for a in ACTIVATIONS}

    def draw(axes: np.ndarray) -> None:
        ax = axes[0, 0]
        names = [*STEP_ACTIVATIONS, "relu (A/A)"]
        ivs = [ratio_interval(times, f"step {n}", "step tanh") for n in names]
        pos = np.arange(len(names))
        ax.bar(pos, [iv.estimate for iv in ivs], 0.6,
               yerr=[[iv.estimate - iv.low for iv in ivs], [iv.high - iv.estimate for iv in ivs]],
               capsize=4)
        ax.axhline(1.0, color="k", lw=0.8)
        ax.axhline(TOO_SLOW, color="C3", ls="--", lw=1, label=f"\"too slow\": {TOO_SLOW:g}× tanh")
        ax.set_xticks(pos, names)
        top = max(iv.high for iv in ivs)
        ax.set(ylabel="training step time / tanh's", title="whole training step (95 % CI)",
               ylim=(0, max(1.25 * TOO_SLOW, 1.1 * top)))
        ax.legend(fontsize=8, loc="upper left")
        ax2 = axes[0, 1]
        pos = np.arange(len(ACTIVATIONS))
        ax2.bar(pos, [fused[a].estimate for a in ACTIVATIONS], 0.6,
                yerr=[[fused[a].estimate - fused[a].low for a in ACTIVATIONS],
                      [fused[a].high - fused[a].estimate for a in ACTIVATIONS]], capsize=4)
        ax2.axhline(1.0, color="k", lw=0.8)
        ax2.set_xticks(pos, ACTIVATIONS)
        ax2.set(ylabel="time / relu", title="isolated fused kernel, fwd + bwd (95 % CI)")

    fig = plot("claim13_speed", f"On {where}. Left: time of a whole training step relative "
               "to tanh's, median of per-round ratios with 95 % bootstrap intervals (dashed: "
               "the claim's threshold). Right: the isolated activation kernels relative to "
               "torch.relu, likewise.",
               draw, ncols=2, width=4.8)
    threads = torch.get_num_threads()
    tables = [
        Table(f"Training step of an MLP with {p.bench_depth} hidden layers of {p.bench_width}, "
              f"batch {p.bench_batch}, SGD; {p.bench_rounds} rounds, {threads} thread(s), "
              f"{where}",
              ("activation", "median step (ms)", "ratio to tanh (95 % CI)",
               "ratio to relu (95 % CI)"), tuple(step_rows)),
        Table(f"Isolated forward + backward on {p.bench_size} float32 values, relative to "
              "torch.relu (median per-round ratio, 95 % CI)",
              ("activation", "fused kernel / relu", "naive autograd / relu"), tuple(kernel_rows)),
    ]
    return INFO.result(verdict, why, figures=[fig], tables=tables, rule=RULE,
                       key=f"logsig step / tanh step = {step.text()}",
                       intervals={"step logsig/tanh": step.to_json(),
                                  "step relu/relu (A/A)": aa.to_json(),
                                  "kernel logsig/tanh": kernel.to_json()})
