"""The essay's printed derivatives (seed 002) against ours, and the ramp-beyond mode."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import expit

from depthscope.activations import get
from depthscope.activations.essay import PRINTED, printed_derivative, ramp_beyond_error_bound

X = np.linspace(-8, 8, 1601) + 0.005  # avoids x = 0 exactly


def test_every_printed_derivative_is_checked() -> None:
    verdicts = {name: d.correct for name, d in PRINTED.items()}
    assert verdicts == {"softsign": True, "logsig": True, "relu": True, "softplus": False,
                        "logmin": True, "log_semisigmoid": False}


@pytest.mark.parametrize("name", [n for n, d in PRINTED.items() if d.correct])
def test_correct_printed_derivatives_agree_with_ours(name) -> None:
    assert PRINTED[name].max_error(X) < 1e-14


def test_printed_softplus_derivative_is_the_constant_one_over_e() -> None:
    printed = PRINTED["softplus"]
    np.testing.assert_allclose(printed(X), 1 / math.e, rtol=1e-12)
    np.testing.assert_allclose(printed.ours(X), expit(X), rtol=1e-14)
    # Wrong almost everywhere: off by |sigmoid(x) - 1/e|, e.g. by 1/2 - 1/e at 0.
    assert printed(0.0) - printed.ours(0.0) == pytest.approx(1 / math.e - 0.5)


def test_printed_semisigmoid_derivative_has_the_wrong_sign_for_negative_x() -> None:
    printed = PRINTED["log_semisigmoid"]
    neg = X < 0
    np.testing.assert_allclose(printed(X)[neg], -printed.ours(X)[neg], rtol=1e-14)
    np.testing.assert_allclose(printed(X)[~neg], printed.ours(X)[~neg], rtol=1e-14)
    # Finite differences of the function agree with ours, not with the printed one.
    act, h = get("log_semisigmoid"), 1e-6
    fd = (act.phi(-2.0 + h) - act.phi(-2.0 - h)) / (2 * h)
    assert fd == pytest.approx(1 / 3, rel=1e-8)
    assert printed(-2.0) == pytest.approx(-1 / 3)


def test_ramp_prints_one_at_zero_where_torch_takes_zero() -> None:
    assert PRINTED["relu"](0.0) == 1.0
    assert get("relu").dphi(0.0) == 0.0


def test_printed_derivative_lookup() -> None:
    assert printed_derivative("ramp") is PRINTED["relu"]
    assert printed_derivative("semisigmoid") is PRINTED["log_semisigmoid"]
    assert printed_derivative("tanh") is None
    assert printed_derivative(get("softplus", ramp_beyond=4)) is None


@pytest.mark.parametrize("t", [1.0, 4.0, 8.0])
def test_ramp_beyond_gradient_error_is_bounded_by_sigmoid_of_minus_t(t) -> None:
    exact, ramp = get("softplus"), get("softplus", ramp_beyond=t)
    x = np.linspace(-3 * t, 3 * t, 60001)
    err = np.abs(ramp.dphi(x) - exact.dphi(x))
    bound = ramp_beyond_error_bound(t)
    assert bound == pytest.approx(1 / (1 + math.exp(t)))
    assert err.max() <= bound
    assert err.max() == pytest.approx(bound, rel=1e-3)  # attained as |x| -> t+
    assert ramp_beyond_error_bound(4.0) == pytest.approx(0.017986, abs=1e-6)
