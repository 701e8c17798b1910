"""Named simulation settings (papers' data distributions) and :func:`simulate`.

A preset is a plain dict with sections ``graph``, ``mechanism``, ``noise`` and ``intervention``. In each
section a **list** means "alternatives, one drawn uniformly per dataset" (lists may nest: a family first,
then its variant) and a **tuple** ``(low, high)`` means "uniform draw" (per node for mechanism and noise
parameters). Everything is drawn from the ``numpy.random.Generator`` passed to :func:`simulate`.

Presets
-------
``score-gp-er`` / ``score-gp-sf``
    SCORE's GP-ANM (Rolland et al., ICML 2022, arXiv 2203.04413; its released ``demo_SCORE.py``): exact GP
    draws with an RBF kernel of length scale 1 (output scale 1), Gaussian noise with std 1, sources are pure
    noise; ER with ``d`` expected edges (``edges_per_node=1``; pass ``edges_per_node=4`` for the dense
    setting) or scale-free with ``m = 1``. ``demo_SCORE.py`` calls ``simulate_dag(d, s0, graph_type,
    triu=True)`` from a ``utils.py`` not in SCORE's repository; the NOTEARS-derived versions of that function
    with ``triu=True`` found in related public code build an *undirected* Barabási–Albert graph and keep its
    upper triangle in arrival order, so older hubs are causes: our ``"sf"``. (Pass ``graph="sf-in"`` for hub
    effects.) Unlike ``triu=True`` we permute the nodes, so index order is not a causal order.
``avici-linear`` / ``avici-rff``
    AVICI's training distributions (Lorch et al., NeurIPS 2022, arXiv 2205.12934; ``neurips-linear``,
    ``neurips-rff``): graphs ER(1, 2, 3), SF(m = 1, 2, 3, power 1) and its transpose, uniformly; linear
    weights ±U(1, 3) or RFF (M = 100) with length scale U(7, 10) and output scale U(10, 20); bias U(-3, 3);
    Gaussian noise with scale U(0.2, 2) per node; interventions on all nodes with values ±U(1, 3).
``avici-linear-ood`` / ``avici-rff-ood``
    AVICI's o.o.d. test setting: a quarter each of SF-transpose (m = 2, power 0.5 or 1.5), Watts–Strogatz
    (dim 2 or 3, nei 1, p 0.3), SBM (2 edges per node, 5 or 10 blocks, damp 0.1) and geometric (radius 0.1)
    graphs; weights ±U(0.5, 2) or ±U(2, 4); length scale U(5, 8) or U(8, 12) and output scale U(8, 12) or
    U(18, 22); Laplace or Cauchy noise with heteroscedastic scale ``sqrt(softplus(h(x_pa)))``, ``h`` an RFF
    with length scale 10 and output scale 2; interventions on half the nodes with values ±U(1, 5).
``linear-gaussian``, ``linear-nongaussian``, ``gp-gaussian``, ``nonlinear`` (MLP), ``quadratic``
    Generic ER(1) settings for tests and tutorials.

``violation-vanilla``, ``violation-confounded``, ``violation-measurement-error``, ``violation-unfaithful``,
``violation-autoregressive``, ``violation-nongaussian``, ``violation-heteroscedastic``, ``violation-pnl``
    The assumption-violation settings of Montagna et al. (NeurIPS 2023, arXiv 2310.13387) on SCORE's GP-ANM,
    one knob each (an override of the same name, e.g. ``gamma=0.2``); see :mod:`scorecause.simulate.violations`.
    Overrides: ``graph`` (kind, e.g. ``"sf"``), ``edges_per_node`` and the preset's knob.

AVICI's ``ScaleFree`` (new nodes point to old hubs) is our ``"sf-in"``; its ``ScaleFreeTranspose`` is ``"sf"``.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from scorecause.errors import ConfigError
from scorecause.simulate._checks import check_count, check_rng
from scorecause.simulate.graphs import sample_graph
from scorecause.simulate.hidden import choose_confounders, hide_variables
from scorecause.simulate.scm import AdditiveNoiseSCM, sample_interventional
from scorecause.simulate.violations import simulate_violation, violation_presets

_AVICI_TRAIN_GRAPHS = [
    [{"kind": "er", "edges_per_node": k} for k in (1, 2, 3)],
    [{"kind": "sf-in", "edges_per_node": m, "power": 1.0} for m in (1, 2, 3)],
    [{"kind": "sf", "edges_per_node": m, "power": 1.0} for m in (1, 2, 3)],
]
_AVICI_OOD_GRAPHS = [
    [{"kind": "sf", "edges_per_node": 2, "power": p} for p in (0.5, 1.5)],
    [{"kind": "ws", "dim": dim, "nei": 1, "p": 0.3} for dim in (2, 3)],
    [{"kind": "sbm", "edges_per_node": 2, "n_blocks": b, "damp": 0.1} for b in (5, 10)],
    [{"kind": "geo", "radius": 0.1}],
]
_AVICI_OOD_NOISE = [{"kind": kind, "scale": 1.0, "heteroscedastic": {"length_scale": 10.0, "output_scale": 2.0}}
                    for kind in ("laplace", "cauchy")]
_AVICI_TRAIN_NOISE = {"kind": "gaussian", "scale": (0.2, 2.0), "heteroscedastic": None}
_REF_AVICI = "Lorch et al. 2022, AVICI (arXiv 2205.12934), configs neurips-linear / neurips-rff"

PRESETS: dict[str, dict[str, Any]] = {
    "score-gp-er": {
        "description": "SCORE GP-ANM: GP mechanisms (RBF, length 1), Gaussian noise std 1, ER graph (d edges)",
        "reference": "Rolland et al. 2022, SCORE (arXiv 2203.04413)",
        "graph": {"kind": "er", "edges_per_node": 1.0},
        "mechanism": {"kind": "gp", "length_scale": 1.0, "output_scale": 1.0},
        "root_mechanism": "constant",
        "noise": {"kind": "gaussian", "scale": 1.0, "heteroscedastic": None},
        "intervention": {"value": ("gaussian", 1.0), "n_targets": None},
    },
    "score-gp-sf": {
        "description": "SCORE GP-ANM on a scale-free graph (m = 1, hub causes)",
        "reference": "Rolland et al. 2022, SCORE (arXiv 2203.04413)",
        "graph": {"kind": "sf", "edges_per_node": 1.0, "power": 1.0},
        "mechanism": {"kind": "gp", "length_scale": 1.0, "output_scale": 1.0},
        "root_mechanism": "constant",
        "noise": {"kind": "gaussian", "scale": 1.0, "heteroscedastic": None},
        "intervention": {"value": ("gaussian", 1.0), "n_targets": None},
    },
    "avici-linear": {
        "description": "AVICI LINEAR training distribution",
        "reference": _REF_AVICI,
        "graph": _AVICI_TRAIN_GRAPHS,
        "mechanism": {"kind": "linear", "weight_range": (1.0, 3.0), "bias_range": (-3.0, 3.0)},
        "noise": _AVICI_TRAIN_NOISE,
        "intervention": {"value": ("signed-uniform", 1.0, 3.0), "n_targets": None},
    },
    "avici-rff": {
        "description": "AVICI RFF training distribution",
        "reference": _REF_AVICI,
        "graph": _AVICI_TRAIN_GRAPHS,
        "mechanism": {"kind": "rff", "length_scale": (7.0, 10.0), "output_scale": (10.0, 20.0),
                      "n_features": 100, "bias_range": (-3.0, 3.0)},
        "noise": _AVICI_TRAIN_NOISE,
        "intervention": {"value": ("signed-uniform", 1.0, 3.0), "n_targets": None},
    },
    "avici-linear-ood": {
        "description": "AVICI LINEAR out-of-distribution test setting",
        "reference": _REF_AVICI,
        "graph": _AVICI_OOD_GRAPHS,
        "mechanism": [{"kind": "linear", "weight_range": w, "bias_range": (-3.0, 3.0)}
                      for w in ((0.5, 2.0), (2.0, 4.0))],
        "noise": _AVICI_OOD_NOISE,
        "intervention": {"value": ("signed-uniform", 1.0, 5.0), "n_targets": 0.5},
    },
    "avici-rff-ood": {
        "description": "AVICI RFF out-of-distribution test setting",
        "reference": _REF_AVICI,
        "graph": _AVICI_OOD_GRAPHS,
        "mechanism": [{"kind": "rff", "length_scale": ell, "output_scale": c, "n_features": 100,
                       "bias_range": (-3.0, 3.0)}
                      for ell in ((5.0, 8.0), (8.0, 12.0)) for c in ((8.0, 12.0), (18.0, 22.0))],
        "noise": _AVICI_OOD_NOISE,
        "intervention": {"value": ("signed-uniform", 1.0, 5.0), "n_targets": 0.5},
    },
    "linear-gaussian": {
        "description": "linear ANM, weights ±U(0.5, 2), Gaussian noise std U(0.5, 1.5), ER(1)",
        "graph": {"kind": "er", "edges_per_node": 1.0},
        "mechanism": {"kind": "linear", "weight_range": (0.5, 2.0)},
        "noise": {"kind": "gaussian", "scale": (0.5, 1.5), "heteroscedastic": None},
        "intervention": {"value": ("signed-uniform", 1.0, 3.0), "n_targets": None},
    },
    "linear-nongaussian": {
        "description": "linear ANM with Laplace or Gumbel noise (LiNGAM setting), ER(1)",
        "graph": {"kind": "er", "edges_per_node": 1.0},
        "mechanism": {"kind": "linear", "weight_range": (0.5, 2.0)},
        "noise": [{"kind": k, "scale": (0.5, 1.5), "heteroscedastic": None} for k in ("laplace", "gumbel")],
        "intervention": {"value": ("signed-uniform", 1.0, 3.0), "n_targets": None},
    },
    "gp-gaussian": {
        "description": "GP ANM (RBF, length 1), Gaussian noise std U(0.4, 0.8), ER(1)",
        "graph": {"kind": "er", "edges_per_node": 1.0},
        "mechanism": {"kind": "gp", "length_scale": 1.0, "output_scale": 1.0},
        "root_mechanism": "constant",
        "noise": {"kind": "gaussian", "scale": (0.4, 0.8), "heteroscedastic": None},
        "intervention": {"value": ("gaussian", 1.0), "n_targets": None},
    },
    "nonlinear": {
        "description": "MLP ANM (10 tanh units), Gaussian noise std U(0.4, 0.8), ER(1)",
        "graph": {"kind": "er", "edges_per_node": 1.0},
        "mechanism": {"kind": "mlp", "hidden": 10},
        "noise": {"kind": "gaussian", "scale": (0.4, 0.8), "heteroscedastic": None},
        "intervention": {"value": ("gaussian", 1.0), "n_targets": None},
    },
    "quadratic": {
        "description": "quadratic ANM on standardised parents, Gaussian noise std U(0.4, 0.8), ER(1)",
        "graph": {"kind": "er", "edges_per_node": 1.0},
        "mechanism": {"kind": "quadratic", "weight_range": (0.5, 1.0)},
        "noise": {"kind": "gaussian", "scale": (0.4, 0.8), "heteroscedastic": None},
        "intervention": {"value": ("gaussian", 1.0), "n_targets": None},
    },
}
PRESETS["mlp-gaussian"] = PRESETS["nonlinear"]
PRESETS.update(violation_presets())

_HIDE_ATTEMPTS = 100
_OVERRIDES = ("graph", "edges_per_node", "mechanism", "mechanism_params", "root_mechanism", "noise",
              "noise_scale", "heteroscedastic", "intervention", "n_targets", "intervention_value", "known_targets")


def _choose(x, rng):
    """Resolve nested alternative lists: draw uniformly at each level until a non-list remains."""
    while isinstance(x, list):
        if not x:
            raise ConfigError("an alternatives list in the preset is empty")
        x = x[int(rng.integers(len(x)))]
    return copy.deepcopy(x)


def _value_dist(spec):
    """Intervention-value spec -> Noise: ("signed-uniform", low, high), ("gaussian", std), a number, a Noise."""
    from scorecause.simulate.noise import Gaussian, Noise, PointMass, SignedUniform

    if isinstance(spec, Noise):
        return spec
    if isinstance(spec, (int, float)):
        return PointMass(float(spec))
    if isinstance(spec, (tuple, list)) and spec and spec[0] == "signed-uniform" and len(spec) == 3:
        return SignedUniform(spec[1], spec[2])
    if isinstance(spec, (tuple, list)) and spec and spec[0] == "gaussian" and len(spec) == 2:
        return Gaussian(spec[1])
    raise ConfigError(f"intervention value spec {spec!r} not understood; use a number, ('signed-uniform', low, "
                      "high), ('gaussian', std) or a Noise object")


def resolve_preset(preset: str, **overrides) -> dict:
    """The preset's config dict with ``overrides`` applied (see :func:`simulate`); alternatives unresolved."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown simulation preset {preset!r}; available presets: {sorted(PRESETS)}")
    cfg = copy.deepcopy(PRESETS[preset])
    allowed = ("graph", "edges_per_node", *cfg["knobs"]) if "violation" in cfg else _OVERRIDES
    unknown = sorted(set(overrides) - set(allowed))
    if unknown:
        where = f" for preset {preset!r}" if "violation" in cfg else ""
        raise ConfigError(f"unknown simulate option(s) {unknown}; allowed{where}: {list(allowed)}")
    if "violation" in cfg:  # assumption-violation presets: graph kind, density and the knob
        if "graph" in overrides:
            cfg["graph"] = {"kind": overrides["graph"]} if isinstance(overrides["graph"], str) else dict(
                overrides["graph"])
            cfg["graph"].setdefault("edges_per_node", 1.0)
        if "edges_per_node" in overrides:
            cfg["graph"]["edges_per_node"] = float(overrides["edges_per_node"])
        cfg["knobs"].update({key: overrides[key] for key in cfg["knobs"] if key in overrides})
        return cfg

    def each(section):  # yield every dict inside (possibly nested) alternatives
        stack = [section]
        while stack:
            x = stack.pop()
            if isinstance(x, list):
                stack.extend(x)
            elif isinstance(x, dict):
                yield x

    def as_section(v, key="kind"):
        return {key: v} if isinstance(v, str) else copy.deepcopy(v)

    if "graph" in overrides:
        cfg["graph"] = as_section(overrides["graph"])
    if "edges_per_node" in overrides:
        for g in each(cfg["graph"]):
            if g.get("kind") in ("er", "sf", "sf-in", "sbm"):
                g["edges_per_node"] = float(overrides["edges_per_node"])
    if "mechanism" in overrides:
        cfg["mechanism"] = as_section(overrides["mechanism"])
        cfg.pop("root_mechanism", None)
    for m in each(cfg["mechanism"]):
        m.update(overrides.get("mechanism_params") or {})
    if "root_mechanism" in overrides:
        cfg["root_mechanism"] = overrides["root_mechanism"]
    if "noise" in overrides:
        new = as_section(overrides["noise"])
        old = next(each(cfg["noise"]))
        for nz in each(new):
            nz.setdefault("scale", old.get("scale", 1.0))
            nz.setdefault("heteroscedastic", None)
        cfg["noise"] = new
    for nz in each(cfg["noise"]):
        if "noise_scale" in overrides:
            nz["scale"] = overrides["noise_scale"]
        if "heteroscedastic" in overrides:
            h = overrides["heteroscedastic"]
            nz["heteroscedastic"] = {} if h is True else (None if h is False or h is None else dict(h))
    iv = cfg.setdefault("intervention", {})
    iv.update(overrides.get("intervention") or {})
    if "n_targets" in overrides:
        iv["n_targets"] = overrides["n_targets"]
    if "intervention_value" in overrides:
        iv["value"] = overrides["intervention_value"]
    if "known_targets" in overrides:
        iv["known"] = bool(overrides["known_targets"])
    return cfg


