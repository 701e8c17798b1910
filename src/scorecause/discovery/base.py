"""The order -> prune pipeline shared by every score-matching discovery method.

A subclass of :class:`OrderBasedEstimator` supplies only its causal **ordering** (``_order``) and, optionally,
a sparse set of **candidate** edges (``_candidates``, DAS). The base class owns everything else:

1. prior knowledge -- ``required`` / ``forbidden`` edges and tiers from :class:`scorecause.data.Prior`.
   In the ordering, a node may be chosen as the current leaf (sink) only if no remaining node must come
   after it (precedence ``P[i, j]``: ``i`` must precede ``j``, from required edges and tiers); in pruning,
   required edges are always kept and forbidden edges are never candidates;
2. CAM pruning (:func:`scorecause.discovery.cam.cam_pruning`) of the candidates, order passed explicitly;
3. bootstrap edge probabilities ``edge_probs_`` (``n_bootstrap`` resamples, joblib-parallel);
4. ``random_state``, ``n_jobs``, a progress bar and the estimator contract (``order_``, ``adjacency_``,
   ``graph_`` with the variable names).

Adjacency convention: ``A[i, j] = 1`` means ``i -> j``. Orders list column indices, sources first.
The structure follows pgmpy 1.x's order-based base class (``VarSort`` there is a few lines).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from scorecause.base import CausalEstimator
from scorecause.constraints import (
    BOOL,
    DEVICE,
    N_JOBS,
    POSITIVE,
    PROBABILITY,
    RANDOM_STATE,
    Interval,
    Options,
)
from scorecause.data import Dataset, Prior
from scorecause.discovery.cam import cam_pruning, full_dag

__all__ = ["OrderBasedEstimator", "allowed_leaves", "pick_leaf", "leaf_loop", "bind_prior",
           "PIPELINE_CONSTRAINTS", "STEIN_CONSTRAINTS", "NYSTROM_CONSTRAINTS"]

#: constraints of the pipeline's common hyperparameters (every subclass's table starts from these)
PIPELINE_CONSTRAINTS = {
    "prune": [BOOL], "alpha": PROBABILITY, "pns": [BOOL], "n_splines": [Interval(int, 4, None)],
    "cam_backend": [Options({"bspline", "statsmodels"})], "n_bootstrap": [Interval(int, 0, None)],
    "random_state": RANDOM_STATE, "n_jobs": N_JOBS, "progress": [BOOL],
}
#: the Stein-kernel methods' extra hyperparameters (SCORE, DAS, NoGAM, ScoreSort)
STEIN_CONSTRAINTS = {"eta": POSITIVE, "device": DEVICE, "max_rows": [None, Interval(int, 10, None)]}
#: float64 n x n matrices alive at once in a Stein-kernel fit (peak RSS measured at n = 1000 and 2000)
STEIN_KERNEL_MATRICES = 10
#: the Stein score path of SCORE, DAS and NoGAM: exact (n x n kernels) or Nyström (n x r, r = n_landmarks)
NYSTROM_CONSTRAINTS = {"scores": [Options({"exact", "nystrom"})], "n_landmarks": [Interval(int, 10, None)]}
#: float64 (n, r) matrices alive at once in a Nyström Stein fit (kernel + distance buffers; peak RSS measured)
NYSTROM_MATRICES = 3


def bind_prior(prior: Prior | None, names) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(required, forbidden, precedence)`` bool (d, d) matrices for ``names`` (all False without a prior).

    ``required[i, j]``/``forbidden[i, j]``: the edge ``i -> j`` must / must not appear (tiers folded into
    ``forbidden``); ``precedence[i, j]``: ``i`` must come before ``j`` in any order.
    """
    d = len(names)
    if prior is None or prior.is_empty():
        z = np.zeros((d, d), dtype=bool)
        return z, z.copy(), z.copy()
    req, forb = prior.bind(names)
    return req, forb, prior.precedence(names)


def allowed_leaves(remaining, precedence: np.ndarray | None) -> np.ndarray:
    """Bool mask over ``remaining``: node ``r`` may be the current leaf iff no remaining node must follow it.

    >>> P = np.zeros((3, 3), dtype=bool); P[0, 1] = True   # 0 must precede 1
    >>> allowed_leaves([0, 1, 2], P).tolist()
    [False, True, True]
    """
    remaining = np.asarray(remaining, dtype=int)
    if precedence is None:
        return np.ones(remaining.size, dtype=bool)
    return ~precedence[np.ix_(remaining, remaining)].any(axis=1)


