"""Statistics and score features of one data set, the input of the amortized aggregator.

A raw-sample transformer has to learn conditional-independence reasoning from ~10^7 simulated data sets. The
aggregator instead reads cheap, informative summaries (the *sample, estimate, aggregate* recipe of SEA: Wu, Bao,
Barzilay, Jaakkola 2024, arXiv 2402.01929), to which we add the score-function statistics of SCORE (Rolland et
al. 2022) and DAS (Montagna et al. 2023). :func:`dataset_features` returns

* ``pair``: float32 ``[d, d, c]``; ``pair[i, j]`` carries evidence about the ordered pair ``i -> j``;
* ``node``: float32 ``[d, c']``;

with the channels named in :data:`PAIR_CHANNELS` and :data:`NODE_CHANNELS`. Every channel is invariant to the
units of the variables except the var-sortability channels (on purpose: they expose the shortcut of Reisach et
al. 2021 that simulated benchmarks carry), and equivariant under a permutation of the variables.

Notation: ``Z`` = the observational rows standardised per column (all rows when fewer than
``MIN_OBS_ROWS`` are observational), ``R`` = the correlation matrix of ``Z``, ``P`` = the Ledoit-Wolf
shrinkage precision of ``Z`` (well defined when ``n < d``).

Pair channels (``pair[i, j, :]``)
---------------------------------
``abs_corr``          ``|R_ij|``.
``abs_pcorr``         ``|P_ij| / sqrt(P_ii P_jj)`` (partial correlation given all other variables).
``sub_before``        over the random subsets ``S`` that contain both: fraction in which ``i`` precedes ``j`` in
                      SCORE's order of ``S`` (leaf = argmin over ``S`` of Var_n of the Stein Hessian diagonal,
                      :func:`scorecause.discovery.score.stein_leaf_order`); 0.5 when never covered.
``sub_cover``         ``log1p(#subsets containing i and j) / log1p(max count)``.
``sub_pcorr``         mean over those subsets of the partial correlation of ``i`` and ``j`` given the rest of
                      ``S`` (the coefficient evidence of ``i`` in ``j``'s linear regression on ``S``).
``sub_hess``          mean over those subsets of ``mean_n |H_ij| / sqrt(mean_n |H_ii| mean_n |H_jj|)``, ``H`` the
                      Stein Hessian of ``log p`` of ``S`` (DAS's edge evidence, in the subset's low dimension).
``das_hess``          the same normalised cross-Hessian on all variables (DAS, Montagna et al. 2023).
``int_mean_shift``    ``|mean(x_j | do(x_i)) - mean_obs(x_j)| / sd_obs(x_j)``; 0 when ``i`` is never intervened.
``int_var_shift``     ``log(var(x_j | do(x_i)) / var_obs(x_j))``; 0 when ``i`` is never intervened.
``int_mean_shift_t``, ``int_var_shift_t``  the same for ``j`` intervened and ``i`` measured (the transpose).

Node channels (``node[j, :]``)
------------------------------
``leaf_logvar``       ``log Var_n(H_jj)`` (SCORE's leaf criterion on all variables), z-scored over nodes.
``leaf_rank``         rank of ``Var_n(H_jj)`` among the nodes, scaled to [0, 1] (0 = most leaf-like).
``var_rank``          rank of the raw marginal variance (var-sortability), [0, 1].
``logvar``            ``log var(x_j)`` of the raw data, z-scored over nodes.
``r2``                ``R^2_j = 1 - 1 / P_jj`` (regression of ``j`` on all others; R²-sortability, Reisach
                      et al. 2023).
``r2_rank``           rank of ``r2`` among the nodes, [0, 1].
``int_frac``          fraction of rows in which ``j`` is intervened on.
``log_n``, ``log_d``  ``log(n) / log(1000)`` and ``log(d) / log(100)`` (same for every node).

Cost: ``O(d^2 n)`` statistics, one Stein Hessian on ``n_score_rows`` rows (``O(m^2 d^2)``), and ``n_subsets``
SCORE orders on ``subset_size`` variables and ``n_subset_rows`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scorecause.errors import DataError

PAIR_CHANNELS = ("abs_corr", "abs_pcorr", "sub_before", "sub_cover", "sub_pcorr", "sub_hess", "das_hess",
                 "int_mean_shift", "int_var_shift", "int_mean_shift_t", "int_var_shift_t")
NODE_CHANNELS = ("leaf_logvar", "leaf_rank", "var_rank", "logvar", "r2", "r2_rank", "int_frac", "log_n", "log_d")
MIN_OBS_ROWS = 20


@dataclass
class FeatureConfig:
    """How much work :func:`dataset_features` does (defaults sized for d <= 200, n <= 10^4 on a CPU).

    subset_size : variables per random subset (SEA uses about 5)
    coverage : target mean number of subsets covering each pair of variables
    max_subsets_per_node : cap on the number of subsets, ``max_subsets_per_node * d`` (large d)
    n_subset_rows, n_score_rows : rows (seeded subsample) for the subset orders and the global Stein Hessian
    eta : ridge of the Stein estimators
    """

    subset_size: int = 6
    coverage: float = 8.0
    max_subsets_per_node: int = 4
    n_subset_rows: int = 200
    n_score_rows: int = 400
    eta: float = 1e-3


@dataclass
class Features:
    """Features of one data set: ``pair [d, d, len(PAIR_CHANNELS)]``, ``node [d, len(NODE_CHANNELS)]``."""

    pair: np.ndarray
    node: np.ndarray

    pair_names = PAIR_CHANNELS
    node_names = NODE_CHANNELS

    def channel(self, name: str) -> np.ndarray:
        """One named channel: ``[d, d]`` for a pair channel, ``[d]`` for a node channel."""
        if name in PAIR_CHANNELS:
            return self.pair[..., PAIR_CHANNELS.index(name)]
        return self.node[:, NODE_CHANNELS.index(name)]


# --- building blocks (each small and separately tested) --------------------------------------------
def standardize_columns(X: np.ndarray) -> np.ndarray:
    """Z-score each column over all rows; a constant column becomes 0 (its std is taken as 1)."""
    sd = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def shrinkage_precision(Z: np.ndarray) -> np.ndarray:
    """Ledoit-Wolf shrinkage precision of standardised data ``Z [n, d]`` (valid when ``n <= d``)."""
    from sklearn.covariance import LedoitWolf

    return LedoitWolf(assume_centered=False).fit(Z).precision_


def partial_correlation(P: np.ndarray) -> np.ndarray:
    """Partial correlations from a precision matrix: ``-P_ij / sqrt(P_ii P_jj)``, diagonal 0."""
    s = np.sqrt(np.diag(P))
    pc = -P / np.outer(s, s)
    np.fill_diagonal(pc, 0.0)
    return pc


def rank01(v: np.ndarray) -> np.ndarray:
    """Ranks of ``v`` scaled to [0, 1] (0 = smallest); ties share their mean rank."""
    from scipy.stats import rankdata

    return (rankdata(v) - 1.0) / max(1, len(v) - 1)


def zscore(v: np.ndarray) -> np.ndarray:
    sd = v.std()
    return (v - v.mean()) / sd if sd > 0 else np.zeros_like(v)


def normalized_cross_hessian(H: np.ndarray) -> np.ndarray:
    """``mean_n |H_ij| / sqrt(mean_n |H_ii| mean_n |H_jj|)`` for a Hessian field ``H [n, m, m]``; diagonal 0."""
    A = np.abs(H).mean(axis=0)                                           # [m, m]
    s = np.sqrt(np.maximum(np.diag(A), 1e-12))
    out = A / np.outer(s, s)
    np.fill_diagonal(out, 0.0)
    return out


def sample_subsets(weights: np.ndarray, n_subsets: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``n_subsets`` subsets of ``size`` variables ``[K, size]``: an anchor (cycling over a random permutation of
    the nodes) plus ``size - 1`` others drawn without replacement with probability proportional to
    ``weights[anchor]`` (SEA's bias toward dependent pairs; ``weights`` should have a positive floor)."""
    d = weights.shape[0]
    size = min(size, d)
    out = np.empty((n_subsets, size), dtype=np.int64)
    anchors = np.concatenate([rng.permutation(d) for _ in range(-(-n_subsets // d))])[:n_subsets]
    for k, a in enumerate(anchors):
        w = weights[a].astype(np.float64).copy()
        w[a] = 0.0
        others = rng.choice(d, size=size - 1, replace=False, p=w / w.sum())
        out[k] = np.concatenate([[a], others])
    return out


def n_subsets_for(d: int, cfg: FeatureConfig) -> int:
    """Subsets so that each pair is covered ``coverage`` times on average, capped at ``max_subsets_per_node*d``."""
    s = min(cfg.subset_size, d)
    pairs_per_subset = s * (s - 1) / 2
    want = int(np.ceil(cfg.coverage * d * (d - 1) / 2 / pairs_per_subset))
    return int(max(d, min(want, cfg.max_subsets_per_node * d)))


def subset_statistics(Z: np.ndarray, R: np.ndarray, subsets: np.ndarray, eta: float):
    """Aggregate marginal estimates over variable subsets.

    For each subset ``S`` (rows of ``subsets``, all of one size): SCORE's order of ``Z[:, S]`` (all subsets in
    one batched pass, :func:`scorecause.discovery.score.stein_leaf_orders`), the partial correlations of ``S``
    from ``inv(R[S, S])``, and the normalised Stein cross-Hessian of ``Z[:, S]`` (the order's first round,
    reused). Returns ``before, count, pcorr_sum, hess_sum``, each ``[d, d]``: ``before[i, j]`` counts subsets
    in which ``i`` precedes ``j``; ``count`` is symmetric.
    """
    from scorecause.discovery.score import stein_leaf_orders

    d = Z.shape[1]
    before = np.zeros((d, d))
    count = np.zeros((d, d))
    pcorr_sum = np.zeros((d, d))
    hess_sum = np.zeros((d, d))
    orders, hessians = stein_leaf_orders(np.ascontiguousarray(Z[:, subsets].transpose(1, 0, 2)), eta=eta)
    for S, order, H in zip(subsets, orders, hessians):
        pos = np.empty(len(S), dtype=np.int64)
        pos[order] = np.arange(len(S))
        ix = np.ix_(S, S)
        before[ix] += pos[:, None] < pos[None, :]
        count[ix] += 1.0
        pcorr_sum[ix] += np.abs(partial_correlation(np.linalg.inv(R[ix] + 1e-6 * np.eye(len(S)))))
        hess_sum[ix] += normalized_cross_hessian(H)
    np.fill_diagonal(count, 0.0)
    np.fill_diagonal(before, 0.0)
    return before, count, pcorr_sum, hess_sum


def intervention_shifts(X: np.ndarray, mask: np.ndarray, obs: np.ndarray):
    """Standardised effect of ``do(x_i)`` on each ``x_j``: ``mean_shift [d, d]`` and ``var_shift [d, d]``.

    ``mean_shift[i, j] = |mean(x_j | rows with x_i intervened) - mean(x_j | obs)| / sd(x_j | obs)`` and
    ``var_shift[i, j] = log(var(x_j | do x_i) / var(x_j | obs))``; rows of never-intervened ``i`` and the
    diagonal are 0. ``obs`` is the boolean row mask of the reference rows.
    """
    d = X.shape[1]
    mu, var = X[obs].mean(axis=0), X[obs].var(axis=0)
    sd = np.sqrt(np.where(var > 0, var, 1.0))
    mean_shift = np.zeros((d, d))
    var_shift = np.zeros((d, d))
    for i in np.flatnonzero(mask.sum(axis=0) >= 2):
        rows = X[mask[:, i]]
        mean_shift[i] = np.abs(rows.mean(axis=0) - mu) / sd
        v = rows.var(axis=0)
        var_shift[i] = np.log((v + 1e-12) / (np.where(var > 0, var, 1.0) + 1e-12))
    np.fill_diagonal(mean_shift, 0.0)
    np.fill_diagonal(var_shift, 0.0)
    return mean_shift, np.clip(var_shift, -10.0, 10.0)


# --- the whole feature map ---------------------------------------------------------------------------
def dataset_features(X, interventions=None, *, config: FeatureConfig | None = None,
                     random_state=0) -> Features:
    """Pair and node features of one data set (see the module docstring for every channel).

    Parameters
    ----------
    X : array [n, d], the data (observational rows, and interventional rows when ``interventions`` is given)
    interventions : bool array [n, d] or None; ``interventions[r, j]`` is true when ``x_j`` was intervened on in
        row ``r``
    config : FeatureConfig, the amount of work (defaults: :class:`FeatureConfig`)
    random_state : seed (or Generator) for the row subsamples and the variable subsets

    Returns
    -------
    Features with ``pair [d, d, 11]`` and ``node [d, 9]``, float32.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=300); b = a + 0.5 * rng.normal(size=300); c = rng.normal(size=300)
    >>> f = dataset_features(np.c_[a, b, c])
    >>> f.pair.shape, f.node.shape
    ((3, 3, 11), (3, 9))
    >>> bool(f.channel("abs_pcorr")[0, 1] > f.channel("abs_pcorr")[0, 2])
    True
    """
    import torch

    from scorecause.scores.stein import stein_hessian

    cfg = config or FeatureConfig()
    rng = np.random.default_rng(random_state)
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    if d < 2 or n < 3:
        raise DataError(f"features need at least 2 variables and 3 rows; got {n} rows x {d} columns")
    mask = np.zeros((n, d), dtype=bool) if interventions is None else np.asarray(interventions, dtype=bool)
    obs = ~mask.any(axis=1)
    if obs.sum() < MIN_OBS_ROWS:
        obs = np.ones(n, dtype=bool)
    Xo = X[obs]
    Z = standardize_columns(Xo)                                              # [n_obs, d]
    R = np.corrcoef(Z, rowvar=False) if Z.shape[0] > 1 else np.eye(d)
    R = np.nan_to_num(R)
    np.fill_diagonal(R, 1.0)
    P = shrinkage_precision(Z)
    pcorr = partial_correlation(P)

    # global Stein Hessian on a row subsample: SCORE's leaf criterion and DAS's cross-Hessian
    m = min(len(Z), cfg.n_score_rows)
    Zs = Z[np.sort(rng.choice(len(Z), size=m, replace=False))]
    H = stein_hessian(Zs, eta=cfg.eta)                                       # [m, d, d]
    leaf_var = np.var(np.einsum("nii->ni", H), axis=0)                       # [d]
    das = normalized_cross_hessian(H)
    del H

    # marginal estimates on random subsets of variables
    weights = np.abs(pcorr) + 0.5 * np.abs(R) + 0.05
    np.fill_diagonal(weights, 0.0)
    subsets = sample_subsets(weights, n_subsets_for(d, cfg), cfg.subset_size, rng)
    ms = min(len(Z), cfg.n_subset_rows)
    Zsub = Z[np.sort(rng.choice(len(Z), size=ms, replace=False))]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)          # many 200 x 200 solves: threads only add contention
    try:
        before, count, pcorr_sum, hess_sum = subset_statistics(Zsub, R, subsets, cfg.eta)
    finally:
        torch.set_num_threads(threads)
    seen = count > 0
    safe = np.where(seen, count, 1.0)
    sub_before = np.where(seen, before / safe, 0.5)
    sub_cover = np.log1p(count) / np.log1p(max(count.max(), 1.0))
    sub_pcorr = pcorr_sum / safe
    sub_hess = hess_sum / safe

    if mask.any():
        mean_shift, var_shift = intervention_shifts(X, mask, obs)
    else:
        mean_shift = var_shift = np.zeros((d, d))

    abs_corr = np.abs(R)
    np.fill_diagonal(abs_corr, 0.0)
    pair = np.stack([abs_corr, np.abs(pcorr), sub_before, sub_cover, sub_pcorr, sub_hess, das,
                     mean_shift, var_shift, mean_shift.T, var_shift.T], axis=-1)

    raw_var = Xo.var(axis=0)
    r2 = np.clip(1.0 - 1.0 / np.maximum(np.diag(P), 1e-12), 0.0, 1.0)
    logleaf = np.log(leaf_var + 1e-12)
    node = np.stack([zscore(logleaf), rank01(leaf_var), rank01(raw_var), zscore(np.log(raw_var + 1e-12)),
                     r2, rank01(r2), mask.mean(axis=0), np.full(d, np.log(n) / np.log(1000.0)),
                     np.full(d, np.log(d) / np.log(100.0))], axis=-1)
    return Features(np.nan_to_num(pair).astype(np.float32), np.nan_to_num(node).astype(np.float32))
