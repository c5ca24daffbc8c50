"""probe(): agrees with the mean field on MLPs and residual MLPs, leaves the model and the
RNG as it found them, measures real architectures, and fails in one clear line."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from depthscope.errors import DepthscopeError
from depthscope.nets import MLPSpec, build
from depthscope.probing import probe, units
from depthscope.theory import layerwise
from depthscope.theory.network import propagate

WIDTH = 512


def _x(n: int = 64, features: int = WIDTH, seed: int = 1) -> torch.Tensor:
    return torch.randn(n, features, generator=torch.Generator().manual_seed(seed),
                       dtype=torch.float64)


def _linear_rows(report):
    return [u for u in report.units if u.kind == "Linear"]


def test_plain_mlp_agrees_with_layerwise() -> None:
    """Width 512, tanh at sigma_w 1.5, sigma_b 0.1, 8 layers, inputs with E x² = 1: each
    hidden Linear's E h² is layerwise's q and its APJN is prod_{k >= l} chi^k (the read-out's
    chi included), within 6 % (measured: 2 %; finite width, 64 inputs, 16 projections)."""
    depth, sw, sb = 8, 1.5, 0.1
    spec = MLPSpec(depth=depth, width=WIDTH, in_features=WIDTH, out_features=WIDTH,
                   activation="tanh", init="gaussian", sigma_w=sw, sigma_b=sb)
    report = probe(build(spec, seed=0, dtype=torch.float64), _x(), samples=16)
    lw = layerwise("tanh", sw, sb, depth, q0=1.0)
    rows = _linear_rows(report)
    q = [u.forward.second_moment for u in rows[:depth]]
    np.testing.assert_allclose(q, lw.q, rtol=0.06)
    want = lw.grad_sq_ratio * lw.chi[-1]
    np.testing.assert_allclose([u.apjn for u in rows[:depth]], want, rtol=0.06)
    assert rows[-1].apjn == pytest.approx(1.0, rel=0.1)  # the output itself
    # theory's total gain prod chi = 1.37 is inside the critical band [1/10, 10]
    assert 0.1 < float(np.prod(lw.chi)) < 10
    assert report.verdict.phase == "critical"


@pytest.mark.parametrize("layernorm", [False, True])
def test_residual_mlp_agrees_with_the_residual_theory(layernorm: bool) -> None:
    """ResidualBlocks h + alpha (W phi(LN(h)) + b), relu at He, alpha 0.5: per-block E h² and
    APJN against propagate(spec.theory()) within 6 %."""
    depth = 10
    spec = MLPSpec(depth=depth, width=WIDTH, in_features=WIDTH, out_features=WIDTH,
                   activation="relu", init="he", residual=True, alpha=0.5, layernorm=layernorm)
    report = probe(build(spec, seed=0, dtype=torch.float64), _x(), samples=16)
    theory = propagate(spec.theory(), q0=1.0)
    blocks = [u for u in report.units if u.kind in ("Linear", "ResidualBlock")][:depth]
    np.testing.assert_allclose([u.forward.second_moment for u in blocks], theory.q[:depth],
                               rtol=0.06)
    after = np.cumprod(theory.gain[::-1])[::-1]  # gain of everything after each layer
    np.testing.assert_allclose([u.apjn for u in blocks], after[1 : depth + 1], rtol=0.06)
    assert all(math.isfinite(u.forward.change_variance) for u in blocks[1:])


def test_the_model_and_the_rng_are_left_as_they_were() -> None:
    """BatchNorm in train mode (running statistics would move), dropout (draws from the
    global RNG), existing .grad: all identical after a probe with a loss."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5),
                        nn.Linear(16, 3))
    net.train()
    net[0].weight.grad = torch.full_like(net[0].weight, 0.25)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    rng = torch.random.get_rng_state()
    report = probe(net, torch.randn(32, 8, generator=torch.Generator().manual_seed(2)),
                   loss_fn=lambda out: out.square().mean())
    after = net.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert torch.equal(torch.random.get_rng_state(), rng)
    assert torch.equal(net[0].weight.grad, torch.full_like(net[0].weight, 0.25))
    assert net[4].bias.grad is None
    assert net.training
    assert all(math.isfinite(u.grad_norm) for u in report.units if u.params)


def test_the_residual_fix_it_computes_works() -> None:
    """A ReLU residual MLP at He with alpha = 1 explodes; rebuilt with the alpha the probe
    computes, the probe calls it critical."""
    spec = MLPSpec(depth=30, width=256, in_features=256, out_features=10, activation="relu",
                   init="he", residual=True)
    report = probe(build(spec, seed=0), _x(features=256).float())
    assert report.verdict.phase.startswith("chaotic")
    alpha = report.verdict.branch_scale
    assert f"alpha = {alpha:.3g}" in report.verdict.recommendations[0]
    fixed = probe(build(spec.model_copy(update={"alpha": alpha}), seed=0),
                  _x(features=256).float())
    assert fixed.verdict.phase == "critical"
    assert fixed.verdict.total_gain < 4


def test_a_transformer_is_probed_layer_by_layer() -> None:
    """nn.TransformerEncoder (pre- and post-LN): its units are the encoder layers, each with a
    finite APJN and residual change; the loss's gradient reaches every layer."""
    for norm_first in (False, True):
        layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True,
                                           norm_first=norm_first)
        model = nn.TransformerEncoder(layer, 6, enable_nested_tensor=False)
        x = torch.randn(4, 10, 32, generator=torch.Generator().manual_seed(0))
        report = probe(model, x, loss_fn=lambda out: out.sum())
        assert [u.kind for u in report.units] == ["TransformerEncoderLayer"] * 6
        assert all(math.isfinite(u.apjn) and u.apjn > 0 for u in report.units)
        assert all(math.isfinite(u.forward.change_variance) for u in report.units)
        assert all(u.grad_norm > 0 for u in report.units)
        assert report.to_dataframe().shape[0] == 6


def test_units_count_the_root_and_walk_stacks() -> None:
    assert units(nn.Linear(4, 4))[0][0] == "Linear"
    net = nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.ReLU(), nn.Linear(4, 2)))
    assert [name for name, _ in units(net)] == ["0", "1.0", "1.1"]
    report = probe(nn.Linear(4, 4), torch.randn(3, 4))
    assert report.verdict.phase == "unmeasured"  # one unit: no gain to speak of


def test_plot_and_table(tmp_path) -> None:
    report = probe(nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2)),
                   torch.randn(16, 8))
    path = tmp_path / "spp.png"
    report.plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "APJN" in str(report)


@pytest.mark.parametrize(("model", "inputs", "match"), [
    ("not a model", torch.randn(2, 4), "torch.nn.Module"),
    (nn.ReLU(), torch.randn(2, 4), "no parameters"),
    (nn.Linear(4, 2), torch.randn(2, 5), "do not fit"),
])
def test_bad_input_is_one_line(model, inputs, match) -> None:
    with pytest.raises(DepthscopeError, match=match) as err:
        probe(model, inputs)
    assert "\n" not in str(err.value)
    with pytest.raises(DepthscopeError, match="samples"):
        probe(nn.Linear(4, 2), torch.randn(2, 4), samples=1)
