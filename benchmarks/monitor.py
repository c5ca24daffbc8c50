"""Overhead of gradient monitoring at every step: a tanh MLP (50 x 256 by default), CPU.

Variants, measured side by side in one process (rounds interleaved, median per step; the
ratio to no monitor is the median of the per-round ratios with its 95 % bootstrap interval
over rounds, paired by round as the study's claim 13 does; the order rotates from round to
round, so no variant always follows the slow ones). Each round starts a new monitor:
its first 6 steps (watch reads and diagnoses the first 5 at once) are timed apart, then 50
steps, one whole cycle of the default full statistics, activation sampling and host copy:
no monitor; the floor of any monitor that reads every gradient every step (one
``_foreach_norm`` of them all at the end of each backward pass, nothing else);
depthscope.watch (default: norms every step, full statistics every 50th, alarms diagnosed at
each host copy but not printed);
depthscope with full statistics every step; TensorBoard ``add_histogram`` of every
gradient every step; wandb.watch (offline, log_freq 1, unwatched between rounds) and
Lightning's ``grad_norm`` every step when installed (extra ``bench``); Cockpit cannot be
installed beside torch 2.13.0 CPU (``NOT_INSTALLABLE`` says why).
Run: ``python -m benchmarks.monitor``.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator

import torch
from rich.console import Console
from rich.table import Table
from torch import nn

from benchmarks import ratio_text
from depthscope.monitor import Finding, watch
from depthscope.provenance import cpu_model

Hook = Callable[[nn.Module], contextlib.AbstractContextManager]
FIRST = 6  # watch's check_first (5) and one more: the steps before the steady state


def mlp(depth: int = 50, width: int = 256) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(*[m for _ in range(depth) for m in (nn.Linear(width, width), nn.Tanh())])


@contextlib.contextmanager
def nothing(model: nn.Module) -> Iterator[None]:
    yield


def _silent(finding: Finding) -> None:
    """An alarm handler that prints nothing: alarms are diagnosed at every host copy as with
    the default ``on_alarm="print"`` (``on_alarm=None`` would skip the diagnosis)."""


def depthscope(full_every: int) -> Hook:
    @contextlib.contextmanager
    def hook(model: nn.Module) -> Iterator[None]:
        with watch(model, full_every=full_every, on_alarm=_silent):
            yield

    return hook


@contextlib.contextmanager
def tensorboard(model: nn.Module) -> Iterator[None]:
    from torch.optim.optimizer import register_optimizer_step_post_hook
    from torch.utils.tensorboard import SummaryWriter

    with tempfile.TemporaryDirectory() as logdir, SummaryWriter(logdir) as writer:
        state = {"step": 0}

        def log(*_: object) -> None:
            for name, p in model.named_parameters():
                writer.add_histogram(name, p.grad, state["step"])
            state["step"] += 1

        handle = register_optimizer_step_post_hook(log)
        try:
            yield
        finally:
            handle.remove()


@contextlib.contextmanager
def norm_floor(model: nn.Module) -> Iterator[None]:
    """The floor of any monitor that reads every gradient at every step: one
    ``torch._foreach_norm`` of all of them at the end of each backward pass (where ``watch``
    reads), nothing kept, nothing else."""
    params = [p for p in model.parameters() if p.requires_grad]

    def read() -> None:
        torch._foreach_norm([p.grad for p in params], 2, dtype=torch.float32)

    def queue(_: torch.Tensor) -> None:
        torch.autograd.Variable._execution_engine.queue_callback(read)

    handle = params[0].register_post_accumulate_grad_hook(queue)
    try:
        yield
    finally:
        handle.remove()


def wandb_watch() -> Hook | None:
    try:
        import wandb
    except ImportError:
        return None

    @contextlib.contextmanager
    def hook(model: nn.Module) -> Iterator[None]:
        with tempfile.TemporaryDirectory() as logdir:
            run = wandb.init(mode="offline", dir=logdir, settings=wandb.Settings(silent=True))
            wandb.watch(model, log="gradients", log_freq=1)
            try:
                yield
            finally:
                wandb.unwatch(model)  # else its tensor hooks outlive the run, fail next round
                run.finish()

    return hook


def lightning_grad_norm() -> Hook | None:
    """Lightning's own recipe: ``self.log_dict(grad_norm(self, norm_type=2))`` in
    ``on_before_optimizer_step``, i.e. every parameter's norm and the total, every step."""
    try:
        from lightning.pytorch.utilities import grad_norm
    except ImportError:
        return None

    @contextlib.contextmanager
    def hook(model: nn.Module) -> Iterator[None]:
        from torch.optim.optimizer import register_optimizer_step_pre_hook

        logged: list[dict[str, torch.Tensor]] = []
        handle = register_optimizer_step_pre_hook(
            lambda *_: logged.append(grad_norm(model, norm_type=2)))
        try:
            yield
        finally:
            handle.remove()

    return hook


