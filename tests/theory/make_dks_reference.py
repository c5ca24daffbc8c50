"""Write ``data/dks_reference.json``: DeepMind's ``dks==0.1.2`` transform parameters for plain
MLPs, the test-only oracle of ``test_theory_shaping.py`` (its TAT solver takes ~1 min a depth,
too slow for the suite, so its outputs are stored; one live DKS call in the suite checks the
stored numbers still come out of the installed package).

Run: ``.venv/bin/python tests/theory/make_dks_reference.py`` (needs the dev extra's dks and
absl-py).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from dks.base import activation_transform as at

from depthscope.theory.shaping import DKS_PACKAGE_NAMES

DKS_NAMES = tuple(DKS_PACKAGE_NAMES.values())
DEPTHS = (10, 50, 100)
OUT = Path(__file__).parent / "data" / "dks_reference.json"


def _mlp(depth: int):
    def subnet_max(x, r):
        for _ in range(depth):
            x = r(x)
        return x
    return subnet_max


def main() -> None:
    doc: dict[str, dict] = {"package": "dks==0.1.2", "function":
                            "dks.base.activation_transform._get_activations_params", "mlp": {}}
    warnings.simplefilter("ignore", RuntimeWarning)  # dks's own cosh overflows
    for method in ("DKS", "TAT"):
        for depth in DEPTHS:
            params = at._get_activations_params(list(DKS_NAMES), method=method,
                                                subnet_max_func=_mlp(depth))
            if method == "TAT" and depth >= 50:  # TReLU's C(0) = 0.9 is out of reach at 10
                params.update(at._get_activations_params(["leaky_relu"], method="TAT",
                                                         subnet_max_func=_mlp(depth)))
            doc["mlp"][f"{method}-{depth}"] = {
                name: {k: float(v) for k, v in p.items()} for name, p in params.items()}
            print(method, depth, flush=True)
    OUT.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
