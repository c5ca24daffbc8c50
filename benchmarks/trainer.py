"""Ensemble trainer speed: FLOP rate as a ratio to a plain large matmul, and vs a plain loop.

Rows (float32, SGD with momentum, digits data):

- ``large``: M = 32 members, 20 hidden layers of width 256, batch 128 (tanh);
- ``study``: the quick study's shape, M = 32, 16 hidden layers of width 32, batch 64, for
  tanh and logsig, with 1 torch thread (what each of the study's worker processes uses) and
  with every core;
- at the study's shape, 1 thread: the *alternative* design (one whole training step of
  plain tanh compiled by Inductor for the ensemble's shape) and the *floor* of any design
  (the step's batched matmuls alone, into preallocated outputs).

Each row's ratio is its matmul FLOP rate (forward, weight and input gradients) over the rate
of a plain ``2048 × 2048 @ 2048 × 2048`` matmul at the same thread count, timed in the same
round: rounds interleave the two, and the row gives the median over rounds of the within-round
ratio with its 95 % bootstrap interval. A trainer time is the median interval between
consecutive (non-recording) steps of one training call, so building the nets, recording and
the final evaluation are not counted. ``sequential`` is one ``nn.Sequential`` and one
``torch.optim.SGD`` per member, the loop the trainer replaces, at the study's shape.

``--busy`` also times one study batch (96 members, depth 16, the tuning batch of the depth
sweep) with 2 worker processes of 1 thread and with 1 process of 2 threads, each on the idle
machine and beside a CPU-bound process (a busy-loop), and prints the slow-downs.

Run: ``python -m benchmarks.trainer [--rounds 7] [--busy] [--no-large]``.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from depthscope.data import Dataset, load
from depthscope.nets import build
from depthscope.provenance import cpu_model
from depthscope.study.stats import Interval, median_interval
from depthscope.sweep import LocalExecutor, Trainer, plan
from depthscope.train import RunConfig, batch_schedule, train_ensemble

STUDY = {"depth": 16, "width": 32, "batch_size": 64}
LARGE = {"depth": 20, "width": 256, "batch_size": 128}


def _configs(m: int, act: str, shape: dict[str, int], steps: int) -> list[RunConfig]:
    return [RunConfig(activation=act, seed=i, lr=0.01, optimizer="momentum", steps=steps,
                      record_every=steps, **shape) for i in range(m)]


def seconds_per_step(configs: list[RunConfig], data: Dataset, steps: int) -> float:
    """Median time between consecutive steps of one training call (record steps excluded)."""
    cfgs = [c.model_copy(update={"steps": steps + 2, "record_every": steps + 2})
            for c in configs]
    ends: list[float] = []
    train_ensemble(cfgs, data, progress=lambda _: ends.append(time.perf_counter()))
    # steps 0 and steps+1 record (step 0 ends at ends[0]); the steps between do not
    return statistics.median(b - a for a, b in itertools.pairwise(ends[:-1]))


def step_flops(configs: list[RunConfig], data: Dataset) -> float:
    """Matmul FLOPs of one step: forward, weight gradients, input gradients (not layer 0's)."""
    c = configs[0]
    sizes = [data.in_features] + [c.width] * c.depth + [data.num_classes]
    macs = sum(a * b for a, b in itertools.pairwise(sizes))
    return 2 * len(configs) * c.batch_size * (3 * macs - sizes[0] * sizes[1])


def matmul_seconds(n: int = 2048, repeats: int = 3) -> float:
    """Best time of an ``n × n @ n × n`` float32 matmul."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return best


def ratio_rounds(trainer_step: Callable[[], float], flops: float, rounds: int
                 ) -> tuple[Interval, float, float]:
    """(ratio trainer/matmul FLOP rate with its interval, median s/step, median GFLOP/s)."""
    ratios, steps, rates = [], [], []
    for _ in range(rounds):
        mm = 2 * 2048**3 / matmul_seconds()
        step = trainer_step()
        ratios.append(flops / step / mm)
        steps.append(step)
        rates.append(flops / step / 1e9)
    return median_interval(ratios), statistics.median(steps), statistics.median(rates)


def _stacked(configs: list[RunConfig], data: Dataset
             ) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor, torch.Tensor]:
    """Stacked weights (M, out, in) and biases (M, 1, out) of the configs' shape (random,
    LeCun-scaled), and one minibatch (M, B, in), (M, B) of the data."""
    c, m = configs[0], len(configs)
    gen = torch.Generator().manual_seed(0)
    sizes = [data.in_features] + [c.width] * c.depth + [data.num_classes]
    weights = [torch.randn(m, o, i, generator=gen) / i**0.5
               for i, o in itertools.pairwise(sizes)]
    biases = [torch.zeros(m, 1, w.shape[1]) for w in weights]
    idx = torch.randint(0, len(data.train), (m, c.batch_size), generator=gen)
    return weights, biases, data.train.X[idx], data.train.y[idx]


def compiled_step_seconds(configs: list[RunConfig], data: Dataset, steps: int) -> float:
    """The alternative to the trainer's design: one whole training step (forward, backward,
    momentum update of every layer; plain tanh, nothing recorded) compiled by Inductor for
    the ensemble's shape. Median seconds per step."""
    weights, biases, x, y = _stacked(configs, data)
    bufs = [torch.zeros_like(t) for t in weights + biases]
    lr, mu, classes = configs[0].lr, 0.9, data.num_classes

    def step(weights: list[torch.Tensor], biases: list[torch.Tensor], bufs: list[torch.Tensor],
             x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        a, acts = x, [x]
        for j, (w, b) in enumerate(zip(weights, biases, strict=True)):
            h = torch.baddbmm(b, a, w.transpose(1, 2))
            if j < len(weights) - 1:
                a = torch.tanh(h)
                acts.append(a)
        logp = torch.log_softmax(h, -1)
        delta = (logp.exp() - F.one_hot(y, classes).to(h.dtype)) / y.shape[1]
        grads_w, grads_b = [], []
        for j in reversed(range(len(weights))):
            grads_w.insert(0, torch.bmm(delta.transpose(1, 2), acts[j]))
            grads_b.insert(0, delta.sum(1, keepdim=True))
            if j > 0:
                delta = torch.bmm(delta, weights[j]) * (1 - acts[j] * acts[j])
        for p_, g, buf in zip(weights + biases, grads_w + grads_b, bufs, strict=True):
            buf.mul_(mu).add_(g)
            p_.sub_(lr * buf)
        return logp

    fn = torch.compile(step, fullgraph=True)
    for _ in range(3):  # compile and warm up
        fn(weights, biases, bufs, x, y)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn(weights, biases, bufs, x, y)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def matmul_floor_seconds(configs: list[RunConfig], data: Dataset, steps: int) -> float:
    """The floor of any design: a step's batched matmuls alone (forward, weight and input
    gradients of every layer, into preallocated outputs). Median seconds per step."""
    weights, _, x, _ = _stacked(configs, data)
    outs = [torch.empty(x.shape[0], x.shape[1], w.shape[1]) for w in weights]  # h^l, delta^l
    inputs = [x, *outs[:-1]]
    grads = [torch.empty_like(w) for w in weights]
    backs = [torch.empty_like(a) for a in inputs]

    def step() -> None:
        for j, w in enumerate(weights):
            torch.bmm(inputs[j], w.transpose(1, 2), out=outs[j])
        for j in reversed(range(len(weights))):
            torch.bmm(outs[j].transpose(1, 2), inputs[j], out=grads[j])
            if j > 0:
                torch.bmm(outs[j], weights[j], out=backs[j])

    step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def sequential_seconds_per_step(configs: list[RunConfig], data: Dataset, steps: int) -> float:
    """The plain loop: one nn.Sequential and one torch.optim.SGD per config."""
    start = time.perf_counter()
    for cfg in configs:
        net = build(cfg.mlp_spec(data.in_features, data.num_classes), seed=cfg.seed)
        opt = torch.optim.SGD(net.parameters(), lr=cfg.lr, momentum=0.9)
        batches = batch_schedule([cfg.seed], len(data.train), cfg.batch_size)
        for _ in range(steps):
            idx = next(batches)[0]
            loss = F.cross_entropy(net(data.train.X[idx]), data.train.y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return (time.perf_counter() - start) / steps


def _hog(stop: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    while not stop.is_set():
        pass


def busy_slowdowns(data_size: int = 1500) -> None:
    """One tuning batch of the quick study, idle vs beside a busy-loop, two ways."""
    from functools import partial

    cfgs = [c.model_copy(update={"steps": 60, "record_every": 30, "dataset": "digits"})
            for c in _configs(96, "tanh", STUDY, 60)]
    halves = plan(cfgs, max_batch=48)  # two batches: one per worker
    trainer = Trainer(load_fn=partial(load, n=data_size))

    def two_workers() -> float:
        pool = LocalExecutor(2)
        try:
            list(pool.run(halves, trainer))  # start the workers, compile their kernels
            start = time.perf_counter()
            list(pool.run(halves, trainer))
            return time.perf_counter() - start
        finally:
            pool.close()

    def one_process_two_threads() -> float:
        inline = LocalExecutor(1, threads=torch.get_num_threads())
        list(inline.run(halves[:1], trainer))
        start = time.perf_counter()
        list(inline.run(halves, trainer))
        return time.perf_counter() - start

    context = multiprocessing.get_context("spawn")
    for name, fn in (("2 processes x 1 thread", two_workers),
                     (f"1 process x {torch.get_num_threads()} threads", one_process_two_threads)):
        idle = fn()
        stop = context.Event()
        hog = context.Process(target=_hog, args=(stop,), daemon=True)
        hog.start()
        try:
            busy = fn()
        finally:
            stop.set()
            hog.join()
        print(f"{'  ' + name + ': idle / busy (s), slow-down':<58} "
              f"{idle:6.2f} / {busy:6.2f}  {busy / idle:5.2f}x", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.trainer")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--busy", action="store_true")
    parser.add_argument("--no-large", action="store_true", help="skip the large-shape row")
    args = parser.parse_args(argv)
    cores = torch.get_num_threads()
    print(f"CPU: {cpu_model()}; ATen capability {torch.backends.cpu.get_cpu_capability()}; "
          f"torch {torch.__version__}")
    data = load("digits", n=1500)
    print(f"{'row':<44} {'threads':>7} {'ms/step':>9} {'GFLOP/s':>8}  ratio to matmul [95 % CI]")
    rows = [] if args.no_large else [("large M=32 d20 w256 b128 tanh", "tanh", LARGE, cores, 8)]
    rows += [(f"study M=32 d16 w32 b64 {act}", act, STUDY, threads, 30)
             for act in ("tanh", "logsig") for threads in (1, cores)]
    for name, act, shape, threads, steps in rows:
        torch.set_num_threads(threads)
        configs = _configs(32, act, shape, steps)
        train_ensemble([c.model_copy(update={"steps": 2}) for c in configs], data)  # warm-up
        ratio, step, rate = ratio_rounds(lambda c=configs, s=steps: seconds_per_step(c, data, s),
                                         step_flops(configs, data), args.rounds)
        print(f"{name:<44} {threads:>7} {step * 1e3:9.2f} {rate:8.2f}  "
              f"{ratio.estimate:.3f} [{ratio.low:.3f}-{ratio.high:.3f}]", flush=True)
    torch.set_num_threads(1)
    configs = _configs(32, "tanh", STUDY, 10)
    flops = step_flops(configs, data)
    for name, fn in (("alternative: whole step compiled, tanh", compiled_step_seconds),
                     ("floor: the step's batched matmuls alone", matmul_floor_seconds)):
        ratio, step, rate = ratio_rounds(lambda fn=fn: fn(configs, data, 30), flops,
                                         args.rounds)
        print(f"{name:<44} {1:>7} {step * 1e3:9.2f} {rate:8.2f}  "
              f"{ratio.estimate:.3f} [{ratio.low:.3f}-{ratio.high:.3f}]", flush=True)
    seq = sequential_seconds_per_step(configs, data, 10)
    print(f"{'sequential loop, study shape, tanh (ms/step)':<44} {1:>7} {seq * 1e3:9.2f}")
    torch.set_num_threads(cores)
    if args.busy:
        busy_slowdowns()


if __name__ == "__main__":
    main()
