"""``transform``: a theory-transformed activation ``gain (phi(scale x + shift) + offset)``, or a
whole model's activations swapped for their depth-aware transforms.

* ``transform(act)`` (a name, Activation, activation module or function): the edge-of-chaos
  transform ``theory.critical_transform`` at a chosen ``q*``; with ``method="dks"`` or
  ``"tat"`` and a ``depth``, DKS or TAT for that depth (Martens et al. 2021; Zhang et al. 2022).
* ``transform(model, method="dks"|"tat")`` (a module with parameters), in place: every
  recognised activation module becomes ``depthscope.nn.Activation`` of its DKS/TAT transform
  for the model's depth (default: the number of activation modules, the nonlinear layers of
  an MLP); ReLU under TAT becomes TReLU (``tat_leaky_relu``); every Linear/Conv layer gets the
  methods' weights: scaled uniform orthogonal, delta-orthogonal for convolutions, zero biases.
  The report lists what changed, and what was left alone and why (functional activations in a
  ``forward``, activations the method cannot transform, normalisation layers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from depthscope import init
from depthscope.errors import DepthscopeError
from depthscope.fix.critical import ActLike, resolve
from depthscope.fix.detect import WEIGHT_LAYERS, activation_of, chain

METHODS = ("critical", "dks", "tat")


@dataclass(frozen=True)
class Swapped:
    """One activation module replaced."""

    name: str
    before: str
    after: str


@dataclass(frozen=True)
class TransformReport:
    """What ``transform(model, ...)`` changed and left alone."""

    method: str
    depth: int
    swapped: tuple[Swapped, ...]
    reinitialised: tuple[str, ...]
    left: tuple[tuple[str, str], ...]  # (name, why)
    shaped: dict[str, Any]  # base activation label -> ShapedActivation

    def __str__(self) -> str:
        rows = [f"{self.method.upper()} for depth {self.depth}:"]
        rows += [f"  {s.name}: {s.before} -> {s.after}" for s in self.swapped]
        rows.append(f"  {len(self.reinitialised)} weight layers: scaled uniform orthogonal "
                    "(delta for convolutions), zero biases")
        rows += [f"  left {name}: {why}" for name, why in self.left]
        return "\n".join(rows)


def _model_transform(model: nn.Module, method: str, depth: int | None,
                     generator: torch.Generator | None, options: dict[str, float]
                     ) -> TransformReport:
    from depthscope.nn import Activation as ActivationModule

    acts = [(name, act) for name, m in model.named_modules()
            if name and (act := activation_of(m)) is not None]
    if not acts:
        raise DepthscopeError(f"{type(model).__name__} has no activation module to transform "
                              "(functional activations in a forward cannot be swapped)")
    depth = len(acts) if depth is None else depth
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise DepthscopeError(f"depth must be an integer >= 1, got {depth!r}")
    shaped: dict[str, Any] = {}
    swapped, left = [], []
    for name, act in acts:
        if act.label not in shaped:
            try:
                from depthscope.theory.shaping import depth_transform

                shaped[act.label] = depth_transform(act, method, depth, **options)
            except DepthscopeError as err:
                shaped[act.label] = err
        result = shaped[act.label]
        if isinstance(result, DepthscopeError):
            left.append((name, f"{act.label}: {result}"))
            continue
        parent_name, _, leaf = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, leaf, ActivationModule(result.activation))
        swapped.append(Swapped(name, act.label, result.activation.label))
    for step in chain(model):
        if step.source == "function":
            left.append((step.name, "a functional activation in a forward: make it a module "
                                    "to transform it"))
    weights = []
    for name, m in model.named_modules():
        if isinstance(m, WEIGHT_LAYERS):
            init.delta_orthogonal_(m, 1.0, 0.0, generator=generator)
            weights.append(name or type(m).__name__)
        elif any(True for _ in m.parameters(recurse=False)):
            left.append((name, f"{type(m).__name__}: parameters left as they are"))
    return TransformReport(method, depth, tuple(swapped), tuple(weights), tuple(left),
                           {k: v for k, v in shaped.items()
                            if not isinstance(v, DepthscopeError)})


def transform(target: ActLike | nn.Module, method: str = "critical", *,
              depth: int | None = None, q_star: float = 1.0, sigma_w: float = 1.0,
              sigma_b: float = 0.0, generator: torch.Generator | None = None,
              **options: float) -> Any:
    """A transformed activation, or a model transformed in place (module docstring).

    Args:
        target: an activation (name, Activation, activation module, function) or a model
            (a module with parameters).
        method: ``"critical"`` (activations only: chi_1 = 1 at ``q_star``), ``"dks"`` or
            ``"tat"``.
        depth: the network's depth for DKS/TAT (a model: default its activation count).
        q_star, sigma_w, sigma_b: the critical transform's fixed point and weights.
        generator: random source for a model's new weights.
        **options: ``zeta``, ``q_slope`` (DKS), ``tau``, ``eta`` (TAT, TReLU).

    Returns:
        ``CriticalTransform`` / ``ShapedActivation`` for an activation (``.activation`` is the
        transformed one); a :class:`TransformReport` for a model.

    Example:
        >>> import torch
        >>> from torch import nn
        >>> from depthscope import transform
        >>> transform("tanh").activation  # the edge of chaos at q* = 1, sigma_w = 1
        Activation(tanh(gain=1.46741, offset=0.26478))
        >>> net = nn.Sequential(*[m for _ in range(8) for m in (nn.Linear(16, 16), nn.Tanh())],
        ...                     nn.Linear(16, 2))
        >>> report = transform(net, "dks", generator=torch.Generator().manual_seed(0))
        >>> net[1]  # DKS for depth 8, in place
        Activation(tanh(scale=0.334902, shift=0.677598, gain=4.49815, offset=-0.551088))

    References:
        Martens et al. 2021 (DKS); Zhang et al. 2022 (TAT); Poole et al. 2016 (chi_1 = 1).
    """
    if method not in METHODS:
        raise DepthscopeError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    is_model = isinstance(target, nn.Module) and any(True for _ in target.parameters())
    if is_model:
        if method == "critical":
            raise DepthscopeError("a model takes method='dks' or 'tat' (for the edge of chaos "
                                  "of a model's weights use critical_(model))")
        with torch.no_grad():
            return _model_transform(target, method, depth, generator, options)
    act = resolve(target)
    if method == "critical":
        from depthscope.theory import critical_transform

        return critical_transform(act, q_star=q_star, sigma_w=sigma_w, sigma_b=sigma_b)
    if depth is None:
        raise DepthscopeError(f"method={method!r} needs the network's depth (depth=L)")
    from depthscope.theory.shaping import depth_transform

    return depth_transform(act, method, depth, **options)
