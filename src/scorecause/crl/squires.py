"""Linear causal disentanglement baseline (Squires, Seigal, Bhate, Uhler, ICML 2023), simplified reimplementation.

Model: ``X = G Z``, linear Gaussian latent SEM, one **perfect** intervention per latent. The precision of
the reduced data ``y = B^T x`` factors as ``Theta_y = H^T (I - A) Omega^{-1} (I - A)^T H`` -- a
(partial-order) RQ-type factorisation whose triangular factor is the latent SEM. A perfect intervention
on node ``i`` changes one term, so ``Theta_m - Theta_0`` has rank <= 2 with column space inside
``span{h_i, h_pa(i)}`` (rank 1 for a source).

Procedure implemented here (written from the paper's identities, not from its code; the paper's exact
algorithm and its permutation matching by Gurobi are *not* reproduced):

0. whiten the reduced data with the observational covariance (all precision entries then carry noise
   on the same scale);
1. sources first: among the remaining environments pick the one whose precision difference, projected
   off the rows found so far, is closest to rank one; its dominant eigenvector is the new row;
2. remove the mixing with earlier rows by regression in that environment (under a perfect intervention
   ``z_i`` is independent of every earlier node);
3. graph: the triangular factor of the observational precision in the found order (regression of each
   latent on the earlier ones, two-sided t-test at level ``alpha`` whose standard error includes the
   spread of the encoder over two half samples, as for UMNI).

Uses no score function: it is the second-moment baseline the score-based methods are compared with
(JMLR 2025, Table 11).
"""

from __future__ import annotations

import numpy as np

from scorecause.constraints import PROBABILITY, RANDOM_STATE
from scorecause.crl.base import CRLEstimator, check_targets, reduce_dimension
from scorecause.crl.umni import _parent_test
from scorecause.errors import DataError


class LinearCausalDisentanglement(CRLEstimator):
    """Precision-matrix baseline of Squires et al. (2023) for linear CRL with one perfect intervention per latent.

    Parameters
    ----------
    alpha : level of the edge t-test; random_state : unused (deterministic), kept for the common API

    Attributes
    ----------
    encoder_ (n, d), mixing_ (d, n), adjacency_ (int8, ``A[i, j] = 1``: ``Z_i -> Z_j``), order_.
    Latent ``m`` belongs to environment ``m + 1`` (or node ``targets[m]`` when targets are given).

    References
    ----------
    C. Squires, A. Seigal, S. Bhate, C. Uhler, Linear causal disentanglement via interventions, ICML 2023.
    """

    tags = {"interventional": True, "acyclic": True, "linear": True, "gaussian_noise": True}
    _parameter_constraints = {"alpha": PROBABILITY, "random_state": RANDOM_STATE}

    def __init__(self, alpha: float = 1e-3, random_state=0):
        self.alpha = alpha
        self.random_state = random_state

    def _fit(self, envs, sd, targets):
        n = len(envs) - 1
        targets = check_targets(targets, n, n)
        B = reduce_dimension(envs, n)
        self.mean_ = envs[0].X.mean(axis=0)
        Ys = [ds.X @ B for ds in envs]
        ev, V = np.linalg.eigh(np.cov(Ys[0], rowvar=False))
        Wh = V @ np.diag(ev**-0.5) @ V.T  # whitening: noise of every precision entry on one scale
        Ys = [Y @ Wh for Y in Ys]
        H, order = _rows(Ys, n)
        rng = np.random.default_rng(self.random_state)
        split = [rng.permutation(len(Y)) for Y in Ys]
        halves = [_rows([Y[sp[p::2]] for Y, sp in zip(Ys, split)], n, order)[0] for p in (0, 1)]
        earlier = np.zeros((n, n), dtype=np.int8)
        for t, m in enumerate(order):
            earlier[order[:t], m] = 1
        A = _parent_test(H, halves, Ys[0], earlier, self.alpha)
        if targets is not None:
            if any(len(t) != 1 for t in targets):
                raise DataError("the Squires et al. baseline needs one single-node intervention per latent")
            perm = [t[0] for t in targets]
            inv = np.argsort(perm)
            H, A = H[inv], A[np.ix_(inv, inv)]
            order = [perm[m] for m in order]
        H = H @ Wh  # back from whitened to reduced coordinates
        self.encoder_ = H @ B.T
        self.mixing_ = np.linalg.solve(H.T, B.T).T  # B H^{-1}
        self.adjacency_ = A
        self.order_ = [int(v) for v in order]


def _rows(Ys, n, order=None):
    """Encoder rows sources first (rank-one precision differences + regression unmixing); ``order`` fixed if given."""
    Th = [np.linalg.inv(np.cov(Y, rowvar=False)) for Y in Ys]
    Dm = [Th[m + 1] - Th[0] for m in range(n)]
    H = np.zeros((n, n))
    found: list[int] = []
    for t in range(n):
        P = np.eye(n)
        if found:
            Q, _ = np.linalg.qr(H[found].T)
            P = P - Q @ Q.T
        best, best_val, best_vec = None, np.inf, None
        for m in ([order[t]] if order is not None else set(range(n)) - set(found)):
            w, V = np.linalg.eigh(P @ Dm[m] @ P)
            a = np.argsort(-np.abs(w))
            val = abs(w[a[1]]) / max(abs(w[a[0]]), 1e-300)
            if val < best_val:
                best, best_val, best_vec = m, val, V[:, a[0]]
        h = best_vec
        if found:  # perfect intervention: z_best independent of all earlier latents in its environment
            F = H[found]
            Sig = np.cov(np.column_stack([Ys[best + 1] @ F.T, Ys[best + 1] @ h]), rowvar=False)
            h = h - np.linalg.solve(Sig[:-1, :-1], Sig[:-1, -1]) @ F
        H[best] = h / np.sqrt(h @ np.cov(Ys[0], rowvar=False) @ h)
        found.append(best)
    return H, found
