"""DKS / TAT / TReLU transforms: DeepMind's own numbers, the invariants, a sampled network."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from depthscope.activations import get
from depthscope.errors import DepthscopeError
from depthscope.theory import (
    MLP,
    CustomNetwork,
    ResNet,
    dks_transform,
    local_maps,
    tat_leaky_relu,
    tat_transform,
)
from depthscope.theory.shaping import DKS_PACKAGE_NAMES, leaky_relu_c_map

SMOOTH = ("tanh", "sigmoid", "arctan", "softsign", "erf", "softplus", "gelu", "silu",
          "logsig", "log_semisigmoid")


def _dks_resnet_subnet_max(x, r_fn, shortcut_weight=0.6):
    """dks's tests/test_activation_transform.py ``_subnet_max_func`` (ResNet-101-like:
    bottleneck blocks of 3 layers, groups (3, 4, 23, 3), a projection at each group's start),
    copied verbatim so the published parameters below apply."""
    blocks_per_group = (3, 4, 23, 3)
    res_branch_subnetwork_x = r_fn(r_fn(r_fn(x)))
    for i in range(4):
        for j in range(blocks_per_group[i]):
            res_x = r_fn(r_fn(r_fn(x)))
            shortcut_x = r_fn(x) if (j == 0) else x
            x = shortcut_weight**2 * shortcut_x + (1.0 - shortcut_weight**2) * res_x
    x = r_fn(x)
    return max(x, res_branch_subnetwork_x)


DKS_RESNET = CustomNetwork(_dks_resnet_subnet_max, depth=100, name="dks test ResNet")


def _same_up_to_mirror(got, scale, shift, offset, gain, centre):
    """(α, β, δ, γ) equal up to α -> −α and, for φ point-symmetric about (0, c),
    (β, δ) -> (−β, −δ − 2c)."""
    cands = [(abs(scale), shift, offset)]
    if centre is not None:
        cands.append((abs(scale), -shift, -offset - 2 * centre))
    return any(np.allclose((got.scale, got.shift, got.offset, got.gain), (a, b, d, gain),
                           rtol=1e-6, atol=1e-9) for a, b, d in cands)


# dks's published expectations (tests/test_activation_transform.py, test_parameter_computation:
# c_slope_1_target 1.2; c_val_0_target 0.75, c_curve_target 0.2), as (α, β, δ, γ)
DKS_PUBLISHED = {
    ("dks", "softplus"): (0.18761008168267976, 0.40688063442262007, -0.9213466151411376,
                          8.878672543665223),
    ("dks", "tanh"): (0.07461073057540868, 0.5566915199964182, -0.5034378768692127,
                      18.002635964442558),
    ("dks", "gelu"): (0.07043253126531114, 0.259489297927707, -0.15815378961903598,
                      20.21158902315857),  # dks's "gelu_exact"
    ("tat", "softplus"): (0.15011489794748328, 0.5374599901127068, -0.996481014465811,
                          10.54880187880574),
    ("tat", "tanh"): (0.0580205218578313, 0.5218639804099805, -0.4796430704354356,
                      22.36066261763117),
}


@pytest.mark.parametrize(("method", "name"), sorted(DKS_PUBLISHED))
def test_dks_test_suite_resnet_parameters(method, name) -> None:
    got = (dks_transform(name, DKS_RESNET, zeta=1.2) if method == "dks"
           else tat_transform(name, DKS_RESNET, tau=0.2))
    centre = 0.0 if name == "tanh" else None
    assert _same_up_to_mirror(got, *DKS_PUBLISHED[method, name], centre)


def test_dks_test_suite_resnet_leaky_relu() -> None:
    tat = tat_leaky_relu(DKS_RESNET, eta=0.75)
    assert tat.negative_slope == pytest.approx(0.6291800290346146, rel=1e-7)
    assert tat.gain == pytest.approx(1.196996549778802, rel=1e-7)
    dks = dks_transform("leaky_relu", DKS_RESNET, zeta=1.2)
    assert dks.negative_slope == pytest.approx(0.8761257073473065, rel=1e-6)
    assert dks.shift == pytest.approx(0.0, abs=1e-8)
    assert dks.offset == pytest.approx(-0.049418692997275034, rel=1e-6)
    assert dks.gain == pytest.approx(1.0651832705682147, rel=1e-6)


def test_dks_test_suite_transformed_values() -> None:
    """dks's test_transformed_activation_values: phi_hat(±0.6) at c_slope_1_target 12,
    local_q_slope_target 0.97 (DKS) and c_val_0_target 0.95, c_curve_target 4.5 (TAT)."""
    x = np.array([0.6, -0.6])
    cases = [
        (dks_transform("softplus", DKS_RESNET, zeta=12.0, q_slope=0.97),
         [0.5205088334781294, -0.6970897398761904]),
        (dks_transform("tanh", DKS_RESNET, zeta=12.0, q_slope=0.97),
         [0.6910746968773931, -0.5122335409369118]),
        (tat_transform("softplus", DKS_RESNET, tau=4.5), [0.6923574763139374, -0.4935166367766701]),
        (tat_transform("tanh", DKS_RESNET, tau=4.5), [0.6860178437500071, -0.49030275427738146]),
        (tat_transform("gelu", DKS_RESNET, tau=4.5), [0.6922429517529013, -0.49198103131465193]),
        (tat_leaky_relu(DKS_RESNET, eta=0.95), [0.7954047194402861, -0.2955187511683813]),
    ]
    for shaped, expected in cases:
        got = shaped.activation.phi(x)
        if shaped.base == "tanh":  # the mirror -phi_hat(-x) is the same solution
            got = got if np.allclose(got, expected, rtol=1e-7) else -got[::-1]
        np.testing.assert_allclose(got, expected, rtol=1e-7, err_msg=shaped.base)
    # dks's own leaky-ReLU DKS root misses its C'(1) target by 1.9e-6 (its parameters, put
    # through our exact maps, give C'(1) = 1.0378027779 for 1.0378008872), so its values
    # agree with ours to that precision only; ours meets the target exactly
    leaky = dks_transform("leaky_relu", DKS_RESNET, zeta=12.0, q_slope=0.97)
    assert local_maps(leaky.activation).c_slope_1 == pytest.approx(leaky.local_target, abs=1e-12)
    np.testing.assert_allclose(leaky.activation.phi(x), [0.5628988987673328, -0.6649764416535503],
                               rtol=5e-6)


# ---- the dks package itself as an oracle (test-only extra `dks==0.1.2`) ----------------------

DKS_NAMES = DKS_PACKAGE_NAMES
CENTRES = {"tanh": 0.0, "arctan": 0.0, "softsign": 0.0, "erf": 0.0, "sigmoid": 0.5}


REFERENCE = json.loads((Path(__file__).parent / "data" / "dks_reference.json").read_text())


@pytest.mark.parametrize("depth", [10, 50, 100])
@pytest.mark.parametrize("method", ["DKS", "TAT"])
def test_agrees_with_the_dks_package(method, depth) -> None:
    """DKS and TAT parameters for plain MLPs equal dks==0.1.2's to 1e-6 (up to the mirror
    symmetry); dks's outputs are stored by make_dks_reference.py (its TAT solver is too slow
    for the suite) and checked live against the package below."""
    theirs = REFERENCE["mlp"][f"{method}-{depth}"]
    for ours_name, their_name in DKS_NAMES.items():
        p = theirs[their_name]
        got = (dks_transform(ours_name, depth) if method == "DKS"
               else tat_transform(ours_name, depth))
        # dks's sigmoid roots violate its own alpha*gamma < 2 guard (it tests the gain on
        # sigmoid, not on phi_hat), so its result is one of several roots; compare invariants
        if their_name == "sigmoid":
            continue
        assert _same_up_to_mirror(got, p["input_scale"], p["input_shift"], p["output_shift"],
                                  p["output_scale"], CENTRES.get(ours_name)), ours_name


@pytest.mark.parametrize("depth", [50, 100])
def test_treLU_agrees_with_the_dks_package(depth) -> None:
    p = REFERENCE["mlp"][f"TAT-{depth}"]["leaky_relu"]
    got = tat_leaky_relu(depth)
    assert got.negative_slope == pytest.approx(p["negative_slope"], rel=1e-6)
    assert got.gain == pytest.approx(p["output_scale"], rel=1e-6)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # dks's own cosh overflows
def test_the_stored_reference_is_what_the_package_gives() -> None:
    """One live call of dks (DKS at depth 10, ~3 s): the stored numbers are the package's."""
    pytest.importorskip("absl")
    at = pytest.importorskip("dks.base.activation_transform")
    mlp = lambda x, r: _repeat(r, x, 10)  # dks's subnet_max_func of an MLP
    live = at._get_activations_params(list(DKS_NAMES.values()), method="DKS",
                                      subnet_max_func=mlp)
    stored = REFERENCE["mlp"]["DKS-10"]
    for name, params in live.items():
        for key, value in params.items():
            assert stored[name][key] == pytest.approx(float(value), rel=1e-12), (name, key)


