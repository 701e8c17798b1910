"""Latent causal models for causal representation learning (CRL): latent SCM + interventions + mixing.

The data-generating process follows the score-based CRL papers (Varıcı, Acartürk, Shanmugam, Kumar, Tajer:
LSCALE-I / GSCALE-I, JMLR 2025, arXiv 2402.00849; UMNI-CRL, NeurIPS 2024, arXiv 2406.05937):

* **Graph**: Erdős–Rényi over ``n`` latents, each edge of a random causal order present with probability
  ``density`` (0.5 in the papers); node indices are randomly permuted (index order != causal order).
  ``A[i, j] = 1`` means ``Z_i -> Z_j``.
* **Mechanisms** (additive Gaussian noise, variances ``U[0.5, 1.5]``):
  ``"linear"`` ``z_i = w_i^T z_pa + eps_i`` with weights ``±U[0.5, 1.5]``;
  ``"quadratic"`` (square-root quadratic) ``z_i = sqrt(z_pa^T A_i z_pa) + eps_i``, ``A_i = L^T L``,
  ``L_jk ~ U[-1, 1]`` with ``sigma_min(L) >= 0.1``;
  ``"mlp"`` ``z_i = MLP(z_pa) + eps_i`` (frozen two-layer ReLU network, 32 hidden units).
* **Interventions** (``var_change_mech="scale"``): soft -- the mechanism is scaled by ``soft_factor``
  (linear: parent weights halved) and the noise variance multiplied by ``c``; hard -- parents cut
  (``z_i = eps_i'``) and the noise variance multiplied by ``c``.
  Designs: one intervention per node (``n`` environments), two hard interventions per node (``2n``
  environments with variance factors ``(0.25, 4.0)``; the second set may come in an unknown order), or
  unknown multi-node interventions with a full-rank signature matrix ``D`` (``D[i, m] = 1`` when node ``i``
  is intervened in environment ``m``; ``D = I + strictly upper-triangular Bernoulli(0.5)`` in the causal
  order, columns permuted).
* **Mixing** ``X = g(Z)``: ``"linear"`` ``X = G Z`` with ``G = Q R`` (``Q`` Haar-orthonormal d x n, ``R``
  ``U(-1/2, 1/2)``) resampled until ``sigma_min / sigma_max >= cond_min``, columns scaled to max |entry| 1;
  ``"mlp"`` a one-hidden-layer tanh network ``X = W_2 tanh(W_1 Z)`` (``W_1`` hidden x n, ``W_2`` d x hidden,
  both full column rank, so ``g`` is injective); ``"glm"`` ``X = tanh(G Z)``.

Analytic (perfect) scores: for additive Gaussian noise
``log p(z) = sum_i log N(z_i; f_i(z_pa), s_i^2)`` so with ``r_i = (z_i - f_i) / s_i^2``,
``grad log p(z) = -r + J_f(z)^T r`` (``J_f[i, k] = d f_i / d z_k``). Observed score differences on the data
manifold: ``Delta s_X(x) = J_g(z)^{+T} Delta s_Z(z)`` (the volume term cancels in a difference); for linear
mixing ``Delta s_X = G^{+T} Delta s_Z``, so ``G^T Delta s_X = Delta s_Z``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scorecause.data import Dataset
from scorecause.errors import ConfigError

LATENT_KINDS = ("linear", "quadratic", "mlp")
MIXINGS = ("linear", "mlp", "glm")


# ------------------------------------------------------------------------------------------------
# Interventions
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LatentIntervention:
    """Intervention on latent nodes ``targets`` (``kind`` "soft" or "hard", noise variance times ``var_scale``)."""

    targets: tuple[int, ...]
    kind: str = "hard"
    var_scale: float = 1.0

    def __post_init__(self):
        if self.kind not in ("soft", "hard"):
            raise ConfigError(f"intervention kind must be 'soft' or 'hard', got {self.kind!r}")


# ------------------------------------------------------------------------------------------------
# Latent SCM
# ------------------------------------------------------------------------------------------------
@dataclass
class LatentSCM:
    """Additive-Gaussian-noise SCM over latents with analytic scores.

    Attributes
    ----------
    graph : int8 (n, n) -- ``graph[i, j] = 1`` means ``Z_i -> Z_j``
    kind : "linear" | "quadratic" | "mlp"
    noise_var : (n,) noise variances
    weights : (n, n) float -- linear: ``weights[k, i]`` is the weight of ``Z_k`` in ``Z_i``'s mechanism
    quad : list of (|pa|, |pa|) PSD matrices ``A_i`` (quadratic) or None
    mlp : list of ``(W1 (32, |pa|), b1 (32,), w2 (32,), b2)`` (mlp) or None
    soft_factor : mechanism multiplier under a soft intervention (0.5)
    """

    graph: np.ndarray
    kind: str
    noise_var: np.ndarray
    weights: np.ndarray | None = None
    quad: list | None = None
    mlp: list | None = None
    soft_factor: float = 0.5
    order: list[int] = field(default_factory=list)

    @property
    def n(self) -> int:
        return self.graph.shape[0]

    def parents(self, i: int) -> np.ndarray:
        return np.flatnonzero(self.graph[:, i])

    # mechanism f_i(z_pa) and its gradient w.r.t. z_pa ------------------------------------------
    def _mechanism(self, i: int, Zpa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(f (N,), grad (N, |pa|))`` of node ``i``'s observational mechanism at parent values ``Zpa``."""
        N, k = Zpa.shape
        if k == 0:
            return np.zeros(N), np.zeros((N, 0))
        if self.kind == "linear":
            w = self.weights[self.parents(i), i]  # (k,)
            return Zpa @ w, np.broadcast_to(w, (N, k))
        if self.kind == "quadratic":
            A = self.quad[i]  # (k, k)
            AZ = Zpa @ A  # (N, k)
            f = np.sqrt(np.maximum(np.einsum("nk,nk->n", AZ, Zpa), 1e-300))
            return f, AZ / f[:, None]
        W1, b1, w2, b2 = self.mlp[i]
        pre = Zpa @ W1.T + b1  # (N, 32)
        act = pre > 0
        f = np.maximum(pre, 0) @ w2 + b2
        return f, (act * w2) @ W1  # (N, k)

    def _node_params(self, i: int, intervention: LatentIntervention | None):
        """``(mechanism multiplier, noise variance)`` of node ``i`` in an environment."""
        if intervention is None or i not in intervention.targets:
            return 1.0, self.noise_var[i]
        mult = 0.0 if intervention.kind == "hard" else self.soft_factor
        return mult, self.noise_var[i] * intervention.var_scale

    def sample(self, N: int, rng: np.random.Generator, intervention: LatentIntervention | None = None):
        """Draw ``Z`` (N, n) in the environment ``intervention`` (None = observational)."""
        Z = np.zeros((N, self.n))
        for i in self.order:
            mult, var = self._node_params(i, intervention)
            f, _ = self._mechanism(i, Z[:, self.parents(i)])
            Z[:, i] = mult * f + np.sqrt(var) * rng.standard_normal(N)
        return Z

    def score(self, Z: np.ndarray, intervention: LatentIntervention | None = None) -> np.ndarray:
        """Analytic ``grad_z log p(z)`` (N, n) of the environment's latent density at ``Z`` (N, n)."""
        Z = np.asarray(Z, dtype=np.float64)
        S = np.zeros_like(Z)
        for i in range(self.n):
            pa = self.parents(i)
            mult, var = self._node_params(i, intervention)
            f, grad = self._mechanism(i, Z[:, pa])
            r = (Z[:, i] - mult * f) / var  # (N,)
            S[:, i] -= r
            if pa.size and mult != 0.0:
                S[:, pa] += (mult * r)[:, None] * grad
        return S


