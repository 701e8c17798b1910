"""Gaussian (RBF) kernel pieces shared by the Stein score estimators.

The conventions follow SCORE's reference implementation (Rolland et al., ICML 2022,
``paulrolland1307/SCORE``), re-derived from the formulas:

* squared distances :math:`D^2_{ik} = \\lVert x_i - x_k \\rVert^2` (an ``(n, n)`` matrix, never ``(n, n, d)``);
* bandwidth :math:`s` = median of :math:`\\lVert x_i - x_k \\rVert` over **all** :math:`n^2` ordered pairs,
  the :math:`n` zero self-distances included (the lower median, as ``torch.median`` returns);
* kernel :math:`K_{ik} = \\exp(-D^2_{ik} / 2 s^2) / s` -- the :math:`1/s` factor is part of the convention,
  it sets the effective strength of the ridge :math:`\\eta` in :mod:`scorecause.scores.stein`.

Functions accept NumPy arrays or torch tensors and return the same kind (NumPy in, NumPy out).
:func:`downdate_sq_distances` removes one column's contribution in :math:`O(n^2)`, so a caller that drops one
variable per round (SCORE, NoGAM) never recomputes distances from scratch.
"""

from __future__ import annotations

import numpy as np
import torch

from scorecause.errors import ConfigError, DataError

__all__ = [
    "resolve_device",
    "as_tensor",
    "as_samples",
    "sq_distances",
    "downdate_sq_distances",
    "median_bandwidth",
    "rbf_kernel",
    "MIN_BANDWIDTH",
]

#: Floor for the median bandwidth (data with many ties can have a zero median distance).
MIN_BANDWIDTH = 1e-5


