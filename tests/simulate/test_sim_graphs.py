"""Random DAG generators: determinism, acyclicity, edge counts, random node order, bad input."""

import numpy as np
import pytest

from scorecause.errors import ConfigError
from scorecause.graph import is_dag
from scorecause.simulate import GRAPH_KINDS, sample_graph

KINDS_KW = {
    "er": {"edges_per_node": 2.0},
    "sf": {"edges_per_node": 2.0},
    "sf-in": {"edges_per_node": 2.0},
    "ws": {"dim": 2, "nei": 1, "p": 0.3},
    "sbm": {"edges_per_node": 2.0, "n_blocks": 5},
    "geo": {"radius": 0.3},
}


@pytest.mark.parametrize("kind", GRAPH_KINDS)
@pytest.mark.parametrize("d", [2, 7, 30])
def test_graph_is_int8_dag_and_deterministic(kind, d):
    A = sample_graph(kind, d, np.random.default_rng(5), **KINDS_KW[kind])
    B = sample_graph(kind, d, np.random.default_rng(5), **KINDS_KW[kind])
    assert A.dtype == np.int8 and A.shape == (d, d)
    assert set(np.unique(A)) <= {0, 1} and not np.diag(A).any()
    assert is_dag(A)
    np.testing.assert_array_equal(A, B)


@pytest.mark.parametrize("kind", GRAPH_KINDS)
def test_different_seeds_give_different_graphs(kind):
    graphs = {sample_graph(kind, 20, np.random.default_rng(s), **KINDS_KW[kind]).tobytes() for s in range(5)}
    assert len(graphs) > 1


@pytest.mark.parametrize("kind", GRAPH_KINDS)
def test_index_order_is_not_causal_order(kind):
    # Unpermuted generators would put every edge above the diagonal; with a random relabelling almost no
    # graph with several edges is upper triangular.
    upper = 0
    for s in range(20):
        A = sample_graph(kind, 15, np.random.default_rng(s), **KINDS_KW[kind])
        upper += int(A.sum() > 3 and not np.tril(A).any())
    assert upper <= 1


def test_er_expected_edge_count():
    d, k = 20, 2.0
    counts = [sample_graph("er", d, np.random.default_rng(s), edges_per_node=k).sum() for s in range(300)]
    # mean k d = 40; sd of one draw ~ 5.9, of the mean of 300 ~ 0.35
    assert abs(np.mean(counts) - k * d) < 1.5


def test_sbm_expected_edge_count():
    d, k = 30, 2.0
    counts = [sample_graph("sbm", d, np.random.default_rng(s), edges_per_node=k, n_blocks=5, damp=0.1).sum()
              for s in range(300)]
    assert abs(np.mean(counts) - k * d) < 2.0


@pytest.mark.parametrize("m", [1, 2, 3])
def test_scale_free_edge_count_is_exact(m):
    d = 25
    expected = sum(min(m, t) for t in range(1, d))
    for kind in ("sf", "sf-in"):
        assert sample_graph(kind, d, np.random.default_rng(m), edges_per_node=m).sum() == expected


def test_scale_free_hub_direction():
    # "sf": each arriving node receives min(m, t) edges, so in-degree <= m and hubs have many children.
    # "sf-in" is the transpose: out-degree <= m, hubs have many parents.
    m, d = 2, 60
    A = sample_graph("sf", d, np.random.default_rng(0), edges_per_node=m)
    B = sample_graph("sf-in", d, np.random.default_rng(0), edges_per_node=m)
    assert A.sum(axis=0).max() <= m and A.sum(axis=1).max() > 3 * m
    assert B.sum(axis=1).max() <= m and B.sum(axis=0).max() > 3 * m


def test_watts_strogatz_ring_without_rewiring():
    # dim 1, side d, nei 1, p 0: a ring of d undirected edges, oriented acyclically
    A = sample_graph("ws", 12, np.random.default_rng(0), dim=1, nei=1, p=0.0)
    assert A.sum() == 12 and is_dag(A)
    U = A + A.T
    assert (U.sum(axis=0) == 2).all()  # every node on the ring has two neighbours


def test_geometric_radius_extremes():
    assert sample_graph("geo", 10, np.random.default_rng(0), radius=0.0).sum() == 0
    assert sample_graph("geo", 10, np.random.default_rng(0), radius=2.0).sum() == 45


def test_unknown_kind_names_the_available_kinds():
    with pytest.raises(ConfigError, match=r"unknown graph kind 'zzz'.*'er'.*'geo'"):
        sample_graph("zzz", 5, np.random.default_rng(0))


@pytest.mark.parametrize("d", [1, 0, -3, 2.5])
def test_too_few_nodes(d):
    with pytest.raises(ConfigError, match="d must be an integer >= 2"):
        sample_graph("er", d, np.random.default_rng(0))


def test_rng_must_be_a_generator():
    with pytest.raises(ConfigError, match="numpy.random.Generator"):
        sample_graph("er", 5, 0)


def test_bad_generator_option():
    with pytest.raises(ConfigError, match="bad options for graph kind 'geo'"):
        sample_graph("geo", 5, np.random.default_rng(0), nei=3)
