"""Which activation acts where: the weight layers of a model and their activations.

A model is read in execution order when ``torch.fx`` can trace it (so functional calls such
as ``torch.tanh`` count), else in module registration order. Activations are recognised from
depthscope modules (``.activation``), torch's own modules and functions (mapped to registered
activations), and any other parameter-free elementwise module (numerical derivatives).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from depthscope.activations import Activation, get
from depthscope.fix.numeric import numerical_activation
from depthscope.modelio import preserved

WEIGHT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
NEUTRAL = (nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout,
           nn.Flatten, nn.Unflatten)


def hardtanh_activation(lo: float, hi: float) -> Activation:
    """``clip(x, lo, hi) = c + h clip((x - c)/h, -1, 1)`` with centre c and half-width h."""
    if (lo, hi) == (-1.0, 1.0):
        return get("hardtanh")
    c, h = (lo + hi) / 2, (hi - lo) / 2
    return get("hardtanh", scale=1 / h, shift=-c / h, gain=h, offset=c / h)


def softplus_activation(beta: float) -> Activation:
    """torch's ``softplus(beta x)/beta`` (its linear region beyond ``threshold`` is ignored)."""
    return get("softplus") if beta == 1 else get("softplus", scale=beta, gain=1 / beta)


# torch module type -> activation built from the module's own attributes
TORCH_MODULES: dict[type[nn.Module], Callable[[nn.Module], Activation]] = {
    nn.Tanh: lambda m: get("tanh"),
    nn.Sigmoid: lambda m: get("sigmoid"),
    nn.ReLU: lambda m: get("relu"),
    nn.GELU: lambda m: get("gelu"),  # approximate='tanh' differs from erf-GELU by < 1e-3
    nn.SiLU: lambda m: get("silu"),
    nn.ELU: lambda m: get("elu", alpha=m.alpha),
    nn.CELU: lambda m: get("elu", scale=1 / m.alpha, gain=m.alpha),  # alpha*elu(x/alpha)
    nn.SELU: lambda m: get("selu"),
    nn.LeakyReLU: lambda m: get("leaky_relu", negative_slope=m.negative_slope),
    nn.Softsign: lambda m: get("softsign"),
    nn.Softplus: lambda m: softplus_activation(m.beta),
    nn.Hardtanh: lambda m: hardtanh_activation(m.min_val, m.max_val),  # ReLU6 is a Hardtanh
    # RReLU's negative slope is drawn from U[lower, upper] in training: its mean slope (the
    # slope it uses in eval mode)
    nn.RReLU: lambda m: get("leaky_relu", negative_slope=(m.lower + m.upper) / 2),
}

# torch function (or tensor method name) -> the module that computes the same thing
TORCH_FUNCTIONS: dict[object, Callable[..., nn.Module]] = {
    torch.tanh: nn.Tanh, F.tanh: nn.Tanh, "tanh": nn.Tanh,
    torch.sigmoid: nn.Sigmoid, F.sigmoid: nn.Sigmoid, "sigmoid": nn.Sigmoid,
    torch.relu: nn.ReLU, F.relu: nn.ReLU, "relu": nn.ReLU,
    F.gelu: nn.GELU, F.silu: nn.SiLU, F.elu: nn.ELU, F.celu: nn.CELU, F.selu: nn.SELU,
    torch.selu: nn.SELU, F.leaky_relu: nn.LeakyReLU, F.softsign: nn.Softsign,
    F.softplus: nn.Softplus, F.hardtanh: nn.Hardtanh, F.relu6: nn.ReLU6,
}


def activation_of(module: nn.Module) -> Activation | None:
    """The registered activation a module computes, or None if it is not a known one.

    Besides the table above (torch modules with parameters of their own), any torch
    activation class without parameters (``__init__`` takes at most ``inplace``) maps to the
    registered activation of the same name (``nn.Mish`` to ``mish``, once registered): the
    registry drives detection, no table to edit."""
    own = getattr(module, "activation", None)
    if isinstance(own, Activation):
        return own
    for kind in type(module).__mro__:
        if kind in TORCH_MODULES:
            return TORCH_MODULES[kind](module)
    return _same_name(type(module))


def _same_name(kind: type) -> Activation | None:
    """The registered activation whose ``depthscope.nn`` class name is ``kind``'s, for a
    parameter-free activation class of ``torch.nn``."""
    from depthscope.activations import names
    from depthscope.nn import camel_name

    if not kind.__module__.startswith("torch.nn.modules.activation"):
        return None
    takes = set(inspect.signature(kind.__init__).parameters) - {"self", "args", "kwargs"}
    if not takes <= {"inplace"}:
        return None
    match = [n for n in names() if camel_name(n) == kind.__name__]
    return get(match[0]) if match else None


