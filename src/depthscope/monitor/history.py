"""Bounded storage: a device ring buffer flushed to a host history that thins itself.

Rows are written on the device (no host sync); every ``len(buffer)`` rows one copy moves
them to the host. The host keeps at most ``capacity`` rows: when full it drops every other
row and from then on keeps every second observation, so memory stays fixed while the whole
run stays covered (uniformly, at a coarser step). Exact events (first nan/inf) are taken
from the full-resolution rows before thinning.
"""

from __future__ import annotations

import math

import numpy as np
import torch


class DeviceBuffer:
    """``size`` rows of shape ``shape`` on the device, with the step of each row; a row not
    written (``write(step, None)``: nothing observed that step) holds nan."""

    def __init__(self, size: int, shape: tuple[int, ...], device: torch.device) -> None:
        self.rows = torch.full((size, *shape), float("nan"), device=device)
        self.steps: list[int] = []

    @property
    def full(self) -> bool:
        return len(self.steps) == self.rows.shape[0]

    def write(self, step: int, row: torch.Tensor | None) -> None:
        if row is not None:
            self.rows[len(self.steps)].copy_(row)
        self.steps.append(step)

    def drain(self) -> tuple[np.ndarray, np.ndarray]:
        """``(steps (n,), rows (n, *shape))`` on the host; the buffer starts over, all nan."""
        n = len(self.steps)
        rows = self.rows[:n].cpu().numpy().copy()
        self.rows[:n] = float("nan")
        steps = np.asarray(self.steps, dtype=np.int64)
        self.steps = []
        return steps, rows


class History:
    """Host rows with bounded memory (see the module docstring)."""

    def __init__(self, capacity: int, shape: tuple[int, ...]) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError("capacity must be an even number >= 2")
        self.steps_buf = np.zeros(capacity, dtype=np.int64)
        self.rows_buf = np.full((capacity, *shape), np.nan, dtype=np.float32)
        self.n = 0
        self.stride = 1
        self._seen = 0

    def extend(self, steps: np.ndarray, rows: np.ndarray) -> None:
        for step, row in zip(steps, rows, strict=True):
            if self._seen % self.stride == 0:
                if self.n == len(self.steps_buf):
                    self._thin()
                if self._seen % self.stride == 0:
                    self.steps_buf[self.n] = step
                    self.rows_buf[self.n] = row
                    self.n += 1
            self._seen += 1

    def _thin(self) -> None:
        half = len(self.steps_buf) // 2
        self.steps_buf[:half] = self.steps_buf[::2]
        self.rows_buf[:half] = self.rows_buf[::2]
        self.rows_buf[half:] = np.nan
        self.n = half
        self.stride *= 2

    @property
    def steps(self) -> np.ndarray:
        return self.steps_buf[: self.n]

    @property
    def rows(self) -> np.ndarray:
        return self.rows_buf[: self.n]


class Sentinel:
    """Whether a step's gradients held nan/inf, without stalling an accelerator: it is given
    the sum of the step's gradient norms (:class:`~depthscope.monitor.gradstats.Reading`),
    finite unless a norm is not (a sum past float32's 3.4e38 also fires: an early host copy,
    where the per-layer rows are read exactly).

    On the CPU the answer is read at once. On CUDA the flag is copied asynchronously to
    pinned host memory with an event behind it, and read at a later step once the event has
    completed (``Event.query`` never waits), so an alarm is at most a step or two late and no
    step waits for the device.
    """

    def __init__(self, device: torch.device) -> None:
        self._async = device.type == "cuda"
        self._flag = torch.zeros((), dtype=torch.bool, pin_memory=self._async)
        self._event: torch.cuda.Event | None = None

    def push(self, total: torch.Tensor) -> bool:
        """Note a step's ``total``; True when one (this one, or on CUDA an earlier one) was
        not finite."""
        if not self._async:
            return not math.isfinite(total.item())
        fired = False
        if self._event is not None and self._event.query():
            fired, self._event = bool(self._flag), None
        if self._event is None:
            self._flag.copy_(torch.isfinite(total).logical_not_(), non_blocking=True)
            self._event = torch.cuda.Event()
            self._event.record()
        return fired
