"""Tests for scorecause.metrics against hand-computed values (A[i, j] = 1 means i -> j)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecause.errors import ConfigError, DataError, GraphError
from scorecause.graph import dag_to_cpdag, transitive_closure
from scorecause.metrics import (
    METRICS,
    auprc,
    auroc,
    brier,
    ece,
    evaluate,
    mcc,
    n_edges,
    order_divergence,
    precision_recall_f1,
    shd,
    shd_closure,
    sid,
)

CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=np.int8)  # 0 -> 1 -> 2
REV = CHAIN.T.copy()  # 2 -> 1 -> 0
FORK = np.array([[0, 0, 0], [1, 0, 1], [0, 0, 0]], dtype=np.int8)  # 0 <- 1 -> 2
COLLIDER = np.array([[0, 1, 0], [0, 0, 0], [0, 1, 0]], dtype=np.int8)  # 0 -> 1 <- 2
FULL = np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]], dtype=np.int8)  # complete DAG, order 0, 1, 2
EMPTY = np.zeros((3, 3), dtype=np.int8)


@st.composite
def dag_pairs(draw, max_d=7):
    d = draw(st.integers(2, max_d))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(2):
        A = np.triu(rng.random((d, d)) < 0.4, 1).astype(np.int8)
        perm = rng.permutation(d)
        out.append(A[np.ix_(perm, perm)])
    return out


# --- SHD ---


def test_shd_single_reversal():
    T = np.array([[0, 1], [0, 0]])
    assert shd(T, T.T) == 1
    assert shd(T, T.T, reversal_cost=2) == 2
    assert shd(T, T) == 0


def test_shd_hand_example():
    # truth 0 -> 1 -> 2; prediction: 1 -> 0 (reversed), 1 -> 2 (right), 0 -> 2 (extra)
    pred = np.array([[0, 0, 1], [1, 0, 1], [0, 0, 0]])
    assert shd(CHAIN, pred) == 2
    assert shd(CHAIN, pred, reversal_cost=2) == 3
    assert shd(CHAIN, EMPTY) == 2 and shd(EMPTY, CHAIN) == 2


def test_shd_on_cpdags():
    cp = dag_to_cpdag(CHAIN)  # 0 - 1 - 2
    assert shd(cp, cp) == 0
    assert shd(cp, CHAIN) == 2  # two undirected edges predicted directed: 1 each
    assert shd(cp, CHAIN, reversal_cost=2) == 2  # undirected vs directed is not a reversal
    assert shd(dag_to_cpdag(COLLIDER), cp) == 2
    # Markov-equivalent DAGs have CPDAG distance 0
    assert shd(dag_to_cpdag(CHAIN), dag_to_cpdag(FORK)) == 0
    assert shd(dag_to_cpdag(CHAIN), dag_to_cpdag(REV)) == 0


@settings(max_examples=50, deadline=None)
@given(dag_pairs())
def test_shd_agrees_with_gadjid_and_cdt_double(pair):
    import gadjid

    T, P = pair
    assert shd(T, P) == gadjid.shd(T, P)[1]
    assert shd(T, P, reversal_cost=2) == np.abs(T.astype(int) - P).sum()  # cdt's double_for_anticausal
    assert shd(T, P) == shd(P, T)


def test_shd_shape_mismatch():
    with pytest.raises(GraphError, match="3 nodes but predicted graph has 2"):
        shd(CHAIN, np.zeros((2, 2)))


def test_shd_closure():
    assert shd_closure(CHAIN, FULL) == 0  # 0 -> 2 is implied by the chain
    assert shd(CHAIN, FULL) == 1
    assert shd_closure(CHAIN, EMPTY) == 3
    assert shd_closure(CHAIN, REV) == 3  # three reversed ancestor relations


# --- SID (gadjid) ---


def test_sid_known_pairs():
    assert sid(CHAIN, EMPTY) == 3  # gadjid convention: (truth, guess)
    assert sid(EMPTY, CHAIN) == 0
    assert sid(CHAIN, CHAIN) == 0
    # a supergraph with the true causal order gives correct adjustment sets: SID 0
    assert sid(CHAIN, FULL) == 0
    # truth complete, guess chain: only do(2) on 0 is wrong ({1} does not block 2 <- 0)
    assert sid(FULL, CHAIN) == 1
    # the reversed chain is Markov equivalent yet every one of the 6 pairs is wrong
    assert sid(CHAIN, REV) == 6
    assert sid(CHAIN, FORK) == 3 and sid(CHAIN, COLLIDER) == 3
    assert sid(CHAIN, EMPTY, normalize=True) == pytest.approx(3 / 6)


def test_sid_accepts_any_numeric_dtype():
    assert sid(CHAIN.astype(float), EMPTY.astype(np.int64)) == 3


@settings(max_examples=30, deadline=None)
@given(dag_pairs())
def test_sid_zero_for_closure_of_truth(pair):
    T, _ = pair
    assert sid(T, T) == 0
    assert sid(T, transitive_closure(T)) == 0  # supergraph consistent with the causal order


def test_sid_rejects_cycles_and_cpdags_naming_the_graph():
    cyc = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    with pytest.raises(GraphError, match="true graph has a directed cycle through nodes"):
        sid(cyc, EMPTY)
    with pytest.raises(GraphError, match="predicted graph has a directed cycle"):
        sid(CHAIN, cyc)
    with pytest.raises(GraphError, match="predicted graph has an undirected/two-way edge between nodes 0 and 1"):
        sid(CHAIN, dag_to_cpdag(CHAIN))


# --- precision / recall / F1 ---


def test_precision_recall_f1_hand():
    # truth 0->1, 1->2; prediction 0->1 (TP), 2->1 (FP, reversed), missing 1->2 (FN)
    pred = np.array([[0, 1, 0], [0, 0, 0], [0, 1, 0]])
    assert precision_recall_f1(CHAIN, pred) == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert precision_recall_f1(CHAIN, FULL) == pytest.approx({"precision": 2 / 3, "recall": 1.0, "f1": 0.8})


def test_precision_recall_f1_undirected_counts_both_directions():
    cp = dag_to_cpdag(CHAIN)  # four cells, two match the truth
    assert precision_recall_f1(CHAIN, cp) == pytest.approx({"precision": 0.5, "recall": 1.0, "f1": 2 / 3})


def test_precision_recall_f1_degenerate():
    assert precision_recall_f1(EMPTY, EMPTY) == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert precision_recall_f1(CHAIN, EMPTY) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert precision_recall_f1(EMPTY, CHAIN) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


# --- AUROC / AUPRC / ECE / Brier ---


def test_auroc_auprc_hand():
    # off-diagonal cells (row-major): (0,1)=1 .9, (0,2)=0 .1, (1,0)=0 .8, (1,2)=1 .7, (2,0)=0 .1, (2,1)=0 .2
    P = np.array([[0, 0.9, 0.1], [0.8, 0, 0.7], [0.1, 0.2, 0]])
    # ranking .9(+) .8(-) .7(+): AP = 1/2 (1 + 2/3); AUROC = 1 - 1/8 (one negative above one positive)
    assert auprc(CHAIN, P) == pytest.approx((1 + 2 / 3) / 2)
    assert auroc(CHAIN, P) == pytest.approx(7 / 8)


def test_auprc_auroc_ignore_the_diagonal():
    P = np.array([[0, 0.9, 0.1], [0.8, 0, 0.7], [0.1, 0.2, 0]])
    P_diag = P + np.eye(3)  # diagonal 1.0 would rank above everything if counted as non-edges
    assert auprc(CHAIN, P_diag) == auprc(CHAIN, P)
    assert auroc(CHAIN, P_diag) == auroc(CHAIN, P)
    from sklearn.metrics import average_precision_score

    assert auprc(CHAIN, P_diag) != pytest.approx(average_precision_score(CHAIN.ravel(), P_diag.ravel()))


def test_probability_metrics_degenerate_cases():
    zero = np.zeros((3, 3))
    some = np.full((3, 3), 0.3)
    assert auroc(EMPTY, zero) == 1.0 and auprc(EMPTY, zero) == 1.0
    assert auroc(EMPTY, some) == 0.5 and auprc(EMPTY, some) == 0.0
    assert auroc(CHAIN, zero) == 0.5 and auprc(CHAIN, zero) == 0.0
    two = np.array([[0, 1], [1, 0]])
    assert math.isnan(auroc(two, np.full((2, 2), 0.5)))  # no negatives: undefined


def test_probability_input_errors():
    with pytest.raises(GraphError, match=r"\[0, 1\] off the diagonal; found 1.5 at \(0, 1\) and 5 more"):
        auroc(CHAIN, np.full((3, 3), 1.5))
    with pytest.raises(GraphError, match=r"shape \(2, 2\)"):
        auprc(CHAIN, np.zeros((2, 2)))
    with pytest.raises(GraphError, match="found nan at"):
        brier(CHAIN, np.full((3, 3), np.nan))
    P = np.full((3, 3), 0.5)
    P[np.diag_indices(3)] = np.nan  # the diagonal is ignored (e.g. masked logits)
    assert brier(CHAIN, P) == pytest.approx(0.25)


def test_ece_hand_example():
    # labels/probs off the diagonal: (0,1)=1 .85, (0,2)=0 .15, (1,0)=0 .85, (1,2)=1 .95, (2,0)=0 .05, (2,1)=0 .05
    P = np.array([[0, 0.85, 0.15], [0.85, 0, 0.95], [0.05, 0.05, 0]])
    # bins: [0,.1): {.05,.05} labels 0,0 -> gap .05, n=2
    #       [.1,.2): {.15} label 0 -> gap .15, n=1
    #       [.8,.9): {.85,.85} labels 1,0 -> gap |.5-.85| = .35, n=2
    #       [.9,1]: {.95} label 1 -> gap .05, n=1
    expected = (2 * 0.05 + 1 * 0.15 + 2 * 0.35 + 1 * 0.05) / 6
    assert ece(CHAIN, P) == pytest.approx(expected)
    assert ece(CHAIN, P, n_bins=1) == pytest.approx(abs(2 / 6 - P[~np.eye(3, dtype=bool)].mean()))


def test_ece_zero_when_calibrated_and_p_one_in_last_bin():
    T = np.array([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]])
    P = T.astype(float)  # certain and right
    assert ece(T, P) == 0.0 and brier(T, P) == 0.0
    with pytest.raises(ConfigError, match="n_bins"):
        ece(T, P, n_bins=0)


def test_brier_hand():
    P = np.array([[0, 0.5, 0.0], [0.0, 0, 1.0], [0.5, 0.0, 0]])
    # squared errors: .25 (0,1), 0, 0, 0 (1,2), .25 (2,0), 0 -> mean .5 / 6
    assert brier(CHAIN, P) == pytest.approx(0.5 / 6)


# --- order divergence ---


def test_order_divergence_hand():
    assert order_divergence(CHAIN, [0, 1, 2]) == 0
    assert order_divergence(CHAIN, [2, 1, 0]) == 2
    assert order_divergence(CHAIN, [1, 2, 0]) == 1  # only 0 -> 1 is violated
    assert order_divergence(FULL, [2, 0, 1]) == 2  # 0 -> 2 and 1 -> 2 violated
    assert order_divergence(FULL, [2, 0, 1], normalize=True) == pytest.approx(2 / 3)
    assert order_divergence(EMPTY, [2, 1, 0], normalize=True) == 0.0


def test_order_divergence_bad_order():
    with pytest.raises(DataError, match="permutation of the 3 node indices"):
        order_divergence(CHAIN, [0, 1])
    with pytest.raises(DataError, match="permutation"):
        order_divergence(CHAIN, [0, 1, 1])


# --- MCC ---


def test_mcc_permuted_scaled_copy_is_one():
    Z = np.random.default_rng(0).normal(size=(200, 4))
    Zh = Z[:, [2, 0, 3, 1]] * np.array([3.0, -0.5, 2.0, -7.0]) + 4.0
    assert mcc(Z, Zh) == pytest.approx(1.0)
    assert mcc(Z, Zh, method="spearman") == pytest.approx(1.0)


def test_mcc_spearman_is_invariant_to_monotone_maps():
    Z = np.random.default_rng(1).normal(size=(500, 2))
    Zh = np.exp(3 * Z[:, ::-1])
    assert mcc(Z, Zh, method="spearman") == pytest.approx(1.0)
    assert mcc(Z, Zh, method="pearson") < 0.8


def test_mcc_hungarian_matching_and_shapes():
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(2000, 3))
    assert mcc(Z, rng.normal(size=(2000, 3))) < 0.1  # independent
    # rectangular: 2 learned latents matched to the best 2 of 3 true ones
    assert mcc(Z, Z[:, [2, 1]]) == pytest.approx(1.0)
    # a constant learned latent correlates 0 with everything
    Zh = np.column_stack([Z[:, 0], np.ones(2000)])
    assert mcc(Z[:, :2], Zh) == pytest.approx(0.5)


def test_mcc_errors():
    Z = np.zeros((10, 2)) + np.arange(10)[:, None]
    with pytest.raises(ConfigError, match="'kendall'"):
        mcc(Z, Z, method="kendall")
    with pytest.raises(DataError, match="10 rows but Z_hat has 9"):
        mcc(Z, Z[:9])
    with pytest.raises(DataError, match="NaN"):
        mcc(Z, np.full((10, 2), np.nan))


# --- evaluate ---


def test_evaluate_defaults_and_full():
    pred = np.array([[0, 0, 1], [1, 0, 1], [0, 0, 0]])
    res = evaluate(CHAIN, pred)
    mixed_only = {"bidirected_precision", "bidirected_recall", "bidirected_f1"}  # need bidirected matrices
    assert set(res) == set(METRICS) - {"auroc", "auprc", "ece", "brier", "order_divergence"} - mixed_only
    assert res["shd"] == 2.0 and res["shd2"] == 3.0 and res["n_edges"] == 3.0
    assert res["sid"] == float(sid(CHAIN, pred))
    P = np.array([[0, 0.9, 0.1], [0.8, 0, 0.7], [0.1, 0.2, 0]])
    full = evaluate(CHAIN, pred, edge_probs=P, order=[0, 1, 2])
    assert set(full) == set(METRICS) - mixed_only
    assert set(evaluate(CHAIN, pred, edge_probs=P, order=[0, 1, 2], pred_bidirected=np.zeros((3, 3)))) == set(METRICS)
    assert full["auprc"] == pytest.approx(auprc(CHAIN, P)) and full["order_divergence"] == 0.0
    assert all(isinstance(v, float) for v in full.values())


def test_evaluate_explicit_metrics_and_errors():
    assert evaluate(CHAIN, REV, metrics=["shd", "shd2"]) == {"shd": 2.0, "shd2": 4.0}
    assert evaluate(CHAIN, REV, metrics="sid") == {"sid": 6.0}
    with pytest.raises(ConfigError, match="unknown metric"):
        evaluate(CHAIN, REV, metrics=["shd", "accuracy"])
    with pytest.raises(ConfigError, match="needs edge probabilities"):
        evaluate(CHAIN, REV, metrics=["auroc"])
    with pytest.raises(ConfigError, match="needs a causal order"):
        evaluate(CHAIN, REV, metrics=["order_divergence"])
    # default set: SID is NaN for a CPDAG prediction; explicit SID raises
    cp = dag_to_cpdag(CHAIN)
    res = evaluate(CHAIN, cp)
    assert math.isnan(res["sid"]) and res["shd"] == 2.0 and res["n_edges"] == 2.0
    with pytest.raises(GraphError, match="predicted graph"):
        evaluate(CHAIN, cp, metrics=["sid"])


def test_n_edges_counts_undirected_once():
    assert n_edges(dag_to_cpdag(CHAIN)) == 2 and n_edges(FULL) == 3


def test_estimator_score_uses_evaluate():
    from scorecause.base import CausalEstimator

    class Fixed(CausalEstimator):
        def _fit(self, data, prior):
            self.adjacency_ = REV
            self.edge_probs_ = REV * 0.9

    est = Fixed().fit(np.random.default_rng(0).normal(size=(20, 3)))
    assert est.score(CHAIN) == 2.0
    assert est.score(CHAIN, metric="sid") == 6.0
    assert est.score(CHAIN, metric="auroc") == pytest.approx(auroc(CHAIN, REV * 0.9))


def test_error_rates_fnr_fpr_orientation_rule():
    from scorecause.metrics import error_rates

    true = np.zeros((3, 3), dtype=np.int8)
    true[0, 1] = true[1, 2] = 1  # 0 -> 1 -> 2: 2 edges, 6 - 2 = 4 non-edge cells
    assert error_rates(true, true) == {"fnr": 0.0, "fpr": 0.0}
    rev = true.T.copy()  # both reversed: two misses, two false edges
    assert error_rates(true, rev) == {"fnr": 1.0, "fpr": 0.5}
    cpdag = true | true.T  # undirected: both found, two false cells
    assert error_rates(true, cpdag) == {"fnr": 0.0, "fpr": 0.5}
    assert error_rates(np.zeros((3, 3)), np.zeros((3, 3))) == {"fnr": 0.0, "fpr": 0.0}
    from scorecause.metrics import evaluate, precision_recall_f1

    out = evaluate(true, rev, metrics=["fnr", "fpr"])
    assert out == {"fnr": 1.0, "fpr": 0.5}
    assert error_rates(true, cpdag)["fnr"] == 1 - precision_recall_f1(true, cpdag)["recall"]
