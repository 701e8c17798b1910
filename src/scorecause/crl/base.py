"""Shared machinery of the causal-representation-learning (CRL) estimators.

CRL estimators take a **list of environments** (not ``(X, interventions)``): environment 0 is observational,
the others interventional, all over the same ``d`` observed variables. They learn an encoder
``x -> z_hat`` (``n`` latents, named ``Z0 .. Z{n-1}``) and a DAG over the latents.

Conventions (same attribute names as :class:`scorecause.base.CausalEstimator`):
``adjacency_`` int8 (n, n) with ``A[i, j] = 1`` meaning ``Z_i -> Z_j``; ``order_`` (sources first);
``graph_`` (networkx DiGraph over ``Z0..``); ``encoder_``; :meth:`CRLEstimator.transform`.

Score differences ``Delta s^m(x) = s_0(x) - s_m(x)`` (observational minus interventional, as in the
reference code) are evaluated at observational samples. Sources (``scores=``):

* ``"gaussian"`` -- exact for Gaussian data: per environment fit mean ``mu`` and precision ``Theta``
  (after the dimension reduction) and use ``s(x) = -Theta (x - mu)``. For linear Gaussian latents with a
  linear mixing the observed scores are exactly affine, so this is a fast, legitimate *estimated*-score
  path (the reference experiments use the same estimator). It is *not* right for non-Gaussian latents.
* ``"perfect"`` -- analytic score differences from :mod:`scorecause.simulate.latent` (ground truth).
* any method of :func:`scorecause.scores.difference.score_difference` (``"classifier-logistic"``,
  ``"classifier-mlp"``, ``"ssm"``, ``"dsm"``, ``"stein"``).
* or arrays passed to ``fit(..., score_differences=...)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator

from scorecause.constraints import Options, validate_params
from scorecause.data import Dataset, as_dataset
from scorecause.errors import ConfigError, DataError, NotFittedError

#: score-difference sources every CRL estimator accepts (``scores=``)
SCORE_SOURCES = Options({"gaussian", "perfect", "classifier-logistic", "classifier-mlp", "ssm", "dsm", "stein"})


# ------------------------------------------------------------------------------------------------
# Environments
# ------------------------------------------------------------------------------------------------
def check_environments(environments, *, min_envs: int = 2, what: str = "this method",
                       why: str = "") -> list[Dataset]:
    """Validate a list of environments (Datasets, arrays or DataFrames) over the same variables.

    Raises :class:`DataError` naming the environment for: fewer than ``min_envs`` environments,
    mismatched numbers of columns or variable names, or any invalid table.
    """
    if isinstance(environments, (np.ndarray, Dataset)) or not isinstance(environments, Sequence):
        raise DataError("CRL estimators take a list of environments (observational first), e.g. "
                        "[X_obs, X_env1, ...]; read a directory with scorecause.crl.io.read_environments")
    if len(environments) < min_envs:
        raise DataError(f"{what} needs at least {min_envs} environments (observational first{why}), "
                        f"got {len(environments)}")
    envs = []
    for m, E in enumerate(environments):
        try:
            ds = as_dataset(E) if not isinstance(E, Dataset) else E
        except DataError as exc:
            raise DataError(f"environment {m}: {exc}") from None
        envs.append(ds)
    d0, names0 = envs[0].d, envs[0].names
    for m, ds in enumerate(envs[1:], start=1):
        if ds.d != d0:
            raise DataError(f"environment {m} has {ds.d} columns but environment 0 has {d0}; every "
                            "environment must measure the same variables")
        if ds.names != names0 and not _default_names(ds.names):
            raise DataError(f"environment {m} has variables {ds.names[:5]}... but environment 0 has "
                            f"{names0[:5]}...; use the same column names in every environment")
    return envs


def _default_names(names) -> bool:
    return all(v == f"X{j}" for j, v in enumerate(names))


def check_targets(targets, n_envs: int, n_latents: int) -> list[tuple[int, ...]] | None:
    """Validate intervention targets: one iterable of latent indices per interventional environment."""
    if targets is None:
        return None
    targets = list(targets)
    if len(targets) != n_envs:
        raise DataError(f"got targets for {len(targets)} environments but there are {n_envs} interventional "
                        "environments; give one target set per environment after the observational one")
    out = []
    for m, t in enumerate(targets, start=1):
        t = (t,) if np.isscalar(t) else tuple(t)
        for v in t:
            if not (isinstance(v, (int, np.integer)) and 0 <= v < n_latents):
                raise DataError(f"environment {m}: intervention target {v!r} is out of range; latents are "
                                f"numbered 0..{n_latents - 1}")
        out.append(tuple(int(v) for v in t))
    return out


# ------------------------------------------------------------------------------------------------
# Dimension reduction and score differences
# ------------------------------------------------------------------------------------------------
def reduce_dimension(envs: list[Dataset] | list[np.ndarray], k: int, *, max_rows: int | None = 5000) -> np.ndarray:
    """Orthonormal basis B (d, k) of the top-``k`` eigenvectors of ``sum_m Cov(X^m)``.

    ``envs``: datasets or arrays (N_m, d); the covariances use the first ``max_rows`` rows (None: all).
    For a linear mixing ``X = G Z`` this is the column space of ``G`` (exact from ``n + d`` rows per
    environment without noise); ``y = B^T x`` are the reduced coordinates.
    """
    Xs = [getattr(ds, "X", ds) for ds in envs]
    d = Xs[0].shape[1]
    if k > d:
        raise DataError(f"cannot learn {k} latents from {d} observed variables; need n <= d")
    C = np.zeros((d, d))
    for X in Xs:
        C += np.cov(X[:max_rows], rowvar=False)
    _, V = np.linalg.eigh(C)
    return V[:, ::-1][:, :k]


def gaussian_score(Y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Gaussian score estimate ``-Theta (y - mu)`` (m, k) at ``at`` (m, k) from samples ``Y`` (N, k)."""
    mu = Y.mean(axis=0)
    S = np.cov(Y, rowvar=False).reshape(Y.shape[1], Y.shape[1])
    return -np.linalg.solve(S, (at - mu).T).T


