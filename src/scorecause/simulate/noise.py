"""Noise distributions for additive noise models, with log-density derivatives for analytic scores.

Every distribution is a location-zero, scale-``scale`` member of a standard family:
``e = scale * u`` with ``u`` drawn from the standard density ``p0``. Each class gives

* ``sample(n, rng)`` -> (n,) draws (every draw from the passed ``numpy.random.Generator``);
* ``log_prob(e)`` -> log density of ``e`` (including the ``-log scale`` Jacobian term);
* ``std_log_prob(u)``, ``std_dlog(u)`` = d/du log p0(u) and ``std_d2log(u)`` = d^2/du^2 log p0(u)
  on the *standardised* variable ``u = e / scale``. The SCM combines these with the chain rule
  (``d/de log p(e) = std_dlog(e / scale) / scale``), which is also how heteroscedastic scales are handled.

``scale`` is the family's own scale parameter (the standard deviation only for the Gaussian):

=============  ================================  =================================
family          standard density p0(u)            notes
=============  ================================  =================================
gaussian        N(0, 1)                           std = scale
laplace         exp(-|u|) / 2                      std = sqrt(2) scale; d2log = 0 (a.e.)
cauchy          1 / (pi (1 + u^2))                 no mean or variance
gumbel          Gumbel(max) centred to mean 0      u = g - euler_gamma, g ~ Gumbel(0, 1)
uniform         U(-1, 1)                           analytic scores raise (not differentiable)
=============  ================================  =================================

:class:`HeteroscedasticNoise` makes the scale a function of the parents,
``sigma(x_pa) = base.scale * sqrt(softplus(h(x_pa)))`` as in AVICI's ``HeteroscedasticRFFNoise``
(Lorch et al. 2022, arXiv 2205.12934), with ``h`` any differentiable mechanism (usually random Fourier
features). :class:`PointMass` and :class:`SignedUniform` are value distributions for hard interventions.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import numpy as np

from scorecause.errors import ConfigError

_EULER_GAMMA = 0.5772156649015329
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


class Noise(ABC):
    """Base class: a zero-location noise distribution with scale ``scale`` (> 0).

    Subclasses implement ``sample(n, rng)`` and ``std_log_prob`` (plus ``std_dlog`` / ``std_d2log`` when the
    density is differentiable) on ``u = e / scale``. Families of the form ``scale * u`` derive from
    :class:`ScaledNoise` and implement ``_standard(n, rng)`` instead of ``sample``.
    """

    name = "noise"
    #: False when d/du log p0 does not exist (uniform, point mass): analytic scores raise.
    differentiable = True

    def __init__(self, scale: float = 1.0):
        scale = float(scale)
        if not np.isfinite(scale) or scale <= 0:
            raise ConfigError(f"{self.name} noise scale must be a positive finite number, got {scale}")
        self.scale = scale

    # --- sampling -----------------------------------------------------------------------------
    @abstractmethod
    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` values, shape (n,)."""

    # --- densities ----------------------------------------------------------------------------
    def log_prob(self, e) -> np.ndarray:
        """log p(e) = log p0(e / scale) - log scale, elementwise."""
        e = np.asarray(e, dtype=np.float64)
        return self.std_log_prob(e / self.scale) - math.log(self.scale)

    def dlog(self, e) -> np.ndarray:
        """d/de log p(e), elementwise."""
        return self.std_dlog(np.asarray(e, dtype=np.float64) / self.scale) / self.scale

    def d2log(self, e) -> np.ndarray:
        """d^2/de^2 log p(e), elementwise."""
        return self.std_d2log(np.asarray(e, dtype=np.float64) / self.scale) / self.scale**2

    @abstractmethod
    def std_log_prob(self, u):
        """log p0(u) of the standard (scale 1) member of the family, elementwise."""

    def std_dlog(self, u):
        raise ConfigError(
            f"{self.name} noise has no differentiable log-density, so analytic scores (score, hessian_diag) "
            "are undefined; use gaussian, laplace, cauchy or gumbel noise"
        )

    def std_d2log(self, u):
        return self.std_dlog(u)  # raises for non-differentiable families

    # --- variants -----------------------------------------------------------------------------
    def rescaled(self, factor: float) -> Noise:
        """The same family with ``scale * factor`` (a soft intervention on the noise)."""
        return type(self)(self.scale * float(factor))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(scale={self.scale:.4g})"


