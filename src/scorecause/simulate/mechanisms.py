"""Causal mechanisms ``f_j(x_pa)`` of additive noise models, with derivatives for analytic scores.

A mechanism is a callable on the parent matrix ``P`` (n, k) -- the parents' columns in increasing
index order -- returning (n,). For analytic scores every mechanism also gives

* ``grad(P)`` (n, k): the partial derivatives ``df/dP[:, i]``;
* ``hess_diag(P)`` (n, k): the pure second derivatives ``d^2 f / dP[:, i]^2`` (the Hessian diagonal of
  ``log p`` needs nothing else from ``f``).

Families (:func:`make_mechanism`; parameters given as a number or a ``(low, high)`` range drawn
uniformly per node):

==========  ===================================================================================
linear      ``f = w^T p + b``, ``w ~ ±U(a, b)`` (AVICI ``LinearAdditive``)
rff         ``f = sqrt(2/M) c w^T cos(Omega^T p + beta) + b``, ``Omega ~ N(0, 1/l^2)``, ``beta ~ U(0, 2pi)``,
            ``w ~ N(0, 1)``, M = 100: a GP draw with RBF kernel of length scale ``l`` and output scale ``c``
            approximated by random Fourier features (Rahimi & Recht 2007; AVICI ``RFFAdditive``)
gp          an exact GP draw (RBF kernel) on the sampled parent values, O(n^3) (SCORE's GP-ANM; Rolland
            et al. 2022). See :class:`GPMechanism` for how it stays differentiable.
mlp         ``f = a^T tanh(W p + c) + b`` with Gaussian weights (one hidden layer, ``hidden`` units)
quadratic   ``f = w^T z + sum_{i<=j} q_ij z_i z_j + b`` on standardised parents ``z``
constant    ``f = b`` (no parents; used by hard interventions)
==========  ===================================================================================

Every random draw uses the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import numpy as np
from scipy.linalg import cholesky, solve_triangular

from scorecause.errors import ConfigError


def draw_param(value, rng: np.random.Generator, name: str = "parameter") -> float:
    """A number, or a uniform draw when ``value`` is a ``(low, high)`` pair."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or not value[0] <= value[1]:
            raise ConfigError(f"{name} range must be (low, high) with low <= high, got {value!r}")
        return float(rng.uniform(value[0], value[1]))
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number or a (low, high) range, got {value!r}") from None


def signed_uniform(low: float, high: float, size, rng: np.random.Generator) -> np.ndarray:
    """``±U(low, high)`` with a fair random sign, shape ``size``."""
    mag = rng.uniform(low, high, size)
    return np.where(rng.random(size) < 0.5, -mag, mag)


