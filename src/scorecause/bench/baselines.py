"""Baseline adapters: classic causal discovery methods behind the :class:`~scorecause.base.CausalEstimator` contract.

Every adapter returns ``adjacency_`` with the project convention ``A[i, j] = 1`` meaning ``i -> j``
(row causes column, int8, zero diagonal). Methods that output an equivalence class (PC, GES, GIES) return a
CPDAG: an undirected edge ``i - j`` is ``A[i, j] = A[j, i] = 1``; :func:`scorecause.metrics.shd` scores
such graphs correctly.

Each third-party library is imported lazily (inside ``_fit``) through :func:`scorecause.errors.require`,
so a missing one raises :class:`~scorecause.errors.MissingDependencyError` naming the ``baselines`` extra.

==================  =================  ==========================================================
registry name       class              paper / library
==================  =================  ==========================================================
``pc``              :class:`PC`        Spirtes, Glymour & Scheines (2000); causal-learn
``ges``             :class:`GES`       Chickering (2002), Greedy Equivalence Search; causal-learn
``directlingam``    :class:`DirectLiNGAM`  Shimizu et al. (2011), JMLR 12; causal-learn
``gies``            :class:`GIES`      Hauser & Bühlmann (2012), JMLR 13; PyPI ``gies``
``empty``           :class:`EmptyGraph`    trivial baseline (no edge); harness overhead tests
``random``          :class:`RandomDAG`     trivial baseline (random DAG of a given density)
==================  =================  ==========================================================
"""

from __future__ import annotations

import numpy as np

from scorecause.base import CausalEstimator
from scorecause.constraints import BOOL, PROBABILITY, RANDOM_STATE, Interval, Options, Predicate
from scorecause.data import Dataset, Prior
from scorecause.errors import require


def _from_endpoints(G) -> np.ndarray:
    """causal-learn endpoint matrix -> adjacency (``A[i, j] = 1`` means ``i -> j``; undirected = both cells).

    PC can mark an edge bidirected (``1/1``) when two v-structures conflict; the adjacency is certain but
    the orientation is not, so such edges are kept as undirected. The rest is
    :func:`scorecause.graph.from_causallearn`.
    """
    from scorecause.graph import from_causallearn

    M = np.array(G, dtype=int)
    both_arrows = (M == 1) & (M.T == 1)
    M[both_arrows] = -1
    return from_causallearn(M)


#: causal-learn's kernel CI tests / scores: O(n^2) memory, O(n^3) time per test
_KERNEL_TESTS = {"kci", "fastkci", "rcit"}
_KERNEL_SCORES = {"local_score_CV_general", "local_score_marginal_general", "local_score_CV_multi",
                  "local_score_marginal_multi"}


class PC(CausalEstimator):
    """PC algorithm (constraint-based; output is a CPDAG) through causal-learn.

    Edges are removed by conditional-independence tests of growing conditioning-set size, v-structures
    oriented, then Meek's rules applied. ``adjacency_``: ``A[i, j] = 1`` means ``i -> j``; an undirected
    edge has both cells set.

    Parameters
    ----------
    alpha : float in (0, 1), default 0.05
        Significance level of each CI test (an edge is removed when a test's p-value exceeds it; larger
        keeps more edges).
    indep_test : str
        causal-learn test name: ``"fisherz"`` (linear-Gaussian), ``"kci"``, ``"chisq"``, ...
    stable : bool
        Order-independent skeleton (PC-stable, Colombo & Maathuis 2014).
    max_k : int or None
        Largest conditioning-set size (None: unbounded).

    Attributes
    ----------
    adjacency_ : int8 ndarray (d, d) -- CPDAG, ``A[i, j] = 1`` means ``i -> j``, undirected = both cells.

    References
    ----------
    Spirtes, Glymour & Scheines (2000), *Causation, Prediction, and Search*, MIT Press.
    Zheng et al. (2024), causal-learn, JMLR 25.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500); y = 2 * x + rng.normal(size=500); z = y + rng.normal(size=500)
    >>> PC().fit(np.c_[x, y, z]).adjacency_.tolist()  # chain x - y - z: undirected CPDAG
    [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    """

    tags = {"causal_sufficiency": True, "acyclic": True, "linear": True, "gaussian_noise": True}

    lazy_imports = ("causallearn.search.ConstraintBased.PC",)  # lazily imported by _fit
    _parameter_constraints = {
        "alpha": PROBABILITY, "stable": [BOOL], "max_k": [None, Interval(int, 0, None)],
        "indep_test": [Options({"fisherz", "chisq", "gsq", "kci", "fastkci", "rcit", "mv_fisherz",
                                "d_separation"})],
    }
    min_rows = 10
    max_features = 300
    memory_fix = "use indep_test='fisherz' or fit on a random subsample of the rows"

    def _memory_bytes(self, n: int, d: int) -> float:
        """Kernel tests hold a few ``n x n`` matrices; Fisher-z only the correlation matrix."""
        return 8.0 * (6 * n * n if self.indep_test in _KERNEL_TESTS else d * d + n * d)

    def __init__(self, alpha: float = 0.05, indep_test: str = "fisherz", stable: bool = True, max_k=None):
        self.alpha = alpha
        self.indep_test = indep_test
        self.stable = stable
        self.max_k = max_k

    def _fit(self, data: Dataset, prior: Prior | None) -> None:
        require("causallearn", "baselines")
        from causallearn.search.ConstraintBased.PC import pc

        cg = pc(data.X, self.alpha, self.indep_test, stable=self.stable, show_progress=False,
                max_k=self.max_k)
        self.adjacency_ = _from_endpoints(cg.G.graph)