def resolve_device(device="cpu") -> torch.device:
    """Turn ``"cpu"``, ``"cuda"``, ``"auto"`` (or a ``torch.device``) into a ``torch.device``.

    ``"auto"`` picks CUDA when available, else the CPU.

    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, torch.device):
        return device
    if device is None or device == "cpu":
        return torch.device("cpu")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if isinstance(device, str) and device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"device={device!r} requested but CUDA is not available; use device='cpu' or 'auto'")
        return torch.device(device)
    raise ConfigError(f"device={device!r} is not understood; use 'cpu', 'cuda' or 'auto'")


def as_tensor(X, device="cpu", dtype=torch.float64) -> torch.Tensor:
    """Return ``X`` as a torch tensor of ``dtype`` on ``device`` (no copy when already there)."""
    dev = resolve_device(device)
    if isinstance(X, torch.Tensor):
        return X.to(device=dev, dtype=dtype)
    return torch.as_tensor(np.asarray(X), dtype=dtype, device=dev)


def _like(out: torch.Tensor, ref):
    """Return ``out`` as NumPy when the reference input was not a tensor."""
    return out if isinstance(ref, torch.Tensor) else out.detach().cpu().numpy()


def as_samples(X, name="X", min_rows: int = 2) -> np.ndarray:
    """Return samples as a float64 ndarray (n, d): accepts arrays, DataFrames, tensors and ``Dataset``s."""
    if hasattr(X, "X") and hasattr(X, "names"):  # scorecause.data.Dataset
        X = X.X
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    if hasattr(X, "to_numpy"):  # pandas
        X = X.to_numpy()
    try:
        A = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric (n_samples, n_features); converting failed: {exc}") from exc
    check_samples(A, name, min_rows)
    return A


def check_samples(X, name="X", min_rows: int = 2) -> None:
    """Raise :class:`DataError` unless ``X`` is a finite 2-D array with at least ``min_rows`` rows."""
    shape = tuple(X.shape)
    if len(shape) != 2:
        raise DataError(f"{name} must be a 2-D array (n_samples, n_features); got shape {shape}")
    if shape[0] < min_rows:
        raise DataError(f"{name} needs at least {min_rows} row(s) (samples); got {shape[0]}")
    finite = torch.isfinite(X).all() if isinstance(X, torch.Tensor) else np.isfinite(np.asarray(X)).all()
    if not bool(finite):
        raise DataError(f"{name} contains NaN or infinite values; drop or impute those rows first")


def sq_distances(X, Y=None):
    """Squared Euclidean distances :math:`D^2_{ik} = \\lVert x_i - y_k \\rVert^2`.

    Computed with one matrix product, :math:`|x|^2 + |y|^2 - 2 x y^\\top`, after centring (distances are
    translation invariant; centring limits cancellation). Memory :math:`O(nm + (n+m)d)`.

    Parameters
    ----------
    X : array (n, d), or a torch tensor (..., n, d) holding a batch of sample sets
    Y : array (m, d), optional
        Defaults to ``X``; then the diagonal is exactly zero and the result exactly symmetric.

    Returns
    -------
    D2 : array (n, m) (or (..., n, m)), same kind (NumPy/torch) as ``X``; entries clipped at 0.

    Examples
    --------
    >>> sq_distances(np.array([[0.0, 0.0], [3.0, 4.0]]))
    array([[ 0., 25.],
           [25.,  0.]])
    """
    Xt = X if isinstance(X, torch.Tensor) else torch.as_tensor(np.asarray(X, dtype=np.float64))
    same = Y is None
    Yt = Xt if same else (Y if isinstance(Y, torch.Tensor) else torch.as_tensor(np.asarray(Y), dtype=Xt.dtype))
    Yt = Yt.to(device=Xt.device, dtype=Xt.dtype)
    c = Xt.mean(-2, keepdim=True) if same else torch.cat([Xt, Yt], dim=-2).mean(-2, keepdim=True)
    Xc, Yc = Xt - c, Yt - c
    D2 = Xc @ Yc.mT  # (..., n, m)
    D2.mul_(-2.0)
    D2.add_((Xc * Xc).sum(-1)[..., :, None])
    D2.add_((Yc * Yc).sum(-1)[..., None, :])
    D2.clamp_(min=0.0)
    if same:
        D2 = 0.5 * (D2 + D2.mT)
        D2.diagonal(dim1=-2, dim2=-1).zero_()
    return _like(D2, X)


def downdate_sq_distances(D2, x, *, out=None):
    """Remove one column's contribution: :math:`D^2 - (x 1^\\top - 1 x^\\top)^{\\odot 2}` in :math:`O(n^2)`.

    Used when a variable is dropped (SCORE's leaf removal): ``sq_distances(X[:, keep])`` equals
    ``downdate_sq_distances(sq_distances(X), X[:, leaf])`` up to rounding (clipped at 0).

    Parameters
    ----------
    D2 : array (n, n), or a tensor (..., n, n) for a batch
    x : array (n,) (or (..., n))
        The removed column.
    out : array (n, n), optional
        Write the result here (pass ``out=D2`` to downdate in place).
    """
    is_t = isinstance(D2, torch.Tensor)
    D2t = D2 if is_t else torch.from_numpy(np.asarray(D2))
    xt = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x), dtype=D2t.dtype)
    xt = xt.to(device=D2t.device, dtype=D2t.dtype).reshape(D2t.shape[:-1])
    diff = xt[..., :, None] - xt[..., None, :]  # (..., n, n)
    diff.square_()
    if out is None:
        res = D2t - diff
    else:
        res = out if isinstance(out, torch.Tensor) else torch.from_numpy(out)
        torch.sub(D2t, diff, out=res)
    res.clamp_(min=0.0)
    return res if is_t else res.numpy()


def median_bandwidth(D2, *, min_bandwidth: float = MIN_BANDWIDTH) -> float:
    """SCORE's median heuristic: the median of :math:`\\lVert x_i - x_k \\rVert` over all :math:`n^2` pairs.

    The :math:`n` zero self-distances are included and the lower median is taken (the
    :math:`\\lfloor (n^2-1)/2 \\rfloor`-th order statistic, 0-based), as ``torch.median`` in the reference code.
    Found by selection (``numpy.partition`` on CPU, ``torch.kthvalue`` on GPU), not a full sort. Floored at ``min_bandwidth`` for data with ties
    (AdaScore's ``var_eps``).

    Parameters
    ----------
    D2 : array (n, n) of squared distances (see :func:`sq_distances`), or (..., n, n) for a batch.

    Returns
    -------
    s : float, or a float64 ndarray (...) of one bandwidth per matrix of a batch
    """
    lead = tuple(D2.shape[:-2])
    k = (int(np.prod(D2.shape[-2:])) - 1) // 2  # 0-based rank of the lower median
    if isinstance(D2, torch.Tensor) and D2.device.type != "cpu":
        med2 = torch.kthvalue(D2.reshape(*lead, -1), k + 1, dim=-1).values.cpu().numpy()
    else:  # numpy's introselect is ~5-10x faster than torch.kthvalue on CPU
        arr = D2.detach().numpy() if isinstance(D2, torch.Tensor) else np.asarray(D2, dtype=np.float64)
        med2 = np.partition(arr.reshape(*lead, -1), k, axis=-1)[..., k]
    s = np.maximum(np.sqrt(np.maximum(med2, 0.0)), float(min_bandwidth))
    return float(s) if not lead else s


def rbf_kernel(D2, s: float, *, out=None):
    """SCORE's kernel :math:`K = \\exp(-D^2 / 2 s^2) / s` (note the :math:`1/s` factor).

    Parameters
    ----------
    D2 : array (n, m) of squared distances, or a tensor (..., n, m) for a batch.
    s : float, bandwidth; or an array (...) of one bandwidth per matrix of a batch.
    out : tensor, optional; pass ``out=D2`` (a tensor) to overwrite the distances and save memory.

    Returns
    -------
    K : array (n, m), same kind as ``D2``.
    """
    D2t = D2 if isinstance(D2, torch.Tensor) else torch.from_numpy(np.asarray(D2, dtype=np.float64))
    if np.ndim(s):                                   # one bandwidth per matrix: broadcast over (n, m)
        s = torch.as_tensor(np.asarray(s), dtype=D2t.dtype, device=D2t.device)[..., None, None]
    K = torch.mul(D2t, -0.5 / s**2, out=out) if out is not None else D2t * (-0.5 / s**2)
    K.exp_()
    K.mul_(1.0 / s)
    return _like(K, D2)
