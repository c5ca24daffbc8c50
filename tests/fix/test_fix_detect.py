"""Activation detection: torch modules and functions, depthscope modules, user functions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import depthscope.nn as dnn
from depthscope.activations import get
from depthscope.fix import activation_of, layer_activations, numerical_activation
from depthscope.fix.detect import chain, is_elementwise

TORCH_MODULES = [
    nn.Tanh(), nn.Sigmoid(), nn.ReLU(), nn.GELU(), nn.SiLU(), nn.ELU(0.7), nn.CELU(0.5),
    nn.SELU(), nn.LeakyReLU(0.2), nn.Softsign(), nn.Softplus(beta=2.0), nn.Hardtanh(-2.0, 3.0),
    nn.ReLU6(), dnn.LogSig(),
]


@pytest.mark.parametrize("module", TORCH_MODULES, ids=lambda m: type(m).__name__)
def test_detected_activation_computes_what_the_module_computes(module: nn.Module) -> None:
    x = torch.linspace(-8, 8, 401, dtype=torch.float64)
    act = activation_of(module)
    assert act is not None
    torch.testing.assert_close(act.phi(x), module(x), atol=1e-12, rtol=1e-12)


def test_numerical_derivatives_match_closed_form() -> None:
    num = numerical_activation(torch.tanh, "mytanh")
    exact = get("tanh")
    x = np.linspace(-5, 5, 101)
    np.testing.assert_allclose(num.dphi(x), exact.dphi(x), atol=1e-9)
    np.testing.assert_allclose(num.d2phi(x), exact.d2phi(x), atol=1e-6)
    assert num.meta.bounded
    assert num.meta.odd
    assert num.meta.range == (-1.0, 1.0)
    assert numerical_activation(torch.relu).meta.tail_left.kind == "zero"


class Swish(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc, self.act, self.out = nn.Linear(4, 4), Swish(), nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.act(nn.functional.leaky_relu(self.fc(x), 0.3)))


def test_chain_follows_execution_order_with_functional_calls() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), Block(), nn.Dropout(), nn.Linear(4, 2))
    steps = [(s.name, s.source, s.activation.label if s.activation else None)
             for s in chain(model)]
    assert steps == [
        ("0", "layer", None), ("1", "module", "tanh"), ("2.fc", "layer", None),
        ("leaky_relu", "function", "leaky_relu(negative_slope=0.3)"),
        ("2.act", "numerical", "Swish"), ("2.out", "layer", None), ("4", "layer", None),
    ]
    governing = [(la.name, la.governing.activation.label if la.governing else None)
                 for la in layer_activations(model)]
    assert governing == [("0", "tanh"), ("2.fc", "tanh"), ("2.out", "Swish"), ("4", None)]


def test_untraceable_model_falls_back_to_registration_order() -> None:
    class Branchy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.act, self.b = nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if x.sum() > 0:  # data-dependent control flow: fx cannot trace it
                x = -x
            return self.b(self.act(self.a(x)))

    assert [s.name for s in chain(Branchy())] == ["a", "act", "b"]


def test_elementwise_heuristic() -> None:
    assert is_elementwise(Swish())
    assert is_elementwise(nn.Mish())
    assert not is_elementwise(nn.Softmax(dim=-1))
    assert not is_elementwise(nn.Identity())
    assert not is_elementwise(nn.LayerNorm(4))
    assert not is_elementwise(nn.Flatten())
