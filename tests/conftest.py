"""Suite-wide settings: one torch thread per test process, and extra activations on request.

``make test`` runs two xdist workers on a 2-core machine; two threads each would oversubscribe
the cores, which makes small elementwise torch ops an order of magnitude slower.

``DEPTHSCOPE_TEST_REGISTER=FILE:FUNCTION`` calls ``FUNCTION`` of the Python file ``FILE``
before any test module is collected: the activations it registers are then among
``depthscope.activations.names()``, so every shared test (parametrised over the registry)
runs for them too (``tests/activations/test_activations_extension.py`` does this).
"""

import os
import runpy

import torch

torch.set_num_threads(1)

if extra := os.environ.get("DEPTHSCOPE_TEST_REGISTER"):
    path, _, function = extra.rpartition(":")
    runpy.run_path(path)[function]()