def _er_dag(n: int, density: float, rng: np.random.Generator) -> tuple[np.ndarray, list[int]]:
    """Erdős–Rényi DAG: upper triangle Bernoulli(density) in a random causal order. Returns (A, order)."""
    upper = np.triu(rng.random((n, n)) < density, k=1)
    perm = rng.permutation(n)  # causal position t -> node index perm[t]
    A = np.zeros((n, n), dtype=np.int8)
    A[np.ix_(perm, perm)] = upper
    return A, [int(v) for v in perm]


def random_latent_scm(n: int, rng: np.random.Generator, *, kind: str = "linear", density: float = 0.5,
                      graph: np.ndarray | None = None, soft_factor: float = 0.5) -> LatentSCM:
    """Draw a latent SCM of ``kind`` ("linear", "quadratic", "mlp") on an ER graph (or the given ``graph``).

    ``graph[i, j] = 1`` means ``Z_i -> Z_j``.
    """
    if kind not in LATENT_KINDS:
        raise ConfigError(f"latent kind must be one of {LATENT_KINDS}, got {kind!r}")
    if graph is None:
        A, order = _er_dag(n, density, rng)
    else:
        from scorecause.graph import as_adjacency, topological_order

        A = as_adjacency(graph, d=n, allow_cycles=False, name="latent graph")
        order = topological_order(A)
    noise_var = rng.uniform(0.5, 1.5, size=n)
    scm = LatentSCM(A, kind, noise_var, soft_factor=soft_factor, order=order)
    if kind == "linear":
        W = rng.uniform(0.5, 1.5, size=(n, n)) * rng.choice([-1.0, 1.0], size=(n, n))
        scm.weights = W * A
    elif kind == "quadratic":
        scm.quad = []
        for i in range(n):
            k = int(A[:, i].sum())
            while True:
                L = rng.uniform(-1, 1, size=(k, k))
                if k == 0 or np.linalg.svd(L, compute_uv=False).min() >= 0.1:
                    break
            scm.quad.append(L.T @ L)
    else:
        scm.mlp = []
        for i in range(n):
            k = max(int(A[:, i].sum()), 1)
            b1w, b2w = 1 / np.sqrt(k), 1 / np.sqrt(32)  # PyTorch default (Kaiming-uniform) ranges
            scm.mlp.append((rng.uniform(-b1w, b1w, (32, k)), rng.uniform(-b1w, b1w, 32),
                            rng.uniform(-b2w, b2w, 32), float(rng.uniform(-b2w, b2w))))
    return scm