#: peers that cannot be installed beside torch 2.13.0 CPU, and why (pip install --dry-run)
NOT_INSTALLABLE = {
    "Cockpit (cockpit-for-pytorch 1.0.2)":
        "not installable: it needs backpack-for-pytorch, which needs torchvision; pip "
        "resolves torchvision 0.29.1, which replaces torch 2.13.0 CPU with torch 2.14.1 and "
        "20 nvidia-* CUDA wheels",
}


def time_steps(model: nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        opt.zero_grad()
        model(x).square().mean().backward()
        opt.step()
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--depth", type=int, default=50)
    parser.add_argument("--width", type=int, default=256,
                        help="a small model (e.g. --depth 8 --width 64 --batch 64) shows the "
                             "fixed cost of each step's reading")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--steps", type=int, default=50,
                        help="timed steps per round and variant (50: one cycle of the default "
                             "full_every, activation_every and sync_every)")
    args = parser.parse_args()
    variants: dict[str, Hook | None] = {
        "no monitor": nothing,
        "floor: every gradient's norm, nothing else": norm_floor,
        "depthscope (default: full stats every 50)": depthscope(50),
        "depthscope (full stats every step)": depthscope(1),
        "TensorBoard add_histogram": tensorboard,
        "wandb.watch (offline)": wandb_watch(),
        "Lightning grad_norm every step": lightning_grad_norm(),
    }
    model = mlp(args.depth, args.width)
    x = torch.randn(args.batch, args.width)
    opt = torch.optim.SGD(model.parameters(), lr=1e-4)
    time_steps(model, opt, x, 3)  # warm up
    times: dict[str, list[float]] = {k: [] for k, v in variants.items() if v is not None}
    start: dict[str, list[float]] = {k: [] for k in times}
    slow = {"TensorBoard add_histogram", "wandb.watch (offline)"}  # seconds per step
    names = list(times)
    for r in range(args.rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:  # each first in turn
            n = 2 if name in slow else args.steps
            with variants[name](model):  # type: ignore[misc]
                # the first steps of a watch are read and diagnosed at once (check_first=5):
                # timed apart, once per watch; the steady state after them
                start[name].append(time_steps(model, opt, x, FIRST))
                times[name].append(time_steps(model, opt, x, n))
    table = Table(title=f"monitoring overhead, {args.depth}×{args.width} tanh MLP, batch "
                        f"{args.batch}, "
                        f"{cpu_model()} ({torch.backends.cpu.get_cpu_capability()}, "
                        f"{torch.get_num_threads()} threads)")
    for col in ("variant", "ms/step", "ratio (95 % CI)", f"first {FIRST} steps: ratio"):
        table.add_column(col, justify="left" if col == "variant" else "right")
    for name, hook in variants.items():
        if hook is None:
            table.add_row(name, "not installed", "—", "—")
            continue
        median = statistics.median(times[name])
        table.add_row(name, f"{median * 1e3:.2f}", ratio_text(times, name, "no monitor", 3),
                      ratio_text(start, name, "no monitor"))
    for name, why in NOT_INSTALLABLE.items():
        table.add_row(name, why, "—", "—")
    Console().print(table)


if __name__ == "__main__":
    main()
