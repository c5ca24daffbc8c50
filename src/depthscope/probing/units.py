"""The units a probe measures: the blocks of a model, in the order they run.

A module is *walked into* when it is a container (``Sequential``, ``ModuleList``,
``ModuleDict``) or when a stack (a container of two or more modules) lies somewhere below it;
otherwise it is one unit. So an MLP's units are its layers and activations, a ResNet's its stem
layers and residual blocks, a Transformer's its embedding and encoder layers, and a bare
``nn.Linear`` is its own (the root counts).
"""

from __future__ import annotations

from torch import nn

CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)


def _is_stack(module: nn.Module) -> bool:
    return isinstance(module, CONTAINERS) and len(module) >= 2


def _has_stack_below(module: nn.Module) -> bool:
    return any(_is_stack(m) for m in module.modules() if m is not module)


def units(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(qualified name, module)`` of every unit of ``model`` (registration order; the probe
    reorders them as they run). The root is named by its class."""
    out: list[tuple[str, nn.Module]] = []

    def walk(name: str, module: nn.Module) -> None:
        children = list(module.named_children())
        if children and (isinstance(module, CONTAINERS) or _has_stack_below(module)):
            for child_name, child in children:
                walk(f"{name}.{child_name}" if name else child_name, child)
        else:
            out.append((name or type(module).__name__, module))

    walk("", model)
    return out


def is_composite(module: nn.Module) -> bool:
    """A unit made of further modules (a residual block, a Transformer layer)."""
    return any(True for _ in module.children())
