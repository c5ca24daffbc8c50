"""Residual-network mean field: the branch scale that bounds the total gradient gain."""

from __future__ import annotations

import math

import pytest

from depthscope.errors import DepthscopeError
from depthscope.theory import branch_scale, total_gain
from depthscope.theory.residual import residual_propagation


@pytest.mark.parametrize("blocks", [10, 100])
def test_relu_branch_scale_is_the_closed_form(blocks: int) -> None:
    """ReLU, no normalisation: every block's gain is 1 + alpha² sigma_w²/2 whatever q is, so
    alpha = sqrt(2 (target^(1/L) - 1)) / sigma_w."""
    sigma_w, target = 1.3, 3.0
    want = math.sqrt(2 * (target ** (1 / blocks) - 1)) / sigma_w
    assert branch_scale("relu", sigma_w, 0.0, blocks, target=target) == pytest.approx(
        want, rel=1e-10)
    gains = residual_propagation("relu", sigma_w, 0.0, blocks, alpha=want).gain
    assert gains == pytest.approx([1 + want**2 * sigma_w**2 / 2] * blocks, rel=1e-12)


@pytest.mark.parametrize("layernorm", [False, True])
def test_branch_scale_shrinks_as_one_over_sqrt_depth(layernorm: bool) -> None:
    """tanh, with and without pre-LayerNorm: the solved alpha gives the target gain, and
    alpha sqrt(L) is the same at L = 25, 100, 200 within 1 % (Hayou et al. 2021)."""
    scaled = []
    for blocks in (25, 100, 200):
        alpha = branch_scale("tanh", 1.0, 0.2, blocks, layernorm=layernorm)
        assert total_gain("tanh", 1.0, 0.2, blocks, alpha, layernorm) == pytest.approx(
            2.0, rel=1e-9)
        scaled.append(alpha * math.sqrt(blocks))
    assert max(scaled) / min(scaled) < 1.01


def test_bad_targets_are_one_line() -> None:
    with pytest.raises(DepthscopeError, match="total gain > 1"):
        branch_scale("tanh", 1.0, 0.2, 10, target=1.0)
    with pytest.raises(DepthscopeError, match="blocks"):
        total_gain("tanh", 1.0, 0.2, 0)
