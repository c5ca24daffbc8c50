"""Suite-wide settings: one torch thread per test process.

``make test`` runs two xdist workers on a 2-core machine; two threads each would oversubscribe
the cores, which makes small elementwise torch ops an order of magnitude slower.
"""

import torch

torch.set_num_threads(1)
