"""nets.build: the network an MLPSpec describes, seeded and device/dtype independent."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from depthscope.errors import DepthscopeError
from depthscope.nets import MLPSpec, build


def spec(**kw) -> MLPSpec:
    return MLPSpec(**{"depth": 3, "width": 32, "in_features": 5, "out_features": 4, **kw})


def test_structure() -> None:
    net = build(spec(activation="logsig"))
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(5, 32), (32, 32), (32, 32),
                                                                  (32, 4)]
    assert len(net) == 7
    assert isinstance(net[-1], nn.Linear) is not False
    x = torch.randn(9, 5)
    h = x
    for i, lin in enumerate(linears):  # h = W phi(h) + b with the activation's own phi
        h = lin(h)
        if i < 3:
            h = spec(activation="logsig").act.phi(h)
    assert torch.allclose(net(x), h)
    assert all(m.bias is None for m in build(spec(bias=False)) if isinstance(m, nn.Linear))


def test_seeded_and_dtype_independent() -> None:
    a, b = build(spec(), seed=3), build(spec(), seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    c = build(spec(), seed=4)
    assert not torch.equal(a[0].weight, c[0].weight)
    d = build(spec(), seed=3, dtype=torch.float64)
    assert d[0].weight.dtype == torch.float64
    assert torch.equal(d[0].weight.float(), a[0].weight)


@pytest.mark.parametrize(("init", "sigma_w", "n_var"),
                         [("he", None, 2.0), ("gaussian", 1.5, 2.25), ("orthogonal", 0.7, 0.49),
                          ("pytorch_default", None, 1 / 3)])
def test_init_from_spec(init: str, sigma_w: float | None, n_var: float) -> None:
    net = build(spec(width=300, init=init, sigma_w=sigma_w, sigma_b=0.0 if init ==
                     "pytorch_default" else 0.2), dtype=torch.float64)
    hidden = net[2]
    assert float(hidden.weight.detach().var() * 300) == pytest.approx(n_var, rel=0.03)
    if init != "pytorch_default":
        assert float(hidden.bias.detach().std()) == pytest.approx(0.2, rel=0.2)


def test_bad_spec() -> None:
    with pytest.raises(DepthscopeError, match="fixes its own scale"):
        build(spec(init="lecun", sigma_w=2.0))


def test_standard_readout_keeps_a_critical_net_logits_small() -> None:
    """readout='standard': hidden layers at sigmoid's critical sigma_w = 10.2, the read-out
    U[±1/√fan_in] with zero bias (its logits' variance ~ E[phi²]/3 instead of 10.2² E[phi²])."""
    import math

    spec = MLPSpec(depth=3, width=64, in_features=8, out_features=10, activation="sigmoid",
                   init="gaussian", sigma_w=10.2, sigma_b=0.2, readout="standard")
    net = build(spec, seed=1)
    hidden, readout = net[0], net[-1]
    assert float(hidden.weight.detach().std()) * math.sqrt(8) > 5
    assert float(readout.weight.detach().abs().max()) <= 1 / math.sqrt(64)
    assert float(readout.bias.detach().abs().max()) == 0.0
    same = build(spec.model_copy(update={"readout": "same"}), seed=1)
    assert torch.equal(same[0].weight, hidden.weight)  # hidden layers untouched
    assert float(same[-1].weight.detach().std()) * math.sqrt(64) > 5
