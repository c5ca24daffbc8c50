"""Classification data for the experiments: built-in tasks and user files.

``load("digits")`` or ``load("path/to/file.npz")`` returns a :class:`Dataset` with seeded
train/validation/test splits standardised on the training split. Built-ins (no download):
``digits``, ``mnist1d``, ``shapeset``, ``teacher``, ``gaussian``; files: ``.npz`` (``X``,
``y``), CSV, MNIST IDX (optionally gzipped), CIFAR-10 binary.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from depthscope.data.builtin import BUILTINS
from depthscope.data.dataset import Dataset, DatasetCard, Split, check_arrays, make_dataset
from depthscope.data.files import load_file
from depthscope.errors import DepthscopeError

__all__ = [
    "Dataset",
    "DatasetCard",
    "Split",
    "builtin_names",
    "cards",
    "check_arrays",
    "load",
    "make_dataset",
]

SPLIT_OPTIONS = ("n", "val_fraction", "test_fraction", "standardize", "num_classes")


def builtin_names() -> list[str]:
    """Names of the built-in datasets."""
    return sorted(BUILTINS)


def cards() -> list[DatasetCard]:
    """The cards of the built-in datasets (default sizes)."""
    return [BUILTINS[name].card for name in builtin_names()]


def load(name_or_path: str | Path, *, seed: int = 0, **options: object) -> Dataset:
    """A built-in dataset by name, or a user file, split and standardised.

    Args:
        name_or_path: a built-in name (see :func:`builtin_names`) or a file path.
        seed: seeds both generation (built-ins) and the train/val/test permutation.
        **options: ``n`` (number of examples), ``val_fraction`` (0.15), ``test_fraction``
            (0.15), ``standardize`` (True), ``num_classes`` (default: max label + 1), plus
            the generator's or loader's own (e.g. ``teacher(features=, classes=, depth=)``,
            CSV ``label_column=``, IDX ``labels=``).

    Returns:
        :class:`Dataset`: train/val/test splits (a seeded permutation), inputs standardised
        with the training split's mean and standard deviation.

    Raises:
        DepthscopeError: an unknown name, a missing or malformed file, a bad option.

    Example:
        >>> from depthscope import load_dataset
        >>> digits = load_dataset("digits")
        >>> digits.num_classes, digits.in_features, len(digits.train), len(digits.test)
        (10, 64, 1257, 270)
    """
    split = {k: options.pop(k) for k in SPLIT_OPTIONS if k in options}
    key = str(name_or_path).strip().lower()
    if key in BUILTINS:
        builtin = BUILTINS[key]
        _check_options(key, options, builtin.options)
        if "n" in split and "n" in inspect.signature(builtin.generate).parameters:
            options["n"] = split["n"]
        X, y = builtin.generate(seed=seed, **options)
        card = builtin.card
    else:
        path = Path(name_or_path).expanduser()
        if not path.exists():
            raise DepthscopeError(
                f"no dataset {str(name_or_path)!r}: not a built-in "
                f"({', '.join(builtin_names())}) and no such file"
            )
        X, y, fmt = load_file(path, **_file_options(path, options))
        card = DatasetCard(path.name, len(y), str(path.resolve()), f"user file ({fmt})")
    return make_dataset(X, y, card, seed=seed, **split)  # type: ignore[arg-type]


def _check_options(name: str, options: dict[str, object], allowed: list[str]) -> None:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise DepthscopeError(
            f"{name}: unknown option(s) {', '.join(unknown)}; allowed: "
            f"{', '.join([*SPLIT_OPTIONS, *allowed])}"
        )


def _file_options(path: Path, options: dict[str, object]) -> dict[str, object]:
    name = path.name.lower()
    accepted = (["label_column"] if ".csv" in name else []) + (["labels"] if "idx" in name else [])
    _check_options(path.name, options, accepted)
    return options
