"""Assumption violations: the NeurIPS-2023 robustness benchmark's data, one preset and one knob per violation.

Montagna, Mastakouri, Eulig, Noceti, Rosasco, Janzing, Aragam, Locatello, *Assumption violations in causal
discovery and the robustness of score matching*, NeurIPS 2023 (arXiv 2310.13387) compare causal discovery
methods on data that break one assumption at a time. The data generator of that paper is the ``causally``
library (F. Montagna); the definitions below follow its documented models, written from the formulas.

**The vanilla model** (the reference every violation modifies) is SCORE's nonlinear additive Gaussian noise
model: on a random DAG (ER with ``d`` expected edges by default, or scale-free),

.. math:: X_j = f_j(X_{pa(j)}) + N_j, \\qquad N_j \\sim \\mathcal N(0, \\sigma_j^2),\\ \\sigma_j \\sim U(0.4, 0.8),

``f_j`` an exact draw of a Gaussian process with an RBF kernel of length scale 1 on the sampled parent
values (:class:`~scorecause.simulate.mechanisms.GPMechanism`), sources pure noise.

**Violations** (:data:`VIOLATIONS`; each knob at its "off" value gives back the vanilla data of the same seed):

=====================  ================  ==========================================================================
preset                 knob (default)    data
=====================  ================  ==========================================================================
violation-vanilla      --                the vanilla model
violation-confounded   ``p_confounder``  each pair of observed variables gets, with probability ``p``, its own
                       (0.2)             latent common cause ``L ~ N(0, 1)``, an extra input of both mechanisms;
                                         the latents are dropped. The truth is the DAG over the observed variables
                                         (``meta["bidirected"]`` marks the confounded pairs).
violation-measurement  ``gamma`` (0.5)   the observed ``X~_j = X_j + E_j`` with ``E_j ~ N(0, gamma Var X_j)``:
-error                                   ``gamma`` is the inverse signal-to-noise ratio Var(error) / Var(signal)
                                         (``causally``'s ``MeasurementErrorModel``). Truth unchanged.
violation-unfaithful   ``p_unfaithful``  path cancellation: in each fully connected triplet ``p1 -> p2 -> c``,
                       (1.0)             ``p1 -> c`` chosen with probability ``p`` (at most one per child ``c``),
                                         ``p2``'s mechanism is made additive in ``p1``, ``f_p2 = g(X_p1) +
                                         f'(rest)``, and ``c`` receives ``b (X_p2 - g(X_p1))``: the direct effect
                                         ``-b g(X_p1)`` cancels the one through ``p2`` exactly, so ``X_c`` carries
                                         no dependence on ``X_p1`` along these paths although both edges exist.
violation              ``ar_coef``       time-lagged rows: ``X_j[t] = f_j(X_pa(j)[t]) + N_j[t] + a_j X_j[t-1]``
-autoregressive        (0.5)             with ``a_j = +-ar_coef`` (random sign); rows are a time series, not iid
                                         (``causally``'s ``AutoregressiveModel`` of order 1).
violation-nongaussian  ``nongauss``      noise ``N_j = sigma_j standardize(w2^T sigmoid(nongauss * w1 u))``,
                       (1.0)             ``u ~ N(0, 1)``, ``w1, w2 ~ U(-3, 3)^100``: ``causally``'s ``MLPNoise``
                                         at 1; tends to a Gaussian as the knob goes to 0 (sigmoid ~ linear).
violation              ``hetero``        location-scale noise ``X_j = f_j + sigma_j s_j(X_pa) U_j`` with
-heteroscedastic       (1.0)             ``s_j = sqrt(softplus(h_j) / log 2)``, ``h_j`` a random-Fourier-feature
                                         GP draw (length scale 1) with output scale ``hetero``; 0: homoscedastic.
violation-pnl          ``pnl`` (1.0)     post-nonlinear ``X_j = g(f_j(X_pa) + N_j)`` for non-sources with the
                                         invertible ``g(z) = (1 - pnl) z + pnl tanh(z)``; 0: the ANM.
=====================  ================  ==========================================================================

Determinism: the seed is split into independent streams for the graph, the mechanisms, the noise and the
violation, so the same seed gives the same DAG, GP draws and noise in every preset; only the violation differs.
``meta`` keeps what the tests measure: ``noise`` (n, d) (the additive noise term; the standardized noise
``U`` for heteroscedastic data), ``sigma`` (n, d) noise scales, ``X_clean`` (before measurement error),
``latent_pairs``, ``bidirected`` (d, d), ``cancelled`` (triplets ``(p1, p2, c)``), ``ar_coefs``.

Adjacency convention: ``A[i, j] = 1`` means ``i -> j``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scorecause.errors import ConfigError
from scorecause.simulate._checks import check_count, check_rng

__all__ = ["VIOLATIONS", "Violation", "simulate_violation", "violation_presets"]


@dataclass(frozen=True)
class Violation:
    """One assumption violation: its knob (``None`` for the vanilla model), default, valid range and meaning."""

    name: str
    knob: str | None
    default: float | None
    low: float | None
    high: float | None
    meaning: str
    breaks: str  # the assumption it breaks


VIOLATIONS: dict[str, Violation] = {v.name: v for v in [
    Violation("vanilla", None, None, None, None, "nonlinear additive Gaussian noise model (GP mechanisms)",
              "nothing (the reference)"),
    Violation("confounded", "p_confounder", 0.2, 0.0, 1.0,
              "probability that a pair of observed variables has its own latent common cause",
              "causal sufficiency"),
    Violation("measurement-error", "gamma", 0.5, 0.0, None,
              "Var(measurement error) / Var(clean variable), per variable", "error-free measurement"),
    Violation("unfaithful", "p_unfaithful", 1.0, 0.0, 1.0,
              "probability that a fully connected triplet p1 -> p2 -> c, p1 -> c cancels the effect of p1 on c",
              "faithfulness"),
    Violation("autoregressive", "ar_coef", 0.5, 0.0, 0.99,
              "|lag-1 autoregressive coefficient| of every variable (random sign per variable)", "iid rows"),
    Violation("nongaussian", "nongauss", 1.0, 0.0, None,
              "input weight scale of the random sigmoid MLP that shapes the noise (0: Gaussian)", "Gaussian noise"),
    Violation("heteroscedastic", "hetero", 1.0, 0.0, None,
              "output scale of the GP log-ish noise-scale function of the parents (0: homoscedastic)",
              "additive (homoscedastic) noise"),
    Violation("pnl", "pnl", 1.0, 0.0, 1.0,
              "weight of tanh in the post-nonlinearity g(z) = (1 - pnl) z + pnl tanh(z) (0: additive noise)",
              "additive noise (post-nonlinear model)"),
]}

_NOISE_STD = (0.4, 0.8)
_GP = {"length_scale": 1.0, "output_scale": 1.0}
_MLP_HIDDEN = 100


def violation_presets() -> dict[str, dict]:
    """The preset entries registered in :data:`scorecause.simulate.presets.PRESETS` (``violation-<name>``)."""
    out = {}
    for v in VIOLATIONS.values():
        knob = "" if v.knob is None else f"; knob {v.knob} = {v.default} ({v.meaning})"
        out[f"violation-{v.name}"] = {
            "description": f"assumption violation '{v.name}' (breaks {v.breaks}) on the GP-ANM, ER(1){knob}",
            "reference": "Montagna et al. 2023, Assumption violations in causal discovery (arXiv 2310.13387)",
            "violation": v.name,
            "graph": {"kind": "er", "edges_per_node": 1.0},
            "knobs": {} if v.knob is None else {v.knob: v.default},
        }
    return out


def _knob_value(v: Violation, value) -> float | None:
    if v.knob is None:
        return None
    try:
        x = float(v.default if value is None else value)
    except (TypeError, ValueError):
        raise ConfigError(f"{v.knob} must be a number, got {value!r}") from None
    if not math.isfinite(x) or (v.low is not None and x < v.low) or (v.high is not None and x > v.high):
        hi = "inf" if v.high is None else v.high
        raise ConfigError(f"{v.knob} = {value!r} is outside [{v.low}, {hi}] for violation '{v.name}'; "
                          f"it is the {v.meaning}")
    return x


def _gp(inputs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Values (n,) of a GP draw (RBF, length scale 1) at the rows of ``inputs`` (n, k); 0 when k = 0."""
    from scorecause.simulate.mechanisms import GPMechanism

    if inputs.shape[1] == 0:
        return np.zeros(inputs.shape[0])
    f = GPMechanism.random(inputs.shape[1], rng, **_GP)
    f.bind(inputs, rng)
    return f(inputs)


