r"""Score differences between two distributions, :math:`\nabla\log p_{other}(x) - \nabla\log p_{ref}(x)`.

The building block of interventional causal representation learning (LSCALE-I / GSCALE-I, UMNI-CRL): the
difference between an interventional and the observational score is sparse in the latent space.

Two routes:

1. **Difference of two score models** (``method="ssm"``, ``"dsm"``, ``"stein"``): fit one estimator per sample
   set (:class:`~scorecause.scores.matching.ScoreModel`, :class:`~scorecause.scores.stein.SteinEstimator`) and
   subtract their values at the query points.
2. **Direct, by classification** (``"classifier-logistic"``, ``"classifier-mlp"``): the log density ratio
   :math:`r(x) = \log p_{other}(x) - \log p_{ref}(x)` is the Bayes logit of a probabilistic classifier that
   separates the two sample sets (noise-contrastive / classifier-based density-ratio estimation, e.g.
   Gutmann & Hyvärinen 2012; Sugiyama et al. 2012), so :math:`\nabla_x r(x)` is the score difference.
   With sample sizes :math:`n_o, n_r` and an unweighted loss the optimal logit is
   :math:`r(x) + \log(n_o/n_r)`; the offset is a constant, so the gradient needs no correction, and
   :meth:`DensityRatioClassifier.log_ratio` subtracts it.

   * ``"classifier-logistic"``: logistic regression on quadratic features, :math:`f(z) = b + w^\top z +
     z^\top A z` (``A`` symmetric; all :math:`d(d+1)/2` products, never materialised), whose input gradient is
     analytic, :math:`w + 2Az`. Exact when both distributions are Gaussian (e.g. linear Gaussian latents under
     linear mixing: the score difference is then affine in :math:`x`). Convex; L2-penalised; full-batch L-BFGS.
   * ``"classifier-mlp"``: a small MLP logit trained with Adam and early stopping on a held-out loss; the input
     gradient comes from autograd.

Inputs are standardised with the pooled mean and standard deviation; gradients are mapped back by the chain rule.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from scorecause.errors import ConfigError, DataError, NotFittedError
from scorecause.scores.kernels import as_samples, resolve_device
from scorecause.scores.matching import MLP, ScoreModel, torch_threads
from scorecause.scores.stein import SteinEstimator

__all__ = ["score_difference", "DensityRatioClassifier", "MultiClassDensityRatio", "METHODS"]

METHODS = ("classifier-logistic", "classifier-mlp", "ssm", "dsm", "stein")



def query_points(est, at, fit_call: str) -> np.ndarray:
    """The points (m, d) where a fitted density-ratio classifier ``est`` is evaluated: ``at`` an array or a
    Dataset with ``est.n_features_in_`` columns; one-line errors when ``est`` is unfitted or the shape is wrong."""
    if not hasattr(est, "net_"):
        raise NotFittedError(f"{type(est).__name__} is not fitted yet; call {fit_call} first")
    P = np.asarray(getattr(at, "X", at), dtype=np.float64)
    if P.ndim != 2 or P.shape[1] != est.n_features_in_:
        raise DataError(f"points must have shape (m, {est.n_features_in_}); got {P.shape}")
    return as_samples(P, "points", min_rows=1)

class _QuadraticLogit(torch.nn.Module):
    """f(z) = b + w^T z + z^T A z with A = (M + M^T) / 2; gradient w + 2 A z (analytic)."""

    def __init__(self, d: int, dtype, device):
        super().__init__()
        self.b = torch.nn.Parameter(torch.zeros((), dtype=dtype, device=device))
        self.w = torch.nn.Parameter(torch.zeros(d, dtype=dtype, device=device))
        self.M = torch.nn.Parameter(torch.zeros(d, d, dtype=dtype, device=device))

    def A(self) -> torch.Tensor:
        return 0.5 * (self.M + self.M.T)

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # (b, d) -> (b,)
        return self.b + z @ self.w + ((z @ self.A()) * z).sum(1)

    def input_grad(self, z: torch.Tensor) -> torch.Tensor:  # (b, d)
        return self.w + 2.0 * z @ self.A()


class DensityRatioClassifier:
    r"""Classifier-based estimate of :math:`r(x) = \log p_{other}(x) - \log p_{ref}(x)` and its gradient.

    Parameters
    ----------
    model : {"logistic", "mlp"}
        Quadratic-feature logistic regression (analytic gradient) or an MLP logit (autograd gradient).
    l2 : float
        L2 penalty on the logistic weights (per sample, i.e. added to the mean log-loss); MLP: Adam weight decay.
    hidden : tuple of int
        MLP widths.
    max_epochs, patience, batch_size, lr, val_fraction :
        MLP training (early stopping on the held-out log-loss, best weights restored).
    max_iter : int
        L-BFGS iterations for the logistic model.
    random_state : int, numpy Generator or None
    device : "cpu", "cuda" or "auto"
    num_threads : int or None, CPU threads during training (restored afterwards).

    Attributes
    ----------
    mean_, scale_ : ndarray (d,), pooled standardisation.
    log_prior_ratio_ : float, :math:`\log(n_{other}/n_{ref})`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X0, X1 = rng.normal(size=(2000, 2)), 1.0 + rng.normal(size=(2000, 2))
    >>> clf = DensityRatioClassifier("logistic").fit(X0, X1)
    >>> clf.grad_log_ratio(np.zeros((1, 2))).round(1)       # exact answer: (1, 1)
    array([[1. , 1.1]])
    """

    def __init__(self, model: str = "logistic", *, l2: float = 1e-4, hidden=(64, 64), max_epochs: int = 200,
                 patience: int = 20, batch_size: int = 256, lr: float = 1e-3, val_fraction: float = 0.1,
                 max_iter: int = 500, random_state=None, device="cpu", num_threads: int | None = 1):
        self.model = model
        self.l2 = l2
        self.hidden = hidden
        self.max_epochs = max_epochs
        self.patience = patience
        self.batch_size = batch_size
        self.lr = lr
        self.val_fraction = val_fraction
        self.max_iter = max_iter
        self.random_state = random_state
        self.device = device
        self.num_threads = num_threads

    def fit(self, X_ref, X_other):
        """Fit on the two sample sets (label 0 = ``X_ref``, 1 = ``X_other``); returns ``self``."""
        if self.model not in ("logistic", "mlp"):
            raise ConfigError(f"model={self.model!r}; use 'logistic' or 'mlp'")
        X0, X1 = as_samples(X_ref, "X_ref"), as_samples(X_other, "X_other")
        if X0.shape[1] != X1.shape[1]:
            raise DataError(f"X_ref has {X0.shape[1]} columns but X_other has {X1.shape[1]}; they must match")
        self._dev = resolve_device(self.device)
        Xall = np.vstack([X0, X1])
        self.mean_, self.scale_ = Xall.mean(0), Xall.std(0)
        if np.any(self.scale_ <= 0):
            j = int(np.flatnonzero(self.scale_ <= 0)[0])
            raise DataError(f"column {j} is constant in both sample sets; drop it")
        self.log_prior_ratio_ = float(np.log(len(X1) / len(X0)))
        self.n_features_in_ = X0.shape[1]
        y = np.r_[np.zeros(len(X0)), np.ones(len(X1))]
        with torch_threads(self.num_threads, self._dev):
            if self.model == "logistic":
                self._fit_logistic(self._z(Xall), torch.as_tensor(y, dtype=torch.float64, device=self._dev))
            else:
                self._fit_mlp(Xall, y)
        return self

    def _z(self, X, dtype=torch.float64) -> torch.Tensor:
        return torch.as_tensor((X - self.mean_) / self.scale_, dtype=dtype, device=self._dev)

    def _fit_logistic(self, Z: torch.Tensor, y: torch.Tensor) -> None:
        net = _QuadraticLogit(Z.shape[1], Z.dtype, Z.device)
        opt = torch.optim.LBFGS(net.parameters(), lr=1.0, max_iter=self.max_iter, tolerance_grad=1e-9,
                                tolerance_change=1e-12, history_size=20, line_search_fn="strong_wolfe")
        bce = torch.nn.BCEWithLogitsLoss()

        def closure():
            opt.zero_grad()
            loss = bce(net(Z), y) + self.l2 * ((net.w**2).sum() + (net.M**2).sum())
            loss.backward()
            return loss

        opt.step(closure)
        self.net_ = net

    def _fit_mlp(self, Xall: np.ndarray, y: np.ndarray) -> None:
        rng = np.random.default_rng(self.random_state)
        dev = self._dev
        gen = torch.Generator(device=dev).manual_seed(int(rng.integers(2**62)))
        n = len(Xall)
        perm = rng.permutation(n)
        n_val = max(1, int(round(self.val_fraction * n)))
        Z = self._z(Xall, torch.float32)
        Y = torch.as_tensor(y, dtype=torch.float32, device=dev)
        iv, it = torch.as_tensor(perm[:n_val], device=dev), torch.as_tensor(perm[n_val:], device=dev)
        Zv, Yv, Zt, Yt = Z[iv], Y[iv], Z[it], Y[it]
        net = MLP(Z.shape[1], tuple(self.hidden), d_out=1, generator=gen, device=dev)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.l2)
        bce = torch.nn.BCEWithLogitsLoss()
        best, best_state, wait = np.inf, None, 0
        self.history_ = {"train": [], "val": []}
        for _ in range(self.max_epochs):
            order = torch.randperm(len(Zt), generator=gen, device=dev)
            run = 0.0
            for start in range(0, len(Zt), self.batch_size):
                idx = order[start:start + self.batch_size]
                loss = bce(net(Zt[idx])[:, 0], Yt[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                run += float(loss.detach()) * len(idx)
            with torch.no_grad():
                val = float(bce(net(Zv)[:, 0], Yv))
            self.history_["train"].append(run / len(Zt))
            self.history_["val"].append(val)
            if val < best - 1e-6:
                best, best_state, wait = val, copy.deepcopy(net.state_dict()), 0
            else:
                wait += 1
                if wait >= self.patience:
                    break
        if best_state is not None:
            net.load_state_dict(best_state)
        self.net_ = net

    def _points(self, at) -> np.ndarray:
        return query_points(self, at, "fit(X_ref, X_other)")

    def log_ratio(self, at) -> np.ndarray:
        r"""Estimated :math:`\log p_{other}(x) - \log p_{ref}(x)` at ``at`` (m, d) -> (m,)."""
        P = self._points(at)
        with torch.no_grad(), torch_threads(self.num_threads, self._dev):
            if self.model == "logistic":
                f = self.net_(self._z(P))
            else:
                f = self.net_(self._z(P, torch.float32))[:, 0]
        return f.double().cpu().numpy() - self.log_prior_ratio_

    def grad_log_ratio(self, at) -> np.ndarray:
        r""":math:`\nabla_x[\log p_{other}(x) - \log p_{ref}(x)]` at ``at`` (m, d) -> (m, d)."""
        P = self._points(at)
        out = []
        with torch_threads(self.num_threads, self._dev):
            for start in range(0, len(P), 4096):
                chunk = P[start:start + 4096]
                if self.model == "logistic":
                    with torch.no_grad():
                        g = self.net_.input_grad(self._z(chunk))
                else:
                    z = self._z(chunk, torch.float32).requires_grad_(True)
                    (g,) = torch.autograd.grad(self.net_(z).sum(), z)
                out.append(g.detach().double().cpu().numpy())
        return np.concatenate(out) / self.scale_


def score_difference(X_ref, X_other, at, method: str = "classifier-logistic", random_state=None,
                     **kwargs) -> np.ndarray:
    r"""Estimate :math:`\nabla\log p_{other}(x) - \nabla\log p_{ref}(x)` at the points ``at``.

    Parameters
    ----------
    X_ref : array (n_ref, d), samples of the reference distribution (e.g. observational).
    X_other : array (n_other, d), samples of the other distribution (e.g. an interventional environment).
    at : array (m, d), where to evaluate.
    method : {"classifier-logistic", "classifier-mlp", "ssm", "dsm", "stein"}
        Classifier-based log-density-ratio gradient (:class:`DensityRatioClassifier`), or the difference of two
        score models (:class:`~scorecause.scores.matching.ScoreModel` SSM-VR / DSM,
        :class:`~scorecause.scores.stein.SteinEstimator` evaluated out of sample).
    random_state : int, numpy Generator or None
    **kwargs : passed to the estimator's constructor (e.g. ``hidden``, ``l2``, ``method="nystrom"`` is spelled
        ``stein_method="nystrom"`` for the Stein route).

    Returns
    -------
    D : ndarray (m, d)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X0 = rng.normal(size=(3000, 2))
    >>> X1 = rng.normal(size=(3000, 2)) * [1.0, 2.0]        # variance of x_1 changed: only column 1 differs
    >>> D = score_difference(X0, X1, np.array([[0.0, 1.0]]))
    >>> D.round(1)                                          # exact: (0, -1/4 + 1) = (0, 0.75)
    array([[0.1, 0.8]])
    """
    if method not in METHODS:
        raise ConfigError(f"method={method!r}; choose one of {', '.join(METHODS)}")
    rng = np.random.default_rng(random_state)
    A = np.asarray(getattr(at, "X", at), dtype=np.float64)
    if method.startswith("classifier-"):
        clf = DensityRatioClassifier(method.split("-", 1)[1], random_state=rng, **kwargs)
        return clf.fit(X_ref, X_other).grad_log_ratio(A)
    if method == "stein":
        kw = dict(kwargs)
        stein_method = kw.pop("stein_method", "exact")
        s_ref = SteinEstimator(stein_method, random_state=rng, **kw).fit(X_ref).score(A)
        s_oth = SteinEstimator(stein_method, random_state=rng, **kw).fit(X_other).score(A)
        return s_oth - s_ref
    s_ref = ScoreModel(method, random_state=rng, **kwargs).fit(X_ref).score(A)
    s_oth = ScoreModel(method, random_state=rng, **kwargs).fit(X_other).score(A)
    return s_oth - s_ref


class MultiClassDensityRatio:
    r"""One multinomial classifier for the log density ratios between ``K`` sample sets (shared fit).

    A softmax classifier with logits :math:`f_0..f_{K-1}` trained by cross-entropy on the pooled sets has the
    Bayes logits :math:`f_m(x) = \log p_m(x) + \log \pi_m + c(x)` (class priors :math:`\pi_m`, a common
    :math:`c(x)`), so every ratio comes from the same network,
    :math:`\log p_a(x) - \log p_b(x) = f_a(x) - f_b(x) - \log(\pi_a / \pi_b)`, and every score difference is a
    difference of two logit gradients, :math:`\nabla \log p_a - \nabla \log p_b = \nabla f_a - \nabla f_b`
    (multinomial logistic regression for density ratios: Bickel, Brückner & Scheffer, ICML 2007; Srivastava,
    Han, Xu & Guttag, 2023). One fit replaces the ``K - 1`` (or ``K (K - 1) / 2``) binary classifiers of
    :class:`DensityRatioClassifier`, and the ratios are mutually consistent (``a/b + b/c = a/c`` exactly).

    Training: SiLU MLP, Adam with cosine-annealed learning rate over ``max_epochs`` epochs of mini-batches,
    inputs standardised with the pooled mean and scale, the weights of the epoch with the least held-out
    cross-entropy restored.

    Parameters
    ----------
    hidden : tuple of int, MLP widths
    max_epochs, batch_size, lr, val_fraction, l2 : training (``l2`` is Adam's weight decay)
    random_state : int, numpy Generator or None; device : "cpu", "cuda" or "auto"; num_threads : CPU threads

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> sets = [rng.normal(size=(3000, 2)), 1.0 + rng.normal(size=(3000, 2)), rng.normal(size=(3000, 2)) * 2]
    >>> G = MultiClassDensityRatio(random_state=0).fit(sets).logit_grads(np.zeros((1, 2)))
    >>> (G[1] - G[0]).round(1)                              # exact: grad log p_1 - grad log p_0 = (1, 1)
    array([[1., 1.]])
    """

    def __init__(self, *, hidden=(64, 64), max_epochs: int = 20, batch_size: int = 1024, lr: float = 3e-3,
                 val_fraction: float = 0.1, l2: float = 0.0, random_state=None, device="cpu",
                 num_threads: int | None = 1):
        self.hidden = hidden
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.val_fraction = val_fraction
        self.l2 = l2
        self.random_state = random_state
        self.device = device
        self.num_threads = num_threads

    def fit(self, sample_sets):
        """Fit on ``K >= 2`` sample sets (list of arrays (n_m, d), class ``m`` = set ``m``); returns ``self``."""
        sets = [as_samples(X, f"sample set {m}") for m, X in enumerate(sample_sets)]
        if len(sets) < 2:
            raise DataError(f"need at least 2 sample sets to classify, got {len(sets)}")
        d = sets[0].shape[1]
        for m, X in enumerate(sets):
            if X.shape[1] != d:
                raise DataError(f"sample set {m} has {X.shape[1]} columns but set 0 has {d}; they must match")
        self._dev = dev = resolve_device(self.device)
        Xall = np.vstack(sets)
        self.mean_, self.scale_ = Xall.mean(0), Xall.std(0)
        if np.any(self.scale_ <= 0):
            j = int(np.flatnonzero(self.scale_ <= 0)[0])
            raise DataError(f"column {j} is constant in every sample set; drop it")
        counts = np.array([len(X) for X in sets], dtype=float)
        self.log_priors_ = np.log(counts / counts.sum())
        self.n_features_in_, self.n_classes_ = d, len(sets)
        y = np.concatenate([np.full(len(X), m) for m, X in enumerate(sets)])
        rng = np.random.default_rng(self.random_state)
        gen = torch.Generator(device=dev).manual_seed(int(rng.integers(2**62)))
        perm = rng.permutation(len(Xall))
        n_val = max(1, int(round(self.val_fraction * len(Xall))))
        with torch_threads(self.num_threads, dev):
            Z = self._z(Xall)
            Y = torch.as_tensor(y, dtype=torch.long, device=dev)
            iv, it = torch.as_tensor(perm[:n_val], device=dev), torch.as_tensor(perm[n_val:], device=dev)
            Zv, Yv, Zt, Yt = Z[iv], Y[iv], Z[it], Y[it]
            net = MLP(d, tuple(self.hidden), d_out=len(sets), generator=gen, device=dev)
            opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.l2)
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, self.max_epochs)
            ce = torch.nn.CrossEntropyLoss()
            best, best_state = np.inf, None
            self.history_ = {"val": []}
            for _ in range(self.max_epochs):
                order = torch.randperm(len(Zt), generator=gen, device=dev)
                for start in range(0, len(Zt), self.batch_size):
                    idx = order[start:start + self.batch_size]
                    loss = ce(net(Zt[idx]), Yt[idx])
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                sched.step()
                with torch.no_grad():
                    val = float(ce(net(Zv), Yv))
                self.history_["val"].append(val)
                if val < best:
                    best, best_state = val, copy.deepcopy(net.state_dict())
            net.load_state_dict(best_state)
        self.net_ = net
        return self

    def _z(self, X) -> torch.Tensor:
        return torch.as_tensor((X - self.mean_) / self.scale_, dtype=torch.float32, device=self._dev)

    def _points(self, at) -> np.ndarray:
        return query_points(self, at, "fit(sample_sets)")

    def log_ratios(self, at, ref: int = 0) -> np.ndarray:
        r""":math:`\log p_m(x) - \log p_{ref}(x)` for every class ``m`` at ``at`` (p, d) -> (K, p)."""
        P = self._points(at)
        with torch.no_grad(), torch_threads(self.num_threads, self._dev):
            f = self.net_(self._z(P)).double().cpu().numpy() - self.log_priors_  # (p, K)
        return (f - f[:, [ref]]).T

    def logit_grads(self, at) -> np.ndarray:
        r"""Logit gradients :math:`\nabla_x f_m(x)` (K, p, d): ``G[a] - G[b]`` is :math:`\nabla\log p_a - \nabla\log p_b`."""
        from torch.func import jacrev, vmap

        P = self._points(at)
        out = []
        with torch.no_grad(), torch_threads(self.num_threads, self._dev):
            for start in range(0, len(P), 4096):
                J = vmap(jacrev(self.net_))(self._z(P[start:start + 4096]))  # (b, K, d)
                out.append(J.double().cpu().numpy())
        return np.concatenate(out).transpose(1, 0, 2) / self.scale_
