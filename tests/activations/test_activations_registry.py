"""Registry: names, aliases, presets and one-line errors that name the fix."""

from __future__ import annotations

import math

import pytest

from depthscope.activations import ActivationError, get, names
from depthscope.errors import DepthscopeError


def test_every_seed_function_is_registered() -> None:
    seeds = {"sigmoid", "tanh", "lecun_tanh", "arctan", "softsign", "logsig",
             "log_semisigmoid", "logmin", "relu", "softplus"}
    modern = {"identity", "leaky_relu", "elu", "selu", "gelu", "silu", "erf", "hardtanh"}
    assert seeds | modern == set(names())
    assert get("ramp") is get("relu")
    assert get("swish").name == "silu"
    assert get("logsig").name == "logsig"  # the essay's, not MATLAB's logistic


def test_unknown_name_suggests_close_matches() -> None:
    with pytest.raises(ActivationError, match=r"did you mean 'logsig'") as info:
        get("logsg")
    assert "\n" not in str(info.value)
    assert isinstance(info.value, DepthscopeError)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"scale": 0.0}, "scale must be > 0"),
        ({"scale": -2.0}, "scale must be > 0"),
        ({"scale": math.nan}, "got nan"),
        ({"gain": math.inf}, "must be finite"),
        ({"shift": "abc"}, "must be a number"),
        ({"n": 2.0}, "unknown parameter"),
    ],
)
def test_bad_parameters_are_one_line_errors(params, match) -> None:
    with pytest.raises(ActivationError, match=match) as info:
        get("tanh", **params)
    assert "\n" not in str(info.value)


def test_family_parameter_errors() -> None:
    with pytest.raises(ActivationError, match="negative_slope"):
        get("leaky_relu", negative_slope=1.5)
    with pytest.raises(ActivationError, match="alpha"):
        get("elu", alpha=-1.0)
    with pytest.raises(ActivationError, match="ramp_beyond"):
        get("softplus", ramp_beyond=0.0)


def test_labels() -> None:
    assert get("tanh", scale=2).label == "tanh(scale=2)"
    assert get("leaky_relu", negative_slope=0.2).label == "leaky_relu(negative_slope=0.2)"
