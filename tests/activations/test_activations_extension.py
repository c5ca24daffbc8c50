"""Registering an activation is all it takes: depthscope.nn and depthscope.functional follow the
registry (and forget it when a temporary registration ends), and torch's own module of the
same name is detected by the monitor and critical_."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mish_definition import register_mish
from torch import nn

import depthscope.functional as F
import depthscope.nn as dnn
from depthscope.activations import get, names
from depthscope.activations.registry import temporary
from depthscope.fix import critical_
from depthscope.fix.detect import activation_of
from depthscope.monitor import watch


def test_a_registered_activation_gets_a_class_a_function_and_detection() -> None:
    x = torch.linspace(-6, 6, 1001, dtype=torch.float64, requires_grad=True)
    with temporary():
        register_mish()
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


TESTS = Path(__file__).resolve().parents[1]
DEFINITION = Path(__file__).with_name("mish_definition.py")
#: the shared test modules (parametrised over the registry) and what each checks
SHARED = {
    "activations/test_activations_derivatives.py": "phi', phi'' vs autograd; gradcheck",
    "activations/test_activations_values.py": "±1e30, ±inf, nan",
    "activations/test_activations_properties.py": "range, slope bound, odd/monotone flags",
    "activations/test_activations_meta.py": "tail class vs numerical log-log slope",
    "activations/test_activations_kernels.py": "compiled kernels vs eager",
    "theory/test_theory_quadrature.py": "Gauss-Legendre vs adaptive quadrature",
    "simulate/test_simulate_finite.py": "mean-field q, gradients vs a width-1000 net",
}


def _shared_suite(function: str, modules: list[str]) -> subprocess.CompletedProcess:
    """The shared tests of ``modules`` selected for "mish", with mish registered by
    ``mish_definition.FUNCTION`` before collection (``tests/conftest.py``)."""
    env = os.environ | {"DEPTHSCOPE_TEST_REGISTER": f"{DEFINITION}:{function}"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", "-k", "mish",
         *(str(TESTS / m) for m in modules)], env=env, capture_output=True, text=True,
        cwd=TESTS.parent, timeout=600)


@pytest.mark.slow
def test_a_registered_activation_gets_every_shared_test_and_theory_check() -> None:
    done = _shared_suite("register_mish", list(SHARED))
    assert done.returncode == 0, done.stdout[-3000:]
    passed = [line for line in done.stdout.splitlines() if line.startswith("PASSED")]
    for module in SHARED:  # each shared module ran tests for mish
        assert any(module in line and "mish" in line for line in passed), module
    assert len(passed) >= 12


def test_the_shared_tests_catch_a_wrong_registered_derivative() -> None:
    done = _shared_suite("register_wrong_mish", ["activations/test_activations_derivatives.py"])
    assert done.returncode == 1, done.stdout[-3000:]
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
    assert any("test_closed_form_derivatives_match_autograd_of_formula[mish]" in line
               for line in failed), done.stdout[-3000:]