class Mechanism(ABC):
    """Base class. Subclasses implement ``__call__``, ``grad`` and ``hess_diag`` on ``P`` (n, k)."""

    kind = "mechanism"

    def __init__(self, n_parents: int, params: dict | None = None):
        self.n_parents = int(n_parents)
        self.params = dict(params or {})

    def bind(self, P: np.ndarray, rng: np.random.Generator) -> None:
        """Called by the SCM with the first parent sample before evaluation (data-dependent mechanisms).

        Nothing to do for mechanisms that do not depend on the data (the default).
        """
        return None

    def resample(self, rng: np.random.Generator) -> Mechanism:
        """A fresh mechanism of the same family and parameters (a soft intervention)."""
        return make_mechanism(self.kind, self.n_parents, rng, **self.params)

    @abstractmethod
    def __call__(self, P):
        """f(P), shape (n,) for parents ``P`` (n, k)."""

    @abstractmethod
    def grad(self, P):
        """df / dp_k, shape (n, k)."""

    @abstractmethod
    def hess_diag(self, P):
        """d^2 f / dp_k^2, shape (n, k)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_parents={self.n_parents})"


class Constant(Mechanism):
    """``f = value`` for every row; zero derivatives."""

    kind = "constant"

    def __init__(self, n_parents: int = 0, value: float = 0.0):
        super().__init__(n_parents, {"value": value})
        self.value = float(value)

    def __call__(self, P):
        return np.full(P.shape[0], self.value)

    def grad(self, P):
        return np.zeros_like(P, dtype=np.float64)

    hess_diag = grad


class Linear(Mechanism):
    """``f(p) = p @ w + bias``; gradient ``w``, zero second derivatives."""

    kind = "linear"

    def __init__(self, w, bias: float = 0.0, params=None):
        self.w = np.asarray(w, dtype=np.float64)  # (k,)
        super().__init__(self.w.size, params)
        self.bias = float(bias)

    @classmethod
    def random(cls, k, rng, *, weight_range=(0.5, 2.0), bias_range=0.0):
        lo, hi = weight_range
        w = signed_uniform(lo, hi, k, rng)
        return cls(w, draw_param(bias_range, rng, "bias_range"),
                   params={"weight_range": weight_range, "bias_range": bias_range})

    def __call__(self, P):
        return P @ self.w + self.bias

    def grad(self, P):
        return np.broadcast_to(self.w, P.shape).copy()

    def hess_diag(self, P):
        return np.zeros(P.shape)


class RFF(Mechanism):
    """Random Fourier features approximating a GP draw with an RBF kernel.

    ``f(p) = sqrt(2/M) * c * cos(p @ Omega + beta) @ w + bias`` with ``Omega`` (k, M) ~ N(0, 1/l^2),
    ``beta`` (M,) ~ U(0, 2 pi), ``w`` (M,) ~ N(0, 1): for large M, ``f - bias`` is a draw from
    GP(0, c^2 exp(-|p - p'|^2 / (2 l^2))) (Rahimi & Recht 2007). Inputs are the raw parent values, as in
    AVICI (Lorch et al. 2022). A node without parents gets the random constant ``f = sqrt(2/M) c cos(beta) @ w
    + bias``.
    """

    kind = "rff"

    def __init__(self, omega, beta, w, output_scale: float, bias: float = 0.0, params=None,
                 length_scale: float | None = None):
        self.omega = np.asarray(omega, dtype=np.float64)  # (k, M)
        self.beta = np.asarray(beta, dtype=np.float64)  # (M,)
        super().__init__(self.omega.shape[0], params)
        self.w = np.asarray(w, dtype=np.float64)  # (M,)
        self.output_scale = float(output_scale)
        self.length_scale = length_scale  # informational: omega ~ N(0, 1 / length_scale^2)
        self.bias = float(bias)
        self._amp = math.sqrt(2.0 / self.w.size) * self.output_scale

    @classmethod
    def random(cls, k, rng, *, length_scale=(7.0, 10.0), output_scale=(10.0, 20.0), n_features=100,
               bias_range=0.0):
        ell = draw_param(length_scale, rng, "length_scale")
        c = draw_param(output_scale, rng, "output_scale")
        if ell <= 0:
            raise ConfigError(f"RFF length scale must be positive, got {ell}")
        M = int(n_features)
        omega = rng.standard_normal((k, M)) / ell
        beta = rng.uniform(0.0, 2.0 * math.pi, M)
        w = rng.standard_normal(M)
        bias = draw_param(bias_range, rng, "bias_range")
        return cls(omega, beta, w, c, bias, params={"length_scale": length_scale, "output_scale": output_scale,
                                                    "n_features": n_features, "bias_range": bias_range},
                   length_scale=ell)

    def __call__(self, P):
        Z = P @ self.omega  # (n, M)
        Z += self.beta
        np.cos(Z, out=Z)
        return self._amp * (Z @ self.w) + self.bias

    def grad(self, P):
        S = np.sin(P @ self.omega + self.beta) * self.w  # (n, M)
        return -self._amp * (S @ self.omega.T)  # (n, k)

    def hess_diag(self, P):
        C = np.cos(P @ self.omega + self.beta) * self.w  # (n, M)
        return -self._amp * (C @ (self.omega**2).T)  # (n, k)

    def __repr__(self):
        return f"RFF(n_parents={self.n_parents}, output_scale={self.output_scale:.3g}, bias={self.bias:.3g})"


class GPMechanism(Mechanism):
    """An exact Gaussian-process draw on the sampled parent values (SCORE's GP-ANM data).

    Kernel ``k(p, p') = c^2 exp(-|p - p'|^2 / (2 l^2))``. At the first sample the SCM calls :meth:`bind`
    with the parent values ``P``; the distinct rows (at most ``max_anchors``, a random subset beyond that)
    become anchors ``a_1..a_N`` and a draw ``g ~ N(0, K + jitter I)`` is taken through the Cholesky factor
    ``K + jitter I = L L^T`` (O(N^3); fine for N <= 2000).

    **Design choice (differentiability).** The mechanism is then *defined* as the GP posterior-mean
    interpolant of that draw, ``f(p) = sum_i alpha_i k(p, a_i)`` with ``alpha = (K + jitter I)^{-1} g =
    L^{-T} z``. At the anchors ``f(a) = g - jitter * alpha``, i.e. the GP sample up to the jitter, and ``f`` is
    a smooth fixed function everywhere, so ``grad``/``hess_diag`` are exact and ``log_prob``, ``score`` and
    ``hessian_diag`` of the SCM are mutually consistent. Far from the anchors (e.g. after a large
    intervention on a parent) ``f`` reverts to 0, the GP prior mean.

    A node without parents gets ``f = bias`` (default 0), as in SCORE where roots are pure noise.
    """

    kind = "gp"

    def __init__(self, n_parents: int, length_scale: float = 1.0, output_scale: float = 1.0,
                 jitter: float = 1e-6, max_anchors: int = 2000, bias: float = 0.0, params=None):
        super().__init__(n_parents, params)
        self.length_scale = float(length_scale)
        self.output_scale = float(output_scale)
        self.jitter = float(jitter)
        self.max_anchors = int(max_anchors)
        self.bias = float(bias)
        self.anchors = None  # (N, k)
        self.alpha = None  # (N,)

    @classmethod
    def random(cls, k, rng, *, length_scale=1.0, output_scale=1.0, jitter=1e-6, max_anchors=2000,
               bias_range=0.0):
        ell = draw_param(length_scale, rng, "length_scale")
        c = draw_param(output_scale, rng, "output_scale")
        if ell <= 0 or c <= 0:
            raise ConfigError(f"GP length and output scales must be positive, got {ell}, {c}")
        return cls(k, ell, c, jitter, max_anchors, draw_param(bias_range, rng, "bias_range"),
                   params={"length_scale": length_scale, "output_scale": output_scale, "jitter": jitter,
                           "max_anchors": max_anchors, "bias_range": bias_range})

    @property
    def is_bound(self) -> bool:
        return self.n_parents == 0 or self.alpha is not None

    def bind(self, P, rng):
        if self.is_bound:
            return
        A = np.unique(np.asarray(P, dtype=np.float64), axis=0)  # distinct rows (N, k)
        if A.shape[0] > self.max_anchors:
            A = A[np.sort(rng.choice(A.shape[0], self.max_anchors, replace=False))]
        K = self._kernel(A, A)
        K[np.diag_indices_from(K)] += self.jitter * self.output_scale**2
        L = cholesky(K, lower=True)
        z = rng.standard_normal(A.shape[0])
        self.alpha = solve_triangular(L, z, lower=True, trans="T")  # (K + jI)^{-1} L z = L^{-T} z
        self.anchors = A

    def _kernel(self, X, A):
        D2 = np.zeros((X.shape[0], A.shape[0]))
        for i in range(X.shape[1]):  # exact differences, one parent at a time (no (m, N, k) tensor)
            D2 += (X[:, i, None] - A[None, :, i]) ** 2
        return self.output_scale**2 * np.exp(-D2 / (2.0 * self.length_scale**2))

    def _check(self):
        if not self.is_bound:
            raise ConfigError("GP mechanism is not bound to data yet: sample from the SCM first "
                              "(AdditiveNoiseSCM.sample binds it to the observational parent values)")

    def _chunks(self, P, fn, chunk=4096):
        return np.concatenate([fn(P[s:s + chunk]) for s in range(0, P.shape[0], chunk)], axis=0)

    def __call__(self, P):
        if self.n_parents == 0:
            return np.full(P.shape[0], self.bias)
        self._check()
        return self._chunks(P, lambda X: self._kernel(X, self.anchors) @ self.alpha) + self.bias

    def _derivs(self, X, order):
        """Sum_i alpha_i k(x, a_i) times ((a_i - x)/l^2) [order 1] or ((x - a_i)^2/l^4 - 1/l^2) [order 2], (m, k)."""
        A, al, l2 = self.anchors, self.alpha, self.length_scale**2
        Kx = self._kernel(X, A) * al  # (m, N): alpha_i k(x, a_i)
        out = np.empty(X.shape)
        for i in range(X.shape[1]):  # exact differences per parent
            diff = A[None, :, i] - X[:, i, None]  # (m, N)
            out[:, i] = (Kx * diff).sum(1) / l2 if order == 1 else (Kx * (diff**2 / l2 - 1.0)).sum(1) / l2
        return out

    def grad(self, P):
        if self.n_parents == 0:
            return np.zeros(P.shape)
        self._check()
        return self._chunks(P, lambda X: self._derivs(X, 1))

    def hess_diag(self, P):
        if self.n_parents == 0:
            return np.zeros(P.shape)
        self._check()
        return self._chunks(P, lambda X: self._derivs(X, 2))

    def __repr__(self):
        state = "bound" if self.is_bound else "unbound"
        return f"GPMechanism(n_parents={self.n_parents}, length_scale={self.length_scale:.3g}, {state})"


class MLP(Mechanism):
    """One hidden tanh layer: ``f(p) = a @ tanh(W p + c) + bias`` with W, c, a ~ N(0, 1) (times ``weight_scale``).

    ``grad = (a (1 - t^2)) @ W``, ``hess_diag = (a (-2 t (1 - t^2))) @ W^2`` with ``t = tanh(W p + c)``.
    """

    kind = "mlp"

    def __init__(self, W, c, a, bias: float = 0.0, params=None):
        self.W = np.asarray(W, dtype=np.float64)  # (k, H)
        super().__init__(self.W.shape[0], params)
        self.c = np.asarray(c, dtype=np.float64)  # (H,)
        self.a = np.asarray(a, dtype=np.float64)  # (H,)
        self.bias = float(bias)

    @classmethod
    def random(cls, k, rng, *, hidden=10, weight_scale=1.0, bias_range=0.0):
        H = int(hidden)
        W = weight_scale * rng.standard_normal((k, H))
        c = rng.standard_normal(H)
        a = weight_scale * rng.standard_normal(H)
        return cls(W, c, a, draw_param(bias_range, rng, "bias_range"),
                   params={"hidden": hidden, "weight_scale": weight_scale, "bias_range": bias_range})

    def __call__(self, P):
        return np.tanh(P @ self.W + self.c) @ self.a + self.bias

    def grad(self, P):
        t = np.tanh(P @ self.W + self.c)
        return (self.a * (1.0 - t**2)) @ self.W.T

    def hess_diag(self, P):
        t = np.tanh(P @ self.W + self.c)
        return (self.a * (-2.0 * t * (1.0 - t**2))) @ (self.W**2).T


class Quadratic(Mechanism):
    """``f(p) = w^T z + sum_{i<=j} Q_ij z_i z_j + bias`` on ``z = (p - mu) / sd``.

    ``w``, ``Q`` ~ ±U(weight_range). With ``standardize=True`` (default) ``mu`` and ``sd`` are the parents'
    mean and standard deviation in the first sample (:meth:`bind`), which keeps values from exploding
    along long paths; they are fixed afterwards, so the derivatives stay exact:
    ``grad = (w + (Q + Q^T) z) / sd``, ``hess_diag = 2 diag(Q) / sd^2``.
    """

    kind = "quadratic"

    def __init__(self, w, Q, bias: float = 0.0, standardize: bool = True, params=None):
        self.w = np.asarray(w, dtype=np.float64)  # (k,)
        super().__init__(self.w.size, params)
        self.Q = np.triu(np.asarray(Q, dtype=np.float64))  # (k, k) upper triangular
        self.bias = float(bias)
        self.standardize = bool(standardize)
        self.mu = np.zeros(self.n_parents)
        self.sd = np.ones(self.n_parents)
        self._bound = not self.standardize

    @classmethod
    def random(cls, k, rng, *, weight_range=(0.5, 1.0), bias_range=0.0, standardize=True):
        lo, hi = weight_range
        w = signed_uniform(lo, hi, k, rng)
        Q = signed_uniform(lo, hi, (k, k), rng)
        return cls(w, Q, draw_param(bias_range, rng, "bias_range"), standardize,
                   params={"weight_range": weight_range, "bias_range": bias_range, "standardize": standardize})

    def bind(self, P, rng):
        if self._bound:
            return
        if P.shape[0] > 1:
            self.mu = P.mean(axis=0)
            sd = P.std(axis=0)
            self.sd = np.where(sd > 0, sd, 1.0)
        self._bound = True

    def _z(self, P):
        return (P - self.mu) / self.sd

    def __call__(self, P):
        z = self._z(P)
        return z @ self.w + np.einsum("ni,ij,nj->n", z, self.Q, z) + self.bias

    def grad(self, P):
        z = self._z(P)
        return (self.w + z @ (self.Q + self.Q.T)) / self.sd

    def hess_diag(self, P):
        return np.broadcast_to(2.0 * np.diag(self.Q) / self.sd**2, P.shape).copy()


class Shift(Mechanism):
    """``base(p) + delta``: a mean-shift soft intervention; derivatives are those of ``base``."""

    def __init__(self, base: Mechanism, delta: float):
        super().__init__(base.n_parents, base.params)
        self.base, self.delta = base, float(delta)
        self.kind = base.kind

    def bind(self, P, rng):
        self.base.bind(P, rng)

    def resample(self, rng):
        return Shift(self.base.resample(rng), self.delta)

    def __call__(self, P):
        return self.base(P) + self.delta

    def grad(self, P):
        return self.base.grad(P)

    def hess_diag(self, P):
        return self.base.hess_diag(P)

    def __repr__(self):
        return f"Shift({self.base!r}, delta={self.delta:.4g})"


MECHANISMS = {"linear": Linear, "rff": RFF, "gp": GPMechanism, "mlp": MLP, "quadratic": Quadratic}


def make_mechanism(kind: str, n_parents: int, rng: np.random.Generator, **params) -> Mechanism:
    """A random mechanism of family ``kind`` for a node with ``n_parents`` parents.

    ``params`` are the family's options (ranges ``(low, high)`` are drawn uniformly per node), e.g.
    ``make_mechanism("linear", 3, rng, weight_range=(1, 3), bias_range=(-3, 3))`` or
    ``make_mechanism("rff", 2, rng, length_scale=(7, 10), output_scale=(10, 20))``.

    >>> import numpy as np
    >>> f = make_mechanism("linear", 2, np.random.default_rng(0), weight_range=(1, 3))
    >>> f(np.ones((4, 2))).shape
    (4,)
    """
    if kind == "constant":
        return Constant(n_parents, params.get("value", 0.0))
    try:
        cls = MECHANISMS[str(kind).lower()]
    except KeyError:
        raise ConfigError(f"unknown mechanism {kind!r}; choose one of {sorted(MECHANISMS)}") from None
    try:
        return cls.random(int(n_parents), rng, **params)
    except TypeError as exc:
        raise ConfigError(f"bad options for mechanism {kind!r}: {exc}") from None
