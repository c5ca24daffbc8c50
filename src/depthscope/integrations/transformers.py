"""``GradientHealthCallback``: depthscope's ``watch`` inside the Hugging Face ``Trainer``.

It watches the model from ``on_train_begin`` to ``on_train_end``; the watch reads every
backward pass's gradients before the Trainer clips them (``max_grad_norm``) and after
gradient accumulation, so ``depthscope/grad_norm`` is the norm the Trainer's own ``grad_norm``
reports. At every ``on_log`` it adds, for the last recorded step, the global norm, each
layer's norm (``depthscope/grad_norm/<layer>``) and the number of alarms so far; alarms print
when found (``on_alarm``, as for :func:`depthscope.watch`). The Trainer hands its callbacks
no per-step loss (``on_log``'s is averaged over ``logging_steps``), so :func:`attach` also
wraps ``trainer.training_step`` to pass each micro-batch's loss (as the Trainer returns it,
divided by the accumulation steps) to ``Watch.observe_loss``: the step's loss, which the
``loss_growing`` finding reads and ``depthscope/loss`` logs, is the one the Trainer logs as
``loss`` at ``logging_steps=1``. A callback passed as ``Trainer(callbacks=[...])`` sees no
loss.

Usage: ``attach(trainer)`` (extra ``hf``): it puts the callback *first*, so the Trainer's
reporting integrations (TensorBoard, MLflow, ...), which come before callbacks passed to
``Trainer(callbacks=[...])``, receive its values; the values also enter
``trainer.state.log_history``.
"""

from __future__ import annotations

from typing import Any

from transformers import TrainerCallback

from depthscope.monitor import Watch, watch


class GradientHealthCallback(TrainerCallback):
    """Watch the Trainer's model; log gradient health with the Trainer's own logs."""

    def __init__(self, per_layer: bool = True, **watch_options: Any) -> None:
        self.per_layer = per_layer
        self.options = watch_options
        self.watch: Watch | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None,
                       **kwargs: Any) -> None:
        if model is not None and self.watch is None:
            self.watch = watch(model, **self.options)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None,
               **kwargs: Any) -> None:
        if self.watch is None or logs is None:
            return
        values = {f"depthscope/{k}": v for k, v in self.watch.latest(self.per_layer).items()}
        if not values:
            return
        logs.update(values)
        history = getattr(state, "log_history", None)
        if history and history[-1].get("step") == state.global_step:
            history[-1].update(values)  # the Trainer filed this log before calling back

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.watch is not None:
            self.watch.close()


def attach(trainer: Any, per_layer: bool = True, **watch_options: Any
           ) -> GradientHealthCallback:
    """A :class:`GradientHealthCallback` put first among ``trainer``'s callbacks, with
    ``trainer.training_step`` wrapped to hand it each micro-batch's loss."""
    callback = GradientHealthCallback(per_layer, **watch_options)
    trainer.callback_handler.callbacks.insert(0, callback)
    training_step = trainer.training_step

    def observed(*args: Any, **kwargs: Any) -> Any:
        loss = training_step(*args, **kwargs)
        if callback.watch is not None:
            callback.watch.observe_loss(loss)
        return loss

    trainer.training_step = observed
    return callback