def is_elementwise(module: nn.Module) -> bool:
    """A parameter-free module whose output at each entry depends on that entry only.

    Checked on a probe: the same 64 values as one row and as one column give the same result
    (softmax or normalisation would not).
    """
    if isinstance(module, NEUTRAL) or any(True for _ in module.parameters()):
        return False
    x = torch.linspace(-4.0, 4.0, 64, dtype=torch.float64)
    try:  # a module that draws random numbers must not consume the user's RNG
        with torch.no_grad(), preserved(module):
            row, col = module(x[None, :]), module(x[:, None])
    except Exception:
        return False
    return (
        isinstance(row, torch.Tensor) and row.shape == (1, 64) and col.shape == (64, 1)
        and bool(torch.allclose(row.flatten(), col.flatten(), equal_nan=True))
        and not torch.equal(row.flatten(), x)
    )


@dataclass(frozen=True)
class Step:
    """One element of the model's computation chain: a weight layer or an activation."""

    name: str
    module: nn.Module | None
    activation: Activation | None
    source: str  # "module", "function", "numerical" or "layer"


def _module_step(name: str, module: nn.Module) -> Step | None:
    if isinstance(module, WEIGHT_LAYERS):
        return Step(name, module, None, "layer")
    act = activation_of(module)
    if act is not None:
        return Step(name, module, act, "module")
    if is_elementwise(module):
        return Step(name, module, numerical_activation(module, type(module).__name__), "numerical")
    return None


def _function_step(name: str, target: object, args: tuple, kwargs: dict) -> Step | None:
    key = target if callable(target) else str(target)
    make = TORCH_FUNCTIONS.get(key)  # type: ignore[call-overload]
    if make is None:
        return None
    extra = [a for a in args[1:] if isinstance(a, (int, float, str))]
    options = {k: v for k, v in kwargs.items() if k != "inplace"}
    try:
        act = activation_of(make(*extra, **options))
    except TypeError:
        return None
    return Step(name, None, act, "function")


class _Tracer(torch.fx.Tracer):
    """Keeps weight layers and activation modules (``keep``: their ids) as single nodes."""

    def __init__(self, keep: set[int]) -> None:
        super().__init__()
        self.keep = keep

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return id(m) in self.keep or super().is_leaf_module(m, qualname)


def _traced(model: nn.Module) -> list[Step] | None:
    keep = {id(m) for name, m in model.named_modules() if _module_step(name, m) is not None}
    try:
        graph = _Tracer(keep).trace(model)
    except Exception:
        return None
    modules = dict(model.named_modules())
    steps = []
    for node in graph.nodes:
        if node.op == "call_module":
            step = _module_step(str(node.target), modules[str(node.target)])
        elif node.op in ("call_function", "call_method"):
            step = _function_step(node.name, node.target, node.args, dict(node.kwargs))
        else:
            step = None
        if step is not None:
            steps.append(step)
    return steps


def _registered(model: nn.Module) -> Iterator[Step]:
    for name, module in model.named_modules():
        if next(module.children(), None) is None or isinstance(module, WEIGHT_LAYERS):
            step = _module_step(name, module)
            if step is not None:
                yield step


def chain(model: nn.Module) -> list[Step]:
    """Weight layers and activations in execution order (fx) or registration order."""
    traced = _traced(model)
    return traced if traced is not None else list(_registered(model))


@dataclass(frozen=True)
class LayerActivation:
    """A weight layer with the activation on its input (``before``) and output (``after``)."""

    name: str
    module: nn.Module
    before: Step | None
    after: Step | None

    @property
    def governing(self) -> Step | None:
        """The activation whose derivative this layer's ``sigma_w`` multiplies.

        ``h^l = W^l phi(h^{l-1}) + b^l``: chi_1 = sigma_w^2 E[phi'(h^{l-1})^2] involves the
        activation on the layer's input; the first layer (raw input) takes the one after it.
        """
        return self.before if self.before is not None else self.after


def traceable(model: nn.Module) -> bool:
    """Whether ``torch.fx`` traces ``model`` (else :func:`chain` reads registration order)."""
    return _traced(model) is not None


def layer_activations(model: nn.Module) -> list[LayerActivation]:
    """Every Linear/Conv layer of ``model`` with its neighbouring activations (a model that
    is itself a weight layer is its own one layer)."""
    if isinstance(model, WEIGHT_LAYERS):
        return [LayerActivation(type(model).__name__, model, None, None)]
    steps = chain(model)
    out = []
    for i, step in enumerate(steps):
        if step.module is not None and step.source == "layer":
            before = _nearest(reversed(steps[:i]))
            out.append(LayerActivation(step.name, step.module, before, _nearest(steps[i + 1:])))
    return out


def _nearest(steps: Iterable[Step]) -> Step | None:
    """The first activation in ``steps`` before any weight layer, if there is one."""
    for step in steps:
        return None if step.source == "layer" else step
    return None


def sigma_of(module: nn.Module) -> tuple[float, float]:
    """Measured ``(sigma_w, sigma_b)``: ``sqrt(fan_in E[W^2])`` and ``sqrt(E[b^2])``."""
    w = module.weight.detach()
    fan_in = w.shape[1] * w[0, 0].numel()
    sigma_w = math.sqrt(fan_in * float(w.double().square().mean()))
    bias = getattr(module, "bias", None)
    sigma_b = 0.0 if bias is None else math.sqrt(float(bias.detach().double().square().mean()))
    return sigma_w, sigma_b
