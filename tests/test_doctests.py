"""The examples in the docstrings run (the API site shows them, so they must be true)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import depthscope

MODULES = sorted(info.name for info in pkgutil.walk_packages(depthscope.__path__, "depthscope.")
                 if not info.name.endswith("__main__"))


def _examples(name: str) -> list[doctest.DocTest]:
    """The module's docstring tests with at least one example that is not ``+SKIP``."""
    return [t for t in doctest.DocTestFinder().find(importlib.import_module(name))
            if any(not ex.options.get(doctest.SKIP) for ex in t.examples)]


@pytest.mark.parametrize("name", [m for m in MODULES if _examples(m)])
def test_docstring_examples_run(name: str) -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in _examples(name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
    assert result.attempted > 0
