"""Initialisers: variances from their papers, orthogonality, LSUV's unit variance."""

from __future__ import annotations

import math
import re

import pytest
import torch
from torch import nn

from depthscope import init
from depthscope.errors import DepthscopeError


def gen() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def weight(rows: int = 512, cols: int = 512) -> torch.Tensor:
    return torch.empty(rows, cols, dtype=torch.float64)


# n·Var[W] for a square n×n layer; 262,144 samples give a relative error ~0.3 %.
@pytest.mark.parametrize(
    ("fn", "n_var"),
    [
        (init.pytorch_default_, 1 / 3),  # U[-1/√n, 1/√n] (kaiming_uniform, a = √5)
        (init.glorot_standard_, 1 / 3),  # Glorot & Bengio 2010: n·Var = 1/3
        (init.glorot_normalized_, 1.0),  # Var = 2/(n_in + n_out)
        (init.he_, 2.0),  # He et al. 2015
        (init.lecun_, 1.0),  # LeCun et al. 1998
        (lambda w, generator: init.gaussian_(w, 1.7, generator=generator), 1.7**2),
        (lambda w, generator: init.orthogonal_(w, 0.8, generator=generator), 0.64),
    ],
)
def test_weight_variance(fn, n_var: float) -> None:
    w = fn(weight(), generator=gen())
    assert float(w.var() * 512) == pytest.approx(n_var, rel=0.02)
    assert float(w.mean()) == pytest.approx(0.0, abs=0.01 * math.sqrt(n_var / 512))


def test_uniform_bounds() -> None:
    assert float(init.glorot_standard_(weight(), generator=gen()).abs().max()) <= 1 / math.sqrt(512)
    w = init.glorot_normalized_(weight(256, 768), generator=gen())
    assert float(w.abs().max()) <= math.sqrt(6 / (256 + 768))
    assert float(w.abs().max()) > 0.99 * math.sqrt(6 / (256 + 768))


def test_orthogonal_shapes_keep_the_gaussian_variance() -> None:
    square = init.orthogonal_(weight(64, 64), 1.3, generator=gen())
    assert torch.allclose(square @ square.T, 1.69 * torch.eye(64, dtype=torch.float64))
    wide = init.orthogonal_(weight(128, 32), 1.0, generator=gen())  # fan_out > fan_in
    assert torch.allclose(wide.T @ wide, 4.0 * torch.eye(32, dtype=torch.float64))
    assert float((wide**2).mean() * 32) == pytest.approx(1.0)  # E[W²] = sigma_w²/fan_in
    narrow = init.orthogonal_(weight(32, 128), 1.0, generator=gen())
    assert float((narrow**2).mean() * 128) == pytest.approx(1.0)


def test_biases_and_modules() -> None:
    net = nn.Sequential(nn.Linear(400, 400), nn.Tanh(), nn.Linear(400, 400))
    init.gaussian_(net, 1.0, 0.5, generator=gen())
    for lin in (net[0], net[2]):
        assert float(lin.bias.detach().std()) == pytest.approx(0.5, rel=0.15)
    init.he_(net, generator=gen())
    assert all(float(lin.bias.detach().abs().max()) == 0 for lin in (net[0], net[2]))
    with pytest.raises(DepthscopeError, match="no weight"):
        init.he_(nn.Tanh())


def test_pytorch_default_is_nn_linear_reset() -> None:
    expected, ours = nn.Linear(7, 3), nn.Linear(7, 3)
    torch.manual_seed(5)
    expected.reset_parameters()
    torch.manual_seed(5)
    init.pytorch_default_(ours)
    assert torch.equal(ours.weight, expected.weight)
    assert torch.equal(ours.bias, expected.bias)


def test_lsuv_gives_unit_variance_outputs() -> None:
    net = nn.Sequential(nn.Linear(20, 64), nn.Tanh(), nn.Linear(64, 64), nn.ReLU(),
                        nn.Linear(64, 10)).double()
    x = torch.randn(512, 20, generator=gen(), dtype=torch.float64) * 3
    init.lsuv_(net, x, tol=0.01, generator=gen())
    h = x
    with torch.no_grad():
        for module in net:
            h = module(h)
            if isinstance(module, nn.Linear):
                assert float(h.var()) == pytest.approx(1.0, abs=0.01)


