r"""Neural score models: sliced score matching (SSM-VR) and denoising score matching (DSM).

A small MLP :math:`s_\theta:\mathbb R^d\to\mathbb R^d` is trained so that :math:`s_\theta(x)\approx\nabla_x\log p(x)`;
unlike the Stein estimator it can be evaluated at any point.

* **SSM-VR** (Song, Garg, Shi & Ermon, "Sliced score matching", UAI 2019), with random projections
  :math:`v\sim\mathcal N(0, I)` and the variance-reduced objective (the :math:`\tfrac12(v^\top s)^2` term
  replaced by its expectation over :math:`v`):

  .. math:: J(\theta) = \mathbb E_x\Big[\tfrac12\lVert s_\theta(x)\rVert^2
            + \mathbb E_v\big[v^\top \nabla_x\big(v^\top s_\theta(x)\big)\big]\Big].

* **DSM** (Vincent, "A connection between score matching and denoising autoencoders", Neural Comput. 2011):
  :math:`\tilde x = x + \sigma\varepsilon`, :math:`J(\theta) = \mathbb E\,\tfrac12\lVert\sigma s_\theta(\tilde x) +
  \varepsilon\rVert^2` (the :math:`\sigma^2`-weighted form); learns the score of the :math:`\sigma`-smoothed density,
  so a small :math:`\sigma` trades bias against variance.

Both work on standardised data :math:`z = (x-\mu)/\sigma_x`; the score is mapped back by the chain rule,
:math:`\nabla_x\log p(x) = \nabla_z\log p_z(z)/\sigma_x`. Training uses Adam, mini-batches, and early stopping on
the loss of a held-out split (fixed slices / fixed noise there, so the curve is not noisy); the best weights are
kept.
"""

from __future__ import annotations

import contextlib
import copy

import numpy as np
import torch
from torch import nn

from scorecause.errors import ConfigError, DataError, NotFittedError
from scorecause.scores.kernels import as_samples, resolve_device

__all__ = ["ScoreModel", "MLP"]


