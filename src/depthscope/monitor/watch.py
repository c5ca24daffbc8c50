"""``watch(model)``: gradient health of any ``nn.Module``, read once per optimizer step.

The watch reads the gradient *as produced*: at the end of every backward pass that leads to a
recorded step (a post-accumulate hook on each parameter queues one reading per pass), so it
sees the accumulated gradient before ``clip_grad_norm_`` and before the optimizer; with
micro-batches the last pass's reading holds the whole accumulation. With a ``GradScaler`` the
reading is divided by the scale (norms and means are linear in it). The optimizer step then
files that reading as the step's (or reads ``p.grad`` itself when no backward pass was seen,
e.g. gradients set by hand). Statistics stay on the device and reach the host once per
``sync_every`` recorded steps, at each of the first ``check_first``, and at once when a
gradient turns nan/inf (alarms are raised then, not at the next block). Under
``DistributedDataParallel`` the reading waits for the all-reduce; alarms print on rank 0.
Usage, one line::

    with depthscope.watch(model) as w:      # hooks every optimizer that updates model
        for x, y in data:
            loss_fn(model(x), y).backward(); opt.step(); opt.zero_grad()
    w.summary(); w.plot("grads.png")
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_post_hook

from depthscope.errors import DepthscopeError
from depthscope.fix.detect import WEIGHT_LAYERS, activation_of, layer_activations, sigma_of
from depthscope.monitor.diagnose import Finding, Thresholds, alarm_findings, diagnose
from depthscope.monitor.export import LiveLog
from depthscope.monitor.gradstats import STATS, UPDATE, GradStats, Reading
from depthscope.monitor.history import DeviceBuffer, History, Sentinel
from depthscope.monitor.order import ForwardOrder
from depthscope.monitor.probes import PROBE_STATS, Probes
from depthscope.monitor.record import LayerInfo, Record


def _positive(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DepthscopeError(f"{name} must be a positive integer, got {value!r}; e.g. {name}=1")
    return value


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DepthscopeError(f"{name} must be an integer >= 0, got {value!r}; e.g. {name}=5")
    return value


def _check_options(optimizer: object, scaler: object, auto: object, updates: object,
                   thresholds: object, on_alarm: object) -> None:
    """One line for each argument of :func:`watch` that cannot work."""
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise DepthscopeError(f"optimizer must be a torch.optim.Optimizer, got "
                              f"{type(optimizer).__name__}; pass the one that updates the model")
    if scaler is not None and not (callable(getattr(scaler, "update", None))
                                   and hasattr(scaler, "_scale")):
        raise DepthscopeError(f"scaler must be a torch.amp.GradScaler, got "
                              f"{type(scaler).__name__}")
    for name, flag in (("auto", auto), ("updates", updates)):
        if not isinstance(flag, bool):
            raise DepthscopeError(f"{name} must be True or False, got {flag!r}")
    if thresholds is not None and not isinstance(thresholds, Thresholds):
        raise DepthscopeError(f"thresholds must be a depthscope.monitor.Thresholds, got "
                              f"{type(thresholds).__name__}; e.g. Thresholds(sustain=3)")
    if not (on_alarm is None or on_alarm == "print" or callable(on_alarm)):
        raise DepthscopeError(f"on_alarm must be 'print', None or a function of a Finding, "
                              f"got {on_alarm!r}")


class Watch:
    """Records per-layer gradient statistics of ``model`` (see :func:`watch`)."""

    def __init__(
        self,
        model: nn.Module,
        every: int = 1,
        activations: bool = True,
        *,
        optimizer: torch.optim.Optimizer | None = None,
        scaler: Any = None,
        auto: bool = True,
        full_every: int = 50,
        activation_every: int = 50,
        sync_every: int = 50,
        check_first: int = 5,
        updates: bool = True,
        capacity: int = 4096,
        thresholds: Thresholds | None = None,
        on_alarm: Callable[[Finding], None] | Literal["print"] | None = "print",
        tensorboard: Any = None,
        csv: str | Path | None = None,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise DepthscopeError(
                f"watch() needs a torch.nn.Module, got {type(model).__name__}; pass your model"
            )
        self.every = _positive("every", every)
        self.full_every = _positive("full_every", full_every)
        self.activation_every = _positive("activation_every", activation_every)
        sync_every = _positive("sync_every", sync_every)
        self.check_first = _count("check_first", check_first)
        if _positive("capacity", capacity) % 2:
            raise DepthscopeError(f"capacity must be even, got {capacity}; e.g. capacity=4096")
        _check_options(optimizer, scaler, auto, updates, thresholds, on_alarm)
        self.updates = updates
        groups = _layers(model)
        if not groups:
            raise DepthscopeError(
                f"{type(model).__name__} has no trainable parameters to watch; "
                "check requires_grad or pass the model itself"
            )
        self.model = model
        self.thresholds = thresholds or Thresholds()
        self.on_alarm = _print_alarm if on_alarm == "print" else on_alarm
        self.alarms: list[Finding] = []
        self.layers = _layer_infos(model, groups)
        self._order = ForwardOrder(model, [module for _, module, _ in groups])
        device = next(p for _, _, ps in groups for p in ps).device
        self._device = device
        self._stats = GradStats([ps for _, _, ps in groups], device)
        shape = (len(groups), len(STATS))
        self._sync_every = sync_every
        self._buffer = DeviceBuffer(sync_every, shape, device)
        self._history = History(capacity, shape)
        self._loss_buffer = DeviceBuffer(sync_every, (), device)  # in step with _buffer
        self._loss_history = History(capacity, ())
        self._loss: torch.Tensor | None = None  # the losses observed since the last step
        self._sentinel = Sentinel(device)
        self._first_nonfinite: dict[int, int] = {}
        self._last_finite: dict[int, tuple[int, float]] = {}
        self._nonfinite_steps = 0
        self.step_count = 0
        self._recorded = 0
        probed = _activation_modules(model) if activations else []
        self._probes = Probes(model, probed, device) if probed else None
        self._probe_buffer: DeviceBuffer | None = None  # shaped at the first sample
        self._probe_history: History | None = None
        self._capacity = capacity
        self._live = LiveLog(tensorboard, csv)
        self._param_ids = {id(p) for _, _, ps in groups for p in ps}
        self._scaler = scaler
        self._handles: list[Any] = []
        self._update: Any = None
        self._pending: Reading | None = None  # the last backward pass's reading
        self._queued = False
        self._attach(optimizer, scaler, auto)
        # one hooked parameter is enough to learn that a backward pass happened (each hook
        # costs a call from the autograd engine); if it ever misses one (it got no gradient
        # that step: an unused expert, say), every parameter is hooked from then on
        self._watched = [p for _, _, ps in groups for p in ps]
        self._hooked_all = False
        self._handles.append(self._watched[0].register_post_accumulate_grad_hook(
            self._accumulated))
        self._arm()

    # ----------------------------------------------------------------- hooks
    def _attach(self, optimizer: torch.optim.Optimizer | None, scaler: Any, auto: bool) -> None:
        if scaler is not None:
            original = scaler.update

            def update(*args: Any, **kwargs: Any) -> Any:
                self.step()  # grads are unscaled in place by scaler.step, skipped or not
                return original(*args, **kwargs)

            scaler.update, self._update = update, original
        elif optimizer is not None:
            self._handles.append(optimizer.register_step_post_hook(lambda *a: self.step()))
        elif auto:
            self._handles.append(register_optimizer_step_post_hook(self._global_hook))

    def _accumulated(self, param: torch.Tensor) -> None:
        """A gradient was accumulated: once per backward pass that leads to a recorded step,
        queue the reading of every gradient at the pass's end."""
        if self._queued or self.step_count % self.every:
            return
        if self._probes is not None:
            self._probes.restart()  # the next forward is a new one
        self._queued = True
        torch.autograd.Variable._execution_engine.queue_callback(self._after_other_callbacks)

    def _after_other_callbacks(self) -> None:
        """Queue the reading behind every callback queued during the pass (DDP's
        all-reduce finalisation among them), so it sees the gradients they leave."""
        torch.autograd.Variable._execution_engine.queue_callback(self._backward_done)

    def _hook_all(self) -> None:
        """Hook every watched parameter (the first one missed a backward pass)."""
        self._hooked_all = True
        self._handles += [p.register_post_accumulate_grad_hook(self._accumulated)
                          for p in self._watched[1:]]

    def _backward_done(self) -> None:
        """The gradients as this backward pass left them: before clipping and the optimizer."""
        self._queued = False
        full = self._recorded % self.full_every == 0
        reading = self._stats.compute(full)
        if self.updates and (full or self._recorded < self.check_first):
            self._stats.snapshot()  # the parameters before the optimizer: the update ratio
        scale = getattr(self._scaler, "_scale", None)
        if isinstance(scale, torch.Tensor):  # AMP: the pass produced scale × the gradient
            reading.row[:, :3] /= scale.to(reading.row.device, torch.float32)
        self._pending = reading

    def _global_hook(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        if any(id(p) in self._param_ids for g in optimizer.param_groups for p in g["params"]):
            self.step()

    def close(self) -> None:
        """Flush the last statistics and remove every hook (idempotent)."""
        self._flush()
        for handle in self._handles:
            handle.remove()
        self._handles = []
        if self._probes is not None:
            self._probes.remove()
        self._order.remove()
        self._live.close()
        if self._update is not None:
            self._scaler.update = self._update
            self._update = None

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- recording
    def _arm(self) -> None:
        """Sample activations in the forward passes that lead to the next recorded step."""
        if self._probes is not None:
            upcoming = self.step_count  # index of the next step, 0-based
            self._probes.armed = (
                upcoming % self.every == 0
                and (upcoming // self.every) % self.activation_every == 0
            )

    def step(self) -> None:
        """Read the current gradients as optimizer step ``step_count + 1`` (called by the
        hooks; call it yourself after ``optimizer.step()`` with ``auto=False``).

        The device buffers reach the host every ``sync_every`` recorded steps, at every one
        of the first ``check_first`` (so problems present at initialisation are reported at
        once), and as soon as a gradient turns nan/inf."""
        index = self.step_count
        self.step_count += 1
        if index % self.every == 0:
            full = self._recorded % self.full_every == 0
            if self._pending is None and not self._hooked_all:
                self._hook_all()
            reading = self._pending if self._pending is not None else self._stats.compute(full)
            rows = reading.row
            ratio = self._stats.update_ratio()
            if ratio is not None:
                rows[:, UPDATE] = ratio
            self._buffer.write(self.step_count, rows)
            self._loss_buffer.write(self.step_count, self._loss)  # None: nan, no kernel
            self._recorded += 1
            sampled = self._probes.take() if self._probes is not None else None
            if sampled is not None:
                self._probe_rows().write(self.step_count, sampled)
            if (self._sentinel.push(reading.total) or self._recorded <= self.check_first
                    or self._buffer.full
                    or (self._probe_buffer is not None and self._probe_buffer.full)):
                self._flush()
        self._pending = self._loss = None
        self._arm()

    def observe_loss(self, loss: torch.Tensor | float) -> None:
        """Note the training loss of the step being taken: call it after each backward pass,
        before ``optimizer.step()``; losses observed between two steps add up (micro-batch
        losses scaled by 1/k for gradient accumulation give the step's mean). Kept on the
        device (no host sync); the ``loss_growing`` finding reads it (:func:`diagnose`)."""
        if isinstance(loss, torch.Tensor):
            if loss.numel() != 1:
                raise DepthscopeError(
                    f"observe_loss needs one number, got a tensor of shape {tuple(loss.shape)}; "
                    "pass the reduced loss (e.g. loss.mean())")
            value = loss.detach().reshape(()).float()
        elif isinstance(loss, (int, float)) and not isinstance(loss, bool):
            value = torch.tensor(float(loss))
        else:
            raise DepthscopeError(
                f"observe_loss needs a number or a one-element tensor, got "
                f"{type(loss).__name__}; pass the loss")
        self._loss = value if self._loss is None else self._loss + value

    def _probe_rows(self) -> DeviceBuffer:
        """The probes' device buffer, shaped by the call sites of the first sampled forward."""
        if self._probe_buffer is None:
            assert self._probes is not None
            shape = (len(self._probes.sites), len(PROBE_STATS))
            self._probe_buffer = DeviceBuffer(self._sync_every, shape, self._device)
            self._probe_history = History(self._capacity, shape)
        return self._probe_buffer

    def _flush(self) -> None:
        steps, rows, loss = np.zeros(0, dtype=np.int64), None, None
        if self._buffer.steps:
            steps, rows = self._buffer.drain()
            loss = self._loss_buffer.drain()[1]
            self._note_nonfinite(steps, rows)
            self._history.extend(steps, rows)
            self._loss_history.extend(steps, loss)
        probe_steps, probe_rows = np.zeros(0, dtype=np.int64), None
        if self._probe_buffer is not None and self._probe_buffer.steps:
            probe_steps, probe_rows = self._probe_buffer.drain()
            assert self._probe_history is not None
            self._probe_history.extend(probe_steps, probe_rows)
        watched = self.on_alarm is not None or self._live.active
        raised = self._raise_alarms() if watched and self._history.n else []
        if self._live.active and (rows is not None or probe_rows is not None):
            self._live.write(self._slice(steps, rows, loss, probe_steps, probe_rows), raised)

    def _note_nonfinite(self, steps: np.ndarray, rows: np.ndarray) -> None:
        norm, has = rows[:, :, STATS.index("norm")], rows[:, :, STATS.index("has_grad")] > 0
        bad = has & ~np.isfinite(norm)  # (rows, layers)
        self._nonfinite_steps += int(bad.any(axis=1).sum())
        for r, layer in zip(*np.nonzero(bad), strict=True):
            self._first_nonfinite.setdefault(int(layer), int(steps[r]))
        finite = has & np.isfinite(norm)
        for layer in np.nonzero(finite.any(axis=0))[0]:
            r = int(np.nonzero(finite[:, layer])[0][-1])
            self._last_finite[int(layer)] = (int(steps[r]), float(norm[r, layer]))

    def _raise_alarms(self) -> list[Finding]:
        """Alarms not raised before: filed, passed to ``on_alarm``. One alarm per kind (and
        per scope: layers named or the whole net), however the set of layers beyond the
        threshold moves as records come in."""
        seen = {(a.kind, bool(a.layers)) for a in self.alarms}
        raised = []
        for finding in alarm_findings(self.record(flush=False), self.thresholds):
            if (finding.kind, bool(finding.layers)) not in seen:
                seen.add((finding.kind, bool(finding.layers)))
                self.alarms.append(finding)
                raised.append(finding)
                if self.on_alarm is not None:
                    self.on_alarm(finding)
        return raised

    # ----------------------------------------------------------------- results
    def record(self, flush: bool = True) -> Record:
        """Everything seen so far (flushes the device buffers first)."""
        if flush:
            self._flush()
        probes = self._probe_history
        return self._slice(
            self._history.steps.copy(), self._history.rows.copy(), self._loss_history.rows.copy(),
            probes.steps.copy() if probes is not None else np.zeros(0, dtype=np.int64),
            probes.rows.copy() if probes is not None else None,
        )

    def _slice(self, steps: np.ndarray, rows: np.ndarray | None, loss: np.ndarray | None,
               probe_steps: np.ndarray, probe_rows: np.ndarray | None) -> Record:
        """A :class:`Record` of these rows with everything else the watch knows."""
        sites = self._probes.sites if self._probes is not None else []
        return Record(
            layers=self.layers,
            steps=steps,
            grads=rows if rows is not None else np.zeros((0, len(self.layers), len(STATS))),
            loss=loss if loss is not None else np.full(steps.shape, np.nan),
            probe_names=[name for name, _ in sites],
            probe_activations=[act for _, act in sites],
            probe_steps=probe_steps,
            probes=(probe_rows if probe_rows is not None
                    else np.zeros((0, len(sites), len(PROBE_STATS)))),
            first_nonfinite=dict(self._first_nonfinite),
            nonfinite_steps=self._nonfinite_steps,
            n_steps=self.step_count,
            scaler=self._scaler is not None,
            last_finite=dict(self._last_finite),
            forward_order=list(self._order.order),
        )

    def latest(self, per_layer: bool = True) -> dict[str, float]:
        """The last recorded step as flat metrics for a logger: ``grad_norm`` (global, before
        clipping), ``grad_norm/<layer>`` (when ``per_layer``; nan for a layer without a
        gradient), ``alarms`` (raised so far) and ``loss`` (when observed:
        :meth:`observe_loss`); empty before the first recorded step."""
        self._flush()
        if self._history.n == 0:
            return {}
        last = self._slice(self._history.steps[-1:], self._history.rows[-1:],
                           self._loss_history.rows[-1:],
                           np.zeros(0, dtype=np.int64), None)
        values = {"grad_norm": float(last.global_norm()[0]), "alarms": float(len(self.alarms))}
        if not np.isnan(last.loss[0]):
            values["loss"] = float(last.loss[0])
        if per_layer:
            norms = last.norms()[0].filled(np.nan)
            values.update({f"grad_norm/{info.name}": float(norm)
                           for info, norm in zip(self.layers, norms, strict=True)})
        return values

    def diagnose(self) -> list[Finding]:
        """Findings (vanishing, exploding, saturation, dead units), each with a fix."""
        return diagnose(self.record(), self.thresholds)

    def summary(self, console: Any = None) -> Any:
        """The per-layer table (forward order, headers explained) and the findings, as a
        :class:`~depthscope.monitor.report.Summary`: printed (to ``console`` if given) in a
        script; in IPython/Jupyter returned to be shown once (HTML in a notebook)."""
        from depthscope.monitor.report import summary

        record = self.record()
        result = summary(record, diagnose(record, self.thresholds))
        if console is not None or not _in_ipython():
            result.print(console)
        return result

    def to_dataframe(self, kind: str = "gradients") -> Any:
        """Long pandas DataFrame: one row per (step, layer); ``kind="activations"`` for probes."""
        from depthscope.monitor.report import to_dataframe

        return to_dataframe(self.record(), kind)

    def to_csv(self, path: Any, kind: str = "gradients") -> Any:
        """Write :meth:`to_dataframe` to ``path`` (CSV); returns the path."""
        self.to_dataframe(kind).to_csv(path, index=False)
        return path

    def plot(self, path: Any = None) -> Any:
        """Heat map of log10 gradient norm (layer x step) and the gradient-flow profile."""
        from depthscope.monitor.plot import plot

        return plot(self.record(), path)

    def to_tensorboard(self, writer: Any) -> None:
        """Write everything recorded (gradient and activation scalars, findings as text) to a
        ``SummaryWriter`` or a log directory; nan/inf are safe. To write while training,
        pass ``tensorboard=`` to :func:`watch` instead."""
        from depthscope.monitor.export import to_tensorboard

        record = self.record()
        to_tensorboard(record, writer, diagnose(record, self.thresholds))

    def to_mlflow(self, run_id: str | None = None) -> None:
        """Log metrics to MLflow (the active run, or ``run_id``)."""
        from depthscope.monitor.export import to_mlflow

        to_mlflow(self.record(), run_id)


def watch(model: nn.Module, every: int = 1, activations: bool = True, **options: Any) -> Watch:
    """Watch the gradients of ``model``; a context manager or a plain object.

    Args:
        model: any ``nn.Module`` (compiled, custom, partly frozen).
        every: record every ``every``-th optimizer step.
        activations: sample activation statistics with forward hooks (every
            ``activation_every`` recorded steps).
        **options: ``optimizer`` (hook only this one), ``scaler`` (a ``GradScaler``: read
            after unscaling, also on skipped steps), ``auto=False`` (call ``w.step()``
            yourself), ``full_every``, ``activation_every``, ``sync_every``, ``check_first``
            (steps read and diagnosed at once from the start, default 5), ``updates``
            (the update ratio ||Δθ||/||θ|| on those steps and every ``full_every``-th: each
            takes a transient copy of the parameters; ``updates=False`` where they fill the
            device), ``capacity``,
            ``thresholds``, ``on_alarm`` (None: no live alarms), ``tensorboard`` (a
            ``SummaryWriter`` or log directory) and ``csv`` (a ``.csv`` path) written while
            training, findings included.

    Returns:
        A :class:`Watch`; ``close()`` (or leaving the ``with`` block) removes every hook.

    Example:
        >>> import torch
        >>> from torch import nn
        >>> net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
        >>> opt = torch.optim.SGD(net.parameters(), lr=0.1)
        >>> with watch(net, on_alarm=None) as w:
        ...     net(torch.ones(3, 4)).sum().backward()
        ...     opt.step()
        >>> w.step_count, [info.name for info in w.layers]
        (1, ['0', '2'])

    References:
        Schoenholz et al. 2017 (the depth profile ``chi_1^(L-l)`` the findings read); Poole
        et al. 2016 (the forward length ``q``).
    """
    return Watch(model, every, activations, **options)


def _layers(model: nn.Module) -> list[tuple[str, nn.Module, list[nn.Parameter]]]:
    out = []
    for name, module in model.named_modules():
        params = [p for p in module.parameters(recurse=False) if p.requires_grad]
        if params:
            out.append((name or type(module).__name__, module, params))
    return out


def _layer_infos(model: nn.Module, groups: list) -> list[LayerInfo]:
    inner = getattr(model, "_orig_mod", model)  # torch.compile wrapper
    governing = {id(la.module): la.governing for la in layer_activations(inner)}
    infos = []
    for name, module, params in groups:
        step = governing.get(id(module))
        sigmas = sigma_of(module) if isinstance(module, WEIGHT_LAYERS) else (None, None)
        infos.append(LayerInfo(
            name, type(module).__name__, sum(p.numel() for p in params),
            step.activation if step is not None else None, *sigmas,
        ))
    return infos


def _activation_modules(model: nn.Module) -> list:
    out = []
    for name, module in model.named_modules():
        act = activation_of(module)
        if act is not None:
            out.append((name, module, act))
    return out


def _in_ipython() -> bool:
    """Whether this runs under IPython (a notebook or its terminal), which shows the value."""
    import sys

    shell = sys.modules.get("IPython")
    return shell is not None and getattr(shell, "get_ipython", lambda: None)() is not None


def _print_alarm(finding: Finding) -> None:
    """Print an alarm to stderr (once per job: on rank 0 under ``torch.distributed``)."""
    from rich.console import Console
    from rich.markup import escape

    distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
    if distributed and torch.distributed.get_rank() != 0:
        return
    Console(stderr=True).print(f"[bold red]depthscope alarm[/] {escape(finding.message)}\n"
                               f"  fix: {escape(finding.fix)}", soft_wrap=True)