def test_by_name_rejects_sigma_w_for_fixed_scale_inits() -> None:
    net = nn.Sequential(nn.Linear(4, 4))
    with pytest.raises(DepthscopeError, match="fixes its own scale"):
        init.by_name_(net, "he", sigma_w=2.0)
    with pytest.raises(DepthscopeError, match="unknown init"):
        init.by_name_(net, "kaiming")
    assert init.nominal_sigma_w("he") == pytest.approx(math.sqrt(2))
    assert init.nominal_sigma_w("gaussian", sigma_w=1.5) == 1.5


def test_critical_inits_use_theory() -> None:
    theory = pytest.importorskip("depthscope.theory")
    sigma_w = float(theory.critical_sigma_w(init.get("tanh"), 0.3))
    w = init.critical_gaussian_(weight(), "tanh", 0.3, generator=gen())
    assert float(w.var() * 512) == pytest.approx(sigma_w**2, rel=0.02)
    w = init.critical_orthogonal_(weight(64, 64), "tanh", 0.3, generator=gen())
    assert torch.allclose(w @ w.T, sigma_w**2 * torch.eye(64, dtype=torch.float64))


@pytest.mark.parametrize(("name", "args"), [
    ("xavier_uniform_", {"gain": 2.0}), ("xavier_normal_", {"gain": 0.5}),
    ("kaiming_uniform_", {"a": 0.1, "mode": "fan_out"}),
    ("kaiming_normal_", {"nonlinearity": "relu"}), ("trunc_normal_", {"std": 0.02}),
    ("normal_", {"mean": 1.0, "std": 3.0}), ("uniform_", {"a": -2.0, "b": 1.0}),
])
def test_torch_init_names_draw_exactly_what_torch_draws(name: str, args: dict) -> None:
    ours, theirs = torch.empty(7, 5), torch.empty(7, 5)
    assert getattr(init, name)(ours, generator=gen(), **args) is ours
    getattr(nn.init, name)(theirs, generator=gen(), **args)
    assert torch.equal(ours, theirs)
    # on a module: every weight in order, from one generator; biases untouched
    net = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    biases = [m.bias.clone() for m in (net[0], net[2])]
    g, expected = gen(), [torch.empty(7, 5), torch.empty(3, 7)]
    for w in expected:
        getattr(nn.init, name)(w, generator=g, **args)
    assert getattr(init, name)(net, generator=gen(), **args) is net
    assert torch.equal(net[0].weight, expected[0])
    assert torch.equal(net[2].weight, expected[1])
    assert torch.equal(net[0].bias, biases[0])
    assert torch.equal(net[2].bias, biases[1])


def test_the_rest_of_torchs_names_and_orthogonal_on_a_square_weight() -> None:
    for name, args in (("zeros_", {}), ("ones_", {}), ("constant_", {"val": 0.3}),
                       ("eye_", {})):
        ours, theirs = torch.empty(4, 6), torch.empty(4, 6)
        getattr(init, name)(ours, **args)
        getattr(nn.init, name)(theirs, **args)
        assert torch.equal(ours, theirs)
    conv, expected = torch.empty(4, 4, 3), torch.empty(4, 4, 3)
    init.dirac_(conv)
    nn.init.dirac_(expected)
    assert torch.equal(conv, expected)
    # torch's sparse_ draws its zero pattern from the global RNG, whatever the generator
    ours, theirs = torch.empty(6, 4), torch.empty(6, 4)
    with torch.random.fork_rng():
        torch.manual_seed(3)
        init.sparse_(ours, 0.5, generator=gen())
        torch.manual_seed(3)
        nn.init.sparse_(theirs, 0.5, generator=gen())
    assert torch.equal(ours, theirs)
    square, expected = torch.empty(6, 6), torch.empty(6, 6)
    init.orthogonal_(square, 1.5, generator=gen())
    nn.init.orthogonal_(expected, gain=1.5, generator=gen())
    assert torch.equal(square, expected)


@pytest.mark.parametrize(("name", "hint"), [
    ("xavier_uniform", "did you mean 'glorot_normalized' (the same variance as torch's"),
    ("kaiming_normal_", "did you mean 'he'"), ("glorot_normalised", "'glorot_normalized'?"),
])
def test_unknown_init_names_get_a_did_you_mean(name: str, hint: str) -> None:
    with pytest.raises(DepthscopeError, match=re.escape(hint)):
        init.by_name_(nn.Sequential(nn.Linear(4, 4)), name)
    from depthscope.sweep.spec import SpecError, parse_spec

    with pytest.raises(SpecError, match=re.escape(hint)):
        parse_spec({"name": "x", "activation": "tanh", "init": name.rstrip("_")})