def simulate(preset: str, *, d: int, n: int, rng: np.random.Generator, n_interventional: int = 0,
             hide: int = 0, **overrides):
    """Simulate one dataset from a named preset: graph, SCM and samples, all drawn from ``rng``.

    Parameters
    ----------
    preset : str -- a key of :data:`PRESETS`.
    d : int >= 2 -- number of variables.
    n : int >= 1 -- observational rows.
    rng : numpy.random.Generator -- the only source of randomness (same seed, same dataset).
    n_interventional : int -- extra rows with single-node hard interventions (AVICI style, see
        :func:`~scorecause.simulate.scm.sample_interventional`): targets are all nodes, or
        ``n_targets`` of them (an int, or a fraction of d), values drawn per row from the preset's
        intervention value distribution; rows interleaved over targets.
    hide : int -- hide this many variables, chosen (seeded) among those with >= 2 observed children so each
        is a hidden confounder (the graph is redrawn until it has enough); the result has ``d - hide`` columns
        and its truth is the latent projection (:mod:`scorecause.simulate.hidden`): directed part in
        ``truth``, bidirected part in ``meta["truth_bidirected"]``.
    **overrides : change the preset: ``graph`` (kind or dict/list), ``edges_per_node``, ``mechanism`` (kind or
        dict/list), ``mechanism_params`` (dict merged into every mechanism), ``root_mechanism``, ``noise``
        (kind or dict/list), ``noise_scale`` (number or range), ``heteroscedastic`` (False/True/dict of RFF
        options), ``intervention`` (dict), ``n_targets``, ``intervention_value``, ``known_targets`` (bool;
        False leaves the mask out but keeps the environments and ``meta["targets"]``).

    Returns
    -------
    Dataset
        ``X`` (observational rows first, then interventional), ``names`` ``X0..X{d-1}``, ``truth`` (the
        graph, ``truth[i, j] = 1`` means ``i -> j``), ``interventions`` (n x d mask, when interventional rows
        exist and targets are known), ``environments`` (0 observational, ``t + 1`` for ``do(X_t)``; only with
        interventional rows) and ``meta`` with ``scm`` (the :class:`AdditiveNoiseSCM`: analytic ``score``,
        ``hessian_diag``, ``log_prob``), ``preset``, ``config`` (the drawn choices), ``targets``,
        ``n_observational``, ``n_interventional``.

    Examples
    --------
    >>> import numpy as np
    >>> ds = simulate("avici-linear", d=10, n=200, rng=np.random.default_rng(0), n_interventional=50)
    >>> ds.X.shape, ds.truth.shape, int(ds.interventions.sum())
    ((250, 10), (10, 10), 50)
    """
    from scorecause.data import Dataset

    check_rng(rng)
    d = check_count(d, "d", 2, "number of variables")
    n = check_count(n, "n", 1, "number of observational rows")
    n_interventional = check_count(n_interventional, "n_interventional", 0, "number of interventional rows")
    cfg = resolve_preset(preset, **overrides)
    if "violation" in cfg:
        if n_interventional:
            raise ConfigError(f"preset {preset!r} simulates observational data only; drop n_interventional")
        graph = dict(cfg["graph"])
        ds = simulate_violation(cfg["violation"], d=d, n=n, rng=rng, graph=graph,
                                edges_per_node=graph.pop("edges_per_node", 1.0), knob=next(iter(cfg["knobs"].values()),
                                                                                           None))
        ds.meta["preset"] = preset
        return ds

    hide = check_count(hide, "hide", 0, "number of hidden variables")
    if hide and n_interventional:
        raise ConfigError("hide and n_interventional cannot be combined; simulate observational data to hide "
                          "variables")
    for _attempt in range(_HIDE_ATTEMPTS if hide else 1):  # redraw until the graph has `hide` confounders
        g = _choose(cfg["graph"], rng)
        kind = g.pop("kind")
        A = sample_graph(kind, d, rng, **g)
        hidden = choose_confounders(A, hide, rng) if hide else []
        if hidden is not None:
            break
    else:
        raise ConfigError(f"no graph among {_HIDE_ATTEMPTS} draws had {hide} variables with >= 2 observed "
                          f"children each (d={d}); hide fewer variables, raise d or edges_per_node")
    mech = _choose(cfg["mechanism"], rng)
    mkind = mech.pop("kind")
    nz = _choose(cfg["noise"], rng)
    scm = AdditiveNoiseSCM.random(A, rng, mechanism=mkind, mechanism_params=mech, noise=nz["kind"],
                                  noise_scale=nz.get("scale", 1.0), heteroscedastic=nz.get("heteroscedastic"),
                                  root_mechanism=cfg.get("root_mechanism"))
    X, _ = scm.sample(n, rng)
    iv = cfg["intervention"]
    mask = env = None
    targets: list[int] = []
    if n_interventional:
        k = iv.get("n_targets")
        if k is None:
            k = d
        elif isinstance(k, float) and 0 < k <= 1:
            k = max(1, int(round(k * d)))
        k = int(k)
        if not 1 <= k <= d:
            raise ConfigError(f"n_targets must be in 1..d={d} (or a fraction in (0, 1]), got {iv.get('n_targets')}")
        Xi, Mi, Ei = sample_interventional(scm, n_interventional, rng, n_targets=k,
                                           value=_value_dist(iv.get("value", ("signed-uniform", 1.0, 3.0))))
        targets = sorted(set(np.flatnonzero(Mi.any(axis=0)).tolist()))
        X = np.vstack([X, Xi])
        env = np.concatenate([np.zeros(n, dtype=np.int64), Ei])
        mask = np.vstack([np.zeros((n, d), dtype=bool), Mi]) if iv.get("known", True) else None
    meta = {
        "scm": scm, "preset": preset, "targets": targets,
        "config": {"graph": {"kind": kind, **g}, "mechanism": {"kind": mkind, **mech}, "noise": nz,
                   "intervention": iv, "root_mechanism": cfg.get("root_mechanism")},
        "n_observational": n, "n_interventional": n_interventional,
    }
    ds = Dataset(X, [f"X{j}" for j in range(d)], mask, env, A, meta)
    return hide_variables(ds, hidden) if hide else ds
