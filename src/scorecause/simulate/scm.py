"""Additive noise structural causal models: sampling, interventions, exact log-density and scores.

An :class:`AdditiveNoiseSCM` on a DAG ``A`` (``A[i, j] = 1`` means ``i -> j``) sets, in a topological order,

.. math:: x_j = f_j(x_{pa(j)}) + \\sigma_j(x_{pa(j)})\\, u_j, \\qquad u_j \\sim p_j \\text{ independent},

with ``sigma_j`` a constant (homoscedastic noise) or a function of the parents (heteroscedastic noise).
Because the map from noise to data is triangular with unit-diagonal Jacobian,

.. math:: \\log p(x) = \\sum_j \\log p_j(u_j) - \\log \\sigma_j, \\qquad u_j = (x_j - f_j) / \\sigma_j .

**Analytic score** (Rolland et al. 2022, eq. for ANMs; Montagna et al. 2023): with ``s = (log p_j)'``,
``s' = (log p_j)''`` evaluated at ``u_j``, for homoscedastic noise

.. math::
    \\partial_k \\log p = \\frac{s_k(u_k)}{\\sigma_k} - \\sum_{c \\in ch(k)} \\frac{s_c(u_c)}{\\sigma_c}
        \\partial_k f_c,
    \\qquad
    \\partial_k^2 \\log p = \\frac{s'_k(u_k)}{\\sigma_k^2} + \\sum_{c \\in ch(k)}
        \\Big[\\frac{s'_c(u_c)}{\\sigma_c^2} (\\partial_k f_c)^2 - \\frac{s_c(u_c)}{\\sigma_c} \\partial_k^2 f_c\\Big].

For heteroscedastic noise write ``g = d_k log sigma_c`` and ``g2 = d_k^2 log sigma_c``; then
``d_k u_c = -d_k f_c / sigma_c - u_c g`` and
``d_k^2 u_c = -d_k^2 f_c / sigma_c + 2 g d_k f_c / sigma_c + u_c (g^2 - g2)``, and child ``c`` contributes
``s_c d_k u_c - g`` to the score and ``s'_c (d_k u_c)^2 + s_c d_k^2 u_c - g2`` to the Hessian diagonal.
Both reduce to the formulas above when ``g = g2 = 0``. Tests check them against finite differences of
:meth:`AdditiveNoiseSCM.log_prob`.

Interventions (:class:`Intervention`): hard/do (fixed values or a value distribution, new draw per row),
soft (a new mechanism, a mean shift and/or a rescaled noise), on one or several nodes, with the targets
known (marked in the returned mask) or unknown (mask all false; keep the truth yourself).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scorecause.errors import ConfigError, DataError
from scorecause.graph import as_adjacency, topological_order
from scorecause.simulate._checks import check_count, check_rng
from scorecause.simulate.mechanisms import Constant, Mechanism, Shift, make_mechanism
from scorecause.simulate.noise import HeteroscedasticNoise, Noise, PointMass, make_noise


@dataclass
class Intervention:
    """An intervention on one or several nodes.

    Parameters
    ----------
    targets : int or sequence of int
        Intervened node indices (columns).
    kind : {"hard", "soft"}
        ``"hard"`` (alias ``"do"``): the targets lose all their parents and take ``value``.
        ``"soft"``: the targets keep their parents; their mechanism and/or noise change.
    value : float, sequence of float, Noise, or None
        Hard only. A number (or one per target) fixes ``do(x_t = value)``; a :class:`~scorecause.simulate.noise.Noise`
        (e.g. ``Gaussian(1.0)``, ``SignedUniform(1, 3)``, ``Shifted(Gaussian(0.5), 2.0)``) draws a fresh value
        per row (AVICI style). ``None`` means ``0.0``.
    mechanism : None, "resample", Mechanism or dict {target: Mechanism}
        Soft only. ``"resample"`` draws a new mechanism of the same family and parameters.
    shift : float or None
        Soft only: add ``shift`` to the mechanism's output (mean shift).
    noise_scale : float or None
        Soft only: multiply the noise scale by this factor.
    known : bool
        Whether the targets are known; if false, :meth:`AdditiveNoiseSCM.sample` returns an all-false mask.

    A soft intervention with no ``mechanism``, ``shift`` or ``noise_scale`` resamples the mechanism.

    Examples
    --------
    >>> Intervention(2, value=1.5).targets
    [2]
    >>> Intervention([0, 3], kind="soft", noise_scale=2.0).kind
    'soft'
    """

    targets: Any
    kind: str = "hard"
    value: Any = None
    mechanism: Any = None
    shift: float | None = None
    noise_scale: float | None = None
    known: bool = True

    def __post_init__(self):
        t = np.atleast_1d(np.asarray(self.targets))
        if t.size == 0 or t.dtype.kind not in "iu":
            raise ConfigError(f"intervention targets must be node indices (ints), got {self.targets!r}")
        if len(set(t.tolist())) != t.size:
            raise ConfigError(f"intervention targets contain duplicates: {t.tolist()}")
        self.targets = [int(v) for v in t]
        kind = str(self.kind).lower()
        kind = "hard" if kind == "do" else kind
        if kind not in ("hard", "soft"):
            raise ConfigError(f"intervention kind must be 'hard' (do) or 'soft', got {self.kind!r}")
        self.kind = kind
        if kind == "hard" and (self.mechanism is not None or self.shift is not None or self.noise_scale is not None):
            raise ConfigError("mechanism/shift/noise_scale apply to soft interventions; use kind='soft'")
        if kind == "soft" and self.value is not None:
            raise ConfigError("value applies to hard interventions; use kind='hard' or drop value=")
        if self.noise_scale is not None and not float(self.noise_scale) > 0:
            raise ConfigError(f"noise_scale must be a positive factor, got {self.noise_scale}")
        if kind == "soft" and self.mechanism is None and self.shift is None and self.noise_scale is None:
            self.mechanism = "resample"


def _value_noise(value, i: int, n_targets: int) -> Noise:
    """The value distribution of the i-th target of a hard intervention."""
    if value is None:
        return PointMass(0.0)
    if isinstance(value, Noise):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != n_targets:
            raise ConfigError(f"{len(value)} intervention values for {n_targets} targets; give one per target")
        return _value_noise(value[i], 0, 1)
    try:
        return PointMass(float(value))
    except (TypeError, ValueError):
        raise ConfigError(f"intervention value must be a number, a list of numbers or a Noise, got {value!r}") from None


class AdditiveNoiseSCM:
    """Additive noise model ``x_j = f_j(x_pa(j)) + e_j`` on a DAG, with exact densities and scores.

    Parameters
    ----------
    graph : (d, d) array -- ``graph[i, j] = 1`` means ``i -> j``; must be acyclic.
    mechanisms : list of d :class:`~scorecause.simulate.mechanisms.Mechanism`
        ``mechanisms[j]`` maps the parents of ``j`` (columns in increasing index order) to (n,).
    noises : list of d noise objects (:mod:`scorecause.simulate.noise`), homoscedastic or heteroscedastic.

    Attributes
    ----------
    graph : int8 (d, d); parents : list of int arrays; order : a topological order (sources first).

    Examples
    --------
    >>> import numpy as np
    >>> from scorecause.simulate import sample_graph
    >>> rng = np.random.default_rng(0)
    >>> scm = AdditiveNoiseSCM.random(sample_graph("er", 5, rng), rng, mechanism="rff")
    >>> X, mask = scm.sample(100, rng)
    >>> scm.score(X).shape
    (100, 5)
    """

    def __init__(self, graph, mechanisms: Sequence[Mechanism], noises: Sequence):
        self.graph = as_adjacency(graph, allow_cycles=False, name="SCM graph")
        d = self.graph.shape[0]
        if len(mechanisms) != d or len(noises) != d:
            raise ConfigError(f"need one mechanism and one noise per node: d={d}, got {len(mechanisms)} "
                              f"mechanisms and {len(noises)} noises")
        self.parents = [np.flatnonzero(self.graph[:, j]) for j in range(d)]
        for j, (m, pa) in enumerate(zip(mechanisms, self.parents)):
            if m.n_parents != pa.size:
                raise ConfigError(f"mechanism of node {j} takes {m.n_parents} parents but the graph gives it "
                                  f"{pa.size} ({pa.tolist()})")
            h = getattr(noises[j], "h", None)
            if h is not None and h.n_parents != pa.size:
                raise ConfigError(f"heteroscedastic noise of node {j} takes {h.n_parents} parents, graph gives {pa.size}")
        self.mechanisms = list(mechanisms)
        self.noises = list(noises)
        self.order = topological_order(self.graph)

    @property
    def d(self) -> int:
        return self.graph.shape[0]

    def __repr__(self) -> str:
        kinds = sorted({m.kind for m in self.mechanisms})
        noises = sorted({getattr(e, "name", type(e).__name__) for e in self.noises})
        return f"AdditiveNoiseSCM(d={self.d}, edges={int(self.graph.sum())}, mechanisms={kinds}, noises={noises})"

    # ------------------------------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------------------------------
    @classmethod
    def random(cls, graph, rng: np.random.Generator, *, mechanism: str = "linear", mechanism_params=None,
               noise: str = "gaussian", noise_scale=1.0, heteroscedastic=None, root_mechanism=None):
        """An SCM on ``graph`` (``graph[i, j] = 1`` means ``i -> j``) with random mechanisms and noises.

        ``noise_scale`` is a number or a ``(low, high)`` range drawn per node. ``heteroscedastic`` is ``None``
        or a dict of RFF options for the scale function ``h`` (AVICI: ``{"length_scale": 10,
        "output_scale": 2}``), giving ``sigma = noise_scale * sqrt(softplus(h(x_pa)))``. ``root_mechanism``
        (e.g. ``"constant"``) overrides the family for nodes without parents.
        """
        from scorecause.simulate.mechanisms import RFF, draw_param

        A = as_adjacency(graph, allow_cycles=False, name="SCM graph")
        params = dict(mechanism_params or {})
        mechs, noises = [], []
        for j in range(A.shape[0]):
            k = int(A[:, j].sum())
            if k == 0 and root_mechanism is not None:
                mechs.append(make_mechanism(root_mechanism, 0, rng))
            else:
                mechs.append(make_mechanism(mechanism, k, rng, **params))
            base = make_noise(noise, draw_param(noise_scale, rng, "noise_scale"))
            if heteroscedastic is not None and heteroscedastic is not False:
                opts = {"length_scale": 10.0, "output_scale": 2.0,
                        **(heteroscedastic if isinstance(heteroscedastic, dict) else {})}
                base = HeteroscedasticNoise(base, RFF.random(k, rng, **opts))
            noises.append(base)
        return cls(A, mechs, noises)

    # ------------------------------------------------------------------------------------------
    # sampling and interventions
    # ------------------------------------------------------------------------------------------
    def _ancestral(self, n: int, rng: np.random.Generator, hard_mask=None, hard_values=None) -> np.ndarray:
        """Ancestral sampling; rows with ``hard_mask[r, j]`` get ``x_j`` from ``hard_values[j]`` instead."""
        X = np.empty((n, self.d))
        for j in self.order:
            P = X[:, self.parents[j]]
            mech, noise = self.mechanisms[j], self.noises[j]
            if n:
                mech.bind(P, rng)
            if isinstance(noise, HeteroscedasticNoise):
                if n:
                    noise.h.bind(P, rng)
                e = noise.sample(n, rng, P)
            else:
                e = noise.sample(n, rng)
            X[:, j] = mech(P) + e
            if hard_mask is not None and hard_mask[:, j].any():
                rows = np.flatnonzero(hard_mask[:, j])
                X[rows, j] = hard_values[j].sample(rows.size, rng)
        return X

    def sample(self, n: int, rng: np.random.Generator, intervention: Intervention | None = None):
        """Draw ``n`` rows by ancestral sampling.

        Returns ``(X (n, d) float64, mask (n, d) bool)``; ``mask[:, t]`` is true for the targets of a known
        intervention, all false otherwise. With an intervention, samples come from :meth:`intervene`.
        """
        n = check_count(n, "n", 1, "number of samples")
        check_rng(rng)
        mask = np.zeros((n, self.d), dtype=bool)
        if intervention is None:
            return self._ancestral(n, rng), mask
        scm = self.intervene(intervention, rng)
        if intervention.known:
            mask[:, intervention.targets] = True
        return scm._ancestral(n, rng), mask

    def intervene(self, intervention: Intervention, rng: np.random.Generator | None = None) -> AdditiveNoiseSCM:
        """The intervened SCM (its ``graph`` is the mutilated graph for hard interventions).

        Mechanisms of untouched nodes are shared with ``self``. ``rng`` is needed only to resample
        mechanisms of soft interventions.
        """
        if not isinstance(intervention, Intervention):
            raise ConfigError(f"expected an Intervention, got {type(intervention).__name__}")
        bad = [t for t in intervention.targets if not 0 <= t < self.d]
        if bad:
            raise ConfigError(f"intervention target(s) {bad} out of range for an SCM with d={self.d} nodes "
                              f"(valid: 0..{self.d - 1})")
        A = self.graph.copy()
        mechs, noises = list(self.mechanisms), list(self.noises)
        T = intervention.targets
        for i, t in enumerate(T):
            if intervention.kind == "hard":
                A[:, t] = 0
                mechs[t] = Constant(0, 0.0)
                noises[t] = _value_noise(intervention.value, i, len(T))
                continue
            m = intervention.mechanism
            if isinstance(m, dict):
                m = m.get(t)
            if isinstance(m, str):
                if m != "resample":
                    raise ConfigError(f"soft intervention mechanism must be 'resample' or a Mechanism, got {m!r}")
                check_rng(rng)
                m = self.mechanisms[t].resample(rng)
            if m is not None:
                if not isinstance(m, Mechanism):
                    raise ConfigError(f"soft intervention mechanism for node {t} must be a Mechanism, got {m!r}")
                mechs[t] = m
            if intervention.shift is not None:
                mechs[t] = Shift(mechs[t], intervention.shift)
            if intervention.noise_scale is not None:
                noises[t] = noises[t].rescaled(intervention.noise_scale)
        return AdditiveNoiseSCM(A, mechs, noises)

    # ------------------------------------------------------------------------------------------
    # density and analytic scores
    # ------------------------------------------------------------------------------------------
    def _check_X(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.d:
            raise DataError(f"expected points of shape (n, {self.d}), got {X.shape}")
        return X

    def _node(self, X, j, *, derivatives: bool):
        """(P, u, sigma (n,), std-noise, g (n,k)|None, g2 (n,k)|None) for node j."""
        P = X[:, self.parents[j]]
        noise = self.noises[j]
        if derivatives and not noise.differentiable:
            raise ConfigError(
                f"node {j} has {noise.name} noise ({noise!r}), whose log-density is not differentiable; analytic "
                "score and hessian_diag need gaussian, laplace, cauchy or gumbel noise (or a random Gaussian "
                "intervention value)"
            )
        if isinstance(noise, HeteroscedasticNoise):
            logsig, g, g2 = noise.log_sigma_derivatives(P)
            sig, std = np.exp(logsig), noise.base
        else:
            sig, std, g, g2 = np.full(X.shape[0], noise.scale), noise, None, None
        u = (X[:, j] - self.mechanisms[j](P)) / sig
        return P, u, sig, std, g, g2

    def log_prob(self, X) -> np.ndarray:
        """Exact log-density ``sum_j log p_j(u_j) - log sigma_j`` at each row of X (n, d) -> (n,)."""
        X = self._check_X(X)
        out = np.zeros(X.shape[0])
        for j in range(self.d):
            _, u, sig, std, _, _ = self._node(X, j, derivatives=False)
            out += std.std_log_prob(u) - np.log(sig)
        return out

    def residuals(self, X) -> np.ndarray:
        """The noise values ``e_j = x_j - f_j(x_pa)`` (n, d)."""
        X = self._check_X(X)
        return np.column_stack([X[:, j] - self.mechanisms[j](X[:, self.parents[j]]) for j in range(self.d)])

    def score(self, X) -> np.ndarray:
        """Analytic score ``grad_x log p(x)`` at each row of X: (n, d) -> (n, d). See the module docstring."""
        X = self._check_X(X)
        S = np.zeros_like(X)
        for c in range(self.d):
            P, u, sig, std, g, _ = self._node(X, c, derivatives=True)
            s1 = std.std_dlog(u)
            S[:, c] += s1 / sig
            pa = self.parents[c]
            if pa.size:
                du = -self.mechanisms[c].grad(P) / sig[:, None]  # d u_c / d x_pa (n, k)
                if g is not None:
                    du -= u[:, None] * g
                S[:, pa] += s1[:, None] * du - (g if g is not None else 0.0)
        return S

    def hessian_diag(self, X) -> np.ndarray:
        """Diagonal of the Hessian of ``log p`` at each row of X: (n, d) -> (n, d). See the module docstring."""
        X = self._check_X(X)
        H = np.zeros_like(X)
        for c in range(self.d):
            P, u, sig, std, g, g2 = self._node(X, c, derivatives=True)
            s1, s2 = std.std_dlog(u), std.std_d2log(u)
            H[:, c] += s2 / sig**2
            pa = self.parents[c]
            if pa.size:
                mech = self.mechanisms[c]
                fp, fpp = mech.grad(P), mech.hess_diag(P)  # (n, k)
                sg = sig[:, None]
                du = -fp / sg
                d2u = -fpp / sg
                if g is not None:
                    du -= u[:, None] * g
                    d2u += 2.0 * g * fp / sg + u[:, None] * (g**2 - g2)
                H[:, pa] += s2[:, None] * du**2 + s1[:, None] * d2u - (g2 if g2 is not None else 0.0)
        return H


def sample_interventional(scm: AdditiveNoiseSCM, n: int, rng: np.random.Generator, *, targets=None,
                          n_targets=None, value=None):
    """Single-node hard interventions on several targets, AVICI style.

    Each target ``t`` (all nodes by default, or ``n_targets`` distinct random nodes, or the given list)
    gets ``ceil(n / T)`` rows with ``do(x_t = v)``, ``v`` drawn fresh per row from ``value`` (a Noise; default
    ``SignedUniform(1, 3)``, AVICI's training setting) or fixed if a number. Rows are interleaved (target of
    row r is ``targets[r % T]``) and truncated to ``n``, so every target gets ``n // T`` or ``n // T + 1`` rows.

    Returns ``(X (n, d), mask (n, d) bool, env (n,) int)`` with ``mask[r, t]`` true when ``t`` was intervened
    on in row ``r`` and ``env[r] = t + 1`` (0 would be observational).
    """
    from scorecause.simulate.noise import SignedUniform

    n = check_count(n, "n", 0, "number of samples")
    check_rng(rng)
    d = scm.d
    if targets is None:
        k = d if n_targets is None else int(n_targets)
        if not 1 <= k <= d:
            raise ConfigError(f"n_targets must be between 1 and d={d}, got {n_targets}")
        targets = np.sort(rng.choice(d, size=k, replace=False))
    targets = np.atleast_1d(np.asarray(targets, dtype=int))
    if targets.size == 0 or targets.min() < 0 or targets.max() >= d:
        raise ConfigError(f"intervention targets must be node indices in 0..{d - 1}, got {targets.tolist()}")
    vdist = SignedUniform(1.0, 3.0) if value is None else _value_noise(value, 0, 1)
    tgt = targets[np.arange(n) % targets.size]  # interleaved, balanced under truncation
    mask = np.zeros((n, d), dtype=bool)
    mask[np.arange(n), tgt] = True
    X = scm._ancestral(n, rng, hard_mask=mask, hard_values=dict.fromkeys(range(d), vdist))
    return X, mask, (tgt + 1).astype(np.int64)
