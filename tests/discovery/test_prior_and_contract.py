"""Estimator contract, prior enforcement (every method), bootstrap, leaf selection under precedence."""

import numpy as np
import pandas as pd
import pytest

from scorecause import Prior, methods
from scorecause.discovery.base import allowed_leaves, leaf_loop, pick_leaf
from scorecause.errors import PriorError
from scorecause.simulate import simulate

METHODS = ["score", "das", "nogam", "scoresort", "varsort"]


@pytest.fixture(scope="module")
def small():
    return simulate("score-gp-er", d=5, n=200, rng=np.random.default_rng(7))


def _position(order):
    pos = np.empty(len(order), dtype=int)
    pos[order] = np.arange(len(order))
    return pos


@pytest.mark.parametrize("name", METHODS)
def test_prior_enforced_in_order_and_pruning(name, small):
    names = small.names
    fit0 = methods.create(name).fit(small)
    A0, order0 = fit0.adjacency_, fit0.order_
    pos0 = _position(order0)
    # require an edge the unconstrained fit cannot have (it goes against the found order) ...
    late, early = order0[-1], order0[0]
    required = (names[late], names[early])
    # ... forbid an edge it found (or any pair if it found none) ...
    found = list(zip(*np.nonzero(A0)))
    fi, fj = found[0] if found else (order0[1], order0[2])
    forbidden = (names[fi], names[fj])
    # ... and put a node first by tiers: the unconstrained order's last-but-one node before all others.
    first = order0[-2]
    tiers = [[names[first]], [v for k, v in enumerate(names) if k != first]]
    if (names.index(required[1]) == first) or (names.index(forbidden[1]) == first and
                                                names.index(forbidden[0]) != first):
        tiers = []
    prior = Prior(required=[required], forbidden=[forbidden], tiers=tiers)
    fit = methods.create(name).fit(small, prior=prior)
    A, pos = fit.adjacency_, _position(fit.order_)
    assert A[late, early] == 1, "required edge missing"
    assert A[fi, fj] == 0, "forbidden edge present"
    assert pos[late] < pos[early], "order violates the required edge"
    if tiers:
        assert pos[first] == 0
        assert not A[:, first].any(), "edge into the first tier"
    assert pos0[late] > pos0[early]  # the prior really changed something


@pytest.mark.parametrize("name", METHODS)
def test_contract_names_and_acyclicity(name, small):
    df = pd.DataFrame(small.X, columns=[f"v{i}" for i in range(small.d)])
    est = methods.create(name).fit(df)
    assert list(est.feature_names_in_) == list(df.columns)
    assert sorted(est.order_) == list(range(small.d))
    assert est.adjacency_.dtype == np.int8
    pos = _position(est.order_)
    for i, j in zip(*np.nonzero(est.adjacency_)):
        assert pos[i] < pos[j]
    assert set(est.graph_.nodes) == set(df.columns)
    assert est.tags["acyclic"] and est.tags["additive_noise"]


def test_bootstrap_edge_probs_reproducible(small):
    kw = dict(n_bootstrap=4, random_state=3)
    a = methods.create("varsort", **kw).fit(small)
    b = methods.create("varsort", **kw, n_jobs=1).fit(small)
    P = a.edge_probs_
    assert P.shape == (5, 5) and np.all((P >= 0) & (P <= 1)) and np.all(np.diag(P) == 0)
    assert np.array_equal(P, b.edge_probs_)
    assert set(np.unique(P * 4)) <= {0, 1, 2, 3, 4}
    assert est_probability_in_graph(a)


def est_probability_in_graph(est):
    return all("probability" in attrs for *_, attrs in est.graph_.edges(data=True))


def test_bootstrap_respects_prior(small):
    prior = Prior(forbidden=[(small.names[0], small.names[1])], required=[(small.names[2], small.names[3])])
    est = methods.create("varsort", n_bootstrap=3, random_state=0).fit(small, prior=prior)
    assert est.edge_probs_[0, 1] == 0 and est.edge_probs_[2, 3] == 1


def test_unknown_prior_variable_is_reported(small):
    with pytest.raises(PriorError, match="unknown variable"):
        methods.create("varsort").fit(small, prior={"required": [["nope", "X0"]]})


def test_allowed_leaves_and_pick_leaf():
    P = np.zeros((4, 4), dtype=bool)
    P[0, 1] = P[0, 2] = P[2, 3] = True  # 0 before 1 and 2; 2 before 3
    assert allowed_leaves([0, 1, 2, 3], P).tolist() == [False, True, False, True]
    # node 0 has the smallest criterion but must precede others: pick the best allowed one
    assert pick_leaf([0.0, 5.0, 0.1, 3.0], [0, 1, 2, 3], P) == 3
    order = leaf_loop(4, lambda rem: np.array([{0: 0.0, 1: 5.0, 2: 0.1, 3: 3.0}[r] for r in rem]), P)
    pos = _position(order)
    assert pos[0] < pos[1] and pos[0] < pos[2] and pos[2] < pos[3]


def test_registry_has_discovery_methods():
    for name in METHODS:
        assert methods[name].supports_prior
