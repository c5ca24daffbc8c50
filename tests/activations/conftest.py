"""Fixtures for the activation tests."""

from __future__ import annotations

import pytest

from depthscope.activations import kernels


@pytest.fixture
def eager_kernels():
    """Run the test with the eager kernels (no compilation), then restore the backend."""
    previous = kernels.set_backend("eager")
    yield
    kernels.set_backend(previous)
