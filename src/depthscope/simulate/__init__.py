"""Monte Carlo at initialisation: gradient products (``products``) and finite-width random
networks (``finite``: per-layer q, back-propagated gradient norms, input-output Jacobian)."""

from depthscope.simulate.finite import (
    FiniteStats,
    input_output_jacobian,
    propagate,
    sample_layers,
)
from depthscope.simulate.products import (
    NetworkProducts,
    ProductStats,
    iid_products,
    network_products,
)

__all__ = [
    "FiniteStats",
    "NetworkProducts",
    "ProductStats",
    "iid_products",
    "input_output_jacobian",
    "network_products",
    "propagate",
    "sample_layers",
]
