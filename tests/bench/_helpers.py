"""Small stand-ins used only by the bench tests (linear SEM data, pairwise SHD)."""

from __future__ import annotations

import numpy as np


def linear_sem(d: int, n: int, seed: int, *, edge_prob: float = 0.3, noise: str = "gaussian"):
    """Random DAG (random order) + linear SEM; returns ``(X (n, d), A)`` with ``A[i, j] = 1`` meaning i -> j."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(d)
    upper = np.triu(rng.random((d, d)) < edge_prob, k=1)
    A = np.zeros((d, d), dtype=np.int8)
    A[np.ix_(order, order)] = upper
    W = A * rng.uniform(0.5, 2.0, (d, d)) * rng.choice([-1.0, 1.0], (d, d))
    X = np.zeros((n, d))
    for j in order:
        e = rng.normal(size=n) if noise == "gaussian" else rng.uniform(-1.7, 1.7, n)
        X[:, j] = X @ W[:, j] + e
    return X, A


def pair_shd(true, pred) -> int:
    """Node pairs whose edge mark differs (none / i->j / j->i / undirected); a reversal counts 1."""
    T, P = np.asarray(true) != 0, np.asarray(pred) != 0
    d = T.shape[0]
    iu = np.triu_indices(d, 1)
    code_t = T[iu] * 1 + T.T[iu] * 2
    code_p = P[iu] * 1 + P.T[iu] * 2
    return int((code_t != code_p).sum())


# --- estimators that misbehave on purpose (used by the runner tests through import strings) -------------------
from scorecause.base import CausalEstimator  # noqa: E402


class Sleep(CausalEstimator):
    """Empty graph after sleeping ``seconds`` (a slow cell); with ``marker_dir``, first writes ``<pid>`` there."""

    def __init__(self, seconds: float = 0.0, marker_dir: str | None = None):
        self.seconds = seconds
        self.marker_dir = marker_dir

    def _fit(self, data, prior):
        import os
        import time

        if self.marker_dir:
            open(os.path.join(self.marker_dir, str(os.getpid())), "w").close()
        time.sleep(self.seconds)
        self.adjacency_ = np.zeros((data.d, data.d), dtype=np.int8)


class Fail(CausalEstimator):
    """Raises inside fit."""

    def _fit(self, data, prior):
        raise RuntimeError("deliberate failure")


class Crash(CausalEstimator):
    """Kills its own process (like a segfault)."""

    def _fit(self, data, prior):
        import faulthandler
        import os
        import signal

        faulthandler.disable()  # no Python crash dump on stderr (pytest enables faulthandler)
        os.kill(os.getpid(), signal.SIGSEGV)


class Hog(CausalEstimator):
    """Allocates ``gigabytes`` of memory."""

    def __init__(self, gigabytes: float = 4.0):
        self.gigabytes = gigabytes

    def _fit(self, data, prior):
        block = np.ones(int(self.gigabytes * 1e9 / 8))
        self.adjacency_ = np.zeros((data.d, data.d), dtype=np.int8) + int(block[0] == 0)