# ------------------------------------------------------------------------------------------------
# Mixing
# ------------------------------------------------------------------------------------------------
@dataclass
class Mixing:
    """Injective map ``g: R^n -> R^d`` with its Jacobian.

    ``kind`` "linear": ``x = G z``; "mlp": ``x = W2 tanh(W1 z)``; "glm": ``x = tanh(G z)``.
    """

    kind: str
    G: np.ndarray | None = None  # (d, n) linear / glm
    W1: np.ndarray | None = None  # (h, n)
    W2: np.ndarray | None = None  # (d, h)

    @property
    def d(self) -> int:
        return (self.G if self.G is not None else self.W2).shape[0]

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        if self.kind == "linear":
            return Z @ self.G.T
        if self.kind == "glm":
            return np.tanh(Z @ self.G.T)
        return np.tanh(Z @ self.W1.T) @ self.W2.T

    def jacobian(self, Z: np.ndarray) -> np.ndarray:
        """``J_g(z)`` per row: (N, d, n)."""
        N = Z.shape[0]
        if self.kind == "linear":
            return np.broadcast_to(self.G, (N, *self.G.shape))
        if self.kind == "glm":
            t = np.tanh(Z @ self.G.T)  # (N, d)
            return (1 - t**2)[:, :, None] * self.G[None]
        t = np.tanh(Z @ self.W1.T)  # (N, h)
        return np.einsum("dh,nh,hk->ndk", self.W2, 1 - t**2, self.W1)

    def pullback_pinv(self, Z: np.ndarray, V: np.ndarray) -> np.ndarray:
        """``J_g(z)^{+T} v`` per row: maps latent score differences (N, n) to observed ones (N, d)."""
        if self.kind == "linear":
            return np.linalg.lstsq(self.G.T, V.T, rcond=None)[0].T  # G^{+T} v, G^+ = (G^T G)^{-1} G^T
        J = self.jacobian(Z)  # (N, d, n)
        JtJ = np.einsum("ndk,ndl->nkl", J, J)
        return np.einsum("ndk,nk->nd", J, np.linalg.solve(JtJ, V[:, :, None])[:, :, 0])


def random_linear_mixing(n: int, d: int, rng: np.random.Generator, *, cond_min: float = 0.1,
                         max_tries: int = 1000) -> np.ndarray:
    """``G = Q R`` (d, n), Haar-orthonormal ``Q``, ``R ~ U(-1/2, 1/2)``, until ``sigma_min/sigma_max >= cond_min``.

    Columns are scaled to max |entry| = 1. Raises :class:`ConfigError` if ``d < n`` or no draw is well
    conditioned after ``max_tries``.
    """
    if d < n:
        raise ConfigError(f"linear mixing needs d >= n (full column rank), got d={d}, n={n}")
    for _ in range(max_tries):
        Q, Rq = np.linalg.qr(rng.standard_normal((d, d)))
        Q = (Q * np.sign(np.diag(Rq)))[:, :n]  # Haar
        R = rng.uniform(-0.5, 0.5, size=(n, n))
        G = Q @ R
        s = np.linalg.svd(G, compute_uv=False)
        if s[-1] / s[0] >= cond_min:
            return G / np.abs(G).max(axis=0)
    raise ConfigError(f"no linear mixing with condition ratio >= {cond_min} in {max_tries} draws; lower cond_min")