def score_differences(Ys: list[np.ndarray], at: np.ndarray, method: str, *, random_state=None,
                      ref: int = 0) -> np.ndarray:
    """``Delta s^m(at) = s_ref(at) - s_m(at)`` for every ``m != ref``: (n_env - 1, len(at), k).

    ``method`` "gaussian" (closed form) or a :func:`scorecause.scores.difference.score_difference` method.
    """
    others = [m for m in range(len(Ys)) if m != ref]
    if method == "gaussian":
        s_ref = gaussian_score(Ys[ref], at)
        return np.stack([s_ref - gaussian_score(Ys[m], at) for m in others])
    try:
        from scorecause.scores.difference import score_difference
    except ImportError as exc:  # pragma: no cover - the scores area is a sibling module
        raise ConfigError(f"score method {method!r} needs scorecause.scores.difference ({exc})") from None
    rng = np.random.default_rng(random_state)
    # score_difference returns grad log p_other - grad log p_ref = s_m - s_ref; we use s_ref - s_m
    return np.stack([-score_difference(Ys[ref], Ys[m], at, method=method,
                                       random_state=int(rng.integers(2**31)))
                     for m in others])


def split_half_noise(Ys: list[np.ndarray], at: np.ndarray, method: str, *, rng, n_splits: int = 2,
                     random_state=None) -> np.ndarray:
    """Noise of the score-difference estimate at full sample size, from independent half samples.

    For halves ``a`` and ``b`` of every environment, ``D = (Delta s^(a) - Delta s^(b)) / 2`` has about the
    variance of the full-sample estimation error. Returns ``D`` stacked over splits:
    (n_splits, n_env - 1, len(at), k); second moments of ``D`` are the noise floor of the graph read-out.
    """
    out = []
    for _ in range(n_splits):
        halves = [[], []]
        for Y in Ys:
            idx = rng.permutation(Y.shape[0])
            h = Y.shape[0] // 2
            halves[0].append(Y[idx[:h]])
            halves[1].append(Y[idx[h:2 * h]])
        a = score_differences(halves[0], at, method, random_state=random_state)
        b = score_differences(halves[1], at, method, random_state=random_state)
        out.append((a - b) / 2)
    return np.stack(out)


def greedy_order(evidence: np.ndarray) -> list[int]:
    """Topological order (sources first) from ``evidence[m, j] >= 0`` for the edge ``j -> m``, in O(n^2).

    Repeatedly takes the remaining node with the least total evidence of a remaining parent (a greedy
    feedback-arc-set heuristic replacing the n! ``closest_dag`` search).
    """
    E = np.log1p(np.maximum(np.asarray(evidence, float), 0.0))
    np.fill_diagonal(E, 0.0)
    remaining = list(range(len(E)))
    order = []
    while remaining:
        incoming = E[np.ix_(remaining, remaining)].sum(axis=1)
        v = remaining[int(np.argmin(incoming))]
        order.append(v)
        remaining.remove(v)
    return order