def pick_leaf(criterion, remaining, precedence=None) -> int:
    """Position (in ``remaining``) of the smallest ``criterion`` among the allowed leaves."""
    c = np.asarray(criterion, dtype=np.float64).copy()
    c[~np.isfinite(c)] = np.inf
    ok = allowed_leaves(remaining, precedence)
    c[~ok] = np.inf
    if not np.isfinite(c).any():  # all criteria non-finite: take the first allowed
        return int(np.flatnonzero(ok)[0])
    return int(np.argmin(c))


def leaf_loop(d: int, criterion, precedence=None, *, on_remove=None, bar=None) -> list[int]:
    """Generic leaf-removal ordering (SCORE, NoGAM, ScoreSort): returns the order, sources first.

    ``criterion(remaining) -> (len(remaining),)`` scores the remaining nodes (smaller = more leaf-like);
    the allowed minimum is removed, ``on_remove(leaf, position)`` is called, until one node is left.
    """
    remaining = list(range(d))
    leaves: list[int] = []
    while len(remaining) > 1:
        pos = pick_leaf(criterion(remaining), remaining, precedence)
        leaf = remaining.pop(pos)
        leaves.append(leaf)
        if on_remove is not None:
            on_remove(leaf, pos)
        if bar is not None:
            bar.update(1)
    leaves.append(remaining[0])
    if bar is not None:
        bar.update(1)
    return leaves[::-1]


