r"""Stein gradient estimators of the score :math:`\nabla \log p`, its Hessian diagonal and full Hessian.

Li & Turner, "Gradient estimators for implicit models", ICLR 2018 (the Stein gradient estimator), with the
second-order extension and the conventions of SCORE (Rolland et al., "Score matching enables causal discovery
of nonlinear additive noise models", ICML 2022): median bandwidth over all :math:`n^2` pairs (zeros included),
kernel :math:`K_{ik} = \exp(-\lVert x_i-x_k\rVert^2/2s^2)/s`, ridge :math:`\eta = 10^{-3}`.

With :math:`k = K\mathbf 1` (row sums) every kernel moment is a matrix product -- no ``(n, n, d)`` tensor:

.. math::

    \langle\nabla,K\rangle &= (KX - \mathrm{diag}(k)X)/s^2, \qquad
    \hat G = (K+\eta_G I)^{-1}\langle\nabla,K\rangle \quad\text{(score, } n\times d\text{)}\\
    \langle\nabla^2,K\rangle &= -k\mathbf 1^\top/s^2 + \big(X^{\odot2}\odot k\mathbf 1^\top - 2X\odot KX
        + KX^{\odot 2}\big)/s^4, \qquad
    \hat H_{\rm diag} = -\hat G^{\odot 2} + (K+\eta_H I)^{-1}\langle\nabla^2,K\rangle\\
    \hat H_{:,c,a} &= -\hat G_{:,c}\hat G_{:,a} + (K+\eta_H I)^{-1}\Big[\tfrac{1}{s^4}\big(x_c\odot x_a\odot k
        - x_c\odot (KX)_{:,a} - x_a\odot(KX)_{:,c} + K(x_c\odot x_a)\big) - \delta_{ac}\,k/s^2\Big]

Cost per call: one :math:`n\times n` factorisation (:math:`O(n^3)`) plus :math:`O(n^2 d)` products; memory
:math:`O(n^2 + nd)`. One factorisation serves both ridges: a Cholesky factor of :math:`K+\eta I` when
:math:`\eta_G=\eta_H` (the default), else one eigendecomposition :math:`K = U\Lambda U^\top`, after which
:math:`(K+\eta I)^{-1}B = U\,\mathrm{diag}(1/(\lambda+\eta))\,U^\top B` for any :math:`\eta`.

Layers, from low to high (callers that iterate, like SCORE dropping one variable per round, use the low ones
with a downdated distance matrix, see :func:`scorecause.scores.kernels.downdate_sq_distances`):

* :func:`stein_kernel` -> :class:`SteinKernel` (bandwidth, K, row sums, KX, shared factorisation), tensors;
* :func:`score_from_kernel`, :func:`hessian_diag_from_kernel`, :func:`hessian_rows_from_kernel`, tensors;
* :func:`stein_score`, :func:`stein_hessian_diag`, :func:`stein_hessian`: NumPy in, NumPy out;
* :class:`SteinEstimator`: fit on samples, evaluate anywhere (exact out-of-sample formula or Nyström).

References
----------
Li, Y. & Turner, R. E. Gradient estimators for implicit models. ICLR 2018.
Rolland, P. et al. Score matching enables causal discovery of nonlinear additive noise models. ICML 2022.
Montagna, F. et al. Scalable causal discovery with score matching (DAS). CLeaR 2023.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from scorecause.errors import ConfigError, DataError, NotFittedError
from scorecause.scores.kernels import (
    as_samples,
    as_tensor,
    check_samples,
    median_bandwidth,
    rbf_kernel,
    resolve_device,
    sq_distances,
)

__all__ = [
    "RidgeSolver",
    "SteinKernel",
    "stein_kernel",
    "score_from_kernel",
    "hessian_diag_from_kernel",
    "hessian_rows_from_kernel",
    "stein_score",
    "stein_hessian_diag",
    "stein_hessian",
    "SteinEstimator",
    "NystromStein",
    "LandmarkSolver",
    "landmark_rows",
    "N_LANDMARKS",
]

ETA = 1e-3


class RidgeSolver:
    r"""Solves :math:`(K + \eta I)^{-1} B` for the ridges :math:`\eta` of one kernel, factorising ``K`` once.

    ``method="auto"`` (default): a Cholesky factor of :math:`K+\eta I` per distinct ridge when there are at most
    two (SCORE's :math:`\eta_G, \eta_H`; one factor in the default case :math:`\eta_G=\eta_H`), else one
    symmetric eigendecomposition :math:`K = U\Lambda U^\top` shared by all ridges, each solve then being two
    products :math:`U\,\mathrm{diag}(1/(\lambda+\eta))\,U^\top B`. On CPU an ``eigh`` costs about ten
    Choleskys at n = 1000 (LAPACK ``syevd`` vs ``potrf``), so two Choleskys beat one shared ``eigh``; pass
    ``method="eigh"`` to force the shared eigendecomposition (e.g. for a sweep over many ridges).
    A Cholesky that fails (K + eta I not numerically positive definite) falls back to ``eigh``.

    Parameters
    ----------
    K : tensor (n, n), symmetric positive semi-definite.
    etas : iterable of float > 0, the ridges that will be asked for.
    method : "auto", "cholesky" or "eigh"
    """

    def __init__(self, K: torch.Tensor, etas, method: str = "auto"):
        self.etas = tuple(sorted({float(e) for e in etas}))
        if not self.etas or any(not e > 0 for e in self.etas):
            raise ConfigError(f"ridge eta must be > 0; got {tuple(etas)}")
        if method not in ("auto", "cholesky", "eigh"):
            raise ConfigError(f"method={method!r}; use 'auto', 'cholesky' or 'eigh'")
        self._chol: dict[float, torch.Tensor] = {}
        self._eig = None
        if method == "cholesky" or (method == "auto" and len(self.etas) <= 2):
            for eta in self.etas:
                A = K.clone()
                A.diagonal(dim1=-2, dim2=-1).add_(eta)
                L, info = torch.linalg.cholesky_ex(A)                 # batched over leading axes
                del A
                if bool((info != 0).any()):
                    self._chol = {}
                    break
                self._chol[eta] = L
        if not self._chol:
            lam, U = torch.linalg.eigh(K)
            self._eig = (lam, U)

    @property
    def kind(self) -> str:
        """``"cholesky"`` or ``"eigh"``."""
        return "cholesky" if self._chol else "eigh"

    def solve(self, B: torch.Tensor, eta: float) -> torch.Tensor:
        r"""Return :math:`(K+\eta I)^{-1} B` for ``B`` of shape (n,) or (n, m) (or (..., n, m) for a batch)."""
        eta = float(eta)
        vec = B.dim() == 1
        B2 = B[:, None] if vec else B
        if self._chol:
            if eta not in self._chol:
                raise ConfigError(f"this solver was factorised for eta in {self.etas}, not {eta}")
            out = torch.cholesky_solve(B2, self._chol[eta])
        else:
            lam, U = self._eig
            out = U @ ((U.mT @ B2) / (lam + eta)[..., :, None])
        return out[:, 0] if vec else out


@dataclass
class SteinKernel:
    """Everything the Stein estimators share for one sample set (tensors on one device).

    Every tensor may carry leading batch axes (``(..., n, d)``: many sample sets of the same shape at once,
    e.g. the variable subsets of :mod:`scorecause.amortized.features`); then ``s`` is a tensor ``(...)``.

    Attributes
    ----------
    X : tensor (n, d), the samples, centred (all formulas are translation invariant).
    s : float (or tensor (...) for a batch), bandwidth.
    K : tensor (n, n), kernel :math:`\\exp(-D^2/2s^2)/s`.
    k : tensor (n,), row sums ``K @ 1``.
    KX : tensor (n, d), ``K @ X``.
    solver : RidgeSolver, the shared factorisation.
    """

    X: torch.Tensor
    s: float
    K: torch.Tensor
    k: torch.Tensor
    KX: torch.Tensor
    solver: RidgeSolver


def stein_kernel(X, *, D2=None, bandwidth=None, etas=(ETA,), device="cpu", dtype=torch.float64,
                 overwrite_D2: bool = False, solver: str = "auto") -> SteinKernel:
    """Build the shared pieces (bandwidth, kernel, row sums, ``K X``, factorisation) for ``X``.

    Parameters
    ----------
    X : array or tensor (n, d), or a tensor (..., n, d) for a batch of sample sets
    D2 : array or tensor (n, n) (or (..., n, n)), optional
        Precomputed squared distances of ``X`` (e.g. downdated after dropping a column); left unchanged unless
        ``overwrite_D2``.
    bandwidth : float, optional
        Defaults to :func:`~scorecause.scores.kernels.median_bandwidth` of ``D2``.
    etas : iterable of float
        The ridges that the solves will use (one factorisation serves all of them).
    device : "cpu", "cuda", "auto" or torch.device
    dtype : torch dtype, float64 by default.
    overwrite_D2 : bool
        Reuse the buffer of ``D2`` (a tensor of ``dtype`` on ``device``) for the kernel, saving one n x n array.
    solver : "auto", "cholesky" or "eigh", see :class:`RidgeSolver`.
    """
    dev = resolve_device(device)
    Xt = as_tensor(X, dev, dtype)
    check_samples(Xt if Xt.dim() != 3 else Xt.reshape(-1, Xt.shape[-1]))   # (K, n, d): a batch of sets
    Xt = Xt - Xt.mean(-2, keepdim=True)
    want = (*Xt.shape[:-1], Xt.shape[-2])
    if D2 is None:
        D2t = sq_distances(Xt)
    else:
        D2t = as_tensor(D2, dev, dtype)
        if tuple(D2t.shape) != want:
            raise DataError(f"D2 must have shape {want} to match X; got {tuple(D2t.shape)}")
    s = bandwidth if bandwidth is not None else median_bandwidth(D2t)
    if not np.all(np.asarray(s, dtype=np.float64) > 0):
        raise ConfigError(f"bandwidth must be > 0; got {bandwidth}")
    K = rbf_kernel(D2t, s, out=D2t if (overwrite_D2 or D2 is None) else None)  # (..., n, n)
    s = float(s) if Xt.dim() == 2 else torch.as_tensor(np.broadcast_to(s, Xt.shape[:-2]).copy(), dtype=dtype, device=dev)
    k = K.sum(-1)
    KX = K @ Xt
    return SteinKernel(Xt, s, K, k, KX, RidgeSolver(K, etas, solver))


def _bw(sk: SteinKernel, trailing: int):
    """The bandwidth shaped to broadcast against a tensor with ``trailing`` axes after the batch axes."""
    return sk.s if isinstance(sk.s, float) else sk.s[(...,) + (None,) * trailing]


def score_from_kernel(sk: SteinKernel, eta: float = ETA) -> torch.Tensor:
    r"""Stein score :math:`\hat G = (K+\eta I)^{-1}(KX - \mathrm{diag}(k)X)/s^2`, tensor (n, d)."""
    B = (sk.KX - sk.k[..., None] * sk.X) / _bw(sk, 2) ** 2  # <grad, K>, (..., n, d)
    return sk.solver.solve(B, eta)


def _second_moment_diag(sk: SteinKernel) -> torch.Tensor:
    r""":math:`\langle\nabla^2,K\rangle_{ia} = \sum_k(-1/s^2 + (x_{ia}-x_{ka})^2/s^4)K_{ik}`, (n, d)."""
    X, k, s = sk.X, sk.k, _bw(sk, 2)
    X2 = X * X
    T = X2 * k[..., None] - 2.0 * X * sk.KX + sk.K @ X2
    return T / s**4 - k[..., None] / s**2


def hessian_diag_from_kernel(sk: SteinKernel, eta: float = ETA, eta_score: float | None = None,
                             G: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Hessian diagonal :math:`-\hat G^{\odot 2} + (K+\eta I)^{-1}\langle\nabla^2,K\rangle`.

    Returns ``(H_diag, G)``, both tensors (n, d); ``G`` (the score, ridge ``eta_score``, default ``eta``)
    is returned for reuse and may be passed in.
    """
    if G is None:
        G = score_from_kernel(sk, eta if eta_score is None else eta_score)
    return sk.solver.solve(_second_moment_diag(sk), eta) - G * G, G


def hessian_rows_from_kernel(sk: SteinKernel, rows=None, eta: float = ETA, eta_score: float | None = None,
                             G: torch.Tensor | None = None, max_block: int = 2**24) -> torch.Tensor:
    r"""Rows ``rows`` of the Stein Hessian estimate at every sample, tensor (n, len(rows), d).

    ``H[i, r, a]`` estimates :math:`\partial_{x_c}\partial_{x_a}\log p(x_i)` with ``c = rows[r]`` (the estimate
    is symmetric in ``c, a``). Rows are processed in blocks of at most ``max_block`` numbers, so the working
    memory is :math:`O(n^2 + \text{max\_block})` beyond the output.
    """
    X, k, KX = sk.X, sk.k, sk.KX
    lead, (n, d) = tuple(X.shape[:-2]), tuple(X.shape[-2:])
    rows = list(range(d)) if rows is None else [int(r) for r in np.atleast_1d(rows)]
    for r in rows:
        if not 0 <= r < d:
            raise DataError(f"row index {r} is out of range for {d} columns")
    if G is None:
        G = score_from_kernel(sk, eta if eta_score is None else eta_score)
    out = torch.empty((*lead, n, len(rows), d), dtype=X.dtype, device=X.device)
    b = max(1, min(len(rows), max_block // max(1, n * d * int(np.prod(lead)))))
    Xk = X * k[..., None]  # (..., n, d)
    for start in range(0, len(rows), b):
        idx = rows[start:start + b]
        xc = X[..., :, idx]  # (..., n, b)
        P = xc[..., :, :, None] * X[..., :, None, :]  # x_c * x_a, (..., n, b, d)
        M = (sk.K @ P.reshape(*lead, n, -1)).reshape(*lead, n, len(idx), d)  # K (x_c * x_a)
        del P
        M += xc[..., :, :, None] * Xk[..., :, None, :]
        M -= xc[..., :, :, None] * KX[..., :, None, :]
        M -= X[..., :, None, :] * KX[..., :, idx][..., :, :, None]
        M /= _bw(sk, 3) ** 4
        for j, c in enumerate(idx):
            M[..., :, j, c] -= k / _bw(sk, 1) ** 2
        M = sk.solver.solve(M.reshape(*lead, n, -1), eta).reshape(*lead, n, len(idx), d)
        M -= G[..., :, idx][..., :, :, None] * G[..., :, None, :]
        out[..., start:start + len(idx), :] = M
    return out


def _etas(eta, eta_score):
    return (eta,) if eta_score is None else (eta, eta_score)


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def stein_score(X, *, eta: float = ETA, bandwidth: float | None = None, D2=None, device="cpu") -> np.ndarray:
    r"""Stein gradient estimate of the score :math:`\nabla\log p(x_i)` at the samples (Li & Turner 2018).

    :math:`\hat G = (K+\eta I)^{-1}(KX-\mathrm{diag}(K\mathbf 1)X)/s^2` with SCORE's kernel conventions.

    Parameters
    ----------
    X : array (n, d)
    eta : float, ridge (1e-3 as in SCORE).
    bandwidth : float, optional; median heuristic over all n^2 pairs by default.
    D2 : array (n, n), optional; precomputed squared distances (see ``sq_distances``/``downdate_sq_distances``).
    device : "cpu", "cuda" or "auto"

    Returns
    -------
    G : ndarray (n, d)

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(500, 2))
    >>> G = stein_score(X)            # close to -X for a standard normal
    >>> G.shape
    (500, 2)
    """
    sk = stein_kernel(X, D2=D2, bandwidth=bandwidth, etas=(eta,), device=device)
    return _np(score_from_kernel(sk, eta))


def stein_hessian_diag(X, *, eta: float = ETA, bandwidth: float | None = None, D2=None,
                       eta_score: float | None = None, device="cpu", return_score: bool = False):
    r"""Stein estimate of the Hessian diagonal :math:`\partial^2_{x_a}\log p(x_i)` at the samples (SCORE).

    :math:`\hat H = -\hat G^{\odot2} + (K+\eta I)^{-1}\langle\nabla^2,K\rangle`; ``eta_score`` is the ridge of
    :math:`\hat G` (SCORE's ``eta_G``; defaults to ``eta``, SCORE's ``eta_H``). One factorisation serves both.

    Parameters
    ----------
    X : array (n, d)
    eta, eta_score : float
    bandwidth : float, optional
    D2 : array (n, n), optional, precomputed squared distances.
    device : "cpu", "cuda" or "auto"
    return_score : bool, also return the score estimate (free: it is computed anyway).

    Returns
    -------
    H : ndarray (n, d)  (and G : ndarray (n, d) when ``return_score``)

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(500, 2))
    >>> H = stein_hessian_diag(X)     # close to -1 for a standard normal
    """
    sk = stein_kernel(X, D2=D2, bandwidth=bandwidth, etas=_etas(eta, eta_score), device=device)
    H, G = hessian_diag_from_kernel(sk, eta, eta_score)
    return (_np(H), _np(G)) if return_score else _np(H)


def stein_hessian(X, *, eta: float = ETA, rows=None, bandwidth: float | None = None, D2=None,
                  eta_score: float | None = None, device="cpu") -> np.ndarray:
    r"""Stein estimate of the full Hessian of :math:`\log p` (or chosen rows) at the samples (DAS).

    Parameters
    ----------
    X : array (n, d)
    eta : float, ridge of the second-order solve (DAS's ``eta_H``).
    rows : sequence of int, optional; the rows ``c`` to return (default: all ``d``).
    bandwidth, D2, eta_score, device : as in :func:`stein_hessian_diag`.

    Returns
    -------
    H : ndarray (n, len(rows) or d, d), ``H[i, r, a]`` estimates :math:`\partial_{c}\partial_{a}\log p(x_i)`
        with ``c = rows[r]``; memory beyond the output is :math:`O(n^2 + nd)`.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(300, 3))
    >>> stein_hessian(X, rows=[0]).shape
    (300, 1, 3)
    """
    sk = stein_kernel(X, D2=D2, bandwidth=bandwidth, etas=_etas(eta, eta_score), device=device)
    return _np(hessian_rows_from_kernel(sk, rows, eta, eta_score))


# ------------------------------------------------------------------------------------------------ estimator
#: default number of landmarks of the Nyström Stein estimator (SCORE, DAS, NoGAM with ``scores="nystrom"``)
N_LANDMARKS = 500


class LandmarkSolver:
    r"""Solves :math:`(M + \eta K_{zz})\beta = B` for the ridges :math:`\eta` of one landmark system.

    With :math:`K_{zz} = U\Lambda U^\top` truncated to eigenvalues above ``rank_tol`` times the largest and
    :math:`T = U\Lambda^{-1/2}` (the Nyström feature map, :math:`T^\top K_{zz} T = I`),
    :math:`\beta = T(T^\top M T + \eta I)^{-1}T^\top B`: a ridge problem in the :math:`k` Nyström features,
    well conditioned for any ``eta > 0``; one Cholesky factor per ridge, :math:`O(r^3)`.

    Parameters
    ----------
    M : tensor (r, r), :math:`K_{zx}K_{xz}`.
    Kzz : tensor (r, r), the landmark kernel.
    etas : iterable of float > 0.
    rank_tol : float, relative eigenvalue cut-off of ``Kzz``.
    """

    def __init__(self, M: torch.Tensor, Kzz: torch.Tensor, etas, rank_tol: float = 1e-4):
        lam, U = torch.linalg.eigh(Kzz)
        keep = lam > rank_tol * lam.max()
        self.T = U[:, keep] / lam[keep].sqrt()  # (r, k)
        A = self.T.T @ M @ self.T  # (k, k)
        self._chol = {}
        for eta in {float(e) for e in etas}:
            if not eta > 0:
                raise ConfigError(f"ridge eta must be > 0; got {eta}")
            Ae = A.clone()
            Ae.diagonal().add_(eta)
            self._chol[eta] = torch.linalg.cholesky(Ae)

    def solve(self, B: torch.Tensor, eta: float) -> torch.Tensor:
        """``beta`` (r, q) for right-hand sides ``B`` (r, q)."""
        return self.T @ torch.cholesky_solve(self.T.T @ B, self._chol[float(eta)])


class NystromStein:
    r"""Nyström (landmark) Stein estimates of the score, Hessian diagonal and Hessian rows at the samples.

    The exact estimator (module docstring) solves :math:`(K+\eta I)\hat G = \langle\nabla,K\rangle`, the
    Stein identity :math:`\mathbb E[\nabla k(x,\cdot) + k(x,\cdot)\nabla\log p] = 0` tested against the
    :math:`n` kernel functions :math:`k(x_i,\cdot)`, with :math:`\hat G` free at every sample. The low-rank
    version replaces :math:`K` by :math:`K_{xz}K_{zz}^{+}K_{zx}` for ``r`` landmark rows :math:`z_j`: the score
    lives in the span of :math:`k(\cdot, z_j)`, :math:`\hat g(x) = \sum_j\beta_j k(x, z_j)`, and the identity
    is tested against the :math:`r` landmark functions in ridge least squares (Williams & Seeger 2001):

    .. math::
        (K_{zx}K_{xz} + \eta K_{zz})\,\beta_G = \langle\nabla,K\rangle_z
            = (K_{zx}X - \mathrm{diag}(k_z)Z)/s^2, \qquad \hat G = K_{xz}\beta_G,

    with :math:`k_z = K_{zx}\mathbf 1`; the same closed form with the second moments gives the Hessian:

    .. math::
        \langle\nabla^2,K\rangle_{z,ca} &= \big(z_c z_a k_z - z_c (K_{zx}X)_a - z_a (K_{zx}X)_c
            + K_{zx}(x_c\odot x_a)\big)/s^4 - \delta_{ca}k_z/s^2,\\
        \hat H_{:,c,a} &= -\hat G_c\odot\hat G_a + K_{xz}\,(K_{zx}K_{xz} + \eta K_{zz})^{-1}
            \langle\nabla^2,K\rangle_{z,ca},

    and the diagonal ``c = a`` uses :math:`K_{zx}X^{\odot 2}` only. With every row a landmark (``Z = X``) and
    ``rank_tol -> 0`` this is exactly the exact estimator (:math:`\beta = (K+\eta I)^{-1}K^{-1}\ldots`, so
    :math:`K\beta = (K+\eta I)^{-1}\langle\nabla,K\rangle`). Bandwidth: the median of the :math:`r\times n`
    landmark-to-sample distances (zeros included). Cost :math:`O(n r^2 + n r d)`, memory :math:`O(n r)`
    (the :math:`r\times n` kernel, two buffers at the peak), never :math:`O(n^2)`.

    Parameters
    ----------
    X : array or tensor (n, d)
    landmarks : (r,) int, row indices of the landmarks.
    bandwidth : float, optional; median heuristic over the landmark-to-sample distances by default.
    etas : the ridges the solves will use.
    rank_tol : relative eigenvalue cut-off of :math:`K_{zz}` (default 1e-4, see :class:`SteinEstimator`).
    device : "cpu", "cuda" or "auto"

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(2000, 2))
    >>> ny = NystromStein(X, np.arange(0, 2000, 10))
    >>> H, G = ny.hessian_diag()           # close to -1 for a standard normal
    >>> bool(abs(float(np.median(H.numpy())) + 1) < 0.3)
    True
    """

    def __init__(self, X, landmarks, *, bandwidth: float | None = None, etas=(ETA,), rank_tol: float = 1e-4,
                 device="cpu", dtype=torch.float64):
        dev = resolve_device(device)
        Xt = as_tensor(X, dev, dtype)
        check_samples(Xt)
        self.X = Xt - Xt.mean(0, keepdim=True)  # (n, d)
        idx = torch.as_tensor(np.asarray(landmarks, dtype=np.int64), device=dev)
        self.Z = self.X[idx]  # (r, d)
        D2 = sq_distances(self.Z, self.X)  # (r, n)
        self.s = float(bandwidth) if bandwidth is not None else median_bandwidth(D2)
        if not self.s > 0:
            raise ConfigError(f"bandwidth must be > 0; got {bandwidth}")
        self.K = rbf_kernel(D2, self.s, out=D2)  # K_zx, (r, n), in the distances' buffer
        self.k = self.K.sum(1)  # (r,)
        self.KX = self.K @ self.X  # (r, d)
        Kzz = self.K[:, idx]
        self.solver = LandmarkSolver(self.K @ self.K.T, 0.5 * (Kzz + Kzz.T), etas, rank_tol)

    def at_samples(self, beta: torch.Tensor) -> torch.Tensor:
        r""":math:`K_{xz}\beta`, (n, q): a landmark expansion evaluated at every sample."""
        return self.K.T @ beta

    def score_beta(self, eta: float = ETA) -> torch.Tensor:
        r"""Landmark coefficients :math:`\beta_G` (r, d) of the score."""
        B = (self.KX - self.k[:, None] * self.Z) / self.s**2  # <grad, K>_z, (r, d)
        return self.solver.solve(B, eta)

    def second_moment_beta(self, eta: float = ETA) -> torch.Tensor:
        r"""Landmark coefficients (r, d) of the solved second moment: :math:`\hat H_{aa} = K_{xz}\beta_a - \hat G_a^2`."""
        Z, k = self.Z, self.k[:, None]
        B = (self.K @ (self.X * self.X) - 2.0 * Z * self.KX + Z * Z * k) / self.s**4 - k / self.s**2
        return self.solver.solve(B, eta)

    def score(self, eta: float = ETA) -> torch.Tensor:
        r"""Score :math:`\hat G = K_{xz}\beta_G`, tensor (n, d)."""
        return self.at_samples(self.score_beta(eta))

    def hessian_diag(self, eta: float = ETA, G: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(H_diag, G)``, tensors (n, d); ``G`` (the score at ridge ``eta``) may be passed in for reuse."""
        if G is None:
            G = self.score(eta)
        return self.at_samples(self.second_moment_beta(eta)) - G * G, G

    def hessian_rows(self, rows=None, eta: float = ETA, G: torch.Tensor | None = None,
                     max_block: int = 2**24) -> torch.Tensor:
        r"""Rows ``H[:, c, :]`` for ``c`` in ``rows`` (default all), tensor (n, len(rows), d); blocks of rows keep
        the working memory at :math:`O(nr + \text{max\_block})`."""
        X, Z, k, KX, s = self.X, self.Z, self.k[:, None], self.KX, self.s
        n, d = X.shape
        rows = list(range(d)) if rows is None else [int(r) for r in np.atleast_1d(rows)]
        for r in rows:
            if not 0 <= r < d:
                raise DataError(f"row index {r} is out of range for {d} columns")
        if G is None:
            G = self.score(eta)
        out = torch.empty((n, len(rows), d), dtype=X.dtype, device=X.device)
        b = max(1, min(len(rows), max_block // max(1, n * d)))
        for start in range(0, len(rows), b):
            idx = rows[start:start + b]
            P = (X[:, idx, None] * X[:, None, :]).reshape(n, -1)  # x_c * x_a, (n, b d)
            B = (self.K @ P).reshape(-1, len(idx), d)  # (r, b, d)
            del P
            zc, kxc = Z[:, idx, None], KX[:, idx, None]  # (r, b, 1)
            B += zc * Z[:, None, :] * k[:, :, None] - zc * KX[:, None, :] - Z[:, None, :] * kxc
            B /= s**4
            for j, c in enumerate(idx):
                B[:, j, c] -= self.k / s**2
            T = self.at_samples(self.solver.solve(B.reshape(B.shape[0], -1), eta)).reshape(n, len(idx), d)
            out[:, start:start + len(idx), :] = T - G[:, idx, None] * G[:, None, :]
        return out


def landmark_rows(n: int, n_landmarks: int, random_state=None) -> np.ndarray:
    """Sorted seeded random choice of ``min(n_landmarks, n)`` of ``n`` rows (``None`` seeds with 0)."""
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(
        0 if random_state is None else random_state)
    return np.sort(rng.choice(n, min(int(n_landmarks), n), replace=False))


class SteinEstimator:
    r"""Stein score (and Hessian-diagonal) estimator that can be evaluated at new points.

    Parameters
    ----------
    method : {"exact", "nystrom"}
        ``"exact"``: the Stein gradient estimator of Li & Turner (2018) on the (optionally subsampled) fitted
        samples, with SCORE's conventions; in-sample values equal :func:`stein_score` /
        :func:`stein_hessian_diag`. **Out of sample** at a point :math:`y`, the value is what the same estimator
        would return at :math:`y` if :math:`y` were added to the sample (bandwidth kept at its fitted value),
        obtained in closed form by a block (Schur-complement) solve of the augmented system
        :math:`(K_{aug}+\eta I)G_{aug}=\langle\nabla,K\rangle_{aug}`:

        .. math::
            \hat g(y) = \frac{b(y) - k_y^\top\hat G - w_y^\top C_y}{\kappa + \eta - k_y^\top w_y},\quad
            w_y = (K+\eta I)^{-1}k_y,

        with :math:`k_y = (k(x_i,y))_i`, :math:`\kappa = k(y,y) = 1/s`, :math:`b(y)=\sum_i (x_i-y)k(x_i,y)/s^2`
        and :math:`C_{y,i} = (y-x_i)k(x_i,y)/s^2`; the same block solve gives the second-order term.
        Cost :math:`O(n^2 m + nmd)` for ``m`` points after an :math:`O(n^3)` fit.

        ``"nystrom"``: a low-rank version with ``n_landmarks`` random landmarks :math:`z_1..z_r`: the score is
        restricted to :math:`\hat g(x) = \sum_j \beta_j k(x, z_j)` and the Stein identity is imposed for the
        test functions :math:`k(z_j,\cdot)` in ridge least squares,
        :math:`(K_{zx}K_{xz} + \eta K_{zz})\beta = \sum_i \nabla_{x_i} k(z_j, x_i)`, likewise for the second-order
        term. With :math:`Z = X` it reduces exactly to the in-sample Stein estimator. Cost :math:`O(n r^2 + n r d)`,
        memory :math:`O(n r)` (:class:`NystromStein`): no :math:`n\times n` matrix, so it scales to large ``n``.
        The bandwidth is the median over the :math:`r\times n` landmark-to-sample distances. The solve works in
        the Nyström features :math:`k(x, Z)U\Lambda^{-1/2}` of the eigenvalues of :math:`K_{zz}` above
        ``rank_tol`` times the largest; the default 1e-4 keeps fewer features than a tiny cut-off, which gives a
        smoother and, at SCORE's small ``eta``, more accurate score (see BENCHMARKS.md); a cut-off near 0
        approximates the exact estimator.
    eta : float
        Ridge (1e-3, SCORE's default); ``eta_score`` for the score (defaults to ``eta``).
    bandwidth : float, optional
        Defaults to the median heuristic.
    subsample : int, optional
        ``"exact"`` only: fit on this many randomly chosen rows (out-of-sample formula for the rest).
    n_landmarks : int
        ``"nystrom"`` only (default 500; capped at n).
    rank_tol : float
        ``"nystrom"`` only: relative eigenvalue cut-off of the landmark kernel (default 1e-4: fewer, smoother
        features, more accurate at small ``eta``; ~1e-12 approximates the exact estimator).
    random_state : int or numpy Generator, optional
        Chooses the subsample / landmarks.
    device : "cpu", "cuda" or "auto"
    chunk_size : int
        At most this many evaluation points per block (default 4096).

    Attributes
    ----------
    bandwidth_ : float
    X_fit_ : ndarray (n_fit, d), the samples the estimator was fitted on (subsample or landmarks' data).
    n_features_in_ : int

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(500, 2))
    >>> est = SteinEstimator().fit(X)
    >>> est.score(np.zeros((1, 2))).round(1)   # true score at the mean is 0
    array([[-0.3,  0. ]])
    >>> est_big = SteinEstimator(method="nystrom", n_landmarks=200, random_state=0).fit(X)
    >>> est_big.score(X).shape
    (500, 2)

    References
    ----------
    Li & Turner, ICLR 2018; Rolland et al., ICML 2022; Williams & Seeger, "Using the Nyström method to speed up
    kernel machines", NIPS 2001.
    """

    def __init__(self, method: str = "exact", *, eta: float = ETA, eta_score: float | None = None,
                 bandwidth: float | None = None, subsample: int | None = None, n_landmarks: int = 500,
                 rank_tol: float = 1e-4, random_state=None, device="cpu", chunk_size: int = 4096):
        self.method = method
        self.eta = eta
        self.eta_score = eta_score
        self.bandwidth = bandwidth
        self.subsample = subsample
        self.n_landmarks = n_landmarks
        self.rank_tol = rank_tol
        self.random_state = random_state
        self.device = device
        self.chunk_size = chunk_size

    # ---------------------------------------------------------------- fit
    def fit(self, X, y=None):
        """Fit on samples ``X`` (n, d); returns ``self``."""
        if self.method not in ("exact", "nystrom"):
            raise ConfigError(f"method={self.method!r}; use 'exact' or 'nystrom'")
        X = as_samples(X)
        rng = np.random.default_rng(self.random_state)
        self._dev = resolve_device(self.device)
        self._eta_g = self.eta if self.eta_score is None else self.eta_score
        self.n_features_in_ = X.shape[1]
        self._X_all = X
        if self.method == "exact":
            Xf = X
            if self.subsample is not None and self.subsample < X.shape[0]:
                Xf = X[np.sort(rng.choice(X.shape[0], int(self.subsample), replace=False))]
            self.X_fit_ = Xf
            self._center = Xf.mean(0)
            sk = stein_kernel(Xf, bandwidth=self.bandwidth, etas=_etas(self.eta, self.eta_score),
                              device=self._dev)
            self._sk = sk
            self.bandwidth_ = sk.s
            self._H, self._G = hessian_diag_from_kernel(sk, self.eta, self.eta_score)
            self._T = self._H + self._G * self._G  # solved second-order term (K + eta I)^{-1} <grad^2, K>
        else:
            self._fit_nystrom(X, rng)
        return self

    def _fit_nystrom(self, X: np.ndarray, rng) -> None:
        self.X_fit_ = X
        self._center = X.mean(0)
        ny = NystromStein(X - self._center, landmark_rows(X.shape[0], self.n_landmarks, rng),
                          bandwidth=self.bandwidth, etas=_etas(self.eta, self.eta_score), rank_tol=self.rank_tol,
                          device=self._dev)
        self.bandwidth_ = ny.s
        self._Z = ny.Z
        self._beta_g = ny.score_beta(self._eta_g)  # (r, d)
        self._beta_t = ny.second_moment_beta(self.eta)  # (r, d)
        self._sk = None

    # ---------------------------------------------------------------- evaluate
    def _check(self, points):
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError("SteinEstimator is not fitted yet; call fit(X) first")
        if points is None:
            return None
        P = np.asarray(getattr(points, "X", points), dtype=np.float64)
        if P.ndim != 2 or P.shape[1] != self.n_features_in_:
            raise DataError(f"points must have shape (m, {self.n_features_in_}); got {P.shape}")
        return as_samples(P, "points", min_rows=1)

    def score(self, points=None) -> np.ndarray:
        r"""Estimated score :math:`\nabla\log p` at ``points`` (m, d); ``None``: at the fitted samples."""
        return self._evaluate(points, second=False)[0]

    def hessian_diag(self, points=None) -> np.ndarray:
        r"""Estimated Hessian diagonal :math:`\partial_a^2\log p` at ``points`` (m, d); ``None``: fitted samples."""
        return self._evaluate(points, second=True)[1]

    def _evaluate(self, points, second: bool):
        P = self._check(points)
        if self.method == "exact" and P is None and self.X_fit_ is self._X_all:
            return _np(self._G), _np(self._H)
        if P is None:
            P = self._X_all
        Y = as_tensor(P - self._center, self._dev)
        outs_g, outs_h = [], []
        fitted = self.X_fit_.shape[0] if self.method == "exact" else self._Z.shape[0]
        step = max(1, min(self.chunk_size, (2**22) // max(1, fitted)))  # evaluation points per block
        for start in range(0, Y.shape[0], step):
            g, h = (self._exact_oos if self.method == "exact" else self._nystrom_eval)(Y[start:start + step], second)
            outs_g.append(g)
            outs_h.append(h)
        G = _np(torch.cat(outs_g))
        return G, (_np(torch.cat(outs_h)) if second else None)

    def _nystrom_eval(self, Y: torch.Tensor, second: bool):
        Kyz = rbf_kernel(sq_distances(Y, self._Z), self.bandwidth_)  # (m, r)
        g = Kyz @ self._beta_g
        h = Kyz @ self._beta_t - g * g if second else None
        return g, h

    def _exact_oos(self, Y: torch.Tensor, second: bool):
        sk = self._sk
        X, s = sk.X, sk.s
        kappa = 1.0 / s
        Kxy = rbf_kernel(sq_distances(X, Y), s)  # (n, m)
        ky = Kxy.sum(0)  # (m,)

        def block(eta, rhs_new, rhs_solved, extra_w):
            # rhs_new: the new point's own row (m, d); rhs_solved: (K + eta I)^{-1} rhs (n, d)
            # extra_w(WK): w_y^T applied to the new point's column in the sample rows, (m, d)
            W = sk.solver.solve(Kxy, eta)  # (n, m)
            WK = W * Kxy  # (n, m)
            den = kappa + eta - WK.sum(0)  # (m,)
            return (rhs_new - Kxy.T @ rhs_solved - extra_w(WK)) / den[:, None]

        b_new = (Kxy.T @ X - ky[:, None] * Y) / s**2

        def c_term(WK):  # sum_i w_i k_i (y - x_i) / s^2
            return (WK.sum(0)[:, None] * Y - WK.T @ X) / s**2

        g = block(self._eta_g, b_new, self._G, c_term)
        if not second:
            return g, None
        X2 = X * X
        n_new = (Kxy.T @ X2 - 2.0 * Y * (Kxy.T @ X) + Y * Y * ky[:, None]) / s**4 - (ky + kappa)[:, None] / s**2

        def e_term(WK):  # sum_i w_i k_i (-1/s^2 + (x_i - y)^2 / s^4)
            w = WK.sum(0)[:, None]
            return (WK.T @ X2 - 2.0 * Y * (WK.T @ X) + Y * Y * w) / s**4 - w / s**2

        t = block(self.eta, n_new, self._T, e_term)
        return g, t - g * g
