"""watch under DistributedDataParallel (gloo, 2 processes on loopback): it reads the
all-reduced gradients, matches one process on the union batch, and alarms once (rank 0)."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from monitor_nets import scaled_relu_mlp
from torch import nn

from depthscope.monitor import watch

STEPS = 4


def _net() -> nn.Sequential:
    """30 ReLU layers at 3× PyTorch's default weights: an alarm at step 1."""
    return scaled_relu_mlp(30, 64, 16, 4)


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(STEPS, 32, 16, generator=g), torch.randint(0, 4, (STEPS, 32), generator=g)


def _train(model: nn.Module, xs: torch.Tensor, ys: torch.Tensor) -> list[float]:
    """SGD under watch (alarms printed); the recorded global norm of every step."""
    opt = torch.optim.SGD(model.parameters(), lr=1e-7)
    with watch(model, sync_every=50) as w:
        for x, y in zip(xs, ys, strict=True):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
    frame = w.to_dataframe()
    return frame.groupby("step")["norm"].apply(lambda n: float(np.sqrt((n**2).sum()))).tolist()


def _worker(rank: int, port: int, out: str) -> None:
    sys.stderr = open(Path(out) / f"stderr{rank}.txt", "w")  # noqa: SIM115 - closed at exit
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=2)
    torch.set_num_threads(1)
    model = nn.parallel.DistributedDataParallel(_net())
    xs, ys = _data()
    half = slice(16 * rank, 16 * rank + 16)  # each rank its half of every batch
    norms = _train(model, xs[:, half], ys[:, half])
    (Path(out) / f"norms{rank}.json").write_text(json.dumps(norms))
    dist.destroy_process_group()
    sys.stderr.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(180)
def test_ddp_reads_all_reduced_gradients_and_alarms_once(tmp_path, capsys) -> None:
    mp.spawn(_worker, args=(_free_port(), str(tmp_path)), nprocs=2, join=True)
    ranks = [json.loads((tmp_path / f"norms{r}.json").read_text()) for r in (0, 1)]
    xs, ys = _data()
    single = _train(_net(), xs, ys)  # one process, the union batch
    assert len(single) == STEPS
    assert ranks[0] == pytest.approx(single, rel=1e-5)
    assert ranks[1] == pytest.approx(single, rel=1e-5)
    assert "depthscope alarm exploding forward" in (tmp_path / "stderr0.txt").read_text()
    assert "depthscope alarm" not in (tmp_path / "stderr1.txt").read_text()
    assert "depthscope alarm exploding forward" in capsys.readouterr().err