class GES(CausalEstimator):
    """Greedy Equivalence Search (score-based; output is a CPDAG) through causal-learn.

    Forward then backward greedy search over Markov equivalence classes maximising a decomposable score
    (BIC by default). ``adjacency_``: ``A[i, j] = 1`` means ``i -> j``; undirected edge = both cells.

    Parameters
    ----------
    score_func : str
        causal-learn score: ``"local_score_BIC"`` (linear-Gaussian), ``"local_score_BDeu"``,
        ``"local_score_CV_general"``, ...
    max_parents : int or None
        Largest parent set considered (causal-learn's ``maxP``).
    lambda_value : float or None
        BIC penalty multiplier (causal-learn default when None).

    References
    ----------
    Chickering (2002), Optimal structure identification with greedy search, JMLR 3, 507-554.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500); z = rng.normal(size=500); y = x + z + rng.normal(size=500)
    >>> GES().fit(np.c_[x, y, z]).adjacency_.tolist()  # collider x -> y <- z is identified
    [[0, 1, 0], [0, 0, 0], [0, 1, 0]]
    """

    tags = {"causal_sufficiency": True, "acyclic": True, "linear": True, "gaussian_noise": True}

    lazy_imports = ("causallearn.search.ScoreBased.GES",)  # lazily imported by _fit
    _parameter_constraints = {
        "score_func": [Options({"local_score_BIC", "local_score_BIC_from_cov", "local_score_BDeu",
                                *_KERNEL_SCORES})],
        "max_parents": [None, Interval(int, 1, None)], "lambda_value": [None, Interval(float, 0, None)],
    }
    min_rows = 10
    max_features = 100
    memory_fix = "use score_func='local_score_BIC' or fit on a random subsample of the rows"

    def _memory_bytes(self, n: int, d: int) -> float:
        """Kernel (CV / marginal) scores hold a few ``n x n`` matrices; BIC only the covariance."""
        return 8.0 * (6 * n * n if self.score_func in _KERNEL_SCORES else d * d + n * d)

    def __init__(self, score_func: str = "local_score_BIC", max_parents=None, lambda_value=None):
        self.score_func = score_func
        self.max_parents = max_parents
        self.lambda_value = lambda_value

    def _fit(self, data: Dataset, prior: Prior | None) -> None:
        require("causallearn", "baselines")
        from causallearn.search.ScoreBased.GES import ges

        kw = {} if self.lambda_value is None else {"lambda_value": self.lambda_value}
        record = ges(data.X, score_func=self.score_func, maxP=self.max_parents, **kw)
        self.adjacency_ = _from_endpoints(record["G"].graph)


