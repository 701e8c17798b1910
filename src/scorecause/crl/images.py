r"""GSCALE-I on images: a convolutional autoencoder to a low-dimensional code, then GSCALE-I on the codes.

Varıcı, Acartürk, Shanmugam, Kumar, Tajer, "Score-based causal representation learning: linear and general
transformations", JMLR 2025 (arXiv 2402.00849), section 7.5 (rendered balls, Table 14); the pose read-out is
the last step of ROPES (Tajer lab, arXiv 2510.20884): latents learned from interventions only, then mapped to
joint angles with a few labelled images.

**Pipeline** (:class:`ImageGSCALE`):

1. *Dimension reduction.* A small convolutional autoencoder ``x -> y = h_1(x) -> x_hat = f_1(y)`` is trained
   on the pooled images of **all** environments, mean squared pixel error, Adam, early stopping on a held-out
   split. When ``h_1`` is injective on the image manifold, ``y = h_1(g(z))`` is an injective function of the
   latents, so the codes are a general (nonlinear) mixing of ``z`` -- exactly GSCALE-I's setting, in
   ``code_dim`` instead of ``64 * 64 * 3`` dimensions. The default is the **keypoint autoencoder**
   (:class:`KeypointAutoencoder`, ``ae_kind="keypoint"``: spatial soft-argmax points, a Gaussian-heatmap
   decoder, ``code_dim = 2 n``), whose codes come out close to an *affine* function of the object positions
   (held-out linear R^2 of the true ball positions on the codes: 1.00); the generic code of
   :class:`ConvAutoencoder` (``ae_kind="conv"``, a linear layer after strided convolutions) holds the
   positions only folded and nonlinearly, which capped GSCALE-I's MCC near 0.5 (BENCHMARKS.md, "CRL on
   images"): GSCALE-I itself, with classifier score differences from 2,000 images per environment, reaches
   MCC 0.99 on codes that are an affine map of the positions, but only 0.97 and 0.64 (seeds 0, 1) on a tanh
   of that map: the closer to affine the code, the better.
   The codes are projected on their top ``gscale_dim`` principal directions (default ``n``).
2. *A chart of curved codes* (:class:`IsomapChart`, when ``gscale_dim > n``): a robot arm's keypoint code is its
   joint *positions*, a curved ``n``-manifold in ``2n`` dimensions, where GSCALE-I (even on the exact positions)
   reached only MCC 0.75; whitening and Isomap map it to ``n`` chart coordinates nearly affine in the angles,
   and GSCALE-I runs on those in its ``k = n`` regime (0.98 on the exact positions).
3. *GSCALE-I on the codes* (:class:`scorecause.crl.gscale.GSCALE_I`) with classifier-based score differences
   (``scores="classifier-mlp"``: the gradient of the log-density ratio of two environments' codes, learned by
   a probabilistic classifier, :class:`scorecause.scores.difference.DensityRatioClassifier`). The paper
   estimates the ratios on raw images and pulls them back through the decoder Jacobian; estimating them on the
   codes is the same quantity for the code distribution, in a space where a small MLP classifier suffices.
4. The learned latents are ``z_hat = h_2(chart(h_1(x)))`` (``transform(images)``).

**One vs two interventions per latent.** GSCALE-I's guarantee needs two hard interventions per node: the score
difference between the two hard environments of node ``i`` lives on ``z_i`` alone. With **one** hard
intervention per node the authors' image code (``acarturk-e/score-based-crl``, ``GSCALE-I-images``: the
``dsys_hard_obs`` differences) uses the difference between the observational environment and the node's hard
environment instead; it lives on ``z_i`` and ``z_pa(i)``, so the disentangling loss has no exact diagonal
optimum and the paper reports MCC only (Table 14: 0.79 linear / 0.92 nonlinear). The rule here is the same:
**the observational environment is each node's second environment** -- GSCALE-I is run on
``[obs, hard_1..hard_n, obs, ..., obs]`` with the second set's score differences exactly zero, so each pair's
difference is ``s_0 - s_{hard_i}``. GSCALE-I's graph read-out compares obs-vs-hard with between-hards
supports, which coincide here, so the single-intervention graph is read from the learned latents instead
(:func:`ancestral_readout`): a hard intervention on ``z_i`` makes ``z_i`` independent of its
non-descendants, so ``Z_j`` is an ancestor of ``Z_i`` when their dependence disappears in ``z_i``'s
environment but not in ``z_j``'s. That identifies the **transitive closure** of the DAG, which is what
``adjacency_`` holds in this mode (``graph_kind_ = "ancestral"``).

**Pose read-out** (:func:`pose_readout`, :class:`SupervisedPoseCNN`): with ``k`` labelled images, learned
latents are mapped to joint angles (affine least squares, or per latent a monotone map after matching latents
to angles) and compared with a CNN of the same encoder architecture trained from scratch on the same ``k``
images (:func:`angle_error_deg`: mean absolute wrapped angle error in degrees).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from scorecause.constraints import BOOL, DEVICE, RANDOM_STATE, Interval, Options, validate_params
from scorecause.crl.base import reduce_dimension
from scorecause.errors import DataError, NotFittedError

__all__ = ["ConvAutoencoder", "train_autoencoder", "encode_images", "IsomapChart", "ImageGSCALE", "ancestral_readout",
           "pose_readout", "PoseMap", "SupervisedPoseCNN", "angle_error_deg", "check_images"]


# ------------------------------------------------------------------------------------------------
# Images
# ------------------------------------------------------------------------------------------------
def check_images(images, what: str = "images") -> np.ndarray:
    """Validate one stack of images -> array (N, H, W, C) (uint8 kept; floats must lie in [0, 1]).

    ``H == W`` must be a power of two >= 8 (the autoencoder halves the size down to 4 x 4).
    """
    X = np.asarray(images)
    if X.ndim == 3:
        X = X[..., None]
    if X.ndim != 4:
        raise DataError(f"{what} has shape {X.shape}; expected (N, H, W) or (N, H, W, C) images")
    N, H, W, C = X.shape
    if H != W or H < 8 or H & (H - 1):
        raise DataError(f"{what} are {H} x {W} pixels; the image autoencoder needs square images with a "
                        "power-of-two side >= 8 (e.g. 64 x 64); resize them")
    if C > 4:
        raise DataError(f"{what} have {C} channels in the last axis; expected 1 (grey) or 3 (RGB) channels "
                        "last: (N, H, W, C)")
    if X.dtype != np.uint8:
        X = X.astype(np.float32, copy=False)
        if not np.isfinite(X).all() or X.min() < 0 or X.max() > 1:
            raise DataError(f"{what} are floats outside [0, 1]; give uint8 pixels (0..255) or floats in [0, 1]")
    return X


def _to_tensor(X: np.ndarray, device):
    """(b, H, W, C) uint8/float -> float32 tensor (b, C, H, W) in [0, 1] on ``device``."""
    import torch

    t = torch.from_numpy(np.ascontiguousarray(X)).to(device)
    t = t.float() / 255.0 if X.dtype == np.uint8 else t.float()
    return t.permute(0, 3, 1, 2)


# ------------------------------------------------------------------------------------------------
# Convolutional autoencoder
# ------------------------------------------------------------------------------------------------
def _conv_encoder(channels: int, size: int, out_dim: int, width: int, input_size: int | None = None):
    """Average-pool ``size -> input_size`` (when smaller), then strided convolutions halve the image down to
    4 x 4 (widths w, 2w, 4w, 4w, ...), then a linear layer.

    ``(b, C, size, size) -> (b, out_dim)``; also the supervised pose CNN's architecture.
    """
    from torch import nn

    s = _input_size(size, input_size)
    layers, c_in = ([nn.AvgPool2d(size // s)] if s < size else []), channels
    for t in range(int(math.log2(s // 4))):
        c_out = width * min(2**t, 4)
        layers += [nn.Conv2d(c_in, c_out, 4, stride=2, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]
        c_in = c_out
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(c_in * 16, out_dim))


def _input_size(size: int, input_size: int | None) -> int:
    """Side the networks work at: ``input_size`` (a power of two >= 8 dividing ``size``) or ``size``."""
    if input_size is None or input_size >= size:
        return size
    if input_size < 8 or input_size & (input_size - 1) or size % input_size:
        raise DataError(f"input_size={input_size} must be a power of two >= 8 that divides the image side {size}")
    return input_size


class ConvAutoencoder:
    """Factory of the image autoencoder ``(encoder, decoder)``: ``(b, C, s, s) -> (b, code_dim) -> (b, C, s, s)``.

    Encoder: ``log2(s / 4)`` stride-2 4x4 convolutions with batch normalisation and ReLU (widths
    ``w, 2w, 4w, 4w, ...``), then a linear map of the ``4 x 4`` feature map to the code. Decoder: the mean
    training image plus the mirror image of the encoder (linear, transposed convolutions,
    a linear output: a sigmoid saturates on the dark background of sparse scenes and stalls training). For ``s = 64``, ``w = 16``: about 0.4 M parameters, ~5 M multiply-adds per
    image each way -- small enough to train on one CPU core.
    """

    @staticmethod
    def build(channels: int, size: int, code_dim: int, width: int = 16, input_size: int | None = None):
        """Return a torch ``nn.Module`` with ``.encoder``, ``.decoder``, ``.target(x)`` (the input at the working
        resolution) and ``forward(x)`` (the reconstruction at the working resolution)."""
        import torch
        from torch import nn

        s = _input_size(size, input_size)
        n_up = int(math.log2(s // 4))
        widths = [width * min(2**t, 4) for t in range(n_up)]

        class _AE(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = _conv_encoder(channels, size, code_dim, width, s)
                ups = []
                for t in reversed(range(n_up)):
                    c_out = widths[t - 1] if t > 0 else channels
                    ups.append(nn.ConvTranspose2d(widths[t], c_out, 4, stride=2, padding=1))
                    if t > 0:
                        ups += [nn.BatchNorm2d(c_out), nn.ReLU()]
                self.decoder = nn.Sequential(nn.Linear(code_dim, widths[-1] * 16), nn.Unflatten(1, (widths[-1], 4, 4)),
                                             *ups)
                self.pool = nn.AvgPool2d(size // s) if s < size else nn.Identity()
                self.register_buffer("mean_image", torch.zeros(1, channels, s, s))

            def target(self, x: torch.Tensor) -> torch.Tensor:
                return self.pool(x)

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return self.mean_image + self.decoder(self.encoder(x))

        return _AE()


class KeypointAutoencoder:
    r"""Factory of the **keypoint autoencoder** (spatial soft-argmax encoder, Gaussian-heatmap decoder):
    ``(b, C, s, s) -> (b, 2K) -> (b, C, s, s)``, the code being ``K`` image points ``(x_k, y_k)`` in ``[-1, 1]``.

    Finn, Tan, Duan, Darrell, Levine, Abbeel, "Deep spatial autoencoders for visuomotor learning", ICRA 2016
    (the spatial soft-argmax); Jakab, Gupta, Bilen, Vedaldi, "Unsupervised learning of object landmarks through
    conditional image generation", NeurIPS 2018 (decoding from Gaussian heatmaps of the points).

    Encoder: a stride-1 3x3 convolution (width ``w``), a stride-2 one (``2w``) and another 3x3 one, batch
    normalisation and ReLU, a 1x1 convolution to ``K`` feature maps ``F_k`` on the ``s/2 x s/2`` grid of cell
    centres ``u``; each map becomes a point by the spatial soft-argmax

        p_k(u) = softmax_u(F_k(u) / tau_k),     (x_k, y_k) = sum_u p_k(u) u,

    with a learned temperature ``tau_k``. Decoder: a Gaussian heatmap per point at the working resolution,
    ``H_k(v) = exp(-|v - (x_k, y_k)|^2 / (2 sigma^2))`` (``sigma = 0.1`` of the half-width), three 3x3
    convolutions (width ``w``) to the image's channels, plus the mean training image.

    Why for GSCALE-I: the code is an *expected position* of a feature that fires on an object part, so when a
    point tracks a ball (or an arm joint) its code is close to an affine function of that object's position --
    a nearly linear mixing of the latents, which GSCALE-I unmixes well (on codes that are an affine map of
    the true ball positions plus noise it reaches MCC 0.99; on the generic code of
    :class:`ConvAutoencoder` the positions are folded and MCC stays near 0.5, BENCHMARKS.md "CRL on images").
    The decoder can only draw near the points, so the reconstruction loss alone pulls them onto the objects; no
    position is ever shown to the network.
    """

    SIGMA = 0.1  # heatmap width, in units of the half image side

    @staticmethod
    def build(channels: int, size: int, code_dim: int, width: int = 16, input_size: int | None = None):
        """Return a torch ``nn.Module`` like :meth:`ConvAutoencoder.build` with ``code_dim = 2K`` (even)."""
        import torch
        from torch import nn

        if code_dim % 2:
            raise DataError(f"code_dim={code_dim}: the keypoint autoencoder's code is K (x, y) points, so "
                            "code_dim must be even")
        s = _input_size(size, input_size)
        K, h = code_dim // 2, s // 2
        w2 = 2 * width

        def grid(m):  # (m * m, 2) cell centres (x right, y down) in [-1, 1]
            g = (torch.arange(m, dtype=torch.float32) + 0.5) / m * 2 - 1
            yy, xx = torch.meshgrid(g, g, indexing="ij")
            return torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)

        class _Encoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.pool = nn.AvgPool2d(size // s) if s < size else nn.Identity()
                self.features = nn.Sequential(
                    nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
                    nn.Conv2d(width, w2, 4, stride=2, padding=1), nn.BatchNorm2d(w2), nn.ReLU(),
                    nn.Conv2d(w2, w2, 3, padding=1), nn.BatchNorm2d(w2), nn.ReLU(),
                    nn.Conv2d(w2, K, 1))
                self.log_inv_temp = nn.Parameter(torch.zeros(K))
                self.register_buffer("grid", grid(h))

            def forward(self, x):  # (b, C, size, size) -> (b, 2K): x_0, y_0, x_1, y_1, ...
                F = self.features(self.pool(x)).flatten(2)  # (b, K, h*h)
                P = torch.softmax(F * self.log_inv_temp.exp()[None, :, None], dim=2)
                return (P @ self.grid).flatten(1)

        class _Decoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("grid", grid(s))
                self.net = nn.Sequential(nn.Conv2d(K, width, 3, padding=1), nn.ReLU(),
                                         nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
                                         nn.Conv2d(width, channels, 3, padding=1))

            def forward(self, code):  # (b, 2K) -> (b, C, s, s) residual from the mean image
                pts = code.view(len(code), K, 1, 2)
                d2 = ((self.grid[None, None] - pts) ** 2).sum(-1)  # (b, K, s*s)
                H = torch.exp(-d2 / (2 * KeypointAutoencoder.SIGMA ** 2)).view(len(code), K, s, s)
                return self.net(H)

        class _AE(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder, self.decoder = _Encoder(), _Decoder()
                self.pool = nn.AvgPool2d(size // s) if s < size else nn.Identity()
                self.register_buffer("mean_image", torch.zeros(1, channels, s, s))

            def target(self, x):
                return self.pool(x)

            def forward(self, x):
                return self.mean_image + self.decoder(self.encoder(x))

        return _AE()


#: image autoencoders by ``ae_kind``
AUTOENCODERS = {"conv": ConvAutoencoder, "keypoint": KeypointAutoencoder}


def _seeded_module(seed: int, build):
    """Build a torch module with its initialisation drawn from ``seed`` without touching the global RNG."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def _progress(progress: bool, total: int, desc: str):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


