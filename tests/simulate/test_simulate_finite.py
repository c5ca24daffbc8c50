"""Sampled width-1000 networks at init agree with the layer-by-layer mean-field prediction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from depthscope.activations import get, names
from depthscope.simulate import input_output_jacobian, propagate, sample_layers
from depthscope.theory import layerwise
from depthscope.theory.maps import moments
from theory_tolerances import sampled_net_tolerance

NETS = 8  # sampled nets per activation (each width 1000, 16 inputs)


@pytest.mark.parametrize("name", names())
def test_layer_q_and_gradient_norms_match_theory(name) -> None:
    # off the edge of chaos: sigma_w 1.2 times the gain that keeps E[phi'(z)^2] sigma_w^2 = 1
    act = get(name)
    sw, sb = 1.2 / moments(act, np.array([1.0]))[1][0] ** 0.5, 0.2
    theory = layerwise(name, sw, sb, depth=10, q0=1.0)
    sim = propagate(act, sw, sb, 10, q0=1.0, width=1000, samples=NETS, batch=16)
    q_tol, grad_tol = sampled_net_tolerance(act, sw, theory.q, width=1000, nets=NETS)
    assert np.all(np.abs(sim.q / theory.q - 1) <= q_tol)
    assert np.all(np.abs(sim.grad_sq_ratio / theory.grad_sq_ratio - 1) <= grad_tol)


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
