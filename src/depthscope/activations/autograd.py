"""Custom autograd for activations: closed-form backward and double backward.

``Phi`` computes ``phi(x)``; its backward is ``g * phi'(x)`` (one fused kernel, which also
reads the saved output where ``phi'`` is cheaper from it). When the
backward itself must be differentiable (``create_graph=True``, e.g. gradient penalties or
Hessian-vector products) it goes through ``DPhi``, whose own backward uses the closed-form
second derivative::

    d/dx [g phi'(x)] = g phi''(x),    d/dg [g phi'(x)] = phi'(x).
"""

from __future__ import annotations

from typing import Any

import torch

from depthscope.activations import kernels
from depthscope.activations.base import Activation


class Phi(torch.autograd.Function):
    """``y = phi(x)`` with ``dy/dx = phi'(x)`` in closed form."""

    @staticmethod
    def forward(x: torch.Tensor, act: Activation) -> torch.Tensor:
        return kernels.phi(act, x)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[torch.Tensor, Activation], output: Any) -> None:
        x, act = inputs
        ctx.save_for_backward(x, output) if act.backward_uses_value else ctx.save_for_backward(x)
        ctx.act = act

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor | None, None]:
        x, *y = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: keep the backward differentiable
            return DPhi.apply(x, g, ctx.act), None
        return kernels.grad(ctx.act, x, g, *y), None


class DPhi(torch.autograd.Function):
    """``z = g * phi'(x)``, differentiable in ``x`` (via ``phi''``) and in ``g``."""

    @staticmethod
    def forward(x: torch.Tensor, g: torch.Tensor, act: Activation) -> torch.Tensor:
        return kernels.eager_grad(act, x, g)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        x, g, act = inputs
        ctx.save_for_backward(x, g)
        ctx.act = act

    @staticmethod
    def backward(ctx: Any, gg: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, g = ctx.saved_tensors
        act: Activation = ctx.act
        dtype = kernels.compute_dtype(x.dtype)
        xc, gc, ggc = x.to(dtype), g.to(dtype), gg.to(dtype)
        dx = (ggc * gc * act.d2phi(xc)).to(x.dtype) if ctx.needs_input_grad[0] else None
        dg = (ggc * act.dphi(xc)).to(g.dtype) if ctx.needs_input_grad[1] else None
        return dx, dg, None


def apply(act: Activation, x: torch.Tensor) -> torch.Tensor:
    """``phi(x)`` for any tensor; integer tensors are promoted to the default float dtype."""
    if not x.is_floating_point():
        if x.is_complex():
            from depthscope.activations.registry import ActivationError

            raise ActivationError(f"{act.label}: complex tensors are not supported")
        x = x.to(torch.get_default_dtype())
    return Phi.apply(x, act)