class DirectLiNGAM(CausalEstimator):
    """DirectLiNGAM (linear non-Gaussian acyclic model; output is a DAG) through causal-learn.

    Finds the causal order one exogenous variable at a time by pairwise independence of regression
    residuals, then estimates weights by adaptive lasso. causal-learn's ``adjacency_matrix_`` (a port of the
    ``lingam`` package) is **column -> row** (``B[i, j]`` is the effect of ``x_j`` on ``x_i``); it is
    converted by :func:`scorecause.graph.from_lingam` so that ``adjacency_[i, j] = 1`` means ``i -> j``.
    ``weights_`` holds the converted coefficients. (The ``lingam`` package itself is not used: it pins
    ``scipy<=1.13.1`` and would downgrade the scientific stack.)

    Parameters
    ----------
    measure : {"pwling", "kernel"}
        Independence measure used to pick the next exogenous variable.
    threshold : float
        Edges with ``|weight| <= threshold`` are dropped.
    random_state : int or None

    Attributes
    ----------
    adjacency_ : int8 (d, d), ``A[i, j] = 1`` means ``i -> j``.
    weights_ : float (d, d), same orientation.
    order_ : list of int, sources first.

    References
    ----------
    Shimizu et al. (2011), DirectLiNGAM: A direct method for learning a linear non-Gaussian structural
    equation model, JMLR 12, 1225-1248.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(-1, 1, 1000); y = 2 * x + rng.uniform(-1, 1, 1000)
    >>> DirectLiNGAM().fit(np.c_[x, y]).adjacency_.tolist()
    [[0, 1], [0, 0]]
    """

    tags = {"causal_sufficiency": True, "acyclic": True, "linear": True, "gaussian_noise": False,
            "additive_noise": True}

    lazy_imports = ("causallearn.search.FCMBased.lingam",)  # lazily imported by _fit
    _parameter_constraints = {"measure": [Options({"pwling", "kernel"})],
                              "threshold": [Interval(float, 0, None)], "random_state": RANDOM_STATE}
    min_rows = 10
    max_features = 300
    needs_more_rows_than_variables = True  # the pruning regression needs n > d

    def __init__(self, measure: str = "pwling", threshold: float = 0.0, random_state=None):
        self.measure = measure
        self.threshold = threshold
        self.random_state = random_state

    def _fit(self, data: Dataset, prior: Prior | None) -> None:
        from scorecause.graph import from_lingam

        require("causallearn", "baselines")
        from causallearn.search.FCMBased.lingam import DirectLiNGAM as _CausalLearnDirectLiNGAM

        model = _CausalLearnDirectLiNGAM(random_state=self.random_state, measure=self.measure)
        model.fit(data.X)
        W = from_lingam(model.adjacency_matrix_, weights=True)  # column->row  ->  row->col
        np.fill_diagonal(W, 0.0)
        self.weights_ = W
        self.adjacency_ = (np.abs(W) > self.threshold).astype(np.int8)
        self.order_ = [int(i) for i in model.causal_order_]