def support_test(Q: np.ndarray, noise: np.ndarray | None, *, kappa: float = 10.0, rtol: float = 1e-6,
                 min_gap: float = 1.0) -> np.ndarray:
    """Which latent coordinates carry a score difference: data-driven threshold (no absolute constant).

    ``Q[m, j] = E[(Delta s_Zhat^m)_j^2]`` for environment ``m`` and latent ``j``. With a noise estimate
    ``noise[m, j]`` (second moment of the estimation error, from :func:`split_half_noise`) an entry is
    non-zero when ``Q > kappa * noise + rtol * max_j Q[m, j]`` (``rtol`` only guards round-off with perfect
    scores). Without a noise estimate: the largest gap (in decades) of the sorted ``log10(Q / max_j Q)``
    values splits zero from non-zero entries when it is at least ``min_gap`` decades wide; otherwise all
    entries above ``10^-min_gap`` count as non-zero.
    """
    scale = Q.max(axis=1, keepdims=True)
    scale = np.where(scale > 0, scale, 1.0)
    if noise is not None:
        return Q > kappa * noise + rtol * scale
    L = np.log10(np.maximum(Q / scale, 1e-300))
    vals = np.sort(L[L < 0])  # the per-row maxima (0) are non-zero by definition
    thr = -min_gap
    if vals.size >= 1:
        ext = np.concatenate([vals, [0.0]])
        gaps = np.diff(ext)
        g = int(np.argmax(gaps))
        if gaps[g] >= min_gap:
            thr = (ext[g] + ext[g + 1]) / 2
    return L > thr


def youngest_first_order(R: np.ndarray) -> list[int]:
    """Causal order (sources first) from column spaces of ``R[m]`` (n_env, k, k), without an n! search.

    ``col(R^m) = span{h_j : j in pa(I_m) + {I_m}}`` for single-node interventions, so over an ancestral set
    ``V`` the span of ``sum_{m in V} R^m`` has dimension ``|V|``; removing a youngest node (no child in
    ``V``) lowers it by one, any other node does not. Repeatedly remove the node whose removal makes the
    ``|V|``-th eigenvalue (relative to the largest) smallest (Varıcı et al., arXiv 2301.08230, Alg. 1).
    Cost: O(n^2) eigen-decompositions of k x k matrices.
    """
    Rn = np.stack([r / max(np.trace(r), 1e-300) for r in R])
    remaining = list(range(len(Rn)))
    removed = []
    while len(remaining) > 1:
        size = len(remaining)
        best, best_val = None, np.inf
        for v in remaining:
            S = Rn[[u for u in remaining if u != v]].sum(axis=0)
            ev = np.linalg.eigvalsh(S)[::-1]
            val = ev[size - 1] / max(ev[0], 1e-300) if size - 1 < len(ev) else 0.0
            if val < best_val:
                best, best_val = v, val
        removed.append(best)
        remaining.remove(best)
    return remaining + removed[::-1]


def row_in_span(Rk: np.ndarray, prev: np.ndarray | None) -> np.ndarray:
    """Encoder row from ``col(Rk)`` that is most orthogonal to the rows ``prev`` (t, k) already found.

    With ``P`` the projector onto ``prev``'s orthogonal complement and ``P Rk ~ sigma v w^T`` (rank-1
    truncation), returns ``u = Rk w / sigma``: ``u`` lies in ``col(Rk)`` (so it mixes only the nodes whose
    rows span ``Rk``) and ``P u = v`` (its new component is as large as possible). Without ``prev`` it is
    the top eigenvector of ``Rk``.
    """
    k = Rk.shape[0]
    if prev is None or len(prev) == 0:
        return np.linalg.eigh(Rk)[1][:, -1]
    Qp, _ = np.linalg.qr(np.asarray(prev).T)
    P = np.eye(k) - Qp @ Qp.T
    U, s, Vt = np.linalg.svd(P @ Rk)
    u = Rk @ Vt[0] / max(s[0], 1e-300)
    return u / np.linalg.norm(u)