def random_mixing(kind: str, n: int, d: int, rng: np.random.Generator, *, cond_min: float = 0.1,
                  hidden: int | None = None, z_scale: np.ndarray | None = None) -> Mixing:
    """A random injective mixing of ``kind`` ("linear", "mlp", "glm"); ``z_scale`` (n,) standardises tanh inputs."""
    if kind not in MIXINGS:
        raise ConfigError(f"mixing must be one of {MIXINGS}, got {kind!r}")
    scale = np.ones(n) if z_scale is None else np.asarray(z_scale)
    if kind == "linear":
        return Mixing("linear", G=random_linear_mixing(n, d, rng, cond_min=cond_min))
    if kind == "glm":
        G = random_linear_mixing(n, d, rng, cond_min=cond_min) / scale
        return Mixing("glm", G=G)
    h = hidden or n
    if not n <= h <= d:
        raise ConfigError(f"mlp mixing needs n <= hidden <= d, got n={n}, hidden={h}, d={d}")
    W1 = random_linear_mixing(n, h, rng, cond_min=cond_min) / scale  # pre-activations O(1)
    W2 = random_linear_mixing(h, d, rng, cond_min=cond_min)
    return Mixing("mlp", W1=W1, W2=W2)


# ------------------------------------------------------------------------------------------------
# The whole problem
# ------------------------------------------------------------------------------------------------
@dataclass
class LatentProblem:
    """A simulated CRL problem: SCM, interventions, mixing, and the sampled environments.

    Environment 0 is observational; environment ``m >= 1`` applies ``interventions[m - 1]``.
    ``signature[i, m - 1] = 1`` when latent ``i`` is intervened in environment ``m``.
    """

    scm: LatentSCM
    mixing: Mixing
    interventions: list[LatentIntervention]
    environments: list[Dataset]
    pairing: np.ndarray | None = None  # two-per-node designs: env index of the second-set partner of 1..n

    @property
    def graph(self) -> np.ndarray:
        return self.scm.graph

    @property
    def signature(self) -> np.ndarray:
        D = np.zeros((self.scm.n, len(self.interventions)), dtype=np.int8)
        for m, iv in enumerate(self.interventions):
            D[list(iv.targets), m] = 1
        return D

    def _iv(self, env: int) -> LatentIntervention | None:
        return None if env == 0 else self.interventions[env - 1]

    def latent_score_difference(self, ref: int, other: int, Z: np.ndarray) -> np.ndarray:
        """``grad log p_other(z) - grad log p_ref(z)`` (N, n) at latents ``Z`` (N, n)."""
        return self.scm.score(Z, self._iv(other)) - self.scm.score(Z, self._iv(ref))

    def observed_score_difference(self, ref: int, other: int, Z: np.ndarray) -> np.ndarray:
        """``grad log p_other(x) - grad log p_ref(x)`` (N, d) at ``x = g(z)`` (on the data manifold)."""
        return self.mixing.pullback_pinv(Z, self.latent_score_difference(ref, other, Z))


def _edge_strengths(scm: LatentSCM, interventions, Z0: np.ndarray) -> np.ndarray:
    """``S[j, i] = E_obs[(Delta s_Z^{(i)})_j^2]`` for the environment intervening node ``i`` alone."""
    S = np.zeros((scm.n, scm.n))
    for iv in interventions:
        if len(iv.targets) == 1:
            i = iv.targets[0]
            ds = scm.score(Z0) - scm.score(Z0, iv)
            S[:, i] = np.maximum(S[:, i], (ds**2).mean(axis=0))
    return S


