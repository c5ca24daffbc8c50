"""Registering an activation is all it takes: depthscope.nn and depthscope.functional follow the
registry (and forget it when a temporary registration ends), and torch's own module of the
same name is detected by the monitor and critical_."""

from __future__ import annotations

import torch
from torch import nn

import depthscope.functional as F
import depthscope.nn as dnn
from depthscope.activations import get, names
from depthscope.activations.base import Definition, Tail
from depthscope.activations.registry import register, temporary
from depthscope.fix import critical_
from depthscope.fix.detect import activation_of
from depthscope.monitor import watch


def _register_mish() -> None:
    """Mish (Misra 2019): phi = x tanh(softplus x); with t = tanh(softplus x), s = sigmoid x:
    phi' = t + x s (1 - t^2), phi'' = s (1 - t^2) (2 + x (1 - s - 2 t s))."""

    @register("mish")
    def mish() -> Definition:
        def parts(x, o):
            return o.tanh(o.log1p_exp(x)), o.sigmoid(x)

        def phi(x, o):
            return x * parts(x, o)[0]

        def dphi(x, o):
            t, s = parts(x, o)
            return t + x * s * (1.0 - t * t)

        def d2phi(x, o):
            t, s = parts(x, o)
            return s * (1.0 - t * t) * (2.0 + x * (1.0 - s - 2.0 * t * s))

        return Definition("mish", phi, dphi, d2phi,
                          limits=((0.0, float("inf")), (0.0, 1.0), (0.0, 0.0)),
                          odd=False, monotone=False,
                          tails=(Tail("exponential", 1.0), Tail("constant")),
                          formula="x tanh(softplus x)", reference="Misra 2019")


def test_a_registered_activation_gets_a_class_a_function_and_detection() -> None:
    x = torch.linspace(-6, 6, 1001, dtype=torch.float64, requires_grad=True)
    with temporary():
        _register_mish()
        assert "mish" in names()
        assert "mish" in F.__all__
        assert torch.allclose(F.mish(x), nn.functional.mish(x))
        assert torch.allclose(dnn.Mish()(x), nn.functional.mish(x))
        assert "Mish" in dnn.__all__
        assert torch.autograd.gradcheck(F.mish, (x[::50].detach().requires_grad_(),))
        # torch's own nn.Mish is now known: detection, the monitor's probes, critical_
        assert activation_of(nn.Mish()) is get("mish")
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(8, 16), nn.Mish(), nn.Linear(16, 2))
        report = critical_(net, return_report=True)
        assert report.layers[0].activation == "mish"
        with watch(net, on_alarm=None) as w:
            net(torch.randn(4, 8)).sum().backward()
            torch.optim.SGD(net.parameters(), lr=0.0).step()
        assert w.record().probe_names == ["1"]
    # the registration is undone: nothing of it is left behind
    assert "mish" not in names()
    assert "mish" not in F.__all__
    assert not hasattr(dnn, "Mish")
    assert activation_of(nn.Mish()) is None
