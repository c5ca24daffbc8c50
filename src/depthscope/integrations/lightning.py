"""``GradientHealth``: depthscope's ``watch`` inside a Lightning ``Trainer`` (extra
``lightning``).

It watches the ``LightningModule`` from ``on_fit_start`` to ``on_fit_end``. Lightning runs the
backward pass inside ``optimizer.step(closure)`` and clips (``gradient_clip_val``) between the
closure and the step; the watch reads every backward pass's gradients at its end, so
``depthscope/grad_norm`` is the norm *before* clipping, after any ``accumulate_grad_batches``.
Every ``log_every_n_steps`` optimizer steps (the Trainer's own setting) it logs, through the
Trainer's loggers (``LightningModule.log_dict``), the global norm, each layer's norm
(``depthscope/grad_norm/<layer>``), the number of alarms so far and the step's training loss
(``depthscope/loss``: each backward pass's loss as Lightning hands it to ``on_before_backward``,
already divided by ``accumulate_grad_batches``, summed over the step's micro-batches), which
the ``loss_growing`` finding reads; alarms print when found (``on_alarm``, as for
:func:`depthscope.watch`).

Usage::

    trainer = lightning.Trainer(callbacks=[GradientHealth()], gradient_clip_val=1.0)
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch import Callback

from depthscope.monitor import Watch, watch


class GradientHealth(Callback):
    """Watch the module being fitted; log gradient health with the Trainer's own logs."""

    def __init__(self, per_layer: bool = True, **watch_options: Any) -> None:
        self.per_layer = per_layer
        self.options = watch_options
        self.watch: Watch | None = None
        self._logged_step = -1

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        if self.watch is None:
            self.watch = watch(pl_module, **self.options)

    def on_before_backward(self, trainer: Any, pl_module: Any, loss: Any) -> None:
        if self.watch is not None:
            self.watch.observe_loss(loss)

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        if self.watch is None:
            return
        steps = self.watch.step_count  # optimizer steps taken so far
        if steps == self._logged_step or (steps - 1) % trainer.log_every_n_steps:
            return
        self._logged_step = steps
        values = self.watch.latest(self.per_layer)
        if values:
            pl_module.log_dict({f"depthscope/{k}": v for k, v in values.items()},
                               on_step=True, on_epoch=False)

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        if self.watch is not None:
            self.watch.close()
            self.watch = None
