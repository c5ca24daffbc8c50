"""``depthscope.functional`` and ``depthscope.nn``: generated entry points and modules."""

from __future__ import annotations

import copy
import io
import pickle

import pytest
import torch

import depthscope.functional as F
import depthscope.nn as dnn
from depthscope.activations import get, names


def test_a_function_and_a_module_per_registered_name() -> None:
    for name in names():
        assert callable(getattr(F, name))
        assert getattr(dnn, dnn.camel_name(name))().activation is get(name)
    assert F.ramp is not None  # aliases resolve on access
    assert {"LogSig", "LogSemisigmoid", "ReLU", "LeakyReLU", "GELU", "SiLU", "LeCunTanh"} <= set(
        dnn.__all__
    )


def test_functional_matches_the_closed_form(eager_kernels) -> None:
    x = torch.linspace(-4, 4, 101, dtype=torch.float64)
    torch.testing.assert_close(F.tanh(x, scale=2.0), torch.tanh(2 * x))
    torch.testing.assert_close(F.activation(x, "logsig"), get("logsig").phi(x))
    torch.testing.assert_close(F.silu(x), torch.nn.functional.silu(x))
    torch.testing.assert_close(F.gelu(x), torch.nn.functional.gelu(x))


def test_modules_expose_their_activation_and_survive_copy_and_pickle() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), dnn.Tanh(scale=2), dnn.Activation("ramp"))
    acts = [m.activation for m in model.modules() if isinstance(m, dnn.Activation)]
    assert [a.label for a in acts] == ["tanh(scale=2)", "relu"]
    assert "tanh(scale=2)" in repr(model)
    clone = copy.deepcopy(model)
    assert clone[1].activation == model[1].activation
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)  # our own object, not a user file
    x = torch.randn(5, 3)
    torch.testing.assert_close(loaded(x), model(x))
    assert pickle.loads(pickle.dumps(get("elu", alpha=2.0))) == get("elu", alpha=2.0)


def test_unknown_attribute_and_bad_params() -> None:
    with pytest.raises(AttributeError):
        F.no_such_activation
    with pytest.raises(ValueError, match="scale must be > 0"):
        dnn.Tanh(scale=-1)


def test_modules_sharing_torchs_names_compute_torchs_function() -> None:
    x = torch.linspace(-6, 6, 10001)
    twins = [dnn.camel_name(n) for n in names()
             if isinstance(getattr(torch.nn, dnn.camel_name(n), None), type)]
    assert {"Tanh", "ReLU", "GELU", "Sigmoid", "Softplus", "LeakyReLU"} <= set(twins)
    for name in twins:
        ours, theirs = getattr(dnn, name)(), getattr(torch.nn, name)()
        assert torch.allclose(ours(x), theirs(x), rtol=0, atol=2e-6), name
        assert f"torch.nn.{name}" in getattr(dnn, name).__doc__
