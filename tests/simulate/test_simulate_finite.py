"""Sampled width-1000 networks at init agree with the layer-by-layer mean-field prediction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from depthscope.activations import get
from depthscope.simulate import input_output_jacobian, propagate, sample_layers
from depthscope.theory import layerwise


@pytest.mark.parametrize(("name", "sw", "sb"), [("tanh", 1.5, 0.1), ("hardtanh", 1.2, 0.2),
                                                ("softsign", 1.8, 0.3)])
def test_layer_q_and_gradient_norms_match_theory(name, sw, sb) -> None:
    theory = layerwise(name, sw, sb, depth=10, q0=1.0)
    sim = propagate(get(name), sw, sb, 10, q0=1.0, width=1000, samples=2, batch=16)
    assert sim.q == pytest.approx(theory.q, rel=0.03)
    assert sim.grad_sq_ratio == pytest.approx(theory.grad_sq_ratio, rel=0.05)


def test_layerwise_recursion_by_hand() -> None:
    # relu: q^1 = sw^2 q0 + sb^2, q^{l+1} = sw^2 q^l/2 + sb^2, chi = sw^2/2 (Poole et al. 2016)
    lw = layerwise("relu", 1.2, 0.5, depth=4, q0=2.0)
    q = [1.44 * 2.0 + 0.25]
    for _ in range(3):
        q.append(1.44 * q[-1] / 2 + 0.25)
    assert lw.q == pytest.approx(q, rel=1e-12)
    assert lw.grad_sq_ratio == pytest.approx([0.72**3, 0.72**2, 0.72, 1.0], rel=1e-12)


def test_orthogonal_layers_and_jacobian_shape() -> None:
    (w, b), = sample_layers(1, 64, 1.3, 0.0, weights="orthogonal", samples=2)
    eye = torch.eye(64, dtype=torch.float64)
    assert torch.allclose(w @ w.transpose(-1, -2), 1.3**2 * eye, atol=1e-12)
    assert torch.all(b == 0)
    jac = input_output_jacobian(get("identity"), 1.0, 0.0, 3, 1.0, width=32,
                                weights="orthogonal")
    sv = torch.linalg.svdvals(jac)  # a product of orthogonal matrices is orthogonal
    assert np.allclose(sv.numpy(), 1.0, atol=1e-12)