def train_autoencoder(images, *, code_dim: int, width: int = 16, input_size: int | None = None, kind: str = "conv",
                      max_epochs: int = 40, patience: int = 4,
                      batch_size: int = 128, lr: float = 2e-3, val_fraction: float = 0.1,
                      max_images: int = 20000, random_state=0, device="cpu", progress: bool = False):
    """Train :class:`ConvAutoencoder` on the pooled ``images`` (list of (N_m, H, W, C) stacks).

    ``max_images`` images are drawn evenly over the stacks (all when fewer); ``val_fraction`` of them are held
    out; training stops when the held-out mean squared error has not improved for ``patience`` epochs (best
    weights restored). Returns ``(model, history)`` with ``history = {"train": [...], "val": [...]}``
    (per-pixel MSE per epoch).
    """
    import copy

    import torch

    rng = np.random.default_rng(random_state)
    stacks = [check_images(X, f"environment {m} images") for m, X in enumerate(images)]
    shape = stacks[0].shape[1:]
    for m, X in enumerate(stacks):
        if X.shape[1:] != shape:
            raise DataError(f"environment {m} images have shape {X.shape[1:]} but environment 0's have {shape}; "
                            "every environment needs images of one size and channel count")
    per = max(1, max_images // len(stacks))
    pool = np.concatenate([X[np.sort(rng.choice(len(X), size=min(per, len(X)), replace=False))] for X in stacks])
    pool = pool[rng.permutation(len(pool))]
    n_val = max(1, int(round(val_fraction * len(pool))))
    val, train = pool[:n_val], pool[n_val:]
    dev = torch.device(device)
    size, channels = shape[0], shape[2]
    if kind not in AUTOENCODERS:
        raise DataError(f"autoencoder kind {kind!r}; use one of {sorted(AUTOENCODERS)}")
    model = _seeded_module(int(rng.integers(2**31)), lambda: AUTOENCODERS[kind].build(channels, size, code_dim,
                                                                                       width, input_size)).to(dev)
    with torch.no_grad():  # the decoder learns the residual from the mean image (no plateau on the background)
        model.mean_image.copy_(model.target(_to_tensor(train[:2000], dev)).mean(dim=0, keepdim=True))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
    history = {"train": [], "val": []}
    best, best_state, wait = np.inf, None, 0
    bar = _progress(progress, max_epochs, "autoencoder")
    for _ in range(max_epochs):
        model.train()
        order = torch.randperm(len(train), generator=gen).numpy()
        run = 0.0
        for start in range(0, len(train), batch_size):
            xb = _to_tensor(train[np.sort(order[start:start + batch_size])], dev)
            loss = ((model(xb) - model.target(xb)) ** 2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            run += float(loss.detach()) * len(xb)
        v = _reconstruction_mse(model, val, dev, batch_size)
        history["train"].append(run / len(train))
        history["val"].append(v)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(val_mse=f"{v:.5f}")
        if v < best - 1e-7:
            best, best_state, wait = v, copy.deepcopy(model.state_dict()), 0
        else:
            wait += 1
            if wait >= patience:
                break
    if bar is not None:
        bar.close()
    model.load_state_dict(best_state)
    return model.eval(), history


def _reconstruction_mse(model, X, dev, batch_size: int = 256) -> float:
    import torch

    tot = 0.0
    model.eval()
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            xb = _to_tensor(X[start:start + batch_size], dev)
            tot += float(((model(xb) - model.target(xb)) ** 2).mean()) * len(xb)
    return tot / len(X)


def encode_images(encoder, images, *, device="cpu", batch_size: int = 512) -> np.ndarray:
    """Codes (N, code_dim) of images (N, H, W, C) through a torch ``encoder``, float64."""
    import torch

    X = check_images(images)
    dev = torch.device(device)
    out = []
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            out.append(encoder(_to_tensor(X[start:start + batch_size], dev)).double().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0))


# ------------------------------------------------------------------------------------------------
# An n-dimensional chart of curved codes (whitened Isomap)
# ------------------------------------------------------------------------------------------------
class IsomapChart:
    r"""An ``n``-dimensional chart of codes that lie on a curved ``n``-manifold in ``k > n`` dimensions:
    whitening, then Isomap.

    Tenenbaum, de Silva, Langford, "A global geometric framework for nonlinear dimensionality reduction",
    Science 2000 (Isomap); trustworthiness: Venna, Kaski, "Neighborhood preservation in nonlinear projection
    methods", ICANN 2001.

    **Why.** GSCALE-I unmixes a nonlinear mixing well when the data fill their space (``k = n``): MCC 0.99 on
    an affine and 0.98 on a tanh code of the arm angles. The keypoint code of the robot arm is the joint
    *positions*, a curved 3-manifold in 6 dimensions, and there GSCALE-I reached only MCC 0.75 even on the exact
    positions (0.53 without its tangent projection). A chart maps the manifold to ``R^n`` first, so GSCALE-I
    (score differences included: the classifier then runs on the ``n``-dimensional chart points) works in
    its ``k = n`` regime.

    **Steps** (pooled codes ``Y`` (N, k), ``max_points`` of them drawn at random fit the chart):

    1. whitening ``w = (y - mu) V Lambda^{-1/2}`` (``V Lambda V^T`` the covariance of ``Y``): Isomap keeps the
       ambient Euclidean geodesic distances, so without it the chart depends on the arbitrary affine map the
       autoencoder's code applies to the scene (the keypoint code is *some* affine map of the joint positions).
       After whitening, any invertible affine re-mixing of the codes gives the same chart up to a rotation.
       Arm angles, linear R^2 on the chart of the exact joint positions: 0.71 raw, 0.97 whitened;
    2. Isomap: a ``n_neighbors``-nearest-neighbour graph with Euclidean edge lengths, geodesic distances
       ``D_G`` by shortest paths, classical MDS: the chart is the top ``n`` eigenvectors of
       ``-1/2 J D_G^2 J`` (``J`` the centring matrix) scaled by the square roots of their eigenvalues;
    3. new points: the geodesic distance to each fit point is ``min_l (|w - w_l| + D_G[l, .])`` over the
       point's nearest fit points ``l``, then the MDS (Nystrom) extension.

    Injectivity (no folds) is checked on 1,000 random fit points by the **trustworthiness** ``T`` of the chart
    (``trustworthiness_``): ``T = 1 - 2 / (m K (2m - 3K - 1)) sum_i sum_{j in U_K(i)} (r(i, j) - K)`` with
    ``U_K(i)`` the chart's ``K`` nearest neighbours of point ``i`` that are not among its ``K`` nearest in
    code space and ``r(i, j)`` the code-space rank; a fold brings far-apart codes together and lowers
    ``T`` (1: every chart neighbourhood is a code neighbourhood).

    Parameters
    ----------
    n_components : chart dimension ``n``
    n_neighbors : neighbours of the Isomap graph (12)
    max_points : points that fit the chart (3000; the geodesic matrix is ``max_points^2``)
    random_state : seed of the subsample
    """

    def __init__(self, n_components: int, n_neighbors: int = 12, max_points: int = 3000, random_state=0):
        self.n_components, self.n_neighbors = n_components, n_neighbors
        self.max_points, self.random_state = max_points, random_state

    def fit(self, Y):
        """Fit on codes ``Y`` (N, k) (pool the environments first)."""
        from sklearn.manifold import Isomap, trustworthiness

        Y = np.asarray(Y, dtype=np.float64)
        if Y.ndim != 2 or len(Y) <= self.n_neighbors or Y.shape[1] < self.n_components:
            raise DataError(f"the chart needs more than n_neighbors={self.n_neighbors} codes of dimension >= "
                            f"{self.n_components}; got shape {Y.shape}")
        rng = np.random.default_rng(self.random_state)
        self.mean_ = Y.mean(axis=0)
        ev, V = np.linalg.eigh(np.cov(Y, rowvar=False))
        if ev[0] <= 1e-12 * ev[-1]:
            raise DataError("the codes given to the chart have a direction of zero variance; lower gscale_dim to "
                            "the number of informative code dimensions")
        self.whiten_ = V / np.sqrt(ev)  # (k, k)
        W = (Y[np.sort(rng.choice(len(Y), size=min(len(Y), self.max_points), replace=False))]
             - self.mean_) @ self.whiten_
        self.isomap_ = Isomap(n_neighbors=self.n_neighbors, n_components=self.n_components).fit(W)
        check = rng.choice(len(W), size=min(len(W), 1000), replace=False)  # a random 1,000 of the fit points
        self.trustworthiness_ = float(trustworthiness(W[check], self.isomap_.embedding_[check],
                                                      n_neighbors=min(10, len(check) // 2 - 1)))
        return self

    def transform(self, Y, batch_size: int = 2000) -> np.ndarray:
        """Chart coordinates (N, n) of codes ``Y`` (N, k)."""
        W = (np.asarray(Y, dtype=np.float64) - self.mean_) @ self.whiten_
        out = [self.isomap_.transform(W[i:i + batch_size]) for i in range(0, len(W), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.n_components))


# ------------------------------------------------------------------------------------------------
# Graph read-out with one hard intervention per latent
# ------------------------------------------------------------------------------------------------
def _abs_spearman(Z: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    R = np.apply_along_axis(rankdata, 0, Z)
    C = np.corrcoef(R, rowvar=False)
    return np.abs(np.nan_to_num(C))


def ancestral_readout(Z_obs: np.ndarray, Z_int: list[np.ndarray], owner: np.ndarray, *,
                      drop: float = 0.5, min_dep: float | None = None) -> np.ndarray:
    """Ancestral graph of learned latents from one hard intervention per latent.

    A hard intervention on ``z_i`` makes it independent of its non-descendants. With ``rho^e[i, j]`` the
    absolute Spearman correlation of latents ``i`` and ``j`` in environment ``e``: ``Z_j`` is an ancestor of
    ``Z_i`` when the pair is dependent in the observational environment (``rho^0 > min_dep``), the dependence
    falls by more than the fraction ``drop`` in ``z_i``'s environment, and does **not** fall so in ``z_j``'s
    (where ``z_i``, a descendant, still follows ``z_j``). Siblings lose their dependence both ways and get no
    edge. ``min_dep`` defaults to ``4 / sqrt(N)`` (four standard errors of a null correlation).

    Parameters
    ----------
    Z_obs : (N, n) latents of the observational rows
    Z_int : list of n arrays (N_m, n), the latents of the environment intervening latent ``owner[m]``
    owner : int (n,), the latent each interventional environment intervenes

    Returns
    -------
    int8 (n, n), ``A[j, i] = 1`` means ``Z_j`` is an ancestor of ``Z_i`` (transitive closure of the DAG)
    """
    n = Z_obs.shape[1]
    min_dep = 4.0 / np.sqrt(len(Z_obs)) if min_dep is None else min_dep
    R0 = _abs_spearman(Z_obs)
    Rint = np.zeros((n, n))  # Rint[i, j]: dependence of (i, j) when z_i is intervened
    for m, Zm in enumerate(Z_int):
        Rint[owner[m]] = _abs_spearman(Zm)[owner[m]]
    broken = (R0 > min_dep) & (Rint < (1 - drop) * R0)  # broken[i, j]: intervening i breaks (i, j)
    A = (broken.T & ~broken).astype(np.int8)  # A[j, i]: breaks under i, not under j
    np.fill_diagonal(A, 0)
    from scorecause.graph import transitive_closure

    # remove 2-cycles (impossible by construction) and close transitively
    return np.asarray(transitive_closure(A), dtype=np.int8)


# ------------------------------------------------------------------------------------------------
# The estimator
# ------------------------------------------------------------------------------------------------
class ImageGSCALE(BaseEstimator):
    """GSCALE-I on images: convolutional autoencoder codes, then GSCALE-I with classifier score differences.

    Parameters
    ----------
    per_node : 1, 2 or "auto"
        Hard interventions per latent. "auto": from ``targets`` when given (each latent's count), else 2 when
        the number of interventional environments is even, 1 when it is odd. Environments are observational
        first, then ``hard_1..hard_n`` (and ``hard'_1..hard'_n`` with two per latent, paired by ``targets``
        or, without targets, environment ``i`` with ``n + i``).
    ae_kind : "keypoint" or "conv"
        Image autoencoder: :class:`KeypointAutoencoder` (spatial soft-argmax points, Gaussian-heatmap decoder;
        codes near-affine in object positions) or :class:`ConvAutoencoder` (generic code of a linear layer).
    code_dim : int or None
        Autoencoder code size; None: ``2 n`` (``n`` points) for "keypoint", ``max(4, 3 n)`` for "conv".
    gscale_dim : int or None
        The codes are projected on the top ``gscale_dim`` principal directions of their pooled covariance
        (summed over environments) before GSCALE-I; None: ``n``. Points of the keypoint autoencoder that
        track nothing, or duplicate another, add dimensions of tiny variance whose estimated score
        differences are pure noise -- and large, the score scaling as one over the spread -- which swamped
        the per-sample normalised differences: on 2 balls with ``code_dim = 8`` GSCALE-I scored MCC 0.42-0.70
        on all 8 dimensions and 0.995 on the top 4 (seed 0). Give ``code_dim`` (or more) when the latents are
        a curved function of the codes.
    chart : "isomap" or None
        When ``gscale_dim > n`` (codes on a curved ``n``-manifold, e.g. the robot arm's joint positions), map
        the projected codes to an ``n``-dimensional chart (:class:`IsomapChart`: whitening, then Isomap, fitted
        on all environments' codes) and run GSCALE-I, score differences included, on the chart points; no-op
        when ``gscale_dim == n``. None: GSCALE-I on the ``gscale_dim``-dimensional codes (its tangent
        projection). Exact arm joint positions, seed 0: GSCALE-I MCC 0.75 without, 0.98 with the chart.
    chart_neighbors : Isomap graph neighbours of the chart (12)
    ae_width : first convolution's channels (16)
    ae_input_size : int or None, side the networks work at: images are average-pooled to it first (32: a
        64 x 64 image becomes 32 x 32, four times less compute; None: full resolution)
    ae_epochs, ae_patience, ae_batch_size, ae_lr, max_train_images :
        Autoencoder training: at most ``ae_epochs`` epochs over ``max_train_images`` images drawn evenly from
        all environments, early stopping after ``ae_patience`` epochs without held-out improvement.
    scores : score-difference source of GSCALE-I (``"classifier-mlp"``; see :data:`scorecause.crl.base.SCORE_SOURCES`)
    gscale_params : dict or None, extra :class:`~scorecause.crl.gscale.GSCALE_I` parameters (e.g. ``n_steps``);
        with two hard interventions per latent the pipeline's GSCALE-I uses ``encoder_fit="contrastive"`` and
        ``graph_readout="latents"``, with one the autoencoder fit and ``graph_readout="scores"``, unless given here
    random_state : int (0): autoencoder initialisation, image subsample and GSCALE-I's seed
    device : "cpu", "cuda" or "auto" (the GPU when present)
    num_threads : int or None, torch CPU threads while fitting (1: friendly on a shared machine)
    progress : bool, show progress bars

    Attributes
    ----------
    autoencoder_ : torch module (``.encoder``, ``.decoder``); ``ae_history_`` : held-out MSE per epoch
    gscale_ : fitted :class:`~scorecause.crl.gscale.GSCALE_I` on the codes (on the chart when there is one)
    chart_ : fitted :class:`IsomapChart` or None; ``chart_.trustworthiness_`` checks it has no folds
    adjacency_ : int8 (n, n), ``A[i, j] = 1`` means ``Z_i -> Z_j`` (one intervention per latent: the ancestral
        graph, ``graph_kind_ == "ancestral"``); order_ ; latent_names_ ; n_latents_ ; per_node_
    image_shape_ : (H, W, C); recon_mse_ : held-out per-pixel MSE; mean_image_mse_ : MSE of the mean image

    Examples
    --------
    >>> est = ImageGSCALE(random_state=0)          # doctest: +SKIP
    >>> est.fit([imgs_obs, *imgs_hard], targets=targets).transform(imgs_obs).shape   # doctest: +SKIP
    (10000, 6)
    """

    _parameter_constraints = {
        "per_node": [Options({1, 2, "auto"})], "ae_kind": [Options({"keypoint", "conv"})],
        "code_dim": [None, Interval(int, 1, None)], "gscale_dim": [None, Interval(int, 1, None)],
        "chart": [None, Options({"isomap"})], "chart_neighbors": [Interval(int, 2, None)],
        "ae_width": [Interval(int, 1, None)], "ae_input_size": [None, Interval(int, 8, None)],
        "ae_epochs": [Interval(int, 1, None)],
        "ae_patience": [Interval(int, 1, None)], "ae_batch_size": [Interval(int, 1, None)],
        "ae_lr": [Interval(float, 0, None, closed="neither")], "max_train_images": [Interval(int, 10, None)],
        "scores": [str], "gscale_params": [None, dict], "random_state": RANDOM_STATE, "device": DEVICE,
        "num_threads": [None, Interval(int, 1, None)], "progress": [BOOL],
    }

    def __init__(self, per_node="auto", ae_kind: str = "keypoint", code_dim: int | None = None,
                 gscale_dim: int | None = None, chart: str | None = "isomap", chart_neighbors: int = 12,
                 ae_width: int = 16,
                 ae_input_size: int | None = 32, ae_epochs: int = 40,
                 ae_patience: int = 4, ae_batch_size: int = 128, ae_lr: float = 2e-3,
                 max_train_images: int = 20000, scores: str = "classifier-mlp", gscale_params: dict | None = None,
                 random_state=0, device="auto", num_threads: int | None = 1, progress: bool = False):
        self.per_node = per_node
        self.ae_kind = ae_kind
        self.code_dim = code_dim
        self.gscale_dim = gscale_dim
        self.chart = chart
        self.chart_neighbors = chart_neighbors
        self.ae_width = ae_width
        self.ae_input_size = ae_input_size
        self.ae_epochs = ae_epochs
        self.ae_patience = ae_patience
        self.ae_batch_size = ae_batch_size
        self.ae_lr = ae_lr
        self.max_train_images = max_train_images
        self.scores = scores
        self.gscale_params = gscale_params
        self.random_state = random_state
        self.device = device
        self.num_threads = num_threads
        self.progress = progress

    # ------------------------------------------------------------------------------------------
    def _design(self, n_int: int, targets):
        """(per_node, n_latents, validated targets) from the number of interventional environments."""
        from scorecause.crl.base import check_targets

        per = self.per_node
        if targets is not None:
            flat = [t[0] if not np.isscalar(t) else t for t in targets]
            counts = np.bincount(np.asarray(flat, dtype=int))
            if per == "auto":
                per = int(counts.max())
        elif per == "auto":
            per = 2 if n_int % 2 == 0 else 1
        if per not in (1, 2) or n_int % per:
            raise DataError(f"{n_int} interventional environments do not split into {per} hard intervention(s) "
                            "per latent; give per_node=1 or 2 that divides the number of environments after the "
                            "observational one")
        n = n_int // per
        targets = check_targets(targets, n_int, n)
        if targets is not None:
            if any(len(t) != 1 for t in targets):
                raise DataError("ImageGSCALE needs single-node interventions; every target set must hold one latent")
            flat = [t[0] for t in targets]
            if sorted(flat) != sorted(list(range(n)) * per):
                raise DataError(f"targets {flat} must name every latent 0..{n - 1} exactly {per} time(s)")
        return per, n, targets

    def fit(self, environments, *, targets=None):
        """Learn the autoencoder, latents and latent graph from image ``environments`` (observational first).

        Parameters
        ----------
        environments : list of arrays (N_m, H, W) or (N_m, H, W, C), uint8 or floats in [0, 1]
        targets : optional list, one latent index (or a one-element list) per interventional environment
        """

        from scorecause.crl.base import score_differences
        from scorecause.crl.gscale import GSCALE_I
        from scorecause.scores.kernels import resolve_device
        from scorecause.scores.matching import torch_threads

        validate_params(self)
        if not isinstance(environments, (list, tuple)) or len(environments) < 2:
            raise DataError("ImageGSCALE takes a list of image stacks, observational first, and at least one "
                            "interventional environment per latent")
        envs = [check_images(X, f"environment {m} images") for m, X in enumerate(environments)]
        per, n, targets = self._design(len(envs) - 1, targets)
        if n < 1:
            raise DataError("no interventional environment: give one or two hard interventions per latent")
        dev = resolve_device(self.device)
        seed = int(np.random.default_rng(self.random_state).integers(2**31))
        code_dim = self.code_dim or (2 * n if self.ae_kind == "keypoint" else max(4, 3 * n))
        with torch_threads(self.num_threads, dev):
            ae, hist = train_autoencoder(envs, code_dim=code_dim, width=self.ae_width,
                                         input_size=self.ae_input_size, kind=self.ae_kind, max_epochs=self.ae_epochs,
                                         patience=self.ae_patience, batch_size=self.ae_batch_size, lr=self.ae_lr,
                                         max_images=self.max_train_images, random_state=seed, device=dev,
                                         progress=self.progress)
            codes = [encode_images(ae.encoder, X, device=dev) for X in envs]
        self.autoencoder_, self.ae_history_ = ae.cpu(), hist
        # top principal directions of the pooled codes: (code_dim, q)
        self.code_mean_ = codes[0].mean(axis=0)
        self.code_basis_ = reduce_dimension(codes, min(self.gscale_dim or n, code_dim), max_rows=None)
        codes = [(c - self.code_mean_) @ self.code_basis_ for c in codes]
        self.chart_ = None
        if self.chart is not None and codes[0].shape[1] > n:  # curved n-manifold in q > n dims: an n-D chart
            self.chart_ = IsomapChart(n, n_neighbors=self.chart_neighbors, random_state=seed).fit(np.concatenate(codes))
            codes = [self.chart_.transform(c) for c in codes]
        self.recon_mse_ = float(min(hist["val"]))
        pool = np.concatenate([X[:500] for X in envs])
        pool = pool.astype(np.float32) / (255.0 if pool.dtype == np.uint8 else 1.0)
        self.mean_image_mse_ = float(((pool - pool.mean(axis=0)) ** 2).mean())
        self.image_shape_ = envs[0].shape[1:]
        self.per_node_, self.code_dim_ = per, code_dim

        # two hard interventions per latent: GSCALE-I's contrastive fit, graph from the learned latents (3 balls,
        # seeds 0 / 1: MCC 0.977 / 0.996, SHD 4 / 1, against 0.907 / 0.995 and 8 / 3 for the autoencoder fit with
        # the score read-out; the autoencoder's latents were too leaky for the latent read-out there: SHD 11 / 10).
        # One intervention per latent: observational copies stand in for the second hard environments below, which
        # the contrastive fit's pair structure would read as real hard ones -> the autoencoder fit, score read-out
        two = {"encoder_fit": "contrastive", "graph_readout": "latents"}
        one = {"encoder_fit": "autoencoder", "graph_readout": "scores"}
        params = {"scores": self.scores, "random_state": seed, "device": str(dev) if dev.type == "cuda" else "cpu",
                  **(two if per == 2 else one)}
        params.update(self.gscale_params or {})
        if per != 2:
            params["encoder_fit"] = "autoencoder"
        gs = GSCALE_I(**params)
        bar = _progress(self.progress, 1, "GSCALE-I on codes")
        with torch_threads(self.num_threads, dev):
            if per == 2:
                gs.fit(codes, targets=targets)
            else:
                # one hard intervention per latent: the observational environment is each node's second one
                sd_first = score_differences(codes, codes[0], self.scores, random_state=seed)  # (n, N0, c)
                sd = np.concatenate([sd_first, np.zeros_like(sd_first)])
                gs.fit([*codes, *[codes[0]] * n], score_differences=sd,
                       targets=None if targets is None else [*targets, *targets])
        if bar is not None:
            bar.update(1)
            bar.close()
        self.gscale_ = gs
        if per == 2:
            self.adjacency_ = np.asarray(gs.adjacency_, dtype=np.int8)
            self.order_ = list(gs.order_)
            self.graph_kind_ = "dag"
        else:
            Zs = [gs.transform(c) for c in codes]
            own = np.argmax(gs.sparsity_, axis=1)
            if len(set(own.tolist())) != n:
                own = np.arange(n)
            self.adjacency_ = ancestral_readout(Zs[0], Zs[1:], own)
            from scorecause.crl.base import greedy_order

            self.order_ = greedy_order(self.adjacency_.T.astype(float))
            self.graph_kind_ = "ancestral"
        self.n_latents_ = n
        self.latent_names_ = [f"Z{i}" for i in range(n)]
        return self

    def _check_fitted(self):
        if not hasattr(self, "gscale_"):
            raise NotFittedError("ImageGSCALE is not fitted yet; call fit(environments) first")

    def codes(self, images) -> np.ndarray:
        """Autoencoder codes (N, code_dim) of ``images``."""
        self._check_fitted()
        X = check_images(images)
        if X.shape[1:] != self.image_shape_:
            raise DataError(f"images have shape {X.shape[1:]} but the model was fitted on {self.image_shape_}")
        return encode_images(self.autoencoder_.encoder, X)

    def transform(self, images) -> np.ndarray:
        """Learned latents ``z_hat`` (N, n) of ``images`` (N, H, W[, C])."""
        return self.gscale_.transform(self._reduced(self.codes(images)))

    def _reduced(self, codes: np.ndarray) -> np.ndarray:
        """What GSCALE-I sees of autoencoder ``codes`` (N, code_dim): the projection, then the chart if any."""
        Y = (codes - self.code_mean_) @ self.code_basis_
        return Y if self.chart_ is None else self.chart_.transform(Y)

    def reconstruct(self, images) -> np.ndarray:
        """Autoencoder reconstructions of ``images``, float (N, h, w, C) at the working resolution
        (``ae_input_size``), clipped to [0, 1]; :meth:`target` gives the inputs at that resolution."""
        import torch

        self._check_fitted()
        X = check_images(images)
        with torch.no_grad():
            R = self.autoencoder_(_to_tensor(X, "cpu"))
        return R.clamp(0, 1).permute(0, 2, 3, 1).numpy()

    def target(self, images) -> np.ndarray:
        """``images`` at the autoencoder's working resolution, float (N, h, w, C) in [0, 1]."""
        import torch

        self._check_fitted()
        with torch.no_grad():
            T = self.autoencoder_.target(_to_tensor(check_images(images), "cpu"))
        return T.permute(0, 2, 3, 1).numpy()

    @property
    def graph_(self):
        """networkx DiGraph over ``Z0 .. Z{n-1}``."""
        self._check_fitted()
        from scorecause.graph import to_networkx

        return to_networkx(self.adjacency_, names=self.latent_names_)

    def save_autoencoder(self, path) -> None:
        """Save the autoencoder (``torch.save`` of a dict with the ``state_dict`` and the architecture numbers;
        load it with ``torch.load(path, weights_only=True)`` and :func:`load_autoencoder`)."""
        import torch

        from scorecause.fileio import atomic_path

        self._check_fitted()
        H, W, C = self.image_shape_
        payload = {"state_dict": self.autoencoder_.state_dict(),
                   "config": {"kind": self.ae_kind, "channels": int(C), "size": int(H), "code_dim": int(self.code_dim_),
                              "width": int(self.ae_width), "input_size": self.ae_input_size}}
        with atomic_path(path) as tmp:
            torch.save(payload, tmp)


def load_autoencoder(path):
    """The autoencoder saved by :meth:`ImageGSCALE.save_autoencoder` (read with ``weights_only=True``)."""
    import torch

    payload = torch.load(path, map_location="cpu", weights_only=True)
    cfg = payload["config"]
    model = AUTOENCODERS[cfg.get("kind", "conv")].build(cfg["channels"], cfg["size"], cfg["code_dim"], cfg["width"], cfg["input_size"])
    model.load_state_dict(payload["state_dict"])
    return model.eval()


# ------------------------------------------------------------------------------------------------
# Pose read-out (ROPES calibration) and the supervised CNN baseline
# ------------------------------------------------------------------------------------------------
def angle_error_deg(pred, true) -> float:
    """Mean absolute angle error in degrees, differences wrapped to (-180, 180]; angles in radians."""
    d = np.asarray(pred, float) - np.asarray(true, float)
    d = (d + np.pi) % (2 * np.pi) - np.pi
    return float(np.degrees(np.abs(d)).mean())


class PoseMap:
    """Map learned latents (m, n) to joint angles (m, q) fitted on ``k`` labelled rows.

    ``kind="affine"``: least squares ``angles = [Z, 1] W`` (all latents feed every angle; exact when the
    latents are an affine function of the angles). ``kind="monotone"``: each angle is matched to one latent
    (Hungarian matching on the labelled rows' |Spearman correlation|) and mapped by an isotonic regression in
    the direction of the correlation (ROPES' per-latent calibration).
    """

    def __init__(self, kind: str = "affine"):
        if kind not in ("affine", "monotone"):
            raise DataError(f"pose map kind={kind!r}; use 'affine' or 'monotone'")
        self.kind = kind

    def fit(self, Z, angles):
        Z, Y = np.asarray(Z, float), np.asarray(angles, float)
        if Y.ndim == 1:
            Y = Y[:, None]
        if len(Z) != len(Y) or len(Z) < 2:
            raise DataError(f"pose read-out needs as many labelled latents as angle rows (>= 2); got {len(Z)} "
                            f"latent rows and {len(Y)} angle rows")
        self.n_angles_ = Y.shape[1]
        if self.kind == "affine":
            A = np.c_[Z, np.ones(len(Z))]
            self.W_ = np.linalg.lstsq(A, Y, rcond=None)[0]
            return self
        from scipy.optimize import linear_sum_assignment
        from scipy.stats import spearmanr
        from sklearn.isotonic import IsotonicRegression

        C = np.zeros((Y.shape[1], Z.shape[1]))
        for a in range(Y.shape[1]):
            for b in range(Z.shape[1]):
                r = spearmanr(Y[:, a], Z[:, b])[0]
                C[a, b] = 0.0 if np.isnan(r) else r
        rows, cols = linear_sum_assignment(-np.abs(C))
        self.match_ = np.full(Y.shape[1], -1)
        self.match_[rows] = cols
        self.maps_ = []
        for a in range(Y.shape[1]):
            b = self.match_[a]
            iso = IsotonicRegression(increasing=bool(C[a, b] >= 0), out_of_bounds="clip")
            self.maps_.append(iso.fit(Z[:, b], Y[:, a]))
        return self

    def predict(self, Z) -> np.ndarray:
        Z = np.asarray(Z, float)
        if self.kind == "affine":
            return np.c_[Z, np.ones(len(Z))] @ self.W_
        return np.stack([m.predict(Z[:, self.match_[a]]) for a, m in enumerate(self.maps_)], axis=1)


def pose_readout(Z_labelled, angles_labelled, Z_test, *, kind: str = "affine") -> np.ndarray:
    """Predicted angles (m, q) of ``Z_test`` from a :class:`PoseMap` fitted on the labelled rows."""
    return PoseMap(kind).fit(Z_labelled, angles_labelled).predict(Z_test)


class SupervisedPoseCNN:
    """Supervised baseline: the autoencoder's encoder architecture, trained from scratch to regress angles.

    Trained on the same ``k`` labelled images as the pose read-out (mean squared error on the angles, Adam,
    early stopping on a held-out fifth of the labelled images -- at least one image -- with the best weights
    restored, then predicting). Seeded by ``random_state``.
    """

    def __init__(self, width: int = 16, input_size: int | None = 32, max_epochs: int = 300, patience: int = 30,
                 lr: float = 1e-3, batch_size: int = 32, random_state=0, device="cpu"):
        self.width, self.input_size, self.max_epochs, self.patience = width, input_size, max_epochs, patience
        self.lr, self.batch_size, self.random_state, self.device = lr, batch_size, random_state, device

    def fit(self, images, angles):
        import copy

        import torch

        X = check_images(images)
        Y = np.asarray(angles, float)
        Y = Y[:, None] if Y.ndim == 1 else Y
        if len(X) != len(Y) or len(X) < 2:
            raise DataError(f"supervised CNN needs as many images as angle rows (>= 2); got {len(X)} and {len(Y)}")
        rng = np.random.default_rng(self.random_state)
        dev = torch.device(self.device)
        self.mu_, self.sd_ = Y.mean(0), Y.std(0) + 1e-8
        Yt = torch.as_tensor((Y - self.mu_) / self.sd_, dtype=torch.float32, device=dev)
        perm = rng.permutation(len(X))
        n_val = max(1, len(X) // 5)
        iv, it = perm[:n_val], perm[n_val:]
        self.net_ = _seeded_module(int(rng.integers(2**31)),
                                   lambda: _conv_encoder(X.shape[3], X.shape[1], Y.shape[1], self.width,
                                                                 self.input_size)).to(dev)
        opt = torch.optim.Adam(self.net_.parameters(), lr=self.lr)
        Xv = _to_tensor(X[iv], dev)
        best, best_state, wait = np.inf, None, 0
        for _ in range(self.max_epochs):
            self.net_.train()
            order = rng.permutation(it)
            for start in range(0, len(order), self.batch_size):
                b = order[start:start + self.batch_size]
                loss = ((self.net_(_to_tensor(X[b], dev)) - Yt[b]) ** 2).mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            self.net_.eval()
            with torch.no_grad():
                v = float(((self.net_(Xv) - Yt[iv]) ** 2).mean())
            if v < best - 1e-7:
                best, best_state, wait = v, copy.deepcopy(self.net_.state_dict()), 0
            else:
                wait += 1
                if wait >= self.patience:
                    break
        self.net_.load_state_dict(best_state)
        self.net_.eval()
        return self

    def predict(self, images) -> np.ndarray:
        import torch

        X = check_images(images)
        out = []
        with torch.no_grad():
            for start in range(0, len(X), 512):
                out.append(self.net_(_to_tensor(X[start:start + 512], self.device)).double().cpu().numpy())
        return np.concatenate(out) * self.sd_ + self.mu_


# ------------------------------------------------------------------------------------------------
# Files: the `scorecause crl --images` command
# ------------------------------------------------------------------------------------------------
#: files an image run writes into its output directory (report.html comes from scorecause.report)
IMAGE_OUTPUTS = ("latents.csv", "graph.json", "autoencoder.pt", "metrics.json", "pose.csv", "report.html")


def read_pose_labels(path, n_rows: int, n_labels: int):
    """Read a pose label file: a CSV/Parquet with a ``row`` column (index of an observational image, 0-based)
    and one column per angle (radians). The first ``n_labels`` rows calibrate the read-out; the rest are held
    out to measure the angle error. Returns ``(rows, angles, angle_names)``.
    """
    from scorecause.data import Dataset

    ds = Dataset.from_file(path)
    names = list(ds.names)
    if "row" not in names or len(names) < 2:
        raise DataError(f"label file {str(path)!r} needs a 'row' column (observational image index) and one "
                        f"column per angle; it has {names}")
    j = names.index("row")
    rows = ds.X[:, j]
    if np.any(rows != np.round(rows)) or rows.min() < 0 or rows.max() >= n_rows:
        bad = rows[(rows != np.round(rows)) | (rows < 0) | (rows >= n_rows)][0]
        raise DataError(f"label file {str(path)!r}: row {bad!r} is not an image index in 0..{n_rows - 1} of the "
                        "observational environment")
    if len(np.unique(rows)) != len(rows):
        raise DataError(f"label file {str(path)!r} names an image twice in column 'row'; label each image once")
    if not 2 <= n_labels < len(rows):
        raise DataError(f"--n-labels {n_labels} must be at least 2 and below the {len(rows)} labelled rows of "
                        f"{str(path)!r} (the rest are held out to measure the angle error)")
    angles = np.delete(ds.X, j, axis=1)
    return rows.astype(int), angles, [v for v in names if v != "row"]


def pose_evaluation(est: ImageGSCALE, images, rows, angles, n_labels: int, *, kind: str = "affine",
                    baseline: bool = False, random_state=0) -> dict:
    """Fit the pose read-out on the first ``n_labels`` labelled images, measure the mean angle error (degrees) on
    the other labelled images; with ``baseline`` also the supervised CNN's on the same split.

    Returns ``{"pose_error_deg", "pose_map", "n_labels", "n_heldout", "cnn_error_deg" (baseline),
    "predicted" (angles of every image, (N, q))}``.
    """
    Z = est.transform(images)
    cal, held = rows[:n_labels], rows[n_labels:]
    pm = PoseMap(kind).fit(Z[cal], angles[:n_labels])
    out = {"pose_map": kind, "n_labels": int(n_labels), "n_heldout": int(len(held)),
           "pose_error_deg": angle_error_deg(pm.predict(Z[held]), angles[n_labels:]), "predicted": pm.predict(Z)}
    if baseline:
        cnn = SupervisedPoseCNN(random_state=random_state, input_size=est.ae_input_size)
        cnn.fit(images[cal], angles[:n_labels])
        out["cnn_error_deg"] = angle_error_deg(cnn.predict(images[held]), angles[n_labels:])
    return out


def fit_images_from_path(data, *, out_dir, random_state=0, device="auto", per_node="auto", labels=None,
                         n_labels: int = 100, pose_map: str = "affine", pose_baseline: bool = False,
                         progress: bool = False, estimator_params: dict | None = None):
    """``scorecause crl DATA --method gscale --images``: fit :class:`ImageGSCALE` on the ``.npz`` image
    environments at ``data`` (:func:`scorecause.crl.io.read_image_environments`) and write into ``out_dir``:

    * ``latents.csv`` -- learned latents ``Z0..`` of the observational images;
    * ``graph.json`` -- the latent graph (``A[i, j] = 1`` means ``Z_i -> Z_j``; ``graph_kind`` "dag" or
      "ancestral" with one intervention per latent);
    * ``autoencoder.pt`` -- the autoencoder (:meth:`ImageGSCALE.save_autoencoder`; ``weights_only=True``);
    * ``metrics.json`` -- reconstruction MSE vs the mean image, MCC when the files hold true latents, pose
      errors with ``labels``;
    * ``pose.csv`` (with ``labels``) -- angles read out for every observational image.

    Returns ``(written paths, estimator, environments, extras)``; ``extras`` holds what the report shows.
    """
    import json

    import pandas as pd

    from scorecause.crl.io import read_image_environments
    from scorecause.fileio import atomic_path, atomic_write_text

    envs = read_image_environments(data)
    params = {"random_state": random_state, "device": device, "per_node": per_node, "progress": progress}
    params.update(estimator_params or {})
    est = ImageGSCALE(**params).fit(envs.images, targets=envs.targets)
    images0 = envs.images[0]
    pose = None
    if labels is not None:
        rows, angles, angle_names = read_pose_labels(labels, len(images0), n_labels)
        pose = pose_evaluation(est, images0, rows, angles, n_labels, kind=pose_map, baseline=pose_baseline,
                               random_state=random_state)
    out = Path(out_dir)
    Z = est.transform(images0)
    names = est.latent_names_
    metrics = {"reconstruction_mse": est.recon_mse_, "mean_image_mse": est.mean_image_mse_,
               "interventions_per_latent": est.per_node_, "graph_kind": est.graph_kind_}
    if est.chart_ is not None:
        metrics["chart_trustworthiness"] = est.chart_.trustworthiness_
    if envs.latents is not None:
        from scorecause.crl.metrics import mcc

        metrics["mcc"] = float(mcc(envs.latents[0], Z))
    written = []
    with atomic_path(out / "latents.csv") as tmp:
        pd.DataFrame(Z, columns=names).to_csv(tmp, index=False)
    written.append(out / "latents.csv")
    graph = {"nodes": names, "adjacency": est.adjacency_.tolist(), "order": [names[i] for i in est.order_],
             "convention": "adjacency[i][j] = 1 means nodes[i] -> nodes[j]", "method": "gscale (images)",
             "graph_kind": est.graph_kind_}
    written.append(atomic_write_text(out / "graph.json", json.dumps(graph, indent=2)))
    est.save_autoencoder(out / "autoencoder.pt")
    written.append(out / "autoencoder.pt")
    if pose is not None:
        with atomic_path(out / "pose.csv") as tmp:
            pd.DataFrame(pose["predicted"], columns=angle_names).to_csv(tmp, index_label="row")
        written.append(out / "pose.csv")
        metrics.update({k: v for k, v in pose.items() if k != "predicted"})
    written.append(atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=2)))
    return written, est, envs, metrics