# ------------------------------------------------------------------------------------------------
# Base class
# ------------------------------------------------------------------------------------------------
class CRLEstimator(BaseEstimator, ABC):
    """Base class of CRL estimators: ``fit(environments)``, ``transform``, ``adjacency_``, ``order_``, ``graph_``.

    Subclasses implement ``_fit(envs, score_differences, targets)`` and set ``adjacency_`` (int8 n x n,
    ``A[i, j] = 1`` means ``Z_i -> Z_j``), ``order_`` and ``encoder_`` (linear methods: ndarray (n, d) with
    ``z_hat = encoder_ @ (x - mean_)``), or override :meth:`transform`.
    """

    tags: dict[str, bool] = {"interventional": True, "acyclic": True, "causal_sufficiency": True}
    #: parameter name -> allowed values (:mod:`scorecause.constraints`), checked at the start of ``fit``
    _parameter_constraints: dict = {}
    #: fewest environments (observational included) and why; linear methods: one per latent, >= 2 latents
    min_envs: int = 3
    envs_needed: str = "; one interventional environment per latent, at least 2 latents"

    def _n_latents(self, n_envs: int) -> int:
        """Number of latents learned from ``n_envs`` environments (one interventional environment each)."""
        return n_envs - 1

    def min_rows_per_env(self, n_latents: int) -> int:
        """Fewest rows each environment needs: the split-half noise floor fits a ``k x k`` covariance (``k``
        latents) on half an environment, so a half must hold more than ``k + 1`` rows; at least 10."""
        return max(10, 2 * (n_latents + 2))

    def fit(self, environments, *, score_differences=None, targets=None):
        """Learn encoder and latent DAG from ``environments`` (list; observational first); returns ``self``.

        Parameters
        ----------
        environments : list of Dataset / ndarray (N_m, d) / DataFrame, environment 0 observational
        score_differences : optional array (n_env - 1, N_0, d): ``s_0(x) - s_m(x)`` at environment 0's rows
        targets : optional list (one per interventional environment) of latent index tuples
        """
        validate_params(self)
        name = type(self).__name__
        envs = check_environments(environments, min_envs=self.min_envs, what=name, why=self.envs_needed)
        k = self._n_latents(len(envs))
        need = self.min_rows_per_env(k)
        for m, ds in enumerate(envs):
            if ds.n < need:
                raise DataError(f"environment {m} has {ds.n} rows; {name} needs at least {need} rows per "
                                f"environment for {k} latents; give more rows")
        if score_differences is not None:
            score_differences = np.asarray(score_differences, dtype=np.float64)
            want = (len(envs) - 1, envs[0].n, envs[0].d)
            if score_differences.shape != want:
                raise DataError(f"score_differences has shape {score_differences.shape}; expected {want} "
                                "(one s_0(x) - s_m(x) array per interventional environment, at the "
                                "observational rows)")
        self.n_features_in_ = envs[0].d
        self.feature_names_in_ = np.asarray(envs[0].names, dtype=object)
        self._fit(envs, score_differences, targets)
        from scorecause.graph import as_adjacency

        self.adjacency_ = as_adjacency(self.adjacency_, name="latent graph")
        self.n_latents_ = self.adjacency_.shape[0]
        self.latent_names_ = [f"Z{i}" for i in range(self.n_latents_)]
        return self

    @abstractmethod
    def _fit(self, envs, score_differences, targets):
        """Learn from the validated environments; set ``encoder_``, ``adjacency_`` and ``order_``."""

    def _check_fitted(self) -> None:
        if not hasattr(self, "adjacency_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit(environments) first")

    def _check_X(self, X) -> np.ndarray:
        X = X.X if isinstance(X, Dataset) else np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise DataError(f"transform expects an array with {self.n_features_in_} columns, got shape "
                            f"{X.shape}")
        return X

    def transform(self, X) -> np.ndarray:
        """Latents ``z_hat`` (N, n) of observations ``X`` (N, d)."""
        self._check_fitted()
        X = self._check_X(X)
        return (X - self.mean_) @ self.encoder_.T

    @property
    def graph_(self):
        """networkx DiGraph over ``Z0 .. Z{n-1}`` (``A[i, j] = 1``: ``Z_i -> Z_j``)."""
        self._check_fitted()
        from scorecause.graph import to_networkx

        return to_networkx(self.adjacency_, names=self.latent_names_)

    def score(self, true_graph, metric: str = "shd"):
        """Compare ``adjacency_`` with ``true_graph`` (latent nodes in the estimator's order) by ``metric``."""
        self._check_fitted()
        from scorecause import metrics

        return metrics.evaluate(true_graph, self.adjacency_, metrics=[metric])[metric]