class ScaledNoise(Noise):
    """A family ``e = scale * u`` with ``u`` drawn from a fixed standard density (subclasses: ``_standard``)."""

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` values ``scale * u`` (``u`` standard), shape (n,)."""
        return self.scale * self._standard(n, rng)

    @abstractmethod
    def _standard(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` standard values ``u``, shape (n,)."""


class Gaussian(ScaledNoise):
    """N(0, scale^2): log p0 = -u^2/2 - log sqrt(2 pi); d log p0 = -u; d^2 log p0 = -1."""

    name = "gaussian"

    def _standard(self, n, rng):
        return rng.standard_normal(n)

    def std_log_prob(self, u):
        return -0.5 * u**2 - _LOG_SQRT_2PI

    def std_dlog(self, u):
        return -u

    def std_d2log(self, u):
        return -np.ones_like(u)


class Laplace(ScaledNoise):
    """Laplace(0, scale): log p0 = -|u| - log 2; d log p0 = -sign(u); d^2 log p0 = 0 (for u != 0)."""

    name = "laplace"

    def _standard(self, n, rng):
        return rng.laplace(0.0, 1.0, n)

    def std_log_prob(self, u):
        return -np.abs(u) - math.log(2.0)

    def std_dlog(self, u):
        return -np.sign(u)

    def std_d2log(self, u):
        return np.zeros_like(u)


class Cauchy(ScaledNoise):
    """Cauchy(0, scale): log p0 = -log pi - log(1 + u^2); d = -2u/(1+u^2); d^2 = -2(1-u^2)/(1+u^2)^2."""

    name = "cauchy"

    def _standard(self, n, rng):
        return rng.standard_cauchy(n)

    def std_log_prob(self, u):
        return -math.log(math.pi) - np.log1p(u**2)

    def std_dlog(self, u):
        return -2.0 * u / (1.0 + u**2)

    def std_d2log(self, u):
        return -2.0 * (1.0 - u**2) / (1.0 + u**2) ** 2


class Gumbel(ScaledNoise):
    """Gumbel (maximum) shifted to mean 0: ``u = g - gamma``, ``g ~ Gumbel(0, 1)``.

    log p0(u) = -(v + exp(-v)) with v = u + gamma; d = exp(-v) - 1; d^2 = -exp(-v).
    """

    name = "gumbel"

    def _standard(self, n, rng):
        return rng.gumbel(0.0, 1.0, n) - _EULER_GAMMA

    def std_log_prob(self, u):
        v = u + _EULER_GAMMA
        return -(v + np.exp(-v))

    def std_dlog(self, u):
        return np.exp(-(u + _EULER_GAMMA)) - 1.0

    def std_d2log(self, u):
        return -np.exp(-(u + _EULER_GAMMA))


class Uniform(ScaledNoise):
    """U(-scale, scale). Its log-density is not differentiable at the edges: analytic scores raise."""

    name = "uniform"
    differentiable = False

    def _standard(self, n, rng):
        return rng.uniform(-1.0, 1.0, n)

    def std_log_prob(self, u):
        return np.where(np.abs(u) <= 1.0, -math.log(2.0), -np.inf)


class SignedUniform(Noise):
    """Values ``±U(low, high)`` with a fair random sign (AVICI's intervention-value distribution).

    ``scale`` is ``high``; the density is ``1 / (2 (high - low))`` on ``low <= |v| <= high``.
    Not differentiable: analytic scores raise.
    """

    name = "signed-uniform"
    differentiable = False

    def __init__(self, low: float = 1.0, high: float = 3.0):
        low, high = float(low), float(high)
        if not (0 <= low < high and np.isfinite(high)):
            raise ConfigError(f"signed-uniform needs 0 <= low < high, got low={low}, high={high}")
        super().__init__(high)
        self.low, self.high = low, high

    def sample(self, n, rng):
        from scorecause.simulate.mechanisms import signed_uniform

        return signed_uniform(self.low, self.high, n, rng)

    def log_prob(self, e):
        a = np.abs(np.asarray(e, dtype=np.float64))
        inside = (a >= self.low) & (a <= self.high)
        return np.where(inside, -math.log(2.0 * (self.high - self.low)), -np.inf)

    def std_log_prob(self, u):
        return self.log_prob(np.asarray(u) * self.scale) + math.log(self.scale)

    def rescaled(self, factor):
        return SignedUniform(self.low * factor, self.high * factor)

    def __repr__(self):
        return f"SignedUniform(low={self.low:.4g}, high={self.high:.4g})"


class PointMass(Noise):
    """A fixed value (a hard intervention ``do(x_j = value)``); it has no density, so scores raise."""

    name = "point-mass"
    differentiable = False

    def __init__(self, value: float = 0.0):
        self.value = float(value)
        self.scale = 1.0

    def sample(self, n, rng):
        return np.full(n, self.value)

    def log_prob(self, e):
        raise ConfigError(
            f"a fixed-value hard intervention (do(x = {self.value})) has no density; use a random intervention "
            "value (value=Gaussian(...) or SignedUniform(...)) to get log_prob and analytic scores"
        )

    std_log_prob = log_prob

    def rescaled(self, factor):
        return PointMass(self.value)

    def __repr__(self):
        return f"PointMass({self.value:.4g})"


class Shifted(Noise):
    """``loc + base`` noise: a value distribution centred at ``loc`` (e.g. do(x_j ~ N(loc, s^2)))."""

    def __init__(self, base: Noise, loc: float):
        self.base, self.loc = base, float(loc)
        self.scale = base.scale
        self.name = f"shifted-{base.name}"
        self.differentiable = base.differentiable

    def sample(self, n, rng):
        return self.loc + self.base.sample(n, rng)

    def log_prob(self, e):
        return self.base.log_prob(np.asarray(e) - self.loc)

    def std_log_prob(self, u):
        return self.base.std_log_prob(u - self.loc / self.scale)

    def std_dlog(self, u):
        return self.base.std_dlog(u - self.loc / self.scale)

    def std_d2log(self, u):
        return self.base.std_d2log(u - self.loc / self.scale)

    def rescaled(self, factor):
        return Shifted(self.base.rescaled(factor), self.loc)

    def __repr__(self):
        return f"Shifted({self.base!r}, loc={self.loc:.4g})"


class HeteroscedasticNoise:
    """Noise whose scale depends on the parents: ``e = sigma(x_pa) * u``, ``u ~ base`` at unit scale.

    .. math:: \\sigma(x_{pa}) = s \\sqrt{\\mathrm{softplus}(h(x_{pa}))}

    with ``s = base.scale`` and ``h`` a differentiable mechanism (AVICI: random Fourier features with
    length scale 10 and output scale 2; Lorch et al. 2022). ``log_sigma(P)``, ``grad_log_sigma(P)`` (n, k)
    and ``hess_diag_log_sigma(P)`` (n, k) give the derivatives the analytic score needs.
    """

    heteroscedastic = True

    def __init__(self, base: Noise, h):
        self.base = base
        self.h = h
        self.name = f"heteroscedastic-{base.name}"
        self.differentiable = base.differentiable

    @property
    def scale(self):
        return self.base.scale

    def sigma(self, P) -> np.ndarray:
        """(n,) noise scale at parent values P (n, k)."""
        return self.base.scale * np.sqrt(np.logaddexp(0.0, self.h(P)))

    def sample(self, n, rng, P=None):
        if P is None:
            P = np.zeros((n, 0))
        return self.sigma(P) * self.base._standard(n, rng)

    def log_sigma_derivatives(self, P):
        """(log sigma (n,), d log sigma / dP (n, k), d^2 log sigma / dP_i^2 (n, k)).

        log sigma = log s + 0.5 log softplus(h); with r = sigmoid(h) / softplus(h):
        d = 0.5 r h', d^2 = 0.5 (r' h'^2 + r h''), r' = sigmoid(h)(1 - sigmoid(h)) / softplus(h) - r^2.
        """
        hv = self.h(P)
        sp = np.logaddexp(0.0, hv)
        sig = 0.5 * (1.0 + np.tanh(0.5 * hv))  # stable sigmoid
        r = sig / sp
        dr = sig * (1.0 - sig) / sp - r**2
        g1 = self.h.grad(P)  # (n, k)
        g2 = self.h.hess_diag(P)  # (n, k)
        logsig = math.log(self.base.scale) + 0.5 * np.log(sp)
        return logsig, 0.5 * r[:, None] * g1, 0.5 * (dr[:, None] * g1**2 + r[:, None] * g2)

    def rescaled(self, factor):
        return HeteroscedasticNoise(self.base.rescaled(factor), self.h)

    def __repr__(self):
        return f"HeteroscedasticNoise({self.base!r}, h={self.h!r})"


NOISES = {"gaussian": Gaussian, "laplace": Laplace, "cauchy": Cauchy, "gumbel": Gumbel, "uniform": Uniform}


def make_noise(kind: str, scale: float = 1.0) -> Noise:
    """A homoscedastic noise of family ``kind`` (one of :data:`NOISES`) and scale ``scale``.

    >>> make_noise("laplace", 0.5)
    Laplace(scale=0.5)
    """
    if isinstance(kind, Noise):
        return kind
    try:
        cls = NOISES[str(kind).lower()]
    except KeyError:
        raise ConfigError(f"unknown noise {kind!r}; choose one of {sorted(NOISES)}") from None
    return cls(scale)
