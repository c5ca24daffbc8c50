"""``critical_(model)``: every Linear/Conv layer at the edge of chaos of its activation.

For ``h^l = W^l phi(h^{l-1}) + b^l`` the backward factor per layer is
``chi_1 = sigma_w^2 E[phi'(h)^2]`` at the fixed point ``q*`` (Poole et al. 2016; Schoenholz
et al. 2017); ``chi_1 = 1`` keeps gradient norms level with depth. Each layer gets
``W ~ N(0, sigma_w^2/fan_in)`` (or ``sigma_w`` times an orthogonal matrix) with
``sigma_w = theory.critical_sigma_w(phi, sigma_b)`` for the activation on its input (the
first layer: the one after it), and ``b ~ N(0, sigma_b^2)``.

The rules for what is not a plain layer after an activation (stated, and reported per
parameter):

* a layer whose input is normalised, a residual sum, an embedding or attention's context
  (no activation): ``sigma_w = 1`` (LeCun), bias ``N(0, sigma_b^2)``;
* attention (``nn.MultiheadAttention``): Q, K, V and the output projection at ``sigma_w = 1``
  (each of Q, K, V over the embedding width), biases zero;
* with ``example_inputs``, activations are read from the autograd graph of one forward pass
  (functional ones included; :mod:`depthscope.fix.graph`), and the last layer of each of the
  ``n`` residual branches found gets ``sigma_w`` times ``alpha = 1/sqrt(n)`` (Hayou et al.
  2021, "Stable ResNet": the stack's gradient gain stays bounded as ``n`` grows);
* normalisation layers, embeddings and every other parameter are left as they are, and listed.

Without ``example_inputs`` a model that ``torch.fx`` cannot trace is read in registration
order, which misses functional activations: a warning says so and names the layers.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from depthscope import init
from depthscope.activations import Activation, get
from depthscope.errors import DepthscopeError
from depthscope.fix.detect import (
    LayerActivation,
    activation_of,
    layer_activations,
    sigma_of,
    traceable,
)
from depthscope.fix.numeric import numerical_activation

IDENTITY = get("identity")
ActLike = str | Activation | nn.Module | Callable[[torch.Tensor], torch.Tensor]
NORMALISATION = (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm,
                 nn.modules.instancenorm._InstanceNorm)


def resolve(act: ActLike) -> Activation:
    """A registered name, an Activation, an activation module or any elementwise function."""
    if isinstance(act, (str, Activation)):
        return get(act)
    if isinstance(act, nn.Module):
        known = activation_of(act)
        return known if known is not None else numerical_activation(act, type(act).__name__)
    if callable(act):
        return numerical_activation(act, getattr(act, "__name__", "user"))
    raise DepthscopeError(
        f"activation must be a name, an Activation, a module or a function, got {act!r}"
    )


@dataclass(frozen=True)
class LayerInit:
    """What ``critical_`` did to one layer (or one attention projection)."""

    name: str
    kind: str
    fan_in: int
    activation: str
    source: str  # "input", "output" (first layer), "given" or "none" (identity: sigma_w = 1)
    sigma_w_before: float
    sigma_w: float
    sigma_b: float
    rule: str = "edge of chaos"  # or "identity", "attention", "... x alpha (branch end)"
    found_by: str = "fx"  # "fx", "registration order", "autograd: <node>", "given"


@dataclass(frozen=True)
class LeftAlone:
    """A parameter ``critical_`` did not change, and why."""

    name: str
    shape: tuple[int, ...]
    why: str


@dataclass(frozen=True)
class CriticalReport:
    """The layers ``critical_`` initialised (in execution order), the parameters it left
    alone, and its warnings."""

    layers: tuple[LayerInit, ...]
    orthogonal: bool
    left: tuple[LeftAlone, ...] = ()
    warnings: tuple[str, ...] = ()
    branch_scale: float | None = None  # alpha on residual branch ends, where found

    def __str__(self) -> str:
        rows = [f"{'layer':<32} {'activation':<24} {'rule':<26} {'sigma_w before':>14} "
                f"{'after':>8}"]
        rows += [f"{x.name[:32]:<32} {x.activation[:24]:<24} {x.rule[:26]:<26} "
                 f"{x.sigma_w_before:>14.4g} {x.sigma_w:>8.4g}" for x in self.layers]
        if self.left:
            rows.append("left as they are:")
            rows += [f"  {x.name} {tuple(x.shape)}: {x.why}" for x in self.left]
        rows += [f"warning: {w}" for w in self.warnings]
        return "\n".join(rows)


def _attention_(module: nn.MultiheadAttention, scale: float,
                generator: torch.Generator | None, orthogonal: bool) -> list[tuple[str, Any]]:
    """Q, K, V and the output projection at ``sigma_w = 1`` (the output's times ``scale``),
    biases zero; returns ``(part, tensor)`` pairs filled."""
    fill = init.orthogonal_ if orthogonal else init.gaussian_
    parts: list[tuple[str, Any]] = []
    if module.in_proj_weight is not None:
        for i, part in enumerate(module.in_proj_weight.chunk(3, dim=0)):
            fill(part, 1.0, generator=generator)  # a view: filled in place
            parts.append(("in_proj_weight " + "qkv"[i], part))
    else:
        for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
            fill(getattr(module, name), 1.0, generator=generator)
            parts.append((name, getattr(module, name)))
    if module.in_proj_bias is not None:
        module.in_proj_bias.zero_()
    fill(module.out_proj, scale, 0.0, generator=generator)
    parts.append(("out_proj", module.out_proj.weight))
    return parts


@torch.no_grad()
def critical_(
    model: nn.Module,
    sigma_b: float = 0.0,
    *,
    orthogonal: bool = False,
    activation: ActLike | None = None,
    generator: torch.Generator | None = None,
    example_inputs: Any = None,
    return_report: bool = False,
) -> Any:
    """Initialise every Linear/Conv layer of ``model`` at the edge of chaos, in place.

    Args:
        model: any module; activations are detected (registered, torch, or numerical).
        sigma_b: bias standard deviation ``sigma_b`` (Poole et al. 2016).
        orthogonal: ``sigma_w`` times an orthogonal matrix (Pennington et al. 2017).
        activation: use this activation for every layer instead of detecting it.
        generator: random source (default: torch's global one).
        example_inputs: a batch the model accepts (a tensor, a tuple or a dict): activations
            are then read from one forward pass's autograd graph, and residual branch ends
            are found and scaled (module docstring).
        return_report: return the :class:`CriticalReport` instead of the model.

    Returns:
        ``model`` (as ``torch.nn.init``'s functions return what they changed); with
        ``return_report=True`` a :class:`CriticalReport` (print it for a table): every layer
        changed and how, every parameter left alone and why, and the warnings (also issued
        as ``UserWarning``).

    Example:
        >>> net = nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2))
        >>> critical_(net) is net
        True
        >>> critical_(net, return_report=True).layers[1].sigma_w  # tanh, sigma_b = 0
        1.0
    """
    if not isinstance(model, nn.Module):
        raise DepthscopeError(f"critical_() needs a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(return_report, bool):
        raise DepthscopeError(f"return_report must be True or False, got {return_report!r}")
    if isinstance(sigma_b, bool) or not isinstance(sigma_b, (int, float)) or not sigma_b >= 0:
        raise DepthscopeError(f"sigma_b must be a number >= 0 (a standard deviation), got "
                              f"{sigma_b!r}")
    root = getattr(model, "_orig_mod", model)
    attention = [m for m in root.modules() if isinstance(m, nn.MultiheadAttention)]
    inside = {id(m.out_proj) for m in attention}
    layers = [x for x in layer_activations(root) if id(x.module) not in inside]
    if not layers and not attention:
        raise DepthscopeError(f"{type(model).__name__} has no Linear or Conv layer to initialise")
    given = resolve(activation) if activation is not None else None
    notes: list[str] = []
    if example_inputs is not None:
        from depthscope.fix.graph import feeding

        fed = feeding(root, example_inputs)
        order = "autograd"
    else:
        fed = {}
        order = "fx" if traceable(root) else "registration order"
    ends = [k for k, f in fed.items() if f.branch_end]
    alpha = 1 / math.sqrt(len(ends)) if ends else None
    from depthscope.theory import critical_sigma_w

    cache: dict[Activation, float] = {}
    done: list[LayerInit] = []
    changed: set[int] = set()
    names = {id(m): n or type(m).__name__ for n, m in root.named_modules()}
    unknown: list[str] = []
    fill = init.orthogonal_ if orthogonal else init.gaussian_
    for layer in layers:
        act, source, found_by = _governing(layer, given, fed.get(id(layer.module)), order)
        if act is None:
            unknown.append(layer.name)
            act = IDENTITY
        if act not in cache:  # identity: chi_1 = sigma_w^2, so sigma_w = 1 (LeCun)
            cache[act] = 1.0 if act.name == "identity" and act.is_affine_default else float(
                critical_sigma_w(act, sigma_b=sigma_b, orthogonal=orthogonal))
        end = id(layer.module) in ends
        sigma_w = cache[act] * (alpha if end and alpha is not None else 1.0)
        rule = "identity" if act.name == "identity" else "edge of chaos"
        if end:
            rule += f" x alpha {alpha:.3g} (branch end)"
        before = sigma_of(layer.module)[0]
        fill(layer.module, sigma_w, sigma_b, generator=generator)
        changed.update(id(p) for p in layer.module.parameters(recurse=False))
        w = layer.module.weight
        done.append(LayerInit(layer.name or names[id(layer.module)], type(layer.module).__name__,
                              w.shape[1] * w[0, 0].numel(), act.label, source, before,
                              sigma_w, sigma_b, rule, found_by))
    for module in attention:
        end = id(module) in ends
        scale = alpha if end and alpha is not None else 1.0
        for part, tensor in _attention_(module, scale, generator, orthogonal):
            done.append(LayerInit(f"{names[id(module)]}.{part}", "MultiheadAttention",
                                  tensor.shape[1], "attention", "none", math.nan,
                                  scale if part == "out_proj" else 1.0, 0.0,
                                  "attention" + (f" x alpha {alpha:.3g} (branch end)"
                                                 if end and part == "out_proj" else ""),
                                  order))
        changed.update(id(p) for p in module.parameters())
    if unknown:
        notes.append(f"no known activation feeds {', '.join(unknown)}: set as identity "
                     "(sigma_w = 1); pass activation=... if that is wrong")
    if order == "registration order":
        notes.append(f"torch.fx cannot trace {type(root).__name__}: activations were read in "
                     "registration order, so functional ones (F.relu in a forward) are "
                     "missed; pass example_inputs=... to read them from autograd")
    for note in notes:
        warnings.warn(note, stacklevel=2)
    report = CriticalReport(tuple(done), orthogonal, tuple(_left_alone(root, changed)),
                            tuple(notes), alpha)
    return report if return_report else model


def _governing(layer: LayerActivation, given: Activation | None, fed: Any, order: str
               ) -> tuple[Activation | None, str, str]:
    """The activation this layer's sigma_w answers to, its ``source`` and how it was
    found: given, read from autograd (the raw input falls back to the chain's next
    activation), or from the fx / registration chain."""
    if given is not None:
        return given, "given", "given"
    if fed is not None and fed.source != "input":
        return fed.activation, "input" if fed.activation is not None else "none", fed.source
    step = layer.governing
    if step is None:
        return IDENTITY, "none", order
    return step.activation, "input" if step is layer.before else "output", order


def _left_alone(model: nn.Module, changed: set[int]) -> list[LeftAlone]:
    """Every parameter ``critical_`` did not set, with the reason."""
    out = []
    for module_name, module in model.named_modules():
        for name, p in module.named_parameters(recurse=False):
            if id(p) in changed:
                continue
            full = f"{module_name}.{name}" if module_name else name
            if isinstance(module, NORMALISATION):
                why = "normalisation layer: its gain and bias are left as they are"
            elif isinstance(module, nn.Embedding):
                why = "embedding: no activation theory for a lookup table"
            else:
                why = f"{type(module).__name__}: no rule for this parameter"
            out.append(LeftAlone(full, tuple(p.shape), why))
    return out