def _repeat(r, x, times):
    for _ in range(times):
        x = r(x)
    return x


# ---- invariants, for every supported activation --------------------------------------------

@pytest.mark.parametrize("name", SMOOTH)
@pytest.mark.parametrize("depth", [10, 100])
def test_dks_invariants(name, depth) -> None:
    zeta = 1.5
    got = dks_transform(name, depth, zeta=zeta)
    maps = local_maps(got.activation)  # measured afresh from the returned activation
    assert maps.q_value == pytest.approx(1.0, abs=1e-9)
    assert maps.q_slope == pytest.approx(1.0, abs=1e-9)
    assert maps.c_value_0 == pytest.approx(0.0, abs=1e-9)
    assert maps.c_slope_1 == pytest.approx(zeta ** (1 / depth), abs=1e-9)
    assert got.network_value == pytest.approx(zeta, rel=1e-9)
    assert got.scale > 0


@pytest.mark.parametrize("name", SMOOTH)
@pytest.mark.parametrize("depth", [10, 100])
def test_tat_invariants(name, depth) -> None:
    tau = 0.3
    got = tat_transform(name, depth, tau=tau)
    maps = local_maps(got.activation)
    assert maps.q_value == pytest.approx(1.0, abs=1e-9)
    assert maps.q_slope == pytest.approx(1.0, abs=1e-9)
    assert maps.c_slope_1 == pytest.approx(1.0, abs=1e-9)
    assert maps.c_curvature_1 == pytest.approx(tau / depth, abs=1e-9)
    assert got.scale > 0


