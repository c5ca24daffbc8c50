"""A model named on the command line: ``pkg.module:factory`` or ``path/to/file.py:factory``
(``factory`` a function called with no arguments, or an ``nn.Module`` instance)."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType

from torch import nn

from depthscope.errors import DepthscopeError


def _module(where: str) -> ModuleType:
    if where.endswith(".py"):
        path = Path(where)
        if not path.is_file():
            raise DepthscopeError(f"no such file: {where}")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            raise DepthscopeError(f"cannot load {where} as a Python module")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(where)


def load_model(target: str) -> nn.Module:
    """The model ``target`` names (see the module docstring)."""
    where, sep, name = target.rpartition(":")
    if not sep or not where or not name:
        raise DepthscopeError(f"name the model as module:factory or file.py:factory, got "
                              f"{target!r}")
    try:
        module = _module(where)
    except DepthscopeError:
        raise
    except Exception as err:  # the user's module failed to import: say which, in one line
        raise DepthscopeError(f"cannot import {where}: {type(err).__name__}: "
                              f"{str(err).splitlines()[0] if str(err) else ''}") from err
    if not hasattr(module, name):
        raise DepthscopeError(f"{where} has no {name!r}")
    obj = getattr(module, name)
    try:
        model = obj if isinstance(obj, nn.Module) else obj() if callable(obj) else None
    except Exception as err:  # the user's factory failed: say how, in one line
        raise DepthscopeError(f"{target}() failed: {type(err).__name__}: "
                              f"{str(err).splitlines()[0] if str(err) else ''}") from err
    if not isinstance(model, nn.Module):
        raise DepthscopeError(f"{target} is not an nn.Module or a function returning one")
    return model
