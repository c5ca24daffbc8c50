"""The order in which modules first run in a model's first forward pass after a watch starts.

Registration order (``named_modules``) is not forward order: a model may define its output
head before its body, or reuse a module. One forward pre-hook per module notes its first call
in the first forward of the root; the root's forward hook then removes them all, so the cost
is one forward's worth of Python calls, once.
"""

from __future__ import annotations

from functools import partial

from torch import nn


class ForwardOrder:
    """``order``: indices into ``modules`` in the order the first forward reached them
    (empty until then); modules that did not run are left out."""

    def __init__(self, root: nn.Module, modules: list[nn.Module]) -> None:
        self.order: list[int] = []
        self._seen: set[int] = set()
        self._handles = [m.register_forward_pre_hook(partial(self._ran, i))
                         for i, m in enumerate(modules)]
        self._handles.append(root.register_forward_hook(self._done))

    def _ran(self, i: int, module: nn.Module, args: tuple) -> None:
        if i not in self._seen:
            self._seen.add(i)
            self.order.append(i)

    def _done(self, *args: object) -> None:
        self.remove()

    def complete(self, n: int) -> list[int]:
        """The forward order, then the modules that never ran, in registration order."""
        return self.order + [i for i in range(n) if i not in self._seen]

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