def _mlp_noise(u: np.ndarray, scale: float, rng: np.random.Generator) -> np.ndarray:
    """Standardized ``w2^T sigmoid(scale * w1 u)`` for standard normal ``u`` (n,) (causally's MLPNoise at 1).

    As ``scale -> 0`` the sigmoid is linear around 0, so the result tends to ``+-u`` (Gaussian); at 0 it is ``u``.
    """
    w1 = rng.uniform(-3.0, 3.0, _MLP_HIDDEN)
    w2 = rng.uniform(-3.0, 3.0, _MLP_HIDDEN)
    if scale == 0:
        return u
    e = (1.0 / (1.0 + np.exp(-scale * np.outer(u, w1)))) @ w2  # (n,)
    sd = e.std()
    return (e - e.mean()) / sd if sd > 0 else u


def _cancel_triplets(A: np.ndarray, order: list[int], p: float, rng: np.random.Generator) -> list[tuple]:
    """Fully connected triplets ``(p1, p2, c)`` (``p1 -> p2 -> c`` and ``p1 -> c``) chosen for cancellation.

    Each triplet is taken with probability ``p``; each child ``c`` at most once (its mechanism is rebuilt
    around one mediator). Triplets are visited in a random order drawn from ``rng``.
    """
    pos = {v: k for k, v in enumerate(order)}
    triplets = [(a, b, c) for c in range(A.shape[0]) for a in np.flatnonzero(A[:, c]) for b in np.flatnonzero(A[:, c])
                if a != b and A[a, b] and pos[a] < pos[b]]
    chosen, used = [], set()
    for k in rng.permutation(len(triplets)) if triplets else []:
        a, b, c = triplets[int(k)]
        if rng.random() < p and c not in used:
            chosen.append((int(a), int(b), int(c)))
            used.add(c)
    return sorted(chosen)


