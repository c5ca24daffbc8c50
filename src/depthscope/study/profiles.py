"""Study profiles: how big each experiment is (``test`` < ``quick`` < ``full``).

``quick`` is sized for 8 minutes on a 2-core CPU (393 s measured on a fresh clone on a
2-core AVX-512 Xeon; an AVX2-only Zen 1 is expected to need more);
``full`` is for a bigger machine or a Ray cluster; ``test`` is tiny and only exercises the
code path.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from depthscope.errors import DepthscopeError


class Profile(BaseModel):
    """Sizes of every experiment of the study."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    #: said first on the report page and in the terminal (empty: nothing to say)
    caveat: str = ""
    # Trainable-depth experiments (claims 5, 8-10) ---------------------------------------
    # (protocol: depthscope.study.protocol; the first depth must be 1, the reference net)
    datasets: tuple[str, ...] = ("digits",)
    data_size: int | None = Field(default=1500, description="examples per data set (None: all)")
    depths: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    critical_depths: tuple[int, ...] = (64,)  # the critical arm goes deeper
    width: int = 32
    steps: int = 200
    batch_size: int = 64
    record_every: int = 30
    #: torch threads per training process: fixed, so one machine gives one set of numbers
    #: whatever its core count (float32 results depend on it); one process per core trains
    train_threads: int = 1
    lr_grid: tuple[float, ...] = (0.01, 0.0316, 0.1)  # SGD with momentum 0.9; extended at edges
    tune_seeds: tuple[int, ...] = (100, 101)  # choose the lr (validation split)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)  # evaluate at the chosen lr (test split)
    #: depth of the transform section's tanh MLPs (DKS/TAT against standard and critical)
    transform_depth: int = 64
    #: its starting lr grid (extended at edges as rule 1 says): deep nets take small steps
    transform_lr_grid: tuple[float, ...] = (0.001, 0.00316, 0.01)
    # Glorot & Bengio Table 1 (5 hidden layers) --------------------------------------------
    glorot_datasets: tuple[str, ...] = ("shapeset", "digits")
    glorot_width: int = 32
    glorot_steps: int = 400
    glorot_lr_grid: tuple[float, ...] = (10**-1.5, 0.1, 10**-0.5, 1.0)  # plain SGD; extended
    # Schoenholz et al. 2017 trainable depth over sigma_w^2 ---------------------------------
    # (sigma_w² on both sides of the edge of chaos, 1.76 at sigma_b² = 0.05, where 6·xi_c
    # runs from 4 to 95 and from 20 to 33; the first depth must be 1, the reference net;
    # lr tuned per cell on tune_seeds)
    schoenholz_sigma_w2: tuple[float, ...] = (0.25, 0.5, 0.7, 1.0, 1.3, 1.5, 6.0, 12.0, 25.0)
    schoenholz_depths: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48)
    schoenholz_steps: int = 200
    schoenholz_seeds: tuple[int, ...] = (0, 1, 2, 3, 4)  # >= 5: "half the seeds" is a median
    # Pennington et al. 2017: Jacobian spectra at init (sampled nets, float64) --------------
    pennington_depths: tuple[int, ...] = (2, 8, 32, 128)
    pennington_width: int = 256
    pennington_samples: int = 6
    # Monte Carlo of gradient products (claims 3, 4) ---------------------------------------
    mc_samples: int = 20_000
    mc_depths: tuple[int, ...] = (1, 2, 5, 10, 20, 50)
    mc_scales: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0)
    mc_width: int = 64
    mc_nets: int = 128
    phase_grid: int = 12  # (sigma_w, sigma_b) grid points per axis for sampled nets
    phase_depth: int = 30
    # Benchmark (claim 13) -----------------------------------------------------------------
    bench_size: int = 1 << 20
    bench_depth: int = 8  # the training-step MLP: hidden layers, width, batch
    bench_width: int = 256
    bench_batch: int = 256
    bench_rounds: int = 21
    bench_inner: int = 3  # calls per round (the least disturbed counts)


PROFILES: dict[str, Profile] = {
    "test": Profile(
        name="test",
        caveat="The 'test' profile exercises the code on tiny runs in seconds: its verdicts "
               "and numbers support no conclusion. Run the 'quick' or 'full' profile for "
               "evidence.",
        datasets=("digits",),
        data_size=300,
        depths=(1, 2, 4, 8),
        critical_depths=(12,),
        transform_depth=12,
        width=8,
        steps=20,
        batch_size=32,
        record_every=5,
        lr_grid=(0.03, 0.1),
        tune_seeds=(100,),
        seeds=(0, 1),
        glorot_datasets=("digits",),
        glorot_width=16,
        glorot_steps=60,
        glorot_lr_grid=(0.1, 0.316),
        schoenholz_sigma_w2=(0.5, 1.0, 6.0),
        schoenholz_depths=(1, 2, 4),
        schoenholz_steps=10,
        pennington_depths=(2, 8),
        pennington_width=32,
        pennington_samples=3,
        mc_samples=500,
        mc_depths=(1, 5, 10),
        mc_scales=(1.0, 2.0),
        mc_width=16,
        mc_nets=16,
        phase_grid=4,
        phase_depth=5,
        bench_size=1 << 12,
        bench_depth=2,
        bench_width=16,
        bench_batch=16,
        bench_rounds=5,
        bench_inner=1,
    ),
    "quick": Profile(name="quick"),
    "full": Profile(
        name="full",
        data_size=None,
        datasets=("digits", "mnist1d", "shapeset"),
        depths=(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64),
        critical_depths=(96, 128),
        transform_depth=128,
        width=128,
        steps=3000,
        batch_size=128,
        record_every=50,
        lr_grid=(0.003, 0.01, 0.0316, 0.1),
        tune_seeds=(100, 101, 102),
        seeds=tuple(range(10)),
        glorot_width=1000,
        glorot_steps=20_000,
        schoenholz_sigma_w2=tuple(round(1.0 + 0.25 * i, 2) for i in range(13)),
        schoenholz_depths=(1, 2, 5, 10, 20, 40, 80, 120, 160, 200, 250),
        schoenholz_steps=2000,
        pennington_depths=(1, 2, 4, 8, 16, 32, 64, 128, 256),
        pennington_width=1024,
        pennington_samples=8,
        mc_samples=200_000,
        mc_depths=(1, 2, 5, 10, 20, 50, 100, 200),
        mc_scales=(0.5, 1.0, 1.5, 2.0, 3.0, 4.0),
        mc_width=256,
        mc_nets=1024,
        phase_grid=40,
        phase_depth=100,
        bench_size=1 << 24,
    ),
}


def get_profile(name: str) -> Profile:
    """The profile called ``name`` (``test``, ``quick`` or ``full``)."""
    try:
        return PROFILES[name]
    except KeyError:
        raise DepthscopeError(
            f"unknown study profile {name!r}; use one of {', '.join(PROFILES)}"
        ) from None
