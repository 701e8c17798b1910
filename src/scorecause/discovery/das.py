"""DAS -- Discovery At Scale (Montagna, Noceti, Rosasco, Zhang, Locatello, CLeaR 2023, arXiv 2304.03382).

Order as in SCORE; then, instead of CAM-pruning the full DAG of the order (``O(d^4)``), candidate parents come
from the **full Stein Hessian, computed once** on all variables (the first SCORE round's kernel and Cholesky
factor are reused): for an additive noise model ``d^2 log p / dx_l dx_j = d_j h_l / sigma_l^2`` is non-zero
iff ``j`` is a parent of the leaf ``l`` (spouses too when ``l`` is only a leaf of a subgraph -- CAM removes
those). For every node ``l`` and its predecessors ``R`` in the order:

1. rank ``j in R`` by ``m_j = |median_n H_lj|`` and keep the top ``max_parents + 1``;
2. the weakest of these is the reference ``r`` (assumed a non-parent);
3. the first ``min_parents`` are kept; every other ``j`` is kept when Welch's one-sided t-test of
   ``|H_lj| > |H_lr|`` has a p-value below ``das_cutoff``;

and CAM pruning runs on this small candidate set only (``<= max_parents`` covariates per node, linear in
``d``). The order is passed to CAM explicitly (dodiscover re-derives it from the sparse matrix and drops true
edges). dodiscover's no-op per-leaf rescaling is omitted.

Adjacency convention: ``A[i, j] = 1`` means ``i -> j``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from scorecause.constraints import PROBABILITY, Interval
from scorecause.discovery.score import SCORE
from scorecause.scores.stein import N_LANDMARKS

__all__ = ["DAS", "das_candidates"]


def das_candidates(H_rows: dict, order, *, min_parents: int = 5, max_parents: int = 20,
                   das_cutoff: float = 0.05, rank: str = "median") -> np.ndarray:
    """Candidate edges from Hessian rows.

    Parameters
    ----------
    H_rows : callable ``l -> (n, d)`` array of Hessian entries ``H[:, l, :]`` (or a dict ``l -> array``).
    order : causal order, sources first.
    rank : ``"median"`` ranks by ``|median_n H_lj|`` (DAS paper / dodiscover); ``"median_abs"`` by
        ``median_n |H_lj|``, which does not cancel when ``d_j h_l`` changes sign over the data (e.g. a
        non-monotone mechanism).

    Returns
    -------
    bool (d, d), ``C[j, l]`` true when ``j -> l`` is a candidate (``j`` precedes ``l``).
    """
    get = H_rows if callable(H_rows) else H_rows.__getitem__
    order = [int(v) for v in order]
    d = len(order)
    C = np.zeros((d, d), dtype=bool)
    for pos in range(1, d):
        leaf = order[pos]
        rem = np.array(order[:pos])
        h = np.abs(get(leaf)[:, rem])  # (n, |rem|)
        m = np.abs(np.median(get(leaf)[:, rem], axis=0)) if rank == "median" else np.median(h, axis=0)
        top = np.argsort(-m, kind="stable")[: max_parents + 1]
        if top.size <= min_parents:
            C[rem[top], leaf] = True
            continue
        ref = top[-1]  # weakest of the top-k
        for k, j in enumerate(top):
            if k < min_parents:
                C[rem[j], leaf] = True
            elif j != ref:
                p = stats.ttest_ind(h[:, j], h[:, ref], equal_var=False, alternative="greater").pvalue
                if p < das_cutoff:
                    C[rem[j], leaf] = True
    return C


class DAS(SCORE):
    """DAS: SCORE's order, Hessian-based candidate parents, CAM pruning on the candidates only.

    Parameters
    ----------
    eta : float, default 1e-3
        Stein ridge.
    min_parents : int, default 5
        The ``min_parents`` strongest candidates (by ``|median H_lj|``) are always passed to CAM.
    max_parents : int, default 20
        At most ``max_parents`` candidates per node.
    das_cutoff : float, default 0.05
        Welch t-test cutoff against the weakest candidate.
    dispersion, device, max_rows, scores, n_landmarks, prune, alpha, pns, n_splines, cam_backend, n_bootstrap, random_state, n_jobs, progress
        As in :class:`~scorecause.discovery.score.SCORE` (``alpha`` = CAM cutoff, default 0.001; with
        ``scores="nystrom"`` the Hessian rows are the Nyström ones, :meth:`NystromStein.hessian_rows
        <scorecause.scores.stein.NystromStein.hessian_rows>`).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=300); b = np.sin(2 * a) + 0.5 * rng.normal(size=300)
    >>> DAS().fit(np.c_[b, a]).adjacency_.tolist()
    [[0, 0], [1, 0]]

    References
    ----------
    Montagna, Noceti, Rosasco, Zhang, Locatello. Scalable causal discovery with score matching. CLeaR 2023.
    """

    _parameter_constraints = {**SCORE._parameter_constraints, "min_parents": [Interval(int, 0, None)],
                              "max_parents": [Interval(int, 1, None)], "das_cutoff": PROBABILITY}
    max_features = 1000

    def __init__(self, eta: float = 1e-3, min_parents: int = 5, max_parents: int = 20, das_cutoff: float = 0.05,
                 dispersion: str = "var", *, device="cpu", max_rows: int | None = 5000, scores: str = "exact",
                 n_landmarks: int = N_LANDMARKS, prune: bool = True, alpha: float = 1e-3, pns: bool = False,
                 n_splines: int = 10, cam_backend: str = "bspline", n_bootstrap: int = 0, random_state=None,
                 n_jobs: int | None = 1, progress: bool = False):
        super().__init__(eta=eta, dispersion=dispersion, device=device, max_rows=max_rows, scores=scores,
                         n_landmarks=n_landmarks, prune=prune, alpha=alpha, pns=pns,
                         n_splines=n_splines, cam_backend=cam_backend, n_bootstrap=n_bootstrap,
                         random_state=random_state, n_jobs=n_jobs, progress=progress)
        self.min_parents = min_parents
        self.max_parents = max_parents
        self.das_cutoff = das_cutoff

    def _memory_bytes(self, n: int, d: int) -> float:
        """SCORE's kernels plus the Hessian rows of every node, (n, d) each."""
        return super()._memory_bytes(n, d) + 8.0 * n * d * d

    def _order(self, X, precedence, rng, bar=None):
        self._first = []
        return super()._order(X, precedence, rng, bar, first_state=self._first)

    def _candidates(self, X, order, rng):
        state = self._first[0]  # first SCORE round: kernel + factor on all columns (reused, not recomputed)
        del self._first
        rows = state.predecessor_hessian_rows(order)
        return das_candidates(rows.__getitem__, order, min_parents=self.min_parents, max_parents=self.max_parents,
                              das_cutoff=self.das_cutoff)