def simulate_latent(n: int, d: int, N: int, rng: np.random.Generator, *, latent: str = "linear",
                    intervention: str = "hard", per_node: int = 1, multi_node: bool = False,
                    var_scale: float | tuple[float, float] | None = None, mixing: str = "linear",
                    density: float = 0.5, cond_min: float = 0.1, hidden: int | None = None,
                    shuffle_pairing: bool = False, min_edge_strength: float = 0.0,
                    max_tries: int = 100) -> LatentProblem:
    """Simulate CRL environments: observational + interventional, each a :class:`~scorecause.data.Dataset`.

    Parameters
    ----------
    n, d, N : number of latents, observed dimension, samples per environment
    rng : numpy Generator (all randomness)
    latent : "linear" | "quadratic" (square-root quadratic) | "mlp"
    intervention : "soft" | "hard"
    per_node : 1 (``n`` interventional environments) or 2 (``2n``, hard only, variance factors ``var_scale``)
    multi_node : unknown multi-node interventions with a full-rank signature matrix (``n`` environments)
    var_scale : noise-variance factor ``c`` (default 5.0 for one per node, 0.25 multi-node, (0.25, 4.0) two)
    mixing : "linear" | "mlp" (one-hidden-layer tanh, width ``hidden`` default n) | "glm"
    density : ER edge probability in the causal order (0.5 as in the papers)
    cond_min : smallest allowed ``sigma_min / sigma_max`` of the linear mixing(s)
    shuffle_pairing : with ``per_node=2``, put the second set of environments in a random order
    min_edge_strength : resample the SCM until every true edge ``j -> i`` has
        ``E[(Delta s_Z^{(i)})_j^2] >= min_edge_strength`` (the reference uses 0.02); 0 disables

    Returns
    -------
    LatentProblem with ``environments`` (list of ``n_env`` Datasets, names ``X0..X{d-1}``; ``meta`` holds
    ``Z`` (N, n), ``G`` (the mixing matrix or None), ``graph`` (n, n int8, ``A[i, j] = 1``: ``Z_i -> Z_j``),
    ``targets`` (tuple of intervened latents; () for the observational one), ``env`` index, ``problem``).

    Examples
    --------
    >>> prob = simulate_latent(3, 5, 200, np.random.default_rng(0))
    >>> len(prob.environments), prob.environments[1].X.shape
    (4, (200, 5))
    """
    if intervention not in ("soft", "hard"):
        raise ConfigError(f"intervention must be 'soft' or 'hard', got {intervention!r}")
    if per_node not in (1, 2):
        raise ConfigError(f"per_node must be 1 or 2, got {per_node}")
    if per_node == 2 and (intervention != "hard" or multi_node):
        raise ConfigError("two interventions per node are hard single-node interventions (GSCALE-I design)")
    if n < 1 or d < 1 or N < 2:
        raise ConfigError(f"need n >= 1, d >= 1, N >= 2, got n={n}, d={d}, N={N}")
    if var_scale is None:
        var_scale = (0.25, 4.0) if per_node == 2 else (0.25 if multi_node else 5.0)
    for _ in range(max_tries):
        scm = random_latent_scm(n, rng, kind=latent, density=density)
        ivs = _design(scm, rng, intervention, per_node, multi_node, var_scale)
        if min_edge_strength <= 0 or not scm.graph.any():
            break
        S = _edge_strengths(scm, ivs, scm.sample(5000, rng))
        if np.all(S[scm.graph.astype(bool)] >= min_edge_strength):
            break
    else:
        raise ConfigError(f"no SCM with all edge strengths >= {min_edge_strength} in {max_tries} draws")
    pairing = None
    if per_node == 2:
        second = ivs[n:]
        perm = rng.permutation(n) if shuffle_pairing else np.arange(n)
        ivs = ivs[:n] + [second[k] for k in perm]
        pairing = np.empty(n, dtype=int)  # pairing[k]: env index of the partner of env 1 + k
        pairing[perm] = 1 + n + np.arange(n)
    Z0 = scm.sample(min(N, 5000), rng)
    mix = random_mixing(mixing, n, d, rng, cond_min=cond_min, hidden=hidden, z_scale=Z0.std(axis=0))
    envs = []
    prob = LatentProblem(scm, mix, ivs, envs, pairing)
    for m, iv in enumerate([None, *ivs]):
        Z = scm.sample(N, rng, iv)
        meta = {"Z": Z, "G": mix.G if mix.kind == "linear" else None, "graph": scm.graph.copy(),
                "targets": () if iv is None else tuple(iv.targets), "env": m, "problem": prob,
                "intervention": None if iv is None else iv.kind, "allow_constant": True}
        envs.append(Dataset.from_array(mix(Z), names=[f"X{j}" for j in range(d)], meta=meta))
    return prob


