"""``MLPSpec``: one description of a deep MLP, used by both theory and ``nets.build``.

Convention (Poole et al. 2016): ``h^l = W^l phi(h^{l-1}) + b^l`` with
``W_ij ~ N(0, sigma_w^2 / fan_in)`` and ``b_i ~ N(0, sigma_b^2)``; ``sigma_w`` and ``sigma_b``
are standard deviations. ``depth`` counts hidden layers; the output layer is linear.

With ``residual=True`` the hidden layers after the first are residual blocks ``h^l = h^{l-1} +
alpha (W^l phi(h^{l-1}) + b^l)`` (``layernorm=True``: ``phi(LN(h^{l-1}))``, pre-LayerNorm
without a learned gain or bias; Yang & Schoenholz 2017; Hayou et al. 2021 take ``alpha ∝
1/sqrt(L)``); the read-out is ``W phi(h^L) + b`` either way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from depthscope.activations import Activation, get

if TYPE_CHECKING:
    from depthscope.theory.network import Serial

InitName = Literal[
    "pytorch_default",  # nn.Linear's kaiming_uniform(a=sqrt(5)): sigma_w^2 = 1/3
    "glorot_standard",  # U[-1/sqrt(n), 1/sqrt(n)] (Glorot & Bengio 2010, eq. 1)
    "glorot_normalized",  # U[+-sqrt(6/(n_in + n_out))] (Xavier)
    "he",  # N(0, 2/fan_in)
    "lecun",  # N(0, 1/fan_in)
    "orthogonal",  # sigma_w * orthogonal
    "gaussian",  # N(0, sigma_w^2/fan_in), bias N(0, sigma_b^2)
    "critical",  # gaussian at the edge of chaos: sigma_w = critical_sigma_w(act, sigma_b)
    "critical_orthogonal",  # orthogonal at the edge of chaos
    "lsuv",  # layer-sequential unit variance (Mishkin & Matas 2016)
]


class MLPSpec(BaseModel):
    """A deep fully connected network: ``depth`` hidden layers of ``width`` units.

    ``h^1 = W^1 x + b^1``, ``h^l = W^l phi(h^{l-1}) + b^l`` (residual: ``h^l = h^{l-1} + alpha
    (W^l phi(LN(h^{l-1})) + b^l)``), then a linear read-out; weights drawn by ``init`` with
    ``sigma_w`` (``None``: the init's own), biases ``N(0, sigma_b^2)``. Build it with
    :func:`~depthscope.nets.build`; ``.theory()`` gives its mean-field description.

    Example:
        >>> from depthscope import MLPSpec, build_mlp
        >>> spec = MLPSpec(depth=3, width=16, in_features=64, out_features=10, init="lecun")
        >>> net = build_mlp(spec, seed=0)
        >>> len(net), sum(p.numel() for p in net.parameters())
        (7, 1754)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    depth: int = Field(ge=1, description="number of hidden layers")
    width: int = Field(ge=1)
    in_features: int = Field(ge=1)
    out_features: int = Field(ge=1)
    activation: str = "tanh"
    activation_params: dict[str, float] = Field(default_factory=dict)
    init: InitName = "pytorch_default"
    sigma_w: float | None = Field(default=None, gt=0, description="None: the init's own value")
    sigma_b: float = Field(default=0.0, ge=0)
    bias: bool = True
    readout: Literal["same", "standard"] = Field(
        default="same", description="the read-out layer's init: the hidden layers' ('same') "
        "or Glorot & Bengio's standard U[±1/√fan_in] with zero bias ('standard'), so a "
        "large critical sigma_w (sigmoid: 10.2) does not blow up the initial logits")
    residual: bool = Field(default=False, description="hidden layers 2..depth as residual "
                           "blocks h + alpha (W phi(h) + b)")
    alpha: float = Field(default=1.0, gt=0, description="the residual branch's scale")
    layernorm: bool = Field(default=False, description="pre-LayerNorm on residual branches")

    @model_validator(mode="after")
    def _residual_options(self) -> MLPSpec:
        if not self.residual and (self.alpha != 1.0 or self.layernorm):
            raise ValueError("alpha and layernorm apply to residual blocks: set residual=True "
                             "(or leave them at 1.0 and False)")
        return self

    @property
    def act(self) -> Activation:
        """The hidden-layer activation."""
        return get(self.activation, **self.activation_params)

    def theory(self) -> Serial:
        """This net's mean field (:mod:`depthscope.theory.network`): ``Dense``, a ``(Phi,
        Dense)`` block per further hidden layer (residual: a ``Residual`` block of
        ``(LayerNorm,) Phi, Dense`` with ``alpha``), then ``(Phi, read-out Dense)``. The
        weights' sigma_w is the init's nominal one for square layers; biases N(0, sigma_b^2)
        (for ``pytorch_default`` its own U[±1/√fan_in], variance 1/(3 width)); a ``standard``
        read-out has sigma_w = 1/√3 and no bias. Data-dependent LSUV has no theory."""
        from depthscope.errors import DepthscopeError
        from depthscope.init import nominal_sigma_w
        from depthscope.theory.network import (
            Dense,
            Phi,
            Serial,
            mlp,
            repeat,
            residual_block,
            serial,
        )

        sigma_w = nominal_sigma_w(self.init, activation=self.act, sigma_b=self.sigma_b,
                                  sigma_w=self.sigma_w)
        if sigma_w is None:
            raise DepthscopeError(f"init {self.init!r} depends on data: it has no mean-field "
                                  "theory; use a fixed-scale init")
        sigma_b = 0.0 if not self.bias else (
            (3 * self.width) ** -0.5 if self.init == "pytorch_default" else self.sigma_b)
        readout = (Dense(3 ** -0.5) if self.readout == "standard"
                   else Dense(sigma_w, sigma_b))
        if self.residual and self.depth > 1:
            block = residual_block(self.act, sigma_w, sigma_b, self.alpha, self.layernorm)
            hidden = serial(Dense(sigma_w, sigma_b), repeat(block, self.depth - 1))
        else:
            hidden = mlp(self.act, sigma_w, sigma_b, self.depth)
        return Serial((*hidden.layers, serial(Phi(self.act), readout)))
