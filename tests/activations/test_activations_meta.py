"""Metadata against hand-derived values; tail classes against numerical log-log slopes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthscope.activations import get, names


@pytest.mark.parametrize(
    ("name", "params", "max_slope", "where"),
    [
        ("tanh", {"scale": 3.0}, 3.0, 0.0),  # d/dx tanh(n x) = n sech^2(n x) <= n (seed 000)
        ("sigmoid", {}, 0.25, 0.0),  # s(1 - s) <= 1/4
        ("erf", {}, 2 / math.sqrt(math.pi), 0.0),
        ("gelu", {}, 1.128904, math.sqrt(2)),  # phi'' = (2 - x^2) N(x) = 0 at sqrt(2)
        ("silu", {}, 1.099839, 2.399357),  # 2 + x(1 - 2s) = 0
        ("lecun_tanh", {}, 1.7159 * 2 / 3, 0.0),  # LeCun et al. 1998
        ("selu", {}, 1.0507009873554805 * 1.6732632423543772, 0.0),  # alpha * lambda at 0-
        ("relu", {}, 1.0, 0.0),
        ("logsig", {}, 1.0, 0.0),
        ("softplus", {}, 1.0, math.inf),  # sigmoid -> 1 only as x -> inf
    ],
)
def test_max_slope_matches_hand_derivation(name, params, max_slope, where) -> None:
    m = get(name, **params).meta
    assert m.max_slope == pytest.approx(max_slope, rel=1e-6)
    assert m.argmax_slope == pytest.approx(where, abs=1e-6)


def test_values_at_zero_and_ranges() -> None:
    assert get("sigmoid").meta.value_at_0 == 0.5
    assert get("softplus").meta.value_at_0 == pytest.approx(math.log(2))
    assert get("relu").meta.slope_at_0 == 0.0  # as torch.relu
    assert get("gelu").meta.slope_at_0 == 0.5
    assert get("arctan").meta.range == pytest.approx((-math.pi / 2, math.pi / 2))
    # gelu's minimum -0.16997 at x = -0.75179; silu's -0.27846 at x = -1.27846 (W(1/e) + 1).
    assert get("gelu").meta.range[0] == pytest.approx(-0.169971, abs=1e-6)
    assert get("silu").meta.range[0] == pytest.approx(-0.278465, abs=1e-6)
    assert get("lecun_tanh").meta.range == pytest.approx((-1.7159, 1.7159))
    assert get("tanh", shift=1.0).meta.odd is False


def test_kinks_and_cusps() -> None:
    assert get("relu").kinks == (0.0,)
    assert get("hardtanh").kinks == (-1.0, 1.0)
    assert get("hardtanh", scale=2.0).kinks == (-0.5, 0.5)
    assert get("softsign").cusps == (0.0,)
    assert get("elu").cusps == (0.0,)
    assert get("elu", alpha=2.0).kinks == (0.0,)
    assert get("softplus", ramp_beyond=4).kinks == (-4.0, 4.0)
    assert get("logsig", shift=1.0).breakpoints == (-1.0,)


def _slope(f, a: float, b: float) -> float:
    return float((f(b) - f(a)) / (b - a))


@pytest.mark.parametrize("name", [*names(), "tanh(scale=3)"])
@pytest.mark.parametrize("side", [-1.0, 1.0])
def test_tail_class_matches_numerical_log_log_slope(name, side) -> None:
    act = get("tanh", scale=3.0) if name == "tanh(scale=3)" else get(name)
    tail = act.meta.tail_right if side > 0 else act.meta.tail_left
    d = lambda x: np.abs(act.dphi(side * np.asarray(x, dtype=np.float64)))
    if tail.kind == "zero":
        assert d(1e3) == 0.0
    elif tail.kind == "constant":
        assert d(1e6) == pytest.approx(d(1e3), rel=1e-3)
        assert d(1e6) > 0
    elif tail.kind == "exponential":  # d log phi' / dx -> -rate
        x = 30.0 / tail.rate
        slope = _slope(lambda t: np.log(d(t)), x, x + 1.0)
        assert slope == pytest.approx(-tail.rate, rel=0.05)
    elif tail.kind == "gaussian":  # d log phi' / d(x^2) -> -rate
        x = 20.0
        slope = _slope(lambda t: np.log(d(np.sqrt(t))), x**2, (x + 0.5) ** 2)
        assert slope == pytest.approx(-tail.rate, rel=0.02)
    else:  # power: d log phi' / d log x = -rate - log_power / log x (+ o(1/log x))
        x = 1e12
        slope = _slope(lambda t: np.log(d(np.exp(t))), math.log(x), math.log(10 * x))
        expected = -tail.rate - tail.log_power / math.log(3 * x)
        assert slope == pytest.approx(expected, rel=0.01)


def test_a_slope_that_peaks_at_infinity_reports_its_limit() -> None:
    """Bent identity, phi = (sqrt(x^2 + 1) - 1)/2 + x: phi' = x/(2 sqrt(x^2 + 1)) + 1 rises to
    1.5 as x -> inf; a grid search on [-60, 60] alone gives 1.49993 at x = 60."""
    from depthscope.activations.base import Activation, Definition, Tail

    bent = Definition(
        "bent_identity",
        phi=lambda u, o: ((u * u + 1.0) ** 0.5 - 1.0) / 2.0 + u,
        dphi=lambda u, o: u / (2.0 * (u * u + 1.0) ** 0.5) + 1.0,
        d2phi=lambda u, o: 1.0 / (2.0 * (u * u + 1.0) ** 1.5),
        limits=((-math.inf, math.inf), (0.5, 1.5), (0.0, 0.0)),
        odd=False, monotone=True, tails=(Tail("constant"), Tail("constant")))
    meta = Activation(bent).meta
    assert (meta.argmax_slope, meta.max_slope) == (math.inf, 1.5)
