"""The side-by-side timer shared by the benchmark and the study's claim 13."""

from __future__ import annotations

import time

import pytest
import torch

from depthscope.activations.timing import forward_backward, ratios


def test_ratio_of_a_known_slowdown() -> None:
    # A candidate that sleeps three times as long as the baseline: ratio ≈ 3. Sleep only
    # overshoots (by about a millisecond on a busy machine), so sleeps are long enough for
    # that to shift the ratio little, and the bounds are generous but exclude 1.
    median, best = ratios({"slow": lambda: time.sleep(0.03)}, lambda: time.sleep(0.01), 3)
    assert 1.5 < median["slow"] < 3.5
    assert 1.5 < best["slow"] < 3.5


def test_forward_backward_returns_the_input_gradient() -> None:
    x = torch.tensor([-1.0, 2.0], requires_grad=True)
    g = torch.tensor([3.0, 5.0])
    (grad,) = forward_backward(torch.relu, x, g)()
    assert grad.tolist() == pytest.approx([0.0, 5.0])


def test_synchronized_is_the_step_itself_on_cpu() -> None:
    import torch

    from depthscope.activations.timing import synchronized

    def step() -> int:
        return 3

    assert synchronized(step, torch.device("cpu")) is step
