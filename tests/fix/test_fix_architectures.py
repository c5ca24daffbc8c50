"""critical_ on real architectures: Transformers (post- and pre-LN), a CNN, BERT; the root
counted; activations read from autograd; residual branch ends scaled; every parameter
accounted for; never silent."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from torch import nn

from depthscope.fix import critical_
from depthscope.fix.detect import sigma_of
from depthscope.probing import probe


def _transformer(norm_first: bool, layers: int = 4) -> nn.TransformerEncoder:
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(64, 4, 128, dropout=0.1, batch_first=True,
                                       norm_first=norm_first)
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


def test_the_root_counts() -> None:
    report = critical_(nn.Linear(4, 4), return_report=True)
    assert [(x.name, x.activation, x.sigma_w) for x in report.layers] == [
        ("Linear", "identity", 1.0)]


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-LN", "pre-LN"])
def test_transformer_layers_get_their_own_rules(norm_first: bool) -> None:
    """linear1 (fed by a LayerNorm or a residual sum): identity, sigma_w 1; linear2 (fed by
    the functional F.relu inside the layer): He's sqrt 2, times alpha = 1/sqrt(8) as one of
    the 8 residual branch ends; attention Q, K, V at 1, its output projection at alpha;
    the LayerNorms listed as left alone; nothing to warn about."""
    model = _transformer(norm_first)
    x = torch.randn(4, 10, 64, generator=torch.Generator().manual_seed(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = critical_(model, example_inputs=x, return_report=True,
                           generator=torch.Generator().manual_seed(2))
    alpha = 1 / math.sqrt(8)
    assert report.branch_scale == pytest.approx(alpha)
    rows = {x.name: x for x in report.layers}
    for i in range(4):
        assert rows[f"layers.{i}.linear1"].sigma_w == 1.0
        assert rows[f"layers.{i}.linear1"].activation == "identity"
        assert rows[f"layers.{i}.linear2"].activation == "relu"
        assert rows[f"layers.{i}.linear2"].found_by == "autograd: ReluBackward0"
        assert rows[f"layers.{i}.linear2"].sigma_w == pytest.approx(math.sqrt(2) * alpha)
        assert rows[f"layers.{i}.self_attn.out_proj"].sigma_w == pytest.approx(alpha)
        for part in "qkv":
            assert rows[f"layers.{i}.self_attn.in_proj_weight {part}"].sigma_w == 1.0
    w = model.layers[0].self_attn.in_proj_weight.detach()
    assert math.sqrt(64 * float(w.square().mean())) == pytest.approx(1.0, rel=0.05)
    assert sigma_of(model.layers[0].linear2)[0] == pytest.approx(math.sqrt(2) * alpha, rel=0.05)
    assert float(model.layers[0].self_attn.in_proj_bias.detach().abs().max()) == 0.0
    left = {x.name: x.why for x in report.left}
    assert "normalisation" in left["layers.0.norm1.weight"]
    assert len(report.left) == 4 * 2 * 2  # two LayerNorms per layer, weight and bias


def test_transformer_without_inputs_warns_and_names_the_fix() -> None:
    with pytest.warns(UserWarning, match="example_inputs"):
        report = critical_(_transformer(False), return_report=True)
    assert any("registration order" in w for w in report.warnings)


def test_an_unknown_activation_is_named() -> None:
    class Swish(nn.Module):  # x * sigmoid(x) written out: no single autograd node names it
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Linear(8, 8), nn.Linear(8, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.a(x)
            return self.b(h * torch.sigmoid(h))

    with pytest.warns(UserWarning, match="no known activation feeds b"):
        critical_(Swish(), example_inputs=torch.randn(3, 8))


def _plain_cnn() -> nn.Module:
    torch.manual_seed(0)
    body = [m for i in range(12) for m in (nn.Conv2d(3 if i == 0 else 16, 16, 3, padding=1),
                                           nn.ReLU())]
    return nn.Sequential(*body, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))


def test_a_cnn_vanishes_by_default_and_is_critical_after() -> None:
    """12 conv layers with ReLU at PyTorch's default init (sigma_w² = 1/3): the probe says
    ordered; after critical_ (He: sqrt 2 after each ReLU) it says critical."""
    model = _plain_cnn()
    x = torch.randn(8, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    before = probe(model, x).verdict
    report = critical_(model, example_inputs=x, return_report=True,
                       generator=torch.Generator().manual_seed(1))
    after = probe(model, x).verdict
    assert before.phase.startswith("ordered")
    assert after.phase == "critical"
    assert [x.sigma_w for x in report.layers[1:]] == pytest.approx([math.sqrt(2)] * 12)


def test_a_batchnorm_cnn_is_not_sent_to_critical_() -> None:
    """12 conv + BatchNorm + ReLU blocks in training mode: the gradient grows with depth
    (first/last APJN ~40) whatever sigma_w; the probe says why instead of recommending
    critical_, which indeed leaves the verdict where it was."""
    torch.manual_seed(0)
    body = [m for i in range(12) for m in (nn.Conv2d(3 if i == 0 else 16, 16, 3, padding=1),
                                           nn.BatchNorm2d(16), nn.ReLU())]
    model = nn.Sequential(*body, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
    x = torch.randn(8, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    before = probe(model, x).verdict
    assert before.phase.startswith("chaotic")
    assert "BatchNorm" in before.recommendations[0]
    assert "critical_" not in " ".join(before.recommendations).replace("not critical_", "")
    critical_(model, example_inputs=x)
    after = probe(model, x).verdict
    assert after.total_gain == pytest.approx(before.total_gain, rel=0.5)


def test_bert_from_a_small_config() -> None:
    """Hugging Face BERT built from a config (no download): Q, K, V fed by LayerNorm
    (identity), the attention output fed by the attention context (identity) and the MLP's
    output fed by GELU, both residual branch ends scaled by 1/sqrt(8); embeddings and
    LayerNorms left alone with their reasons."""
    transformers = pytest.importorskip("transformers")
    config = transformers.BertConfig(hidden_size=64, num_hidden_layers=4,
                                     num_attention_heads=4, intermediate_size=128,
                                     vocab_size=100, max_position_embeddings=32)
    torch.manual_seed(0)
    model = transformers.BertModel(config)
    ids = {"input_ids": torch.randint(0, 100, (2, 16), generator=torch.Generator().manual_seed(0))}
    report = critical_(model, example_inputs=ids, return_report=True,
                       generator=torch.Generator().manual_seed(1))
    rows = {x.name: x for x in report.layers}
    alpha = 1 / math.sqrt(8)
    layer = "encoder.layer.0"
    assert rows[f"{layer}.attention.self.query"].sigma_w == 1.0
    assert rows[f"{layer}.attention.output.dense"].sigma_w == pytest.approx(alpha)
    assert rows[f"{layer}.output.dense"].activation == "gelu"
    gelu = rows[f"{layer}.output.dense"].sigma_w / alpha
    from depthscope.theory import critical_sigma_w

    assert gelu == pytest.approx(float(critical_sigma_w("gelu", 0.0)), rel=1e-9)
    why = {x.name: x.why for x in report.left}
    assert "embedding" in why["embeddings.word_embeddings.weight"]
    assert "normalisation" in why["embeddings.LayerNorm.weight"]
    assert not report.warnings
    after = probe(model, ids).verdict  # end to end on a dict of inputs
    assert after.phase == "critical"
