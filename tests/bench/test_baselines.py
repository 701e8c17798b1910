"""Baseline adapters: PC, GES, DirectLiNGAM (causal-learn), GIES (gies), empty/random."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from scorecause import methods
from scorecause.bench.baselines import (
    GES,
    GIES,
    PC,
    DirectLiNGAM,
    EmptyGraph,
    RandomDAG,
    environments_from_mask,
)
from scorecause.errors import MissingDependencyError
from scorecause.graph import is_dag

from ._helpers import linear_sem, pair_shd


def skeleton(A):
    return (np.asarray(A) + np.asarray(A).T) > 0


def collider(n=1000, seed=0):
    """x -> y <- z (identifiable from observational data: a v-structure)."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n), rng.normal(size=n)
    y = x - z + rng.normal(size=n)
    return np.c_[x, y, z], np.array([[0, 1, 0], [0, 0, 0], [0, 1, 0]], dtype=np.int8)


def test_registered():
    assert methods["pc"] is PC and methods["ges"] is GES and methods["directlingam"] is DirectLiNGAM
    assert methods["gies"] is GIES and methods["empty"] is EmptyGraph and methods["random"] is RandomDAG


@pytest.mark.parametrize("cls", [PC, GES])
def test_cpdag_methods_orient_collider(cls):
    X, A = collider()
    assert cls().fit(X).adjacency_.tolist() == A.tolist()
    # the same data with columns permuted: the orientation follows the variables
    perm = [2, 0, 1]
    assert cls().fit(X[:, perm]).adjacency_.tolist() == A[np.ix_(perm, perm)].tolist()


@pytest.mark.parametrize("cls", [PC, GES])
def test_cpdag_methods_chain_is_undirected(cls):
    rng = np.random.default_rng(1)
    x = rng.normal(size=800)
    y = x + rng.normal(size=800)
    z = y + rng.normal(size=800)
    assert cls().fit(np.c_[x, y, z]).adjacency_.tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 0]]


def test_pc_ges_random_linear_gaussian():
    # d=8, n=1000, ER p=0.3 linear-Gaussian (seed 0: 6 true edges). Measured: both skeletons exact, pairwise
    # SHD vs the DAG 3 (all three are edges left undirected, i.e. not identifiable). Bound with margin.
    X, A = linear_sem(8, 1000, seed=0)
    for cls in (PC, GES):
        P = cls().fit(X).adjacency_
        assert int((skeleton(P) != skeleton(A)).sum()) // 2 <= 1
        assert pair_shd(A, P) <= 4


def test_directlingam_direction_both_ways():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 2000)
    y = 1.5 * x + rng.uniform(-1, 1, 2000)
    est = DirectLiNGAM(random_state=0).fit(np.c_[x, y])
    assert est.adjacency_.tolist() == [[0, 1], [0, 0]]  # x -> y, row causes column
    assert est.order_ == [0, 1] and est.weights_[0, 1] == pytest.approx(1.5, abs=0.1)
    est = DirectLiNGAM(random_state=0).fit(np.c_[y, x])
    assert est.adjacency_.tolist() == [[0, 0], [1, 0]]  # column 1 (x) -> column 0 (y)


def test_directlingam_needs_no_lingam_package(monkeypatch):
    # causal-learn's port, not the `lingam` package (which pins scipy<=1.13.1 and downgrades numpy/scipy)
    monkeypatch.setitem(sys.modules, "lingam", None)  # `import lingam` would raise ImportError
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, 1000)
    y = -0.8 * x + rng.uniform(-1, 1, 1000)
    z = 1.2 * y + rng.uniform(-1, 1, 1000)
    est = DirectLiNGAM(random_state=0).fit(np.c_[z, x, y])  # columns: z, x, y; truth x -> y -> z
    assert est.adjacency_.tolist() == [[0, 0, 0], [0, 0, 1], [1, 0, 0]]
    assert est.order_ == [1, 2, 0]
    assert est.weights_[1, 2] == pytest.approx(-0.8, abs=0.1) and est.weights_[2, 0] == pytest.approx(1.2, abs=0.1)


def test_directlingam_random_nongaussian():
    X, A = linear_sem(6, 1000, seed=0, noise="uniform")  # measured SHD 0
    assert pair_shd(A, DirectLiNGAM(random_state=0).fit(X).adjacency_) <= 1


def _interventional_pair(target, n=600, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=2 * n)
    x[n:] = rng.normal(2.0, 1.0, n) if target == 0 else x[n:]
    y = 0.8 * x + rng.normal(size=2 * n)
    if target == 1:
        y[n:] = rng.normal(-2.0, 1.0, n)
    mask = np.zeros((2 * n, 2), dtype=bool)
    mask[n:, target] = True
    return np.c_[x, y], mask


@pytest.mark.parametrize("target", [0, 1])
def test_gies_uses_interventions(target):
    X, mask = _interventional_pair(target)
    # observational half alone: x - y is not identifiable
    assert GIES().fit(X[:600]).adjacency_.tolist() == [[0, 1], [1, 0]]
    assert GIES().fit(X, interventions=mask).adjacency_.tolist() == [[0, 1], [0, 0]]
    Xs, ms = X[:, ::-1], mask[:, ::-1]  # swap columns: y is column 0
    assert GIES().fit(Xs, interventions=ms).adjacency_.tolist() == [[0, 0], [1, 0]]


def test_environments_from_mask():
    mask = np.array([[1, 0, 0], [0, 0, 0], [1, 0, 0], [0, 1, 1]], dtype=bool)
    rows, targets = environments_from_mask(mask, 4)
    assert targets == [[], [0], [1, 2]]
    assert [r.tolist() for r in rows] == [[1], [0, 2], [3]]


def test_empty_and_random():
    X = np.random.default_rng(0).normal(size=(20, 6))
    assert EmptyGraph().fit(X).adjacency_.sum() == 0
    a = RandomDAG(random_state=3).fit(X)
    b = RandomDAG(random_state=3).fit(X)
    assert np.array_equal(a.adjacency_, b.adjacency_) and is_dag(a.adjacency_)
    assert np.all(a.edge_probs_[~np.eye(6, dtype=bool)] == pytest.approx(0.4))
    assert RandomDAG(edge_prob=1.0, random_state=0).fit(X).adjacency_.sum() == 15  # complete DAG


@pytest.mark.parametrize("cls, module", [(PC, "causallearn"), (DirectLiNGAM, "causallearn"), (GIES, "gies")])
def test_missing_library_names_extra(monkeypatch, cls, module):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError
    with pytest.raises(MissingDependencyError, match=r"scorecause\[baselines\]"):
        cls().fit(np.random.default_rng(0).normal(size=(50, 3)))


def test_bidirected_pc_edge_becomes_undirected():
    from scorecause.bench.baselines import _from_endpoints

    G = np.array([[0, 1, 0], [1, 0, 1], [0, -1, 0]])  # 0 <-> 1 (conflict), 2 -> 1
    assert _from_endpoints(G).tolist() == [[0, 1, 0], [1, 0, 0], [0, 1, 0]]