class OrderBasedEstimator(CausalEstimator, ABC):
    """Base class: ordering (subclass) -> candidates -> CAM pruning -> prior; bootstrap edge probabilities.

    Subclasses implement ``_order(X, precedence, rng, bar) -> list[int]`` (sources first) and may override
    ``_candidates(X, order, rng) -> bool (d, d) | None`` (``None``: the full DAG of the order).

    Parameters
    ----------
    prune : bool, default True
        CAM-prune the candidate edges (otherwise the candidates are the graph).
    alpha : float in (0, 1), default 0.001
        CAM pruning p-value cutoff: an edge is kept when its spline term's F test has a p-value below it
        (0.001 as in the SCORE paper; larger keeps more edges).
    pns : bool, default False
        Preliminary neighbour selection before CAM.
    n_splines : int >= 4, default 10
        B-spline basis size per parent in CAM.
    cam_backend : {"bspline", "statsmodels"}, default "bspline"
        CAM regression engine.
    n_bootstrap : int >= 0, default 0
        Number of bootstrap resamples for ``edge_probs_`` (0: none).
    random_state : int, Generator or None
        Seed of the bootstrap, the candidate steps and the ``max_rows`` subsample.
    n_jobs : int or None, default 1
        joblib workers: the bootstrap replicates run in parallel (else the CAM nodes); -1 = all cores.
    progress : bool, default False
        Show a tqdm progress bar.
    max_rows : int or None
        Kernel methods only: above this many rows, fit on a seeded random subsample of ``max_rows`` rows
        (with a warning) so that the ``n x n`` kernels stay under about 2 GB; None uses every row.
    """

    supports_prior = True
    tags = {"additive_noise": True, "gaussian_noise": False, "linear": False, "causal_sufficiency": True,
            "acyclic": True, "interventional": False}
    _parameter_constraints = PIPELINE_CONSTRAINTS
    min_rows = 10
    max_features = 200
    #: float64 n x n matrices held at once (0: the method has no n x n step)
    kernel_matrices = 0

    def _nystrom_rank(self, n: int) -> int | None:
        """``r = min(n_landmarks, n)`` when the Stein path is Nyström (``scores="nystrom"``), else None."""
        return min(int(self.n_landmarks), n) if getattr(self, "scores", "exact") == "nystrom" else None

    def _row_cap(self) -> int | None:
        """Rows above which :func:`scorecause.limits.check_size` subsamples: ``max_rows`` for ``n x n`` kernels;
        None (every row) with ``scores="nystrom"``, whose memory is ``O(n r)``."""
        return None if self._nystrom_rank(1) is not None else self.get_params(deep=False).get("max_rows")

    def _memory_bytes(self, n: int, d: int) -> float:
        """Kernels (``kernel_matrices`` n x n, or ``NYSTROM_MATRICES`` n x r) + CAM designs, times the bootstrap
        workers running at once."""
        from joblib import effective_n_jobs

        r = self._nystrom_rank(n)
        kernels = self.kernel_matrices * n * n if r is None else NYSTROM_MATRICES * n * r + 8 * n * d
        one = 8.0 * (kernels + 3 * n * d * self.n_splines)
        workers = min(effective_n_jobs(self.n_jobs), self.n_bootstrap) if self.n_bootstrap else 1
        return one * max(workers, 1)

    def _seconds(self, n: int, d: int) -> float:
        """Kernel methods: ``d`` rounds of an ``n^3 / 3`` Cholesky (Nyström: ``3 n r^2`` products) at about
        10 GFLOP/s, per bootstrap fit."""
        from joblib import effective_n_jobs

        fits = 1 + self.n_bootstrap / max(effective_n_jobs(self.n_jobs), 1)
        r = self._nystrom_rank(n)
        per_round = n**3 / 3 if r is None else 3.0 * n * r * r + 4.0 * n * r * d
        return fits * (d * per_round / 1e10 if self.kernel_matrices else 0.0)

    def _set_common(self, prune, alpha, pns, n_splines, cam_backend, n_bootstrap, random_state, n_jobs, progress):
        """Store the pipeline's common hyperparameters (called by every subclass's ``__init__``)."""
        self.prune = prune
        self.alpha = alpha
        self.pns = pns
        self.n_splines = n_splines
        self.cam_backend = cam_backend
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress

    # --- to implement -----------------------------------------------------------------------
    @abstractmethod
    def _order(self, X: np.ndarray, precedence: np.ndarray, rng: np.random.Generator, bar) -> list[int]:
        """The causal order of the columns of ``X`` (sources first), respecting ``precedence``."""

    def _candidates(self, X: np.ndarray, order: list[int], rng: np.random.Generator):
        return None

    # --- shared machinery -------------------------------------------------------------------
    def _prune(self, X, order, candidates, required, forbidden, rng, n_jobs) -> np.ndarray:
        allowed = full_dag(order).astype(bool) & ~forbidden
        C = allowed if candidates is None else (np.asarray(candidates, dtype=bool) & allowed)
        if getattr(self, "prune", True):
            A = cam_pruning(X, order, C, cutoff=self.alpha, n_splines=self.n_splines, required=required,
                            pns=self.pns, backend=self.cam_backend, n_jobs=n_jobs, rng=rng)
        else:
            A = C.astype(np.int8)
        A = (A.astype(bool) | required) & ~forbidden
        return A.astype(np.int8)

    def _fit_once(self, X, required, forbidden, precedence, rng, n_jobs, bar=None):
        order = [int(v) for v in self._order(X, precedence, rng, bar)]
        candidates = self._candidates(X, order, rng)
        A = self._prune(X, order, candidates, required, forbidden, rng, n_jobs)
        return order, A

    def _bar(self, total: int, desc: str):
        if not getattr(self, "progress", False):
            return None
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, leave=False)

    def _fit(self, data: Dataset, prior: Prior | None) -> None:
        from joblib import Parallel, delayed

        X = data.X
        n, d = X.shape
        required, forbidden, precedence = bind_prior(prior, data.names)
        rng = np.random.default_rng(self.random_state)
        name = type(self).__name__
        n_boot = int(getattr(self, "n_bootstrap", 0) or 0)
        bar = self._bar(d, f"{name} order")
        self.order_, self.adjacency_ = self._fit_once(X, required, forbidden, precedence, rng,
                                                      self.n_jobs, bar)
        if bar is not None:
            bar.close()
        if n_boot > 0:
            seeds = rng.integers(0, 2**63 - 1, size=n_boot)
            bar = self._bar(n_boot, f"{name} bootstrap")

            def one(seed):
                r = np.random.default_rng(seed)
                rows = r.integers(0, n, size=n)
                return self._fit_once(X[rows], required, forbidden, precedence, r, 1)[1]

            total = np.zeros((d, d))
            for A in Parallel(n_jobs=self.n_jobs, return_as="generator")(delayed(one)(s) for s in seeds):
                total += A
                if bar is not None:
                    bar.update(1)
            if bar is not None:
                bar.close()
            P = total / n_boot
            np.fill_diagonal(P, 0.0)
            self.edge_probs_ = P