def simulate_violation(violation: str, *, d: int, n: int, rng: np.random.Generator, graph="er",
                       edges_per_node: float = 1.0, knob=None):
    """Simulate one dataset of an assumption-violation setting (see the module docstring for the models).

    Parameters
    ----------
    violation : str -- a key of :data:`VIOLATIONS` (``"vanilla"``, ``"confounded"``, ...).
    d : int >= 2 -- observed variables. n : int >= 2 -- rows.
    rng : numpy.random.Generator -- the only source of randomness (same seed, same dataset).
    graph : str, dict or (d, d) array -- graph kind (``"er"``, ``"sf"``, ... as in
        :func:`~scorecause.simulate.graphs.sample_graph`), a dict ``{"kind": ..., options}``, or a fixed DAG
        (``A[i, j] = 1`` means ``i -> j``).
    edges_per_node : float -- expected edges per node (ER, SF ``m``).
    knob : float or None -- the violation's knob (None: its default; see :data:`VIOLATIONS`).

    Returns
    -------
    Dataset -- ``X`` (n, d), ``truth`` the DAG over the observed variables, ``meta`` with ``violation``,
    ``knob`` ``{name: value}`` and the quantities listed in the module docstring.

    Examples
    --------
    >>> import numpy as np
    >>> ds = simulate_violation("measurement-error", d=5, n=200, rng=np.random.default_rng(0), knob=0.5)
    >>> ds.X.shape, ds.meta["knob"]
    ((200, 5), {'gamma': 0.5})
    """
    from scorecause.data import Dataset
    from scorecause.graph import as_adjacency, topological_order
    from scorecause.simulate.graphs import sample_graph
    from scorecause.simulate.mechanisms import RFF

    if violation not in VIOLATIONS:
        raise ConfigError(f"unknown violation {violation!r}; choose one of {sorted(VIOLATIONS)}")
    v = VIOLATIONS[violation]
    check_rng(rng)
    d = check_count(d, "d", 2, "number of variables")
    n = check_count(n, "n", 2, "number of rows")
    k = _knob_value(v, knob)
    # independent streams: the same seed gives the same graph, mechanisms and noise in every violation
    g_graph, g_mech, g_noise, g_viol = (np.random.default_rng(s) for s in rng.integers(0, 2**63 - 1, size=4))

    if isinstance(graph, (str, dict)):
        spec = {"kind": graph} if isinstance(graph, str) else dict(graph)
        kind = spec.pop("kind", "er")
        spec.setdefault("edges_per_node", edges_per_node)
        A = sample_graph(kind, d, g_graph, **spec)
    else:
        A = as_adjacency(graph, allow_cycles=False, name="violation graph")
        if A.shape[0] != d:
            raise ConfigError(f"the given graph has {A.shape[0]} nodes but d={d}; pass a {d} x {d} DAG")
    order = topological_order(A)
    parents = [np.flatnonzero(A[:, j]) for j in range(d)]
    sigma0 = g_noise.uniform(*_NOISE_STD, size=d)  # homoscedastic noise std per node
    U = g_noise.standard_normal((n, d))  # standardized noise
    meta: dict = {"violation": violation, "knob": {} if v.knob is None else {v.knob: k}}

    if violation == "nongaussian":
        U = np.column_stack([_mlp_noise(U[:, j], k, g_viol) for j in range(d)])
    latent_pairs: list[tuple[int, int]] = []
    if violation == "confounded":
        latent_pairs = [(i, j) for i in range(d) for j in range(i + 1, d) if g_viol.random() < k]
    L = g_viol.standard_normal((n, len(latent_pairs)))  # latent common causes (n, m)
    lat_of = [[q for q, pair in enumerate(latent_pairs) if j in pair] for j in range(d)]
    cancelled = _cancel_triplets(A, order, k, g_viol) if violation == "unfaithful" else []
    separate = {}  # mediator p2 -> list of p1 whose effect enters additively (unfaithful)
    for a, b, _ in cancelled:
        separate.setdefault(b, []).append(a)
    via = {c: (a, b) for a, b, c in cancelled}  # child -> (p1, p2)
    ar = k * np.where(g_viol.random(d) < 0.5, -1.0, 1.0) if violation == "autoregressive" else np.zeros(d)

    X = np.zeros((n, d))
    E = np.zeros((n, d))  # the additive noise term of each node
    S = np.tile(sigma0, (n, 1))  # noise scale per row and node
    additive_part = {}  # (p2, p1) -> g(X_p1) values (unfaithful)
    for j in order:
        pa = parents[j]
        # f_j = GP(other parents) + sum_{p1 carried by j as a mediator} g_{j,p1}(X_p1)
        #       [+ b (X_p2 - g_{p2,p1}(X_p1)) when j is the child of a cancelled triplet (p1, p2, j)]
        skip = set(separate.get(j, [])) | (set(via[j]) if j in via else set())
        rest = [p for p in pa if p not in skip]
        f = _gp(np.column_stack([X[:, rest], L[:, lat_of[j]]]), g_mech)
        for a in separate.get(j, []):
            additive_part[(j, a)] = _gp(X[:, [a]], g_viol)
            f = f + additive_part[(j, a)]
        if j in via:  # the mediator enters linearly, p1 only through -b g(p1): the two paths cancel
            a, b = via[j]
            coef = g_viol.uniform(0.5, 1.5) * (1.0 if g_viol.random() < 0.5 else -1.0)
            f = f + coef * (X[:, b] - additive_part[(b, a)])
        if violation == "heteroscedastic" and pa.size and k > 0:
            h = RFF.random(pa.size, g_viol, length_scale=1.0, output_scale=k, n_features=100)
            S[:, j] = sigma0[j] * np.sqrt(np.logaddexp(0.0, h(X[:, pa])) / math.log(2.0))
        E[:, j] = S[:, j] * U[:, j]
        x = f + E[:, j]
        if ar[j] != 0.0:
            from scipy.signal import lfilter

            x = lfilter([1.0], [1.0, -ar[j]], x)  # x[t] = s[t] + a x[t - 1]
        if violation == "pnl" and pa.size:
            x = (1.0 - k) * x + k * np.tanh(x)
        X[:, j] = x

    if violation == "measurement-error":
        meta["X_clean"] = X.copy()
        X = X + g_viol.standard_normal((n, d)) * np.sqrt(k * X.var(axis=0))
    B = np.zeros((d, d), dtype=bool)
    for i, j in latent_pairs:
        B[i, j] = B[j, i] = True
    meta.update(noise=E if violation != "heteroscedastic" else U, sigma=S, latent_pairs=latent_pairs, bidirected=B,
                cancelled=cancelled, ar_coefs=ar, config={"graph": graph if isinstance(graph, (str, dict)) else
                                                           "fixed", "edges_per_node": edges_per_node},
                n_observational=n, n_interventional=0, targets=[])
    return Dataset(X, [f"X{j}" for j in range(d)], None, None, A, meta)
