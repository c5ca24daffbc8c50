"""Train M deep MLPs of one shape at once: stacked weights, batched matmuls, hand-written backprop.

Member ``m`` computes ``h^l = W^l a^{l-1} + b^l``, ``a^l = phi_m(h^l)`` (l < L), logits
``h^L``, loss = mean softmax cross-entropy (``output="sigmoid"``: per-class outputs
``sigma(h^L)`` and ``1/2 sum_c (sigma(h^L_c) - onehot_c)^2``, mean over the batch). All
members' weights are stacked as ``W^l`` (M, out, in) and the layer is one ``torch.baddbmm``.
Backprop is written out (micrograd style, derivative next to the forward): with
``delta^L = (softmax - onehot)/B`` (sigmoid output: ``(sigma - onehot) sigma (1 - sigma)/B``),

    dL/dW^l = delta^l^T a^{l-1},   dL/db^l = sum_batch delta^l,
    delta^{l-1} = (delta^l W^l) * phi'(h^{l-1})          (phi' = Activation.dphi)

Residual members (``RunConfig.residual``) have hidden layers ``l = 2..L`` as blocks ``h^l =
h^{l-1} + alpha (W^l a^{l-1} + b^l)`` with ``a^{l-1} = phi(u^{l-1})``, ``u = h`` or, pre-LayerNorm,
``u = (h - mean h)/sqrt(var h + eps)`` over the units; their backward adds the skip and the
LayerNorm's Jacobian: ``dL/db^l = alpha sum_batch delta^l``, ``dL/dW^l = alpha delta^l^T
a^{l-1}``, ``delta^{l-1} = delta^l + LN'((alpha delta^l W^l) * phi'(u^{l-1}))`` with ``LN'(g)
= (g - mean g - u mean(g u)) / sqrt(var h + eps)``.

Members may differ in activation (members are sorted so each activation is one contiguous
slice), init, sigma_w/b, residual alpha, optimizer, learning rate, momentum and seed; they
share depth, width, residual and LayerNorm, batch size, steps and recording
(``RunConfig.shape_key``). Each member has its own minibatch order, drawn from its seed
(:func:`batch_schedule`), so members are independent runs.

Recorded every ``record_every`` steps and at the last step (series rows
``(step, layer, metric, value)``; layer -1 = whole network; layer L = the read-out):

* ``train_loss``, ``train_accuracy`` (the step's minibatch), ``val_loss``, ``val_accuracy``;
* ``grad_w_norm``: ``||dL/dW^l||_F``; ``grad_h_norm``: ``||dL/dh^l||_F`` over the batch
  (the back-propagated gradient w.r.t. pre-activations);
* ``weight_scale``: ``sqrt(fan_in · mean W^l_ij^2)``, ``bias_scale``: ``sqrt(mean b^l_i^2)``
  (the layer's effective sigma_w and sigma_b, where it sits on the mean-field map);
* hidden layers: ``act_mean``, ``act_std`` of ``a^l`` and ``preact_std`` of ``h^l`` over
  batch × units;
* ``saturated`` (bounded activations only): fraction of batch × units with
  ``|phi'(h)| < 0.1 · max|phi'|`` (tanh: ``|tanh h| > 0.949``; Glorot & Bengio 2010);
* ``dead`` (activations with a zero-slope tail: relu, logmin, hardtanh): fraction of units
  with ``phi'(h) = 0`` for every example of the minibatch.

Divergence: a member whose loss or gradient is nan/inf at a step is frozen there (no more
updates, no more records) and reported ``diverged`` with that step; the others go on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch

from depthscope.activations import Activation, kernels
from depthscope.activations.health import can_die, saturates, saturation_floor
from depthscope.data import Dataset, Split
from depthscope.errors import DepthscopeError
from depthscope.nets import build
from depthscope.nets.build import LAYERNORM_EPS
from depthscope.train.config import Output, RunConfig, RunResult

ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8
LAYER_METRICS = ("grad_w_norm", "grad_h_norm", "weight_scale", "bias_scale", "act_mean",
                 "act_std", "preact_std", "saturated", "dead")
NET_METRICS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")
EVAL_CHUNK = 2048
BATCH_SEED_OFFSET = 0x9E3779B9  # batch order and init draw from different streams


@dataclass(frozen=True)
class _Group:
    """Members ``sl`` share the activation ``act``."""

    act: Activation
    sl: slice

    @property
    def bounded(self) -> bool:
        return saturates(self.act)

    @property
    def can_die(self) -> bool:
        return can_die(self.act)


@dataclass(frozen=True)
class _Normed:
    """``u = (h - mean h) · inv`` over the units, ``inv = 1/sqrt(var h + eps)`` (LayerNorm
    without learned gain or bias)."""

    u: torch.Tensor  # (M, B, width)
    inv: torch.Tensor  # (M, B, 1)

    @classmethod
    def of(cls, h: torch.Tensor) -> _Normed:
        centred = h - h.mean(-1, keepdim=True)
        inv = (centred.square().mean(-1, keepdim=True) + LAYERNORM_EPS).rsqrt()
        return cls(centred * inv, inv)

    def backward(self, g: torch.Tensor) -> torch.Tensor:
        """``dL/dh`` from ``g = dL/du``."""
        return (g - g.mean(-1, keepdim=True) - self.u * (g * self.u).mean(-1, keepdim=True)
                ) * self.inv


@dataclass(frozen=True)
class _Outer:
    """A weight gradient left unformed: ``dL/dW = delta^T a`` (M, out, in)."""

    delta: torch.Tensor  # (M, B, out)
    a: torch.Tensor  # (M, B, in)


def batch_schedule(seeds: Sequence[int], n: int, batch_size: int) -> Iterator[torch.Tensor]:
    """Minibatch indices (M, B) per step: member m reshuffles ``range(n)`` every epoch with
    its own generator (seeded ``seeds[m] + BATCH_SEED_OFFSET``) and drops the last partial
    batch."""
    gens = [torch.Generator().manual_seed(s + BATCH_SEED_OFFSET) for s in seeds]
    while True:
        perms = torch.stack([torch.randperm(n, generator=g) for g in gens])  # (M, n)
        for start in range(0, n - batch_size + 1, batch_size):
            yield perms[:, start : start + batch_size]  # (M, B)


def _per_group(groups: list[_Group], fn: Callable[..., torch.Tensor],
               *tensors: torch.Tensor) -> torch.Tensor:
    """``fn(act, *slices, out=slice)`` for each group's activation on its members' slices
    (M, ...), written into one output."""
    if len(groups) == 1:
        return fn(groups[0].act, *tensors)
    out = torch.empty_like(tensors[0])
    for g in groups:
        fn(g.act, *(t[g.sl] for t in tensors), out=out[g.sl])
    return out


def _phi(act: Activation, h: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """``phi(h)`` by the fused kernel, compiled whatever the size (a training loop is hot)."""
    return kernels.phi(act, h, hot=True, out=out)


def _grad(act: Activation, h: torch.Tensor, g: torch.Tensor, a: torch.Tensor,
          out: torch.Tensor | None = None) -> torch.Tensor:
    """``g * phi'(h)`` by the fused kernel (``a = phi(h)`` where phi' is cheaper from it)."""
    return kernels.grad(act, h, g, a, hot=True, out=out)


class _Ensemble:
    """Stacked parameters and optimizer state of M members (sorted by activation)."""

    def __init__(self, configs: list[RunConfig], data: Dataset, device: str | torch.device,
                 dtype: torch.dtype) -> None:
        self.configs = configs
        m = len(configs)
        groups: dict[str, list[int]] = {}
        for i, c in enumerate(configs):
            key = c.mlp_spec(1, 1).act.label
            groups.setdefault(key, []).append(i)
        self.groups = [
            _Group(configs[idx[0]].mlp_spec(1, 1).act, slice(idx[0], idx[-1] + 1))
            for idx in groups.values()
        ]
        probe = data.train.X[:256]
        nets = [build(c.mlp_spec(data.in_features, data.num_classes), seed=c.seed,
                      device=device, dtype=dtype, data=probe) for c in configs]
        linears = [[layer for layer in net.modules() if isinstance(layer, torch.nn.Linear)]
                   for net in nets]
        self.W = [torch.stack([ls[j].weight.detach() for ls in linears])  # (M, out, in)
                  for j in range(len(linears[0]))]
        self.b = [torch.stack([ls[j].bias.detach() for ls in linears])[:, None, :]  # (M, 1, out)
                  for j in range(len(linears[0]))]

        def col(values: list[float]) -> torch.Tensor:
            return torch.tensor(values, device=device, dtype=dtype).view(m, 1, 1)

        self.lr = col([c.lr for c in configs])
        self.residual, self.layernorm = configs[0].residual, configs[0].layernorm
        self.alpha = col([c.alpha for c in configs])
        self.momentum = col([c.momentum if c.optimizer == "momentum" else 0.0 for c in configs])
        self.is_adam = torch.tensor([c.optimizer == "adam" for c in configs],
                                    device=device).view(m, 1, 1)
        self.any_adam, self.all_adam = bool(self.is_adam.any()), bool(self.is_adam.all())
        self.plain_sgd = all(c.optimizer == "sgd" for c in configs)
        self.same_lr = len({c.lr for c in configs}) == 1
        params = self.W + self.b
        momentum = not (self.all_adam or self.plain_sgd)
        self.buf = [torch.zeros_like(p) for p in params] if momentum else []
        self.adam_m = [torch.zeros_like(p) for p in params] if self.any_adam else []
        self.adam_v = [torch.zeros_like(p) for p in params] if self.any_adam else []

    @property
    def depth(self) -> int:
        return len(self.W) - 1

    def is_block(self, j: int) -> bool:
        """Whether layer ``j`` (0 = first hidden, ``depth`` = read-out) is a residual block."""
        return self.residual and 0 < j < self.depth

    def normed(self, j: int) -> bool:
        """Whether hidden layer ``j``'s activation takes LayerNorm(h) (a block's input)."""
        return self.layernorm and self.is_block(j + 1)

    def forward(self, x: torch.Tensor, keep: bool = True
                ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor],
                           list[_Normed | None]]:
        """Logits (M, B, C), pre-activations ``h^l``, activations ``a^l`` (a^{-1} = x) and,
        where a LayerNorm feeds the activation, its output and inverse scale (``keep=False``:
        the logits alone, each layer's tensors freed as the next is formed)."""
        a, h, pres, acts = x, x, [], [x]  # x: (M, B, in)
        norms: list[_Normed | None] = []
        for j in range(self.depth + 1):
            out = torch.baddbmm(self.b[j], a, self.W[j].transpose(1, 2))  # (M, B, out)
            h = out.mul_(self.alpha).add_(h) if self.is_block(j) else out
            if j == self.depth:
                return h, pres, acts, norms
            norm = _Normed.of(h) if self.normed(j) else None
            a = _per_group(self.groups, _phi, h if norm is None else norm.u)  # (M, B, width)
            if keep:
                pres.append(h)
                norms.append(norm)
                acts.append(a)
        raise AssertionError("unreachable")

    def evaluate(self, split: Split) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean loss and accuracy (M,) of every member on a whole split, in chunks."""
        m = len(self.configs)
        loss_sum = torch.zeros(m, device=split.X.device, dtype=split.X.dtype)
        hits = torch.zeros_like(loss_sum)
        for s in range(0, len(split), EVAL_CHUNK):
            x, y = split.X[s : s + EVAL_CHUNK], split.y[s : s + EVAL_CHUNK]
            logits = self.forward(x.expand(m, -1, -1), keep=False)[0]  # (M, n, C)
            loss, acc, _ = _loss(self.configs[0].output, logits, y.expand(m, -1))
            loss_sum += loss * len(y)
            hits += acc * len(y)
        return loss_sum / len(split), hits / len(split)

    def backward(self, delta: torch.Tensor, pres: list[torch.Tensor], acts: list[torch.Tensor],
                 norms: list[_Normed | None], record: bool
                 ) -> tuple[list[torch.Tensor | _Outer], list[torch.Tensor],
                            list[list[torch.Tensor]]]:
        """Gradients of every layer from ``delta^L`` (the module docstring's backprop), and,
        when ``record``, each layer's statistics rows (:data:`LAYER_METRICS` order).

        Plain SGD steps that do not record keep ``dL/dW^l`` (l >= 1) unformed
        (:class:`_Outer`: the update applies ``delta^T a`` without building it)."""
        depth = self.depth
        outer = self.plain_sgd and not record
        gW: list[torch.Tensor | _Outer] = [None] * (depth + 1)  # type: ignore[list-item]
        gb: list[torch.Tensor] = [None] * (depth + 1)  # type: ignore[list-item]
        layer_rows: list[list[torch.Tensor]] = [[] for _ in range(depth + 1)]
        for j in reversed(range(depth + 1)):  # layer j = depth is the read-out
            block = self.is_block(j)
            branch = delta * self.alpha if block else delta  # dL/d(W a + b) of layer j
            if outer and j > 0:
                gW[j] = _Outer(branch, acts[j])
            else:
                gW[j] = torch.bmm(branch.transpose(1, 2), acts[j])  # (M, out, in)
            gb[j] = branch.sum(1, keepdim=True)  # (M, 1, out)
            if record:
                fan_out = self.W[j].shape[1]  # effective sigma_w, sigma_b: rms · sqrt(fan_in)
                layer_rows[j] = [torch.linalg.vector_norm(gW[j], dim=(1, 2)),  # type: ignore[arg-type]
                                 torch.linalg.vector_norm(delta, dim=(1, 2)),
                                 torch.linalg.vector_norm(self.W[j], dim=(1, 2)) / fan_out**0.5,
                                 torch.linalg.vector_norm(self.b[j], dim=(1, 2)) / fan_out**0.5,
                                 *layer_rows[j]]
            if j > 0:
                back = torch.bmm(branch, self.W[j])  # (M, B, width): dL/da^{j-1}
                norm = norms[j - 1]
                u = pres[j - 1] if norm is None else norm.u  # phi's input
                if record:  # phi'(u) is needed for the statistics too: compute it once
                    ones = torch.ones_like(back)
                    dphi = _per_group(self.groups, _grad, u, ones, acts[j])
                    du = back * dphi  # the kernel's own rounding: dphi, then the product
                    layer_rows[j - 1] += _layer_stats(self.groups, pres[j - 1], acts[j], dphi)
                else:
                    du = _per_group(self.groups, _grad, u, back, acts[j])
                dh = du if norm is None else norm.backward(du)
                delta = dh + delta if block else dh
        return gW, gb, layer_rows

    def record(self, val: Split, loss: torch.Tensor, acc: torch.Tensor,
               layer_rows: list[list[torch.Tensor]]) -> torch.Tensor:
        """One record's values (4 + (L+1) · len(LAYER_METRICS), M) on the host: the step's
        minibatch loss and accuracy, the validation split's, then every layer's rows (metrics
        a layer does not have are nan)."""
        val_loss, val_acc = self.evaluate(val)
        nan = torch.full_like(loss, math.nan)
        per_layer = torch.stack([torch.stack(r + [nan] * (len(LAYER_METRICS) - len(r)))
                                 for r in layer_rows])  # (L+1, metrics, M)
        network = torch.stack([loss, acc, val_loss, val_acc])  # (4, M)
        return torch.cat([network, per_layer.reshape(-1, len(self.configs))]).cpu()

    def step(self, grads: Sequence[torch.Tensor | _Outer], t: int, alive: torch.Tensor) -> None:
        """One optimizer step on members with ``alive`` (M,); the others stay frozen.

        SGD/momentum (torch.optim.SGD): ``v = mu v + g; p -= lr v`` (``mu = 0`` for SGD).
        Adam (Kingma & Ba 2015, torch.optim.Adam): ``m = lerp(m, g, 1-b1); v = b2 v +
        (1-b2) g^2; p -= lr/(1-b1^t) · m / (sqrt(v)/sqrt(1-b2^t) + eps)``.
        A frozen member gets zero gradients and zero optimizer state (and ``lr = 0``), so its
        parameters keep their last values; finding them is the one host sync per step.
        An unformed gradient ``delta^T a`` (:class:`_Outer`, plain SGD only) is applied by one
        batched GEMM that accumulates into the weights, ``W <- W - lr delta^T a`` (the
        gradient tensor is never written: a third of the backward's memory traffic).
        """
        b1, b2 = ADAM_BETAS
        frozen = (~alive).nonzero().squeeze(1)  # (F,) host sync
        lr = self.lr if frozen.numel() == 0 else self.lr.index_fill(0, frozen, 0.0)
        for i, (p, g) in enumerate(zip(self.W + self.b, grads, strict=True)):
            if isinstance(g, _Outer):
                self._sgd_outer(p, g, lr, frozen)
                continue
            if frozen.numel():
                for tensor in (g, *(s[i] for s in (self.buf, self.adam_m, self.adam_v) if s)):
                    tensor.index_fill_(0, frozen, 0.0)
            sgd = adam = None
            if self.plain_sgd:
                sgd = g  # (M, out, in)
            elif not self.all_adam:
                sgd = self.buf[i].mul_(self.momentum).add_(g)
            if self.any_adam:
                m = self.adam_m[i].lerp_(g, 1 - b1)
                v = self.adam_v[i].mul_(b2).addcmul_(g, g, value=1 - b2)
                denom = (v.sqrt() / math.sqrt(1 - b2**t)).add_(ADAM_EPS)
                adam = m / denom
            if sgd is None:
                p.addcmul_(adam, lr / (1 - b1**t), value=-1)  # type: ignore[arg-type]
            elif adam is None:
                p.addcmul_(sgd, lr, value=-1)
            else:
                p.sub_(torch.where(self.is_adam, adam * (lr / (1 - b1**t)), sgd * lr))

    def _sgd_outer(self, p: torch.Tensor, g: _Outer, lr: torch.Tensor,
                   frozen: torch.Tensor) -> None:
        """``p -= lr delta^T a`` in one ``baddbmm_``; frozen members get ``delta = a = 0``
        (their ``a`` may be inf, and ``0 · inf`` is nan)."""
        if frozen.numel():
            g.delta.index_fill_(0, frozen, 0.0)
            g.a.index_fill_(0, frozen, 0.0)
        if self.same_lr:
            p.baddbmm_(g.delta.transpose(1, 2), g.a, alpha=-self.configs[0].lr)
        else:
            p.baddbmm_((g.delta * lr).transpose(1, 2), g.a, alpha=-1.0)


def _loss(output: Output, logits: torch.Tensor, y: torch.Tensor
          ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mean loss (M,), accuracy (M,) and ``dL/dlogits`` (M, B, C) of ``output``.

    softmax: cross-entropy, ``dL/dz = (softmax(z) - onehot)/B``; sigmoid: ``L = 1/(2B)
    sum_b sum_c (sigma(z) - onehot)^2``, ``dL/dz = (sigma - onehot) sigma (1 - sigma)/B``.
    Accuracy: argmax of the logits either way.
    """
    acc = (logits.argmax(-1) == y).to(logits.dtype).mean(1)  # (M,)
    if output == "sigmoid":
        p = torch.sigmoid(logits)
        err = p.scatter_add(2, y[..., None], -torch.ones_like(p[..., :1]))  # sigma - onehot
        loss = 0.5 * err.square().sum(2).mean(1)
        return loss, acc, err * p * (1 - p) / y.shape[1]
    # (along a last dim of C = 10 torch's CPU kernel is 10-20x slower than over dim 1 of the
    # (M, C, B) view on an Intel Xeon, AVX-512, but the two round differently in 1 of ~10^3
    # values by an ulp, and the quick study's claims 5 and 7 moved with that: kept, so the
    # numbers stay bit for bit)
    logp = torch.log_softmax(logits, dim=-1)  # (M, B, C)
    loss = -logp.gather(2, y[..., None]).squeeze(2).mean(1)  # (M,)
    delta = logp.exp()
    delta.scatter_add_(2, y[..., None], -torch.ones_like(delta[..., :1]))
    return loss, acc, delta / y.shape[1]


def _finite(loss: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """(M,) whether member m's loss and every entry of ``grad[m]`` are finite: the largest
    ``|entry|`` is finite iff every entry is (``amax`` propagates nan), one reduction where
    ``isfinite(grad).all()`` takes three passes and a mask (210 vs 17 us at the study's
    shape, Intel Xeon, AVX-512)."""
    return torch.isfinite(loss) & torch.isfinite(grad.abs().amax(tuple(range(1, grad.ndim))))


def _layer_stats(groups: list[_Group], h: torch.Tensor, a: torch.Tensor, dphi: torch.Tensor
                 ) -> list[torch.Tensor]:
    """``act_mean, act_std, preact_std, saturated, dead`` (M,) each for one hidden layer."""
    sat = torch.full_like(a[:, 0, 0], math.nan)  # (M,)
    dead = torch.full_like(sat, math.nan)
    for g in groups:
        if g.bounded:
            sat[g.sl] = (dphi[g.sl].abs() < saturation_floor(g.act)).mean(
                (1, 2), dtype=a.dtype)
        if g.can_die:
            dead[g.sl] = (dphi[g.sl] == 0).all(1).to(a.dtype).mean(1)
    a_mean, a_std = _mean_std(a)
    return [a_mean, a_std, _mean_std(h)[1], sat, dead]


def _mean_std(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and population standard deviation (M,) over all but the first dim, in two passes:
    ``mu = mean x``, ``sqrt(mean (x - mu)^2)`` (torch's one-pass ``std``: 375 vs 30 us at the
    trainer's (M, B, width) study shape, Intel Xeon, AVX-512)."""
    flat = x.flatten(1)
    mean = flat.mean(1, keepdim=True)
    return mean.squeeze(1), (flat - mean).square().mean(1).sqrt()


def train_ensemble(
    configs: Sequence[RunConfig],
    dataset: Dataset,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    progress: Callable[[int], None] | None = None,
) -> list[RunResult]:
    """Train every config on ``dataset`` at once; results in the order of ``configs``.

    Every member is the net its config describes, trained by minibatch SGD (with momentum)
    or Adam on cross-entropy (or squared error of a sigmoid read-out); the members' layers
    are stacked into batched matmuls (``(M, B, n) @ (M, n, n)``) with a hand-written
    backward pass, so ``M`` small nets train at the cost of a few large ones. A member
    equals the same net trained alone with autograd and ``torch.optim`` (checked to 1e-10
    in float64). A diverging member is frozen; the others go on.

    Args:
        configs: runs of one :meth:`RunConfig.shape_key` (dataset, depth, width, ...).
        dataset: the data all members train on.
        device, dtype: where and in what precision to train.
        progress: called after every step with the number of steps done so far.

    Returns:
        One :class:`RunResult` per config, in the order of ``configs``.

    Example:
        >>> from depthscope import RunConfig, load_dataset, train_ensemble
        >>> runs = [RunConfig(activation="tanh", depth=2, width=16, steps=50, lr=0.1, seed=s)
        ...         for s in (0, 1)]
        >>> results = train_ensemble(runs, load_dataset("digits"))
        >>> [r.status for r in results], all(r.summary["test_accuracy"] > 0.5 for r in results)
        (['finished', 'finished'], True)
    """
    if not configs:
        return []
    if len({c.shape_key() for c in configs}) > 1:
        raise DepthscopeError(
            "train_ensemble needs configs of one shape (dataset, depth, width, batch_size, "
            "steps, record_every); group them with RunConfig.shape_key()"
        )
    first = configs[0]
    if first.batch_size > len(dataset.train):
        raise DepthscopeError(
            f"batch_size={first.batch_size} exceeds the {len(dataset.train)} training examples"
        )
    order = sorted(range(len(configs)), key=lambda i: configs[i].mlp_spec(1, 1).act.label)
    cfgs = [configs[i] for i in order]
    data = dataset.to(device, dtype)
    net = _Ensemble(cfgs, data, device, dtype)
    m, steps = len(cfgs), first.steps
    alive = torch.ones(m, dtype=torch.bool, device=device)
    diverged_at = torch.full((m,), -1, dtype=torch.long, device=device)
    records: list[tuple[int, torch.Tensor, torch.Tensor]] = []  # (step, values, alive)
    batches = batch_schedule([c.seed for c in cfgs], len(data.train), first.batch_size)

    for step in range(steps):
        idx = next(batches).to(device)  # (M, B)
        rows = idx.reshape(-1)  # index_select: X[idx]'s rows, 17 vs 85 us (Xeon, AVX-512)
        x = data.train.X.index_select(0, rows).view(*idx.shape, -1)  # (M, B, in)
        y = data.train.y.index_select(0, rows).view(idx.shape)  # (M, B)
        record = step % first.record_every == 0 or step == steps - 1
        logits, pres, acts, norms = net.forward(x)  # forward
        loss, acc, delta = _loss(first.output, logits, y)  # (M,), (M,), (M, B, C)
        gW, gb, layer_rows = net.backward(delta, pres, acts, norms, record)  # backward
        # check: nan/inf anywhere in the gradients reaches the first layer's
        ok = _finite(loss, gW[0])  # type: ignore[arg-type]
        diverged_at = torch.where(alive & ~ok, step, diverged_at)
        alive = alive & ok
        if record:
            records.append((step, net.record(data.val, loss, acc, layer_rows), alive.cpu()))
        net.step(gW + gb, step + 1, alive)  # update
        if progress is not None:
            progress(step + 1)

    results = _results(net, data, cfgs, records, diverged_at.cpu(), alive.cpu())
    out: list[RunResult] = [None] * m  # type: ignore[list-item]
    for j, i in enumerate(order):
        out[i] = results[j]
    return out


def _results(net: _Ensemble, data: Dataset, cfgs: list[RunConfig],
             records: list[tuple[int, torch.Tensor, torch.Tensor]],
             diverged_at: torch.Tensor, alive: torch.Tensor) -> list[RunResult]:
    """Final full-split evaluation, summaries and series rows per member."""
    finals = {name: net.evaluate(split) for name, split in
              (("train", data.train), ("val", data.val), ("test", data.test))}
    finals_cpu = {k: (v[0].cpu(), v[1].cpu()) for k, v in finals.items()}
    depth = net.depth
    results = []
    for i, cfg in enumerate(cfgs):
        series: list[tuple[int, int, str, float]] = []
        best = -math.inf
        for step, values, alive_then in records:
            if not alive_then[i]:
                continue
            column = values[:, i].tolist()
            for k, name in enumerate(NET_METRICS):
                series.append((step, -1, name, column[k]))
            best = max(best, column[3])
            for j in range(depth + 1):
                for k, name in enumerate(LAYER_METRICS):
                    value = column[len(NET_METRICS) + j * len(LAYER_METRICS) + k]
                    if not math.isnan(value):
                        series.append((step, j, name, value))
        summary = {f"{split}_{kind}": float(finals_cpu[split][k][i])
                   for split in ("train", "val", "test")
                   for k, kind in enumerate(("loss", "accuracy"))}
        finished = bool(alive[i])
        if finished:
            best = max(best, summary["val_accuracy"])
        summary["best_val_accuracy"] = best if math.isfinite(best) else math.nan
        step_div = int(diverged_at[i])
        summary["steps_run"] = float(cfg.steps if finished else step_div)
        results.append(RunResult(cfg, "finished" if finished else "diverged",
                                 None if finished else step_div, summary, series))
    return results