def test_point_symmetric_canonical_sign_and_its_mirror_has_the_same_maps() -> None:
    for name in ("tanh", "sigmoid", "softsign"):
        got = dks_transform(name, 50)
        assert got.scale > 0
        assert got.shift >= 0
        centre = CENTRES[name]
        other = get(name).with_transform(scale=-got.scale, shift=-got.shift).with_transform(
            gain=got.gain, offset=-got.offset - 2 * centre)
        a, b = local_maps(got.activation), local_maps(other)
        np.testing.assert_allclose(
            [a.q_value, a.q_slope, a.c_value_0, a.c_slope_1, a.c_curvature_1],
            [b.q_value, b.q_slope, b.c_value_0, b.c_slope_1, b.c_curvature_1],
            rtol=1e-10, atol=1e-12)


def test_tanh_dks_input_scale_shrinks_with_depth() -> None:
    """The Q&A's tanh(n x) with n > 1 is the wrong way round: DKS wants n < 1, shrinking."""
    scales = [dks_transform("tanh", d).scale for d in (10, 50, 100)]
    np.testing.assert_allclose(scales, [0.2967, 0.1284, 0.0904], atol=5e-4)


def test_treLU_reaches_eta_and_has_unit_q() -> None:
    got = tat_leaky_relu(50, eta=0.9)
    c = 0.0
    for _ in range(50):
        c = leaky_relu_c_map(c, got.negative_slope)
    assert c == pytest.approx(0.9, abs=1e-10)
    assert got.gain == pytest.approx(math.sqrt(2 / (1 + got.negative_slope**2)), rel=1e-14)
    assert local_maps(got.activation).q_value == pytest.approx(1.0, abs=1e-9)


