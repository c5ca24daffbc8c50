"""Ray executor: one Ray task per batch, results streamed back as tasks finish.

``RayExecutor()`` starts a private local cluster bound to loopback (127.0.0.1, no dashboard)
on first use and stops it at ``close()``; ``RayExecutor(address=...)`` joins a running
cluster (an unreachable ``host:port`` fails within ``connect_timeout``); if Ray is already
initialised in this process it is used as is. A task whose worker dies (or that
raises anything but a :class:`DepthscopeError`) is retried up to ``max_retries`` times; the
driver receives each batch once and the store writes it keyed by ``run_id``, so a retried
batch is never duplicated. Ray is imported only when this executor runs.
"""

from __future__ import annotations

import importlib
import itertools
import logging
import os
import socket
from collections.abc import Iterable, Iterator
from typing import Any

from depthscope.errors import DepthscopeError
from depthscope.sweep.executors import QUEUED, BatchOutcome, OnStep, Trainer, run_batch
from depthscope.sweep.planner import Batch

_LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"  # "0": Ray's local-only (loopback) mode
CONNECT_TIMEOUT = 10.0  # seconds to reach a --ray-address before giving up


def _import_ray(local: bool) -> Any:
    """Import Ray; for a private local cluster first switch Ray to loopback-only addresses.

    Ray resolves ``127.0.0.1`` to the host's public IP unless clustering is off, which it
    reads from ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER`` when imported (workers inherit it).
    """
    if local:
        os.environ.setdefault(_LOOPBACK_ENV, "0")
    try:
        import ray
    except ImportError:
        raise DepthscopeError("the Ray executor needs ray; pip install 'depthscope[ray]' "
                              "or drop --ray") from None
    if local and os.environ[_LOOPBACK_ENV] == "0":
        constants = importlib.import_module("ray._private.ray_constants")
        constants.ENABLE_RAY_CLUSTER = False  # in case ray was imported before the variable
    return ray


def _remote_batch(batch: Batch, trainer: Trainer) -> BatchOutcome | DepthscopeError:
    """Task body: user errors come back as values, so Ray does not retry them."""
    try:
        return run_batch(batch, trainer)
    except DepthscopeError as err:
        return DepthscopeError(str(err))


class RayExecutor:
    """Runs each batch as a Ray task (1 CPU, or 1 GPU on ``cuda``)."""

    def __init__(self, address: str | None = None, *, num_cpus: int | None = None,
                 max_retries: int = 3, connect_timeout: float = CONNECT_TIMEOUT) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.max_retries = max_retries
        self.connect_timeout = connect_timeout
        self._ray: Any = None
        self._started = False

    @property
    def parallelism(self) -> int:
        """How many batches the cluster trains at once (its CPUs; connects if needed)."""
        ray = self._connect()
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def _connect(self) -> Any:
        """Ray, connected to the cluster (started here, or joined), once per executor."""
        if self._ray is None:
            ray = _import_ray(local=self.address is None)
            self._started = self._init(ray)
            self._ray = ray
        return self._ray

    def close(self) -> None:
        """Stop the cluster if this executor started it (joined ones are left running)."""
        if self._ray is not None and self._started:
            self._ray.shutdown()
        self._ray, self._started = None, False

    def _reachable(self) -> None:
        """A ``host:port`` address must accept a TCP connection within ``connect_timeout``
        (Ray itself retries an unreachable address for minutes)."""
        host, sep, port = (self.address or "").rpartition(":")
        if not sep or not port.isdigit() or "://" in host or not host:
            return  # "auto", "ray://...": left to Ray
        try:
            socket.create_connection((host, int(port)), timeout=self.connect_timeout).close()
        except OSError as err:
            raise DepthscopeError(f"cannot reach the Ray cluster at {self.address} ({err}) "
                                  f"within {self.connect_timeout:g} s; check --ray-address"
                                  ) from None

    def _init(self, ray: Any) -> bool:
        """Connect or start a cluster; True if this call started it (and must stop it)."""
        if ray.is_initialized():
            return False
        self._reachable()
        common = {"log_to_driver": False, "logging_level": logging.WARNING}
        try:
            if self.address:
                ray.init(address=self.address, **common)
            else:
                ray.init(address="local", num_cpus=self.num_cpus, include_dashboard=False,
                         _node_ip_address="127.0.0.1", **common)
        except ConnectionError as err:
            raise DepthscopeError(f"cannot reach the Ray cluster at {self.address}: {err}; "
                                  "check --ray-address") from None
        return True

    def run(self, batches: Iterable[Batch], trainer: Trainer,
            on_step: OnStep | None = None) -> Iterator[BatchOutcome]:
        """Yield outcomes as tasks finish (``on_step`` is ignored: progress is per batch);
        at most the cluster's CPUs plus :data:`~depthscope.sweep.executors.QUEUED` batches are
        taken from ``batches`` at a time."""
        batches = iter(batches)
        first = next(batches, None)
        if first is None:
            return
        ray = self._connect()
        gpus = 1 if trainer.device.startswith("cuda") else 0
        task = ray.remote(_remote_batch).options(
            num_cpus=1, num_gpus=gpus, max_retries=self.max_retries, retry_exceptions=True)
        pending = {task.remote(first, trainer): first}
        for batch in itertools.islice(batches, self.parallelism + QUEUED - 1):
            pending[task.remote(batch, trainer)] = batch
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                batch = pending.pop(ready[0])
                try:
                    outcome = ray.get(ready[0])
                except ray.exceptions.RayTaskError:
                    raise
                except ray.exceptions.RayError as err:
                    raise DepthscopeError(
                        f"batch {batch.batch_id} ({len(batch)} runs) failed on Ray after "
                        f"{self.max_retries} retries: {err}; stored batches are kept, rerun "
                        "to resume") from None
                if isinstance(outcome, DepthscopeError):
                    raise outcome
                following = next(batches, None)
                if following is not None:
                    pending[task.remote(following, trainer)] = following
                yield outcome
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)