def environments_from_mask(mask: np.ndarray | None, n: int):
    """Group rows by their intervention pattern: ``(list of row-index arrays, list of target lists)``.

    ``mask`` is bool (n, d), ``mask[r, j]`` true when variable ``j`` was intervened on in row ``r``.
    Rows with the same pattern form one environment whose targets are the set variables; rows without
    any intervention form the observational environment (targets ``[]``), listed first.

    >>> rows, targets = environments_from_mask(np.array([[0, 0], [1, 0], [0, 0]], bool), 3)
    >>> [r.tolist() for r in rows], targets
    ([[0, 2], [1]], [[], [0]])
    """
    if mask is None:
        return [np.arange(n)], [[]]
    patterns, inverse = np.unique(np.asarray(mask, dtype=bool), axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    order = np.argsort(patterns.sum(axis=1), kind="stable")  # observational (no target) first
    rows = [np.flatnonzero(inverse == k) for k in order]
    targets = [np.flatnonzero(patterns[k]).tolist() for k in order]
    return rows, targets


class GIES(CausalEstimator):
    """Greedy Interventional Equivalence Search (score-based; output is an I-essential graph) via PyPI ``gies``.

    The intervention mask is turned into environments: rows sharing an intervention pattern form one
    environment whose intervention targets are the intervened variables (see :func:`environments_from_mask`).
    With no interventions GIES reduces to GES. ``adjacency_``: ``A[i, j] = 1`` means ``i -> j``; an edge
    left undirected in the interventional equivalence class has both cells set.

    Parameters
    ----------
    phases : tuple of str
        GIES phases in order (``"forward"``, ``"backward"``, ``"turning"``).
    iterate : bool
        Repeat the phases until the score stops improving.

    References
    ----------
    Hauser & Bühlmann (2012), Characterization and greedy learning of interventional Markov equivalence
    classes of directed acyclic graphs, JMLR 13, 2409-2464.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=600); y = x + rng.normal(size=600)
    >>> mask = np.zeros((600, 2), bool); mask[300:, 0] = True; x[300:] = rng.normal(3, 1, 300)
    >>> y[300:] = x[300:] + rng.normal(size=300)
    >>> GIES().fit(np.c_[x, y], interventions=mask).adjacency_.tolist()
    [[0, 1], [0, 0]]
    """

    tags = {"causal_sufficiency": True, "acyclic": True, "linear": True, "gaussian_noise": True,
            "interventional": True}

    lazy_imports = ("gies",)  # lazily imported by _fit
    _parameter_constraints = {
        "phases": [Predicate(lambda v: not isinstance(v, str) and len(v) > 0
                             and set(v) <= {"forward", "backward", "turning"},
                             "a non-empty sequence of 'forward', 'backward', 'turning'")],
        "iterate": [BOOL],
    }
    min_rows = 10
    max_features = 100

    def __init__(self, phases=("forward", "backward", "turning"), iterate: bool = True):
        self.phases = phases
        self.iterate = iterate

    def _fit(self, data: Dataset, prior: Prior | None) -> None:
        gies = require("gies", "baselines")
        rows, targets = environments_from_mask(data.interventions, data.n)
        envs = [data.X[r] for r in rows]
        A, score = gies.fit_bic(envs, targets, phases=list(self.phases), iterate=self.iterate)
        self.score_ = float(score)
        self.adjacency_ = (np.asarray(A) != 0).astype(np.int8)


class EmptyGraph(CausalEstimator):
    """Trivial baseline: the graph with no edge (``adjacency_`` all zeros; ``A[i, j] = 1`` would mean ``i -> j``).

    Its SHD equals the number of true edges; used as a floor in benchmarks and to measure harness overhead.

    >>> import numpy as np
    >>> int(EmptyGraph().fit(np.random.default_rng(0).normal(size=(5, 3))).adjacency_.sum())
    0
    """

    tags = {"acyclic": True}
    _parameter_constraints: dict = {}
    min_rows = 1

    def _fit(self, data: Dataset, prior: Prior | None) -> None:
        self.adjacency_ = np.zeros((data.d, data.d), dtype=np.int8)
        self.order_ = list(range(data.d))


class RandomDAG(CausalEstimator):
    """Trivial baseline: a uniformly random order, each forward pair an edge with probability ``edge_prob``.

    ``adjacency_[i, j] = 1`` means ``i -> j``; ``edge_probs_`` is the constant ``edge_prob`` off the diagonal
    (an uninformative probability, so calibration plots have a reference).

    Parameters
    ----------
    edge_prob : float or None
        Probability of each edge along the random order; None uses ``2 / (d - 1)`` (about ``d`` edges,
        the density of the usual ER-1 benchmark graphs).
    random_state : int, Generator or None

    Examples
    --------
    >>> import numpy as np
    >>> from scorecause.graph import is_dag
    >>> is_dag(RandomDAG(random_state=0).fit(np.random.default_rng(0).normal(size=(5, 4))).adjacency_)
    True
    """

    tags = {"acyclic": True}
    _parameter_constraints = {"edge_prob": [None, Interval(float, 0, 1)], "random_state": RANDOM_STATE}

    def __init__(self, edge_prob=None, random_state=None):
        self.edge_prob = edge_prob
        self.random_state = random_state

    def _fit(self, data: Dataset, prior: Prior | None) -> None:
        d = data.d
        p = 2.0 / max(d - 1, 1) if self.edge_prob is None else float(self.edge_prob)
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(d)
        upper = np.triu(rng.random((d, d)) < min(p, 1.0), k=1)  # edges along positions of the order
        A = np.zeros((d, d), dtype=np.int8)
        A[np.ix_(order, order)] = upper
        self.adjacency_ = A
        self.order_ = [int(i) for i in order]
        P = np.full((d, d), p)
        np.fill_diagonal(P, 0.0)
        self.edge_probs_ = P
