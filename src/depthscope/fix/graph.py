"""What feeds each weight layer, read from the autograd graph of one forward pass.

With example inputs, one forward pass with hooks on every weight layer (Linear, Conv) and
attention module (``nn.MultiheadAttention``, whose projections are used functionally) records
their inputs and outputs. The autograd node that produced a layer's input names the
activation on it (``ReluBackward0`` -> relu, ``LeakyReluBackward0`` -> leaky relu with its
saved slope, ...); shape-only nodes, pooling, dropout and multiplication by a constant are
looked through; a normalisation, a residual sum, an embedding or the raw input mean the
layer's input has no activation (``identity``: sigma_w = 1). Functional calls inside a
module (``F.relu`` in ``nn.TransformerEncoderLayer``) are seen too, which fx tracing misses
whenever it fails.

Residual branch ends: walking the graph back from the output, a sum (``AddBackward0``) one of
whose operands is (through the same transparent nodes) a weight layer's or an attention
module's output: that layer ends a residual branch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from depthscope.activations import Activation, get
from depthscope.fix.detect import WEIGHT_LAYERS, hardtanh_activation, softplus_activation
from depthscope.modelio import call_model, first_tensor, preserved

#: autograd node -> the activation it computes (from the node's saved arguments)
ACTIVATION_NODES: dict[str, Callable[[Any], Activation]] = {
    "ReluBackward0": lambda n: get("relu"),
    "TanhBackward0": lambda n: get("tanh"),
    "SigmoidBackward0": lambda n: get("sigmoid"),
    "GeluBackward0": lambda n: get("gelu"),
    "SiluBackward0": lambda n: get("silu"),
    "EluBackward0": lambda n: get("elu", alpha=float(n._saved_alpha)),
    "LeakyReluBackward0": lambda n: get("leaky_relu",
                                        negative_slope=float(n._saved_negative_slope)),
    "SoftplusBackward0": lambda n: softplus_activation(float(n._saved_beta)),
    "HardtanhBackward0": lambda n: hardtanh_activation(float(n._saved_min_val),
                                                       float(n._saved_max_val)),
}
#: nodes after which a layer's input carries no activation (sigma_w = 1): normalisations,
#: sums, embeddings, and attention's context softmax(Q K^T / sqrt(d)) V (linear in V)
IDENTITY_NODES = ("NativeLayerNormBackward0", "NativeBatchNormBackward0",
                  "CudnnBatchNormBackward0", "NativeGroupNormBackward0", "AddBackward0",
                  "SubBackward0", "EmbeddingBackward0", "CatBackward0", "BmmBackward0",
                  "ScaledDotProductAttentionBackward0",
                  "ScaledDotProductFlashAttentionForCpuBackward0",
                  "ScaledDotProductEfficientAttentionBackward0")
#: nodes that change shape, pool, drop or scale by a constant: looked through
TRANSPARENT_PREFIXES = ("View", "UnsafeView", "ReshapeAlias", "Transpose", "Permute", "Clone",
                        "Expand", "Squeeze", "Unsqueeze", "MaxPool", "AvgPool", "AdaptiveAvgPool",
                        "AdaptiveMaxPool", "NativeDropout", "Select", "Slice", "ToCopy", "Mean",
                        "Flatten", "Contiguous")


@dataclass(frozen=True)
class Fed:
    """What feeds one weight layer: the activation (None: unknown), how it was found, and
    whether the layer ends a residual branch."""

    activation: Activation | None
    source: str  # "autograd: <node>" or "input" (the model's input: raw data)
    branch_end: bool


def _through(node: Any) -> Any:
    """Skip transparent nodes (module docstring) back to the one that matters."""
    while node is not None:
        name = node.name()
        live = [f for f, _ in node.next_functions if f is not None]
        constant_mul = name.startswith(("MulBackward", "DivBackward")) and len(live) == 1
        if not (name.startswith(TRANSPARENT_PREFIXES) or constant_mul) or not live:
            return node
        node = live[0]
    return None


def _feeding(node: Any) -> tuple[Activation | None, str]:
    node = _through(node)
    if node is None:
        return get("identity"), "input"
    name = node.name()
    if name in ACTIVATION_NODES:
        return ACTIVATION_NODES[name](node), f"autograd: {name}"
    if name in IDENTITY_NODES or name == "AccumulateGrad":
        return get("identity"), f"autograd: {name}"
    return None, f"autograd: {name} (unknown)"


def _branch_ends(output: torch.Tensor, ends: dict[Any, nn.Module]) -> set[int]:
    """ids of the modules in ``ends`` (keyed by their output's node) summed into a residual
    stream."""
    found: set[int] = set()
    seen: set[int] = set()
    stack = [output.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if node.name() == "AddBackward0":
            for operand, _ in node.next_functions:
                module = ends.get(_through(operand)) if operand is not None else None
                if module is not None:
                    found.add(id(module))
        stack.extend(f for f, _ in node.next_functions if f is not None)
    return found


def feeding(model: nn.Module, inputs: Any) -> dict[int, Fed]:
    """``id(module) -> Fed`` for every weight layer and attention module that ran on
    ``inputs`` (the model, its state and the RNG are left as they were)."""
    watched = [m for m in model.modules()
               if isinstance(m, (*WEIGHT_LAYERS, nn.MultiheadAttention))]
    records: dict[int, tuple[nn.Module, Any, torch.Tensor]] = {}

    def hook(module: nn.Module, args: tuple, output: Any) -> None:
        out = first_tensor(output)
        if id(module) not in records and out is not None and args:
            records[id(module)] = (module, args[0], out)

    with preserved(model):
        handles = [m.register_forward_hook(hook) for m in watched]
        try:
            with torch.enable_grad():
                result = first_tensor(call_model(model, inputs))
        finally:
            for h in handles:
                h.remove()
        ends = {_through(out.grad_fn): module for module, _, out in records.values()
                if out.grad_fn is not None}
        branch = _branch_ends(result, ends) if result is not None else set()
        out: dict[int, Fed] = {}
        for key, (_, x, _) in records.items():
            x = first_tensor(x)
            act, source = (_feeding(x.grad_fn) if x is not None and x.grad_fn is not None
                           else (get("identity"), "input"))
            out[key] = Fed(act, source, key in branch)
    return out
