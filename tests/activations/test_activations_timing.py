"""The side-by-side timer shared by the benchmark and the study's claim 13."""

from __future__ import annotations

import time

import pytest
import torch

from depthscope.activations.timing import forward_backward, ratios


def test_ratio_of_a_known_slowdown() -> None:
    # A candidate that sleeps three times as long as the baseline: ratio ≈ 3 (sleep only
    # overshoots, so allow generous but directional bounds).
    median, best = ratios({"slow": lambda: time.sleep(0.006)}, lambda: time.sleep(0.002), 3)
    assert 1.8 < median["slow"] < 3.5
    assert 1.8 < best["slow"] < 3.5


def test_forward_backward_returns_the_input_gradient() -> None:
    x = torch.tensor([-1.0, 2.0], requires_grad=True)
    g = torch.tensor([3.0, 5.0])
    (grad,) = forward_backward(torch.relu, x, g)()
    assert grad.tolist() == pytest.approx([0.0, 5.0])
