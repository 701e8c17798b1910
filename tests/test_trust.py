"""Trust without ground truth: latent projection, self-compatibility (Faller et al. 2024), sortability, residual
normality, the report section and the ``discover --trust`` option."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from scorecause.cli import main
from scorecause.errors import ConfigError, DataError
from scorecause.report import discovery_report
from scorecause.trust import (
    assess,
    assumption_warnings,
    draw_subsets,
    marginal_graph,
    pair_disagreement,
    r2_sortability,
    residual_normality,
    self_compatibility,
    var_sortability,
)


def _edges(M) -> set:
    return {(int(i), int(j)) for i, j in zip(*np.nonzero(M))}


# --- latent projection -----------------------------------------------------------------------------------


def test_marginal_of_a_chain_joins_the_ends():
    A = np.eye(5, k=1, dtype=int)  # 0 -> 1 -> 2 -> 3 -> 4
    m = marginal_graph(A, [0, 3, 4])
    assert _edges(m.directed) == {(0, 1), (1, 2)}  # 0 -> 3 (through 1, 2) and 3 -> 4, in the kept order
    assert not m.bidirected.any()
    m = marginal_graph(A, [4, 0])  # node order of the marginal is the order of ``keep``
    assert _edges(m.directed) == {(1, 0)}


def test_marginal_of_a_collider_has_no_edge():
    A = np.array([[0, 1, 0], [0, 0, 0], [0, 1, 0]])  # 0 -> 1 <- 2
    m = marginal_graph(A, [0, 2])
    assert not m.directed.any() and not m.bidirected.any()
    assert np.array_equal(marginal_graph(A, [0, 1, 2]).directed, A)


def test_marginal_of_a_confounder_is_bidirected_only_through_removed_nodes():
    # u=0 -> a=1, u -> v=2 -> b=3; a -> c=4
    A = np.zeros((5, 5), dtype=int)
    for i, j in [(0, 1), (0, 2), (2, 3), (1, 4)]:
        A[i, j] = 1
    m = marginal_graph(A, [1, 3, 4])
    assert _edges(m.directed) == {(0, 2)}  # a -> c stays
    assert _edges(m.bidirected) == {(0, 1), (1, 0)}  # a <-> b via removed u (and removed v)
    # keeping v: u is a common ancestor of a and v, v -> b stays directed, a and b not bidirected (path via kept v)
    m = marginal_graph(A, [1, 2, 3])
    assert _edges(m.directed) == {(1, 2)}
    assert _edges(m.bidirected) == {(0, 1), (1, 0)}


def test_pair_disagreement_rules():
    m = marginal_graph(np.array([[0, 0, 0], [1, 0, 1], [0, 0, 0]]), [0, 2])  # 0 <-> 2 only
    assert not pair_disagreement(m, [[0, 1], [0, 0]]).any()  # any edge matches a bidirected pair
    assert not pair_disagreement(m, [[0, 0], [1, 0]]).any()
    assert pair_disagreement(m, [[0, 0], [0, 0]]).all(where=~np.eye(2, dtype=bool))
    m = marginal_graph(np.array([[0, 1], [0, 0]]), [0, 1])
    assert not pair_disagreement(m, [[0, 1], [1, 0]]).any()  # undirected asserts no orientation
    assert pair_disagreement(m, [[0, 0], [1, 0]])[0, 1]  # reversal


# --- subset scheme -----------------------------------------------------------------------------------------


def test_subset_scheme_covers_every_pair_and_is_seeded():
    subs = draw_subsets(12, 0.5, n_subsets=10, min_pair_coverage=3, random_state=1)
    assert all(len(s) == 6 and len(set(s)) == 6 for s in subs)
    cover = np.zeros((12, 12), int)
    for s in subs:
        cover[np.ix_(s, s)] += 1
    assert cover[np.triu_indices(12, 1)].min() >= 3
    assert subs == draw_subsets(12, 0.5, n_subsets=10, min_pair_coverage=3, random_state=1)
    assert subs != draw_subsets(12, 0.5, n_subsets=10, min_pair_coverage=3, random_state=2)
    assert len(draw_subsets(12, 4, n_subsets=3, min_pair_coverage=0)[0]) == 4


@pytest.mark.parametrize("size", [1, 12, 1.5, 0.0, "half"])
def test_bad_subset_size_names_the_fix(size):
    with pytest.raises(ConfigError, match="subset_size"):
        draw_subsets(12, size)


def test_too_few_variables():
    with pytest.raises(DataError, match="at least 3 variables"):
        draw_subsets(2)


# --- self-compatibility ----------------------------------------------------------------------------------

TRUE = np.zeros((8, 8), dtype=int)
for _i, _j in [(0, 1), (1, 2), (2, 3), (0, 4), (4, 5), (5, 3), (6, 7), (1, 6)]:
    TRUE[_i, _j] = 1
X8 = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 8)), columns=[f"v{i}" for i in range(8)])


class MarginalOracle:
    """Returns the latent projection of ``TRUE`` onto the columns it is fitted on (a bidirected-only pair as an
    edge from the lower to the higher index, the only way a DAG can show it)."""

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self

    def fit(self, X):
        keep = [int(c[1:]) for c in X.columns]
        m = marginal_graph(TRUE, keep)
        self.adjacency_ = m.directed | np.triu(m.bidirected & ~(m.directed | m.directed.T))
        return self


class RandomGraph:
    """A different random DAG on every fit (seeded by the columns it sees and a per-instance draw count)."""

    def __init__(self, random_state=0):
        self.random_state = random_state

    def get_params(self, deep=True):
        return {"random_state": self.random_state}

    def set_params(self, **params):
        self.random_state = params.get("random_state", self.random_state)
        return self

    def fit(self, X):
        d = X.shape[1]
        rng = np.random.default_rng([self.random_state, *[int(c[1:]) for c in X.columns]])
        perm = rng.permutation(d)
        A = np.triu(rng.random((d, d)) < 0.3, 1)
        self.adjacency_ = A[np.ix_(perm, perm)].astype(np.int8)
        return self


def test_oracle_is_exactly_self_compatible():
    res = self_compatibility(MarginalOracle(), X8, n_subsets=15, random_state=0)
    assert res.incompatibility == 0.0
    assert set(res.edge_scores) == _edges(TRUE) and set(res.edge_scores.values()) == {0.0}
    assert np.array_equal(res.graph, TRUE)
    assert all(c >= 2 for c in (res.pair_counts[i, j] for i, j in _edges(TRUE)))


def test_random_graphs_score_higher_and_scores_are_seeded_fractions():
    res = self_compatibility(RandomGraph(), X8, n_subsets=15, random_state=0)
    assert res.incompatibility > 0.2
    scores = np.array(list(res.edge_scores.values()))
    assert scores.size and (scores >= 0).all() and (scores <= 1).all() and scores.max() > 0
    again = self_compatibility(RandomGraph(), X8, n_subsets=15, random_state=0)
    assert again.edge_scores == res.edge_scores and again.subsets == res.subsets
    # each edge score is (disagreeing subsets) / (subsets with both endpoints): a fraction with that denominator
    for (i, j), s in res.edge_scores.items():
        assert abs(s * res.pair_counts[i, j] - round(s * res.pair_counts[i, j])) < 1e-9
    # the oracle's full graph, judged by random subset graphs, is contradicted
    mixed = self_compatibility(RandomGraph(), X8, graph=TRUE, n_subsets=15, random_state=0)
    assert mixed.incompatibility > 0.2


def test_a_reversed_edge_of_the_full_graph_is_the_one_flagged():
    G = TRUE.copy()
    G[6, 7], G[7, 6] = 0, 1  # the full graph reverses 6 -> 7; the subsets (oracle) keep it right
    res = self_compatibility(MarginalOracle(), X8, graph=G, n_subsets=15, random_state=0)
    assert res.edge_scores[(7, 6)] == 1.0
    assert max(s for e, s in res.edge_scores.items() if e != (7, 6)) < 1.0
    assert res.edge_table()[0][0] == "v7 → v6"


# --- sortability and residuals ---------------------------------------------------------------------------


def _linear_chain(n=2000, noise=np.random.Generator.normal, seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 4))
    for j in range(4):
        e = noise(rng, size=n) if noise is np.random.Generator.normal else rng.uniform(-1.7, 1.7, size=n)
        x[:, j] = (x[:, j - 1] if j else 0) + e
    return x


def test_var_sortability_of_an_unscaled_chain_is_one_and_half_after_standardising():
    X = _linear_chain()
    A = np.eye(4, k=1, dtype=int)
    assert var_sortability(X, A) == 1.0
    assert var_sortability(X, A.T) == 0.0
    assert var_sortability(X / X.std(axis=0), A) == 0.5  # all variances tie
    assert r2_sortability(X / X.std(axis=0), A) == r2_sortability(X, A)  # scale-invariant
    assert np.isnan(var_sortability(X, np.zeros((4, 4))))


def test_residual_normality_flags_uniform_noise_only():
    g = residual_normality(_linear_chain(), np.eye(4, k=1, dtype=int), regression="additive")
    u = residual_normality(_linear_chain(noise=None), np.eye(4, k=1, dtype=int), regression="linear")
    assert not g["non_gaussian"].any()
    assert u["non_gaussian"].all()


def test_plain_words_warnings():
    ng = {"non_gaussian": np.array([True, True, True, False])}
    gauss = {"non_gaussian": np.zeros(4, bool)}
    assert "assumes additive Gaussian noise" in assumption_warnings({"gaussian_noise": True}, "SCORE", ng, .5, .5)[0]
    assert not assumption_warnings({"gaussian_noise": True}, "SCORE", gauss, .5, .5)
    lingam = assumption_warnings({"linear": True, "gaussian_noise": False}, "DirectLiNGAM", gauss, .5, .5)
    assert "needs non-Gaussian noise" in lingam[0]
    sort = assumption_warnings({}, "X", None, 0.95, 0.5)
    assert len(sort) == 1 and "var-sortability is 0.95" in sort[0] and "trivial" in sort[0]


# --- report and CLI --------------------------------------------------------------------------------------


def test_report_section_is_present_and_readable():
    from tests.test_reports import Page

    G = TRUE.copy()
    G[6, 7], G[7, 6] = 0, 1
    est = MarginalOracle().fit(X8)
    est.adjacency_ = G
    est.tags = {"gaussian_noise": True}
    trust = assess(est, X8, self_compat=True, n_subsets=15)
    names = list(X8.columns)
    page = Page(discovery_report(G, names, method="Oracle", trust=trust))
    assert "Can this graph be trusted?" in page.h2
    rows = page.table("edge (self-compatibility)")
    assert len(rows) == int(G.sum())
    assert rows[0]["edge (self-compatibility)"] == "v7 → v6" and rows[0]["incompatibility"] == "1.00"
    assert rows[0]["verdict"] == "mostly contradicted"
    assert any(f"{trust.self_compat.incompatibility:.3f}" in p for p in page.paragraphs)
    sort = {r["measure"]: r["value"] for r in page.table("measure")}
    assert set(sort) == {"var-sortability", "R²-sortability"}
    assert len(page.table("variable (residuals)")) == 8
    # without self-compatibility the section says how to get it
    page = Page(discovery_report(G, names, trust=assess(est, X8)))
    assert any("--trust" in p for p in page.paragraphs)


def test_discover_trust_end_to_end(tmp_path):
    from tests.test_reports import Page

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5))
    for j in range(1, 5):
        x[:, j] += 2.0 * x[:, j - 1]  # variance grows along the chain: var-sortable
    pd.DataFrame(x, columns=list("abcde")).to_csv(tmp_path / "d.csv", index=False)
    args = ["discover", str(tmp_path / "d.csv"), "--method", "varsort", "-o", str(tmp_path / "g.json"),
            "--report", str(tmp_path / "r.html"), "--trust", "--trust-subsets", "4", "-q"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    page = Page((tmp_path / "r.html").read_text())
    assert "Can this graph be trusted?" in page.h2
    assert page.table("edge (self-compatibility)")
    assert any("var-sortability is 1.00" in p for p in page.paragraphs)  # the plain-words warning
    no_report = [a for a in args if a not in ("--report", str(tmp_path / "r.html"))]
    res = CliRunner().invoke(main, no_report + ["--overwrite"])  # --trust without --report
    assert res.exit_code != 0 and "--report" in res.output
    res = CliRunner().invoke(main, args + ["--trust-size", "5", "--overwrite"])
    assert res.exit_code != 0 and "subset_size" in res.output
    # the cost guard: subset fits estimated above --trust-max-seconds are skipped, the report says why and how
    res = CliRunner().invoke(main, args + ["--trust-max-seconds", "0", "--overwrite"])
    assert res.exit_code == 0, res.output
    page = Page((tmp_path / "r.html").read_text())
    assert any("self-compatibility skipped" in p and "--trust-subsets" in p for p in page.paragraphs)


def test_path_level_blame_reaches_edges_through_left_out_variables():
    from scorecause.trust import _path_blame

    chain = np.eye(4, k=1, dtype=int)  # 0 -> 1 -> 2 -> 3
    keep = [0, 2, 3]  # 1 left out: the marginal has 0 -> 2 (via 1) and 2 -> 3
    bad = np.zeros((3, 3), bool)
    bad[0, 1] = bad[1, 0] = True  # the subset graph contradicts 0 -> 2
    blame, implied = _path_blame(chain, keep, bad)
    assert implied[0, 1] == implied[1, 2] == implied[2, 3] == 1
    assert blame[0, 1] == blame[1, 2] == 1 and blame[2, 3] == 0
    assert not blame[chain == 0].any()
    res = self_compatibility(MarginalOracle(), X8, n_subsets=15, random_state=0)
    assert set(res.edge_scores_paths) == _edges(TRUE) and set(res.edge_scores_paths.values()) == {0.0}


def test_docstring_examples_run():
    import doctest

    import scorecause.trust

    result = doctest.testmod(scorecause.trust, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 8