class MLP(nn.Module):
    """Fully connected net ``d -> hidden... -> d_out`` with smooth (SiLU) activations.

    Smooth activations matter: SSM differentiates the network's output with respect to its input.
    Weights are drawn from ``generator`` (uniform, fan-in scaled like PyTorch's default), never the global RNG.
    """

    def __init__(self, d_in: int, hidden=(128, 128), d_out: int | None = None, *, generator=None,
                 dtype=torch.float32, device="cpu"):
        super().__init__()
        sizes = [d_in, *hidden, d_in if d_out is None else d_out]
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            lin = nn.Linear(a, b, dtype=dtype, device=device)
            bound = 1.0 / np.sqrt(a)
            with torch.no_grad():
                lin.weight.uniform_(-bound, bound, generator=generator)
                lin.bias.uniform_(-bound, bound, generator=generator)
            layers += [lin, nn.SiLU()]
        self.net = nn.Sequential(*layers[:-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, d) -> (b, d_out)
        return self.net(x)


@contextlib.contextmanager
def torch_threads(num_threads: int | None, device: torch.device):
    """Temporarily set torch's intra-op CPU threads (restored on exit); no-op for ``None`` or a GPU.

    Small networks train several times faster on one thread than on a busy multi-core CPU.
    """
    if num_threads is None or device.type != "cpu":
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(int(num_threads))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _ssm_vr_loss(model: nn.Module, z: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """SSM-VR loss per sample; ``v`` has shape (n_slices, b, d)."""
    z = z.requires_grad_(True)
    s = model(z)  # (b, d)
    loss = 0.5 * (s * s).sum(1)
    for vi in v:
        (g,) = torch.autograd.grad((s * vi).sum(), z, create_graph=True)  # grad_z (v^T s), (b, d)
        loss = loss + (g * vi).sum(1) / len(v)
    return loss  # (b,)


def _dsm_loss(model: nn.Module, z: torch.Tensor, eps: torch.Tensor, sigma: float) -> torch.Tensor:
    """DSM loss per sample, sigma^2-weighted: 0.5 ||sigma s(z + sigma eps) + eps||^2."""
    r = sigma * model(z + sigma * eps) + eps
    return 0.5 * (r * r).sum(1)


class ScoreModel:
    r"""Neural score estimator :math:`s_\theta(x)\approx\nabla\log p(x)` trained by SSM-VR or DSM.

    Parameters
    ----------
    method : {"ssm", "dsm"}
        Sliced score matching with variance reduction, or denoising score matching.
    hidden : tuple of int
        Hidden layer widths of the MLP (SiLU activations).
    max_epochs : int
        Upper bound on passes over the training split.
    patience : int
        Stop after this many epochs without a better held-out loss; the best weights are restored.
    batch_size, lr, weight_decay : Adam settings.
    n_slices : int
        Random projections per sample (SSM).
    noise_std : float
        DSM noise level :math:`\sigma` in standardised units (the bias is of order :math:`\sigma^2`).
    val_fraction : float
        Held-out share for early stopping.
    random_state : int, numpy Generator or None
    device : "cpu", "cuda" or "auto"
    dtype : torch dtype of the network (float32 by default; outputs are float64 NumPy arrays).
    num_threads : int or None
        CPU threads used while training/evaluating (restored afterwards); 1 by default because a small MLP
        runs faster on one thread; ``None`` leaves torch's setting alone.

    Attributes
    ----------
    model_ : MLP in standardised coordinates.
    mean_, scale_ : ndarray (d,), the standardisation.
    n_epochs_ : int, epochs run.
    history_ : dict with "train" and "val" loss per epoch.
    n_features_in_ : int

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(500, 2))
    >>> m = ScoreModel("dsm", max_epochs=5, random_state=0).fit(X)
    >>> m.score(np.array([[1.0, 0.0]])).shape        # close to -x for a standard normal
    (1, 2)

    References
    ----------
    Song, Garg, Shi, Ermon. Sliced score matching: a scalable approach to density and score estimation. UAI 2019.
    Vincent. A connection between score matching and denoising autoencoders. Neural Computation 2011.
    """

    def __init__(self, method: str = "ssm", *, hidden=(128, 128), max_epochs: int = 200, patience: int = 10,
                 batch_size: int = 128, lr: float = 1e-3, weight_decay: float = 0.0, n_slices: int = 1,
                 noise_std: float = 0.3, val_fraction: float = 0.1, random_state=None, device="cpu",
                 dtype=torch.float32, num_threads: int | None = 1):
        self.method = method
        self.hidden = hidden
        self.max_epochs = max_epochs
        self.patience = patience
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.n_slices = n_slices
        self.noise_std = noise_std
        self.val_fraction = val_fraction
        self.random_state = random_state
        self.device = device
        self.dtype = dtype
        self.num_threads = num_threads

    def _batch_loss(self, z: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        if self.method == "ssm":
            v = torch.randn((self.n_slices, *z.shape), generator=gen, dtype=z.dtype, device=z.device)
            return _ssm_vr_loss(self.model_, z, v)
        eps = torch.randn(z.shape, generator=gen, dtype=z.dtype, device=z.device)
        return _dsm_loss(self.model_, z, eps, self.noise_std)

    def _val_loss(self, Zv: torch.Tensor, seed: int) -> float:
        gen = torch.Generator(device=Zv.device).manual_seed(seed)  # the same slices / noise every epoch
        total = 0.0
        for start in range(0, len(Zv), 1024):
            with torch.enable_grad():
                total += float(self._batch_loss(Zv[start:start + 1024].clone(), gen).detach().sum())
        return total / len(Zv)

    def fit(self, X, y=None):
        """Train on samples ``X`` (n, d); returns ``self``."""
        dev = resolve_device(self.device)
        with torch_threads(self.num_threads, dev):
            return self._fit(X, dev)

    def _fit(self, X, dev):
        if self.method not in ("ssm", "dsm"):
            raise ConfigError(f"method={self.method!r}; use 'ssm' (sliced score matching) or 'dsm' (denoising)")
        if not 0.0 < self.val_fraction < 1.0:
            raise ConfigError(f"val_fraction must be in (0, 1); got {self.val_fraction}")
        X = as_samples(X)
        n, d = X.shape
        n_val = max(1, int(round(self.val_fraction * n)))
        if n - n_val < 2:
            raise DataError(f"ScoreModel needs more rows: got {n}, of which {n_val} are held out")
        rng = np.random.default_rng(self.random_state)
        gen = torch.Generator(device=dev).manual_seed(int(rng.integers(2**62)))
        val_seed = int(rng.integers(2**62))

        self.mean_ = X.mean(0)
        self.scale_ = X.std(0)
        if np.any(self.scale_ <= 0):
            j = int(np.flatnonzero(self.scale_ <= 0)[0])
            raise DataError(f"column {j} is constant; a score model needs non-degenerate columns (drop it)")
        perm = rng.permutation(n)
        Z = torch.as_tensor((X - self.mean_) / self.scale_, dtype=self.dtype, device=dev)
        Zv, Zt = Z[torch.as_tensor(perm[:n_val], device=dev)], Z[torch.as_tensor(perm[n_val:], device=dev)]

        self.model_ = MLP(d, tuple(self.hidden), generator=gen, dtype=self.dtype, device=dev)
        opt = torch.optim.Adam(self.model_.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        best, best_state, wait = np.inf, None, 0
        self.history_ = {"train": [], "val": []}
        for _epoch in range(self.max_epochs):
            self.model_.train()
            order = torch.randperm(len(Zt), generator=gen, device=dev)
            run = 0.0
            for start in range(0, len(Zt), self.batch_size):
                zb = Zt[order[start:start + self.batch_size]].clone()
                loss = self._batch_loss(zb, gen).mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                run += float(loss.detach()) * len(zb)
            self.model_.eval()
            val = self._val_loss(Zv, val_seed)
            self.history_["train"].append(run / len(Zt))
            self.history_["val"].append(val)
            if val < best - 1e-6 * abs(best if np.isfinite(best) else 1.0):
                best, best_state, wait = val, copy.deepcopy(self.model_.state_dict()), 0
            else:
                wait += 1
                if wait >= self.patience:
                    break
        if best_state is not None:
            self.model_.load_state_dict(best_state)
        self.n_epochs_ = len(self.history_["val"])
        self.best_val_loss_ = best
        self.n_features_in_ = d
        self._dev = dev
        return self

    def score(self, points) -> np.ndarray:
        r"""Estimated score :math:`\nabla_x\log p` at ``points`` (m, d) -> ndarray (m, d), float64."""
        if not hasattr(self, "model_"):
            raise NotFittedError("ScoreModel is not fitted yet; call fit(X) first")
        P = np.asarray(getattr(points, "X", points), dtype=np.float64)
        if P.ndim != 2 or P.shape[1] != self.n_features_in_:
            raise DataError(f"points must have shape (m, {self.n_features_in_}); got {P.shape}")
        P = as_samples(P, "points", min_rows=1)
        Z = torch.as_tensor((P - self.mean_) / self.scale_, dtype=self.dtype, device=self._dev)
        out = []
        with torch.no_grad(), torch_threads(self.num_threads, self._dev):
            for start in range(0, len(Z), 4096):
                out.append(self.model_(Z[start:start + 4096]).double().cpu().numpy())
        return np.concatenate(out) / self.scale_
