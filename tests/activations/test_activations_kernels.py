"""Kernel backends: compiled equals eager, no recompilation per shape, logged fallback."""

from __future__ import annotations

import logging
import math
import os
import subprocess
import sys

import pytest
import torch

import depthscope.functional as F
from depthscope.activations import get, kernels, names
from depthscope.errors import DepthscopeError


@pytest.fixture
def compiled():
    previous = kernels.set_backend("compiled")
    yield
    kernels.set_backend(previous)


@pytest.mark.skipif(bool(kernels._compiler_missing("cpu")), reason="no C++ compiler")
def test_compiled_equals_eager_and_never_recompiles_for_a_new_shape(compiled, monkeypatch
                                                                     ) -> None:
    # One activation only: compiling costs seconds (less with a warm Inductor cache).
    act = get("logsig")
    x = torch.linspace(-8, 8, 4099, requires_grad=True)  # float32
    g = torch.randn(4099)
    y = F.logsig(x)
    (dx,) = torch.autograd.grad(y, x, g)
    torch.testing.assert_close(y, kernels.eager_phi(act, x.detach()), rtol=2e-6, atol=1e-7)
    torch.testing.assert_close(dx, kernels.eager_grad(act, x.detach(), g), rtol=2e-6, atol=1e-7)
    kinds = {key[1] for key in kernels._compiled if key[0] == act}
    assert kinds == {"phi", "grad_from_value"}  # logsig: phi' from x and y
    assert not kernels._broken  # it really ran compiled
    built = len(kernels._compiled)
    monkeypatch.setattr(kernels, "_build", None)  # building again would raise: not called
    for shape in [(3, 1000), (7, 11, 13), (5,)]:
        xs = torch.randn(shape).transpose(0, -1).requires_grad_()  # not contiguous
        ys = F.logsig(xs)
        (gs,) = torch.autograd.grad(ys.sum(), xs)  # upstream gradient: expanded, stride 0
        torch.testing.assert_close(ys, act.phi(xs.detach()), rtol=2e-6, atol=1e-7)
        torch.testing.assert_close(gs, act.dphi(xs.detach()), rtol=2e-6, atol=1e-7)
    assert len(kernels._compiled) == built
    assert not kernels._broken


def test_compile_failure_falls_back_to_eager_and_logs_once(compiled, monkeypatch, caplog):
    def broken(act, kind, example):
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(kernels, "_build", broken)
    monkeypatch.setattr(kernels, "_compiled", {})
    monkeypatch.setattr(kernels, "_logged", set())
    x = torch.linspace(-3, 3, 7, requires_grad=True)
    with caplog.at_level(logging.INFO, logger="depthscope.activations.kernels"):
        for _ in range(2):
            (g,) = torch.autograd.grad(F.gelu(x).sum(), x)
    torch.testing.assert_close(g, get("gelu").dphi(x.detach()))
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "no compiler here" in caplog.records[0].getMessage()


def test_auto_uses_eager_for_small_tensors_and_create_graph(monkeypatch) -> None:
    previous = kernels.set_backend("auto")
    try:
        calls: list[str] = []
        monkeypatch.setattr(kernels, "_run", lambda act, kind, *t: calls.append(kind))
        x = torch.randn(10, requires_grad=True)
        (g,) = torch.autograd.grad(F.tanh(x).sum(), x, create_graph=True)
        torch.autograd.grad(g.sum(), x)
        assert calls == []
        big = torch.randn(kernels.AUTO_MIN_NUMEL)
        F.tanh(big)  # _run is stubbed to return None: falls back to eager silently
        assert calls == ["phi"]
    finally:
        kernels.set_backend(previous)


def test_backend_switch_and_environment_variable() -> None:
    previous = kernels.set_backend("eager")
    assert kernels.get_backend() == "eager"
    assert kernels.set_backend(previous) == "eager"
    with pytest.raises(DepthscopeError, match="auto, compiled, eager"):
        kernels.set_backend("fast")  # type: ignore[arg-type]
    code = "from depthscope.activations import kernels; print(kernels.get_backend())"
    env = {**os.environ, "DEPTHSCOPE_KERNELS": "eager"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "eager"


@pytest.mark.parametrize(
    ("name", "kind", "masks"),
    [("gelu", "phi", (True, False, False)),  # x Phi(x) at -inf: -inf * 0 = nan
     ("gelu", "grad_from_value", (True, True, False)),  # y/x at ±inf: nan
     ("sigmoid", "phi", (False, False, False)),  # 1/(1 + e^-x) is right at ±inf and nan
     ("relu", "grad", (False, False, True)),  # (x > 0) is 0 at nan: nan needs the mask
     ("tanh", "phi", (True, True, False))],  # the rational form gives 1 - 3.6e-7 at ±inf
)
def test_kernels_keep_exactly_the_limit_masks_their_formula_needs(name, kind, masks) -> None:
    example = [torch.zeros(4)] * {"phi": 1, "grad": 2, "grad_from_value": 3}[kind]
    assert kernels._namespace(get(name), kind, example).limit_masks == masks
    assert kernels._namespace(get(name), kind, [t.to("meta") for t in example]).limit_masks == (
        True, True, True)  # other devices keep every mask


@pytest.mark.skipif(bool(kernels._compiler_missing("cpu")), reason="no C++ compiler")
@pytest.mark.parametrize("name", names())
def test_compiled_kernels_match_eager_at_extremes_and_nan(name, compiled) -> None:
    """The masks a kernel drops (probed eagerly) change nothing in the compiled code either:
    the eager values and gradients at ±inf, ±1e30, ±1, 0 and nan (nan exactly where eager has
    nan), through x and through y."""
    act = get(name)
    x = torch.tensor([-math.inf, -1e30, -1.0, 0.0, 1.0, 1e30, math.inf, math.nan] * 2)
    g = torch.linspace(0.5, 2.0, x.numel())
    eager_y = kernels.eager_phi(act, x)
    assert torch.equal(kernels.phi(act, x).isnan(), eager_y.isnan())
    torch.testing.assert_close(kernels.phi(act, x), eager_y, rtol=1e-6, atol=0, equal_nan=True)
    for y in (None, eager_y):
        torch.testing.assert_close(kernels.grad(act, x, g, y), kernels.eager_grad(act, x, g),
                                   rtol=1e-5, atol=1e-30, equal_nan=True)
    assert not kernels._broken