def test_leaky_relu_c_map_matches_quadrature() -> None:
    """Eq. 9 of Zhang et al. against a direct bivariate-normal expectation."""
    a, c = 0.3, 0.4
    rng = np.random.default_rng(0)
    u, v = rng.standard_normal((2, 2_000_000))
    x, y = u, c * u + math.sqrt(1 - c * c) * v
    act = get("leaky_relu", negative_slope=a)
    gain2 = 2 / (1 + a * a)
    mc = gain2 * np.mean(act.phi(x) * act.phi(y))
    assert leaky_relu_c_map(c, a) == pytest.approx(mc, abs=3e-3)
    assert leaky_relu_c_map(1.0, a) == pytest.approx(1.0, abs=1e-14)


def test_resnet_shape_is_w2_identity_plus_branch() -> None:
    net = ResNet(blocks=2, block_depth=1, shortcut_weight=0.6)
    r = lambda y: 2.0 * y
    # block: 0.36 x + 0.64 * 2x = 1.64 x; two blocks: 1.64^2; branch alone: 2
    assert net.subnet_max(1.0, r) == pytest.approx(1.64**2, rel=1e-15)
    assert net.depth == 2
    assert MLP(3).subnet_max(1.0, r) == 8.0


def test_resnet_transform_hits_its_network_target() -> None:
    net = ResNet(blocks=16, block_depth=2, shortcut_weight=0.8)
    got = dks_transform("tanh", net, zeta=1.5)
    assert net.subnet_max(1.0, lambda y: got.local.c_slope_1 * y) == pytest.approx(1.5,
                                                                                  rel=1e-9)
    # a shortcut lets each layer be less linear than the same-depth MLP's
    assert got.local.c_slope_1 > dks_transform("tanh", net.depth).local.c_slope_1


# ---- a sampled network at init ---------------------------------------------------------------

def test_sampled_width_1024_network_keeps_q_at_one() -> None:
    """Orthogonal weights (gain 1), zero biases, a DKS tanh of depth 20: every layer's
    q = |x|^2 / n stays at 1 within Monte Carlo error (sd of a mean of n squares)."""
    depth, width, batch = 20, 1024, 64
    act = dks_transform("tanh", depth).activation
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, width, generator=g, dtype=torch.float64)
    x = x / x.pow(2).mean(1, keepdim=True).sqrt()  # q = 1 exactly at the input
    qs = []
    for _ in range(depth):
        w = torch.nn.init.orthogonal_(torch.empty(width, width, dtype=torch.float64),
                                      generator=g)
        x = act(x @ w.T)
        qs.append(x.pow(2).mean().item())
    # per-layer sd of a batch-mean q is below sqrt(Var[phi^2] / (n batch)); the walk over
    # depth adds up at most sqrt(depth) such steps (Q'(1) = 1: neutral)
    fourth = act(torch.randn(1_000_000, generator=g, dtype=torch.float64)).pow(4).mean().item()
    sd = math.sqrt((fourth - 1.0) / (width * batch))
    assert max(abs(q - 1.0) for q in qs) < 5 * sd * math.sqrt(depth)
    assert max(abs(q - 1.0) for q in qs) < 0.05


