"""Simulators: random DAGs, additive noise SCMs with exact scores, interventions and paper presets.

Adjacency convention: ``A[i, j] = 1`` means ``i -> j`` (int8, zero diagonal). Every random draw comes
from a ``numpy.random.Generator`` passed in; the same seed gives the same data.

>>> import numpy as np
>>> from scorecause.simulate import simulate
>>> ds = simulate("score-gp-er", d=5, n=100, rng=np.random.default_rng(0))
>>> ds.meta["scm"].score(ds.X).shape
(100, 5)
"""

from scorecause.simulate.graphs import GRAPH_KINDS, sample_graph
from scorecause.simulate.mechanisms import (
    MECHANISMS,
    MLP,
    RFF,
    Constant,
    GPMechanism,
    Linear,
    Mechanism,
    Quadratic,
    Shift,
    make_mechanism,
)
from scorecause.simulate.noise import (
    NOISES,
    Cauchy,
    Gaussian,
    Gumbel,
    HeteroscedasticNoise,
    Laplace,
    Noise,
    PointMass,
    Shifted,
    SignedUniform,
    Uniform,
    make_noise,
)
from scorecause.simulate.presets import PRESETS, resolve_preset, simulate
from scorecause.simulate.scm import AdditiveNoiseSCM, Intervention, sample_interventional

__all__ = [
    "simulate", "sample_graph", "PRESETS", "resolve_preset", "AdditiveNoiseSCM", "Intervention",
    "sample_interventional", "GRAPH_KINDS", "MECHANISMS", "NOISES", "make_mechanism", "make_noise",
    "Mechanism", "Linear", "RFF", "GPMechanism", "MLP", "Quadratic", "Constant", "Shift",
    "Noise", "Gaussian", "Laplace", "Cauchy", "Gumbel", "Uniform", "SignedUniform", "PointMass", "Shifted",
    "HeteroscedasticNoise",
]
