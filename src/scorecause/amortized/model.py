"""The AVICI transformer: alternating attention over variables and samples, max-pool, inner-product head.

Lorch, Sussex, Rothfuss, Krause, Schölkopf (2022), "Amortized Inference for Causal Structure Learning",
NeurIPS, arXiv:2205.12934. Written from the paper's description (see docs/amortized.md); no code copied.

Input: a data set ``x`` of shape ``[B, n, d, 2]`` (channel 0: standardised value, channel 1: intervention
flag, 1 when variable j was intervened on in row r). Output: edge logits ``[B, d, d]`` with
``logit[b, i, j]`` the log-odds of the edge ``i -> j`` (row causes column), diagonal ``-inf``.

The model has no variable-identity or row-position embedding, so it is **equivariant** under permutations
of the variables and **invariant** under permutations of the rows (tests prove both).

Architecture
------------
1. Per-cell embedding ``z = Linear(2 -> k)(x)``: ``[B, n, d, k]``.
2. ``2 * layers`` pre-LayerNorm residual blocks, alternately attending over the variable axis d and
   over the sample axis n::

       z = z + Dropout(MHA(LN_q(z), LN_k(z), LN_v(z)))       # attention along one axis
       z = z + Dropout(W2 ReLU(W1 LN(z)))                      # feed-forward, widening ``ff_mult``

3. ``LN``, then max over the sample axis: ``[B, d, k]``.
4. ``u = normalize(Linear(LN_u(z)))``, ``v = normalize(Linear(LN_v(z)))``: ``[B, d, k_out]`` each.
5. ``logit_ij = exp(t) <u_i, v_j> + b`` with learned scalars ``t`` (init 2) and ``b`` (init -3);
   the diagonal is masked to ``-inf`` (probability exactly 0).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ModelConfig:
    """Size of an :class:`AVICIModel` (plain types only, so it serialises into the weight file).

    ``layers`` counts pairs of blocks (one over d, one over n), as in the paper: ``layers=2`` is 4 blocks.
    """

    dim: int = 64
    layers: int = 2
    heads: int = 4
    key_size: int = 16
    ff_mult: int = 4
    dropout: float = 0.1
    out_dim: int | None = None
    temp_init: float = 2.0
    bias_init: float = -3.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, spec: dict) -> ModelConfig:
        from scorecause.errors import ConfigError

        unknown = set(spec) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"unknown model option(s) {sorted(unknown)}; allowed: {sorted(cls.__dataclass_fields__)}")
        return cls(**spec)


def _dropout(x: torch.Tensor, p: float, training: bool, generator: torch.Generator | None) -> torch.Tensor:
    """Inverted dropout drawing its mask from ``generator`` (reproducible, no global RNG)."""
    if not training or p == 0.0:
        return x
    keep = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype) >= p
    return x * keep / (1.0 - p)


class AxisBlock(nn.Module):
    """One pre-LN residual block: multi-head self-attention along one axis, then a feed-forward net.

    ``forward(z)`` takes ``z: [..., s, k]`` and attends along ``s`` (every leading axis is a batch axis).
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        k, inner = cfg.dim, cfg.heads * cfg.key_size
        self.heads, self.key_size, self.p = cfg.heads, cfg.key_size, cfg.dropout
        self.ln_q, self.ln_k, self.ln_v = nn.LayerNorm(k), nn.LayerNorm(k), nn.LayerNorm(k)
        self.wq, self.wk, self.wv = nn.Linear(k, inner), nn.Linear(k, inner), nn.Linear(k, inner)
        self.wo = nn.Linear(inner, k)
        self.ln_ff = nn.LayerNorm(k)
        self.ff1, self.ff2 = nn.Linear(k, cfg.ff_mult * k), nn.Linear(cfg.ff_mult * k, k)
        for lin in (self.ff1, self.ff2):
            nn.init.kaiming_uniform_(lin.weight, nonlinearity="relu")
            nn.init.zeros_(lin.bias)

    def _split(self, t: torch.Tensor) -> torch.Tensor:
        # [..., s, h*ks] -> [..., h, s, ks]
        return t.unflatten(-1, (self.heads, self.key_size)).transpose(-3, -2)

    def forward(self, z: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        lead = z.shape[:-2]
        z = z.reshape(-1, *z.shape[-2:])                                   # [N, s, k]
        q = self._split(self.wq(self.ln_q(z)))                             # [N, h, s, ks]
        kk = self._split(self.wk(self.ln_k(z)))                            # [N, h, s, ks]
        v = self._split(self.wv(self.ln_v(z)))                             # [N, h, s, ks]
        a = F.scaled_dot_product_attention(q, kk, v)                       # [N, h, s, ks], scale 1/sqrt(ks)
        a = self.wo(a.transpose(-3, -2).flatten(-2))                       # [N, s, k]
        z = z + _dropout(a, self.p, self.training, generator)
        f = self.ff2(F.relu(self.ff1(self.ln_ff(z))))                      # [N, s, k]
        z = z + _dropout(f, self.p, self.training, generator)
        return z.reshape(*lead, *z.shape[-2:])


class AVICIModel(nn.Module):
    """AVICI edge-probability model; see the module docstring for the architecture.

    Parameters
    ----------
    cfg : ModelConfig or dict
        Sizes (``dim``, ``layers`` = pairs of blocks, ``heads``, ``key_size``, ``ff_mult``, ``dropout``, ...).

    Examples
    --------
    >>> m = AVICIModel(ModelConfig(dim=16, layers=1, heads=2, key_size=8)).eval()
    >>> m(torch.zeros(1, 30, 4, 2)).shape
    torch.Size([1, 4, 4])
    """

    def __init__(self, cfg: ModelConfig | dict | None = None):
        super().__init__()
        cfg = ModelConfig() if cfg is None else cfg
        self.cfg = ModelConfig.from_dict(cfg) if isinstance(cfg, dict) else cfg
        k = self.cfg.dim
        out = self.cfg.out_dim or k
        self.embed = nn.Linear(2, k)
        self.blocks = nn.ModuleList(AxisBlock(self.cfg) for _ in range(2 * self.cfg.layers))
        self.ln_pool = nn.LayerNorm(k)
        self.ln_u, self.ln_v = nn.LayerNorm(k), nn.LayerNorm(k)
        self.head_u, self.head_v = nn.Linear(k, out), nn.Linear(k, out)
        for lin in (self.head_u, self.head_v):
            nn.init.kaiming_uniform_(lin.weight, nonlinearity="relu")
            nn.init.zeros_(lin.bias)
        self.temp = nn.Parameter(torch.tensor(float(self.cfg.temp_init)))
        self.bias = nn.Parameter(torch.tensor(float(self.cfg.bias_init)))

    # --- encoder ------------------------------------------------------------------------------------
    def encode(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Embed and run the blocks, then max-pool over samples: ``[B, n, d, 2] -> [B, d, k]``."""
        z = self.embed(x)                                                  # [B, n, d, k]
        for i, block in enumerate(self.blocks):
            if i % 2 == 0:                                                 # attend over variables d
                z = block(z, generator)                                    # [B, n, d, k]
            else:                                                          # attend over samples n
                z = block(z.transpose(1, 2), generator).transpose(1, 2)    # [B, n, d, k]
        return self.ln_pool(z).amax(dim=1)                                 # [B, d, k]

    def head(self, pooled: torch.Tensor) -> torch.Tensor:
        """Edge logits from pooled embeddings: ``[B, d, k] -> [B, d, d]``, diagonal ``-inf``."""
        u = F.normalize(self.head_u(self.ln_u(pooled)), dim=-1)           # [B, d, k_out]
        v = F.normalize(self.head_v(self.ln_v(pooled)), dim=-1)           # [B, d, k_out]
        logits = self.temp.exp() * (u @ v.transpose(-1, -2)) + self.bias   # [B, d, d]
        d = logits.shape[-1]
        eye = torch.eye(d, dtype=torch.bool, device=logits.device)
        return logits.masked_fill(eye, -math.inf)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Edge logits ``[B, d, d]`` for data ``x: [B, n, d, 2]`` (``logit[b, i, j]`` scores ``i -> j``)."""
        if x.ndim != 4 or x.shape[-1] != 2:
            raise ValueError(f"expected x of shape [B, n, d, 2], got {tuple(x.shape)}")
        return self.head(self.encode(x, generator))

    @torch.no_grad()
    def predict_proba(self, x: torch.Tensor, *, chunk_size: int | None = None,
                      chunks_per_pass: int = 1) -> torch.Tensor:
        """Edge probabilities ``[B, d, d]`` with bounded memory for large n (eval mode, no dropout).

        Rows are processed in chunks of ``chunk_size``; the encoder runs on each chunk (attention over
        samples sees only that chunk, so memory is ``O(d * heads * chunk_size^2)`` instead of ``O(n^2)``)
        and the max-pool is taken over all rows of all chunks, as in avici's ``experimental_chunk_size``.
        ``chunk_size=None`` or ``>= n`` is the exact full-attention model.
        """
        B, n, d, _ = x.shape
        if chunk_size is None or chunk_size >= n:
            return torch.sigmoid(self.forward(x))
        n_chunks = math.ceil(n / chunk_size)
        size = math.ceil(n / n_chunks)                                     # balanced chunks
        pooled = None
        starts = list(range(0, n, size))
        for s in range(0, len(starts), chunks_per_pass):
            group = starts[s:s + chunks_per_pass]
            parts = [x[:, a:a + size] for a in group]
            if len({p.shape[1] for p in parts}) == 1:                      # same length: batch them
                xs = torch.cat(parts, dim=0)                               # [B*c, size, d, 2]
                enc = self.encode(xs).unflatten(0, (len(parts), B)).amax(dim=0)   # [B, d, k]
            else:
                enc = torch.stack([self.encode(p) for p in parts]).amax(dim=0)   # [B, d, k]
            pooled = enc if pooled is None else torch.maximum(pooled, enc)
        return torch.sigmoid(self.head(pooled))


def spectral_radius(P: torch.Tensor, *, iters: int = 10, generator: torch.Generator | None = None) -> torch.Tensor:
    """Differentiable estimate of the spectral radius of each ``P: [B, d, d]`` by power iteration.

    NO BEARS acyclicity (Lee et al. 2019) as used by AVICI: ``h(P) = rho(P)`` is 0 iff the weighted graph
    with non-negative weights ``P`` is acyclic. Left/right vectors ``u, v`` start positive-random, run
    ``iters`` normalised power steps without gradient, then ``rho = u^T P v / u^T v`` carries the gradient
    through ``P`` only. Returns ``[B]``.
    """
    B, d, _ = P.shape
    with torch.no_grad():
        u = torch.rand(B, 1, d, generator=generator, dtype=P.dtype) + 0.1  # [B, 1, d]
        v = torch.rand(B, d, 1, generator=generator, dtype=P.dtype) + 0.1  # [B, d, 1]
        for _ in range(iters):
            u = F.normalize(u @ P, dim=-1)                                 # left vector
            v = F.normalize(P @ v, dim=-2)                                 # right vector
    num = (u @ P @ v).reshape(B)
    den = (u @ v).reshape(B).clamp_min(1e-12)                          # u, v >= 0; both 0 when P is nilpotent
    return num / den


def load_model(state: dict, config: dict) -> AVICIModel:
    """Build an :class:`AVICIModel` from a ``config`` dict and load ``state`` (a state dict); eval mode."""
    model = AVICIModel(ModelConfig.from_dict(config))
    model.load_state_dict(state)
    return model.eval()