def _design(scm: LatentSCM, rng, kind: str, per_node: int, multi_node: bool, var_scale) -> list:
    n = scm.n
    if multi_node:
        pos = {v: t for t, v in enumerate(scm.order)}
        D = np.eye(n, dtype=bool)  # in causal positions: I + strictly upper Bernoulli(0.5)
        D |= np.triu(rng.random((n, n)) < 0.5, k=1)
        cols = rng.permutation(n)
        c = float(np.atleast_1d(var_scale)[0])
        return [LatentIntervention(tuple(sorted(v for v in range(n) if D[pos[v], cols[m]])), kind, c)
                for m in range(n)]
    scales = np.atleast_1d(np.asarray(var_scale, dtype=float))
    if per_node == 2:
        if scales.size != 2:
            raise ConfigError("two interventions per node need two variance factors, e.g. (0.25, 4.0)")
        order = rng.permutation(n)
        return [LatentIntervention((int(i),), "hard", float(scales[s])) for s in range(2) for i in order]
    return [LatentIntervention((int(i),), kind, float(scales[0])) for i in rng.permutation(n)]


def perfect_score_differences(environments, ref: int = 0, at: int = 0) -> np.ndarray:
    """Analytic observed score differences ``s_ref(x) - s_m(x)`` for every ``m != ref`` at environment ``at``'s rows.

    Returns (n_env - 1, N_at, d), in environment order skipping ``ref`` -- the convention of the reference
    code (observational minus interventional). Needs environments from :func:`simulate_latent`.
    """
    prob = environments[0].meta.get("problem")
    if prob is None:
        raise ConfigError("perfect scores need environments from scorecause.simulate.latent.simulate_latent")
    Z = environments[at].meta["Z"]
    return np.stack([-prob.observed_score_difference(ref, m, Z) for m in range(len(environments)) if m != ref])


# ------------------------------------------------------------------------------------------------
# Named CRL settings (``scorecause simulate --preset crl-...``)
# ------------------------------------------------------------------------------------------------
CRL_PRESETS: dict[str, dict] = {
    "crl-linear": {
        "description": "CRL: linear Gaussian latents, one hard intervention per latent, linear mixing "
                       "(crl --method lscale or lcd)",
        "params": {"latent": "linear", "intervention": "hard", "mixing": "linear", "min_edge_strength": 0.02},
    },
    "crl-linear-soft": {
        "description": "CRL: linear Gaussian latents, one soft intervention per latent, linear mixing "
                       "(crl --method lscale --intervention soft)",
        "params": {"latent": "linear", "intervention": "soft", "mixing": "linear", "min_edge_strength": 0.02},
    },
    "crl-multi-node": {
        "description": "CRL: linear Gaussian latents, unknown multi-node hard interventions, linear mixing "
                       "(crl --method umni)",
        "params": {"latent": "linear", "intervention": "hard", "mixing": "linear", "multi_node": True},
    },
    "crl-two-hard": {
        "description": "CRL: linear Gaussian latents, two hard interventions per latent, tanh-MLP mixing "
                       "(crl --method gscale)",
        "params": {"latent": "linear", "intervention": "hard", "mixing": "mlp", "per_node": 2},
    },
}


def simulate_crl(preset: str, *, n_latents: int, d: int, n: int, rng: np.random.Generator) -> LatentProblem:
    """Simulate the CRL environments of a named setting (:data:`CRL_PRESETS`) with :func:`simulate_latent`.

    Parameters
    ----------
    preset : a key of :data:`CRL_PRESETS`
    n_latents : number of latent variables (``<= d``)
    d : number of observed variables
    n : rows per environment
    rng : numpy Generator (all randomness)

    Examples
    --------
    >>> prob = simulate_crl("crl-linear", n_latents=2, d=4, n=100, rng=np.random.default_rng(0))
    >>> len(prob.environments), prob.environments[0].X.shape
    (3, (100, 4))
    """
    if preset not in CRL_PRESETS:
        raise ConfigError(f"unknown CRL preset {preset!r}; choose one of: {', '.join(CRL_PRESETS)}")
    if not 1 <= n_latents <= d:
        raise ConfigError(f"CRL preset {preset!r} needs 1 <= latents <= d (observed variables), "
                          f"got {n_latents} latents and d={d}; lower the latents or raise d")
    return simulate_latent(n_latents, d, n, rng, **CRL_PRESETS[preset]["params"])