# ---- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "match"), [
    (lambda: dks_transform("tanh", 0), "depth"),
    (lambda: dks_transform("tanh", -3), "depth"),
    (lambda: dks_transform("tanh", 2.5), "depth"),
    (lambda: dks_transform("tanh", 10, zeta=1.0), "zeta"),
    (lambda: dks_transform("tanh", 10, zeta=0.5), "zeta"),
    (lambda: dks_transform("tanh", 10, zeta=math.nan), "zeta"),
    (lambda: tat_transform("tanh", 10, tau=0.0), "tau"),
    (lambda: tat_transform("tanh", 10, tau=-1.0), "tau"),
    (lambda: tat_leaky_relu(10, eta=1.5), "eta"),
    (lambda: tat_leaky_relu(10, eta=-0.1), "eta"),
    (lambda: dks_transform("relu", 10), "leaky_relu"),
    (lambda: tat_transform("relu", 10), "tat_leaky_relu"),
    (lambda: tat_transform("tanh", 10, tau=1e6), "milder"),
    (lambda: dks_transform("nope", 10), "nope"),
    (lambda: ResNet(4, shortcut_weight=1.0), "shortcut_weight"),
])
def test_bad_input_is_one_line(call, match) -> None:
    with pytest.raises(DepthscopeError, match=match) as err:
        call()
    assert "\n" not in str(err.value)


def test_unreachable_treLU_names_the_depth_that_works() -> None:
    with pytest.raises(DepthscopeError, match=r"depth >= \d+") as err:
        tat_leaky_relu(3, eta=0.9)
    need = int(str(err.value).split("depth >= ")[1].split()[0])
    tat_leaky_relu(need, eta=0.9)  # that depth works
    with pytest.raises(DepthscopeError):
        tat_leaky_relu(need - 1, eta=0.9)


# ---- the same numbers through the network algebra (theory.network) ------------------------

@pytest.mark.parametrize("name", SMOOTH)
def test_local_maps_are_the_algebras_phi_at_q_one(name) -> None:
    """local_maps (the solver's moments) and theory.network's Phi layer at q = 1 give the
    same Q(1), Q'(1), C(0), C'(1), C''(1) to 1e-10."""
    from depthscope.theory.network import Phi, State

    act = dks_transform(name, 20).activation
    maps = local_maps(act)
    one = Phi(act).local(State.start(1.0))
    zero = Phi(act).local(State.start(1.0, 0.0))
    got = [float(one.q), float(one.q_slope), float(zero.c), float(one.c_slope),
           float(one.c_curvature)]
    want = [maps.q_value, maps.q_slope, maps.c_value_0, maps.c_slope_1, maps.c_curvature_1]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_transformed_nets_through_the_algebra_reach_the_targets() -> None:
    """Unit-gain dense layers (scaled orthogonal or Gaussian, zero bias) and the returned
    activation, composed by theory.network's chain rule: the MLP's C'(1) is zeta (DKS) and its
    C''(1) is tau at C'(1) = 1 (TAT), q stays 1; a ResNet with shortcut weight w is the
    algebra's Residual(alpha = sqrt(1 - w²), shortcut = w) with the same C'(1)."""
    from depthscope.theory.network import Dense, Phi, Residual, propagate, repeat, serial

    depth = 30
    dks = dks_transform("tanh", depth, zeta=1.5).activation
    prop = propagate(repeat(serial(Dense(1.0), Phi(dks)), depth))
    assert prop.c_slope[-1] == pytest.approx(1.5, rel=1e-9)
    np.testing.assert_allclose(prop.q, 1.0, rtol=1e-9)
    tat = tat_transform("softplus", depth, tau=0.3).activation
    prop = propagate(repeat(serial(Dense(1.0), Phi(tat)), depth))
    assert prop.c_slope[-1] == pytest.approx(1.0, rel=1e-9)
    assert prop.c_curvature[-1] == pytest.approx(0.3, rel=1e-8)
    shape = ResNet(blocks=16, block_depth=2, shortcut_weight=0.8)
    shaped = dks_transform("tanh", shape, zeta=1.5)
    layer = serial(Dense(1.0), Phi(shaped.activation))
    block = Residual(serial(layer, layer), alpha=0.6, shortcut=0.8)
    assert propagate(repeat(block, 16)).c_slope[-1] == pytest.approx(shaped.network_value,
                                                                     rel=1e-9)