def _predecessor_hessian_rows(state, order, budget: int = 2**24) -> dict:
    """``{l: (n, d) array}`` with the Stein Hessian entries ``H[:, l, j]`` for the predecessors ``j`` of ``l``.

    Only the predecessor columns are computed (half the ``O(n^2 d^2)`` work of full rows), several nodes per
    matrix product, from the shared kernel of the first SCORE round:
    ``H_lj = -G_l G_j + (K + eta I)^{-1} [x_l x_j k - x_l (KX)_j - x_j (KX)_l + K (x_l x_j)] / s^4``.
    Entries for non-predecessors are left at 0.
    """
    import torch

    sk, eta = state.sk, state.eta
    G = state.G if state.G is not None else torch.as_tensor(state.score())
    Xc, k, KX, s4 = sk.X, sk.k[:, None], sk.KX, sk.s**4  # (n, d), (n, 1), (n, d)
    n, d = Xc.shape
    out: dict[int, np.ndarray] = {}
    batch: list[tuple[int, np.ndarray]] = []
    width = 0

    def flush():
        if not batch:
            return
        blocks = []
        for leaf, rem in batch:
            xl, Xa = Xc[:, [leaf]], Xc[:, rem]
            blocks.append(xl * Xa)  # (n, |rem|)
        P = torch.cat(blocks, dim=1)
        M = sk.K @ P  # (n, sum |rem|)
        start = 0
        for (leaf, rem), Pb in zip(batch, blocks):
            sl = slice(start, start + len(rem))
            start += len(rem)
            xl = Xc[:, [leaf]]
            M[:, sl] += Pb * k - xl * KX[:, rem] - Xc[:, rem] * KX[:, [leaf]]
        M /= s4
        M = sk.solver.solve(M, eta)
        start = 0
        for leaf, rem in batch:
            sl = slice(start, start + len(rem))
            start += len(rem)
            H = np.zeros((n, d))
            H[:, rem] = (M[:, sl] - G[:, [leaf]] * G[:, rem]).cpu().numpy()
            out[leaf] = H
        batch.clear()

    for pos in range(1, d):
        leaf, rem = order[pos], np.asarray(order[:pos])
        batch.append((leaf, rem))
        width += len(rem)
        if width * n >= budget:
            flush()
            width = 0
    flush()
    return out
