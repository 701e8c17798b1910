"""Rendered image environments for causal representation learning: coloured balls and a planar robot arm.

Both simulators draw latent causal variables from the latent SCM of :mod:`scorecause.simulate.latent`
(:class:`~scorecause.simulate.latent.LatentSCM`: additive Gaussian noise, ``linear`` / ``quadratic`` / ``mlp``
mechanisms, hard interventions that cut the parents and scale the noise variance), map them into the scene
with one documented squashing, and render the scene with numpy, a whole batch at once (broadcasting over the
pixel grid; no Python loop over images or pixels).

**Squashing** (:func:`squash`). Latent ``z_i`` (unbounded) becomes a scene coordinate
``u_i = tanh((z_i - m_i) / (2 s_i))`` in ``(-1, 1)``, with ``m_i``, ``s_i`` the observational mean and
standard deviation of ``z_i`` (estimated once per model from 20,000 draws). The map is strictly increasing
per coordinate (so the latent graph, the intervention targets and the identifiability classes of the SCM are
those of ``u``), close to linear over ``|z_i - m_i| < 2 s_i`` (``corr(z, tanh(z / 2)) = 0.992`` for a standard
normal ``z``) and keeps every scene inside the canvas.

**Balls** (:func:`simulate_balls`), the image experiments of Varıcı, Acartürk, Shanmugam, Kumar & Tajer,
"Score-based causal representation learning: linear and general transformations", JMLR 2025
(arXiv 2402.00849, Section 7.5, Table 14), after Ahuja, Mahajan, Wang & Bengio, "Interventional causal
representation learning", ICML 2023:

* ``B`` balls (2-5), ``n = 2B`` latents: ``Z_{2b}`` is ball ``b``'s horizontal and ``Z_{2b+1}`` its vertical
  position. Latent graph: Erdős–Rényi with expected degree 2 (edge probability ``min(1, 4 / (n - 1))`` in a
  random causal order), as the authors' data generator.
* Position ``p = (u + 1) / 2`` in ``[0, 1]`` (``latents`` of the environment files), drawn at pixel
  ``x = r + p_x (W - 2r)`` from the left and ``y = r + p_y (H - 2r)`` from the bottom, so every ball lies
  wholly inside the canvas. Radius ``r = W / 8`` (8 px at 64 x 64, the authors' renderer), colours with equally
  spaced HSV hues (saturation = value = 0.9) on a white background, later balls drawn over earlier ones,
  RGB uint8 images ``(N, H, W, 3)``.
* Interventions: hard (parents cut, ``z_i = eps_i`` with the noise variance times ``c``); one per latent
  (``c = 0.25``) or two per latent (``c = 0.25`` and ``4.0``; environments ``1..n`` then ``n+1..2n`` in the
  same node order), the GSCALE-I design.

What differs from the authors' generator: they rejection-sample a *truncated* linear Gaussian SCM inside a box
(weights ``±U[0.25, 1]``, noise variances ``U[0.01, 0.02]``) and rescale linearly; here the untruncated SCM of
:mod:`~scorecause.simulate.latent` (weights ``±U[0.5, 1.5]``, variances ``U[0.5, 1.5]``, the same model as the
vector experiments) is squashed, which keeps the SCM's densities and analytic scores exact. "Nonlinear SCM"
is the ``quadratic`` mechanism ``z_i = sqrt(z_pa^T A_i z_pa) + eps_i`` (or ``mlp``).

**Robot arm** (:func:`simulate_robot_arm`), the setting of ROPES (Tajer lab, 2025): joint angles are the
latent causal variables, a camera image the observation.

* ``k`` revolute joints (3-5) in a plane, base fixed at the canvas centre, link lengths ``L_j`` fixed
  (proportional to ``1, 0.8, 0.65, 0.55, 0.45``, total reach ``0.42 W``). Angle ``theta_j = h_j u_j``:
  ``theta_0`` is the base joint's angle from straight up (``h_0 = 90`` degrees), ``theta_j`` (``j >= 1``) the
  angle of link ``j`` relative to link ``j - 1`` (``h_j = 120 / (k - 1)`` degrees: +-60 for 3 joints, +-40
  for 4, +-30 for 5); positive turns counter-clockwise.
* Forward kinematics (:func:`forward_kinematics`): ``phi_j = theta_0 + ... + theta_j``,
  ``p_{j+1} = p_j + L_j (-sin phi_j, cos phi_j)`` (x to the right, y up).
* Injectivity: the relative turns add up to at most 120 degrees, so all link directions ``phi_j`` lie in an
  interval of width 120 degrees (narrower than 180): the chain is strictly monotone along that interval's
  bisector, so its centre line never crosses itself and the joints (drawn as brighter discs) appear in order
  along it; the joint positions -- hence the angles, the base and the link lengths being fixed -- are a
  function of the image. (At the very ends of the ranges two non-adjacent thick links may touch.)
* Rendering (:func:`render_arm`): a shaded grey silhouette on black, 64 x 64 uint8 ``(N, H, W)``: links are
  thick capsules shaded like cylinders (brightest on the axis), joints are brighter discs shaded like spheres,
  the base a larger disc; antialiased with a one-pixel smooth edge on the signed distance to the shape.
* Interventions on joints are hard (the commanded angle drawn independently of the parent joints), one or two
  per joint as for the balls.

Every random draw goes through the ``numpy.random.Generator`` passed in: same seed, same images.

Examples
--------
>>> import numpy as np
>>> prob = simulate_balls(2, 50, np.random.default_rng(0))
>>> len(prob.images), prob.images[0].shape, prob.latents[0].shape
(9, (50, 64, 64, 3), (50, 4))
>>> arm = simulate_robot_arm(3, 20, np.random.default_rng(0))
>>> arm.images[1].shape, arm.targets
((20, 64, 64), [[0], [2], [1]])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scorecause.errors import ConfigError, DataError
from scorecause.simulate.latent import LATENT_KINDS, LatentIntervention, LatentSCM, _design, random_latent_scm

SQUASH_SPREAD = 2.0  # u = tanh((z - m) / (SQUASH_SPREAD * s))
_SCALE_DRAWS = 20_000  # observational draws that fix m, s of the squashing
_CHUNK = 256  # images rendered per vectorised batch (bounds the float32 temporaries to a few MB)


# ------------------------------------------------------------------------------------------------
# Squashing latents into the scene
# ------------------------------------------------------------------------------------------------
def squash(Z: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Scene coordinates ``u = tanh((Z - loc) / (2 scale))`` in ``(-1, 1)``, per column.

    Parameters
    ----------
    Z : (N, n) latents
    loc, scale : (n,) observational mean and standard deviation of each latent

    Examples
    --------
    >>> squash(np.array([[0.0, 3.0]]), np.zeros(2), np.ones(2)).round(3)
    array([[0.   , 0.905]])
    """
    return np.tanh((np.asarray(Z, dtype=np.float64) - loc) / (SQUASH_SPREAD * scale))


# ------------------------------------------------------------------------------------------------
# Rendering primitives (batches; pixel (r, c) covers [c, c+1) x [r, r+1), its centre at (c + .5, r + .5))
# ------------------------------------------------------------------------------------------------
def _grid(size: int) -> np.ndarray:
    return np.arange(size, dtype=np.float32) + np.float32(0.5)  # (size,) pixel-centre coordinates


def _coverage(signed_distance: np.ndarray) -> np.ndarray:
    """Antialiased coverage ``clip(0.5 - sd, 0, 1)`` of a shape with signed distance ``sd`` (px), in place."""
    np.subtract(np.float32(0.5), signed_distance, out=signed_distance)
    return np.clip(signed_distance, 0.0, 1.0, out=signed_distance)


def ball_colors(n_balls: int) -> np.ndarray:
    """(n_balls, 3) RGB in [0, 1]: equally spaced HSV hues from 0, saturation = value = 0.9.

    >>> ball_colors(2).round(2)
    array([[0.9 , 0.09, 0.09],
           [0.09, 0.9 , 0.9 ]])
    """
    from matplotlib.colors import hsv_to_rgb

    hsv = np.column_stack([np.arange(n_balls) / n_balls, np.full(n_balls, 0.9), np.full(n_balls, 0.9)])
    return hsv_to_rgb(hsv)


def ball_pixel_centres(positions: np.ndarray, size: int, radius: float) -> np.ndarray:
    """Pixel coordinates (column x, row y from the top) of ball centres at ``positions`` in ``[0, 1]``.

    Parameters
    ----------
    positions : (N, 2B) -- ``positions[:, 2b]`` ball ``b``'s horizontal, ``[:, 2b + 1]`` its vertical
        position (0 = left / bottom, 1 = right / top)
    size : canvas width = height (px)
    radius : ball radius (px); centres are inset by it so balls stay inside the canvas

    Returns
    -------
    (N, B, 2) float64: ``[..., 0]`` column coordinate, ``[..., 1]`` row coordinate (0 = top edge)
    """
    P = np.asarray(positions, dtype=np.float64).reshape(len(positions), -1, 2)
    span = size - 2.0 * radius
    return np.stack([radius + P[..., 0] * span, size - (radius + P[..., 1] * span)], axis=-1)


def render_balls(positions: np.ndarray, *, size: int = 64, radius: float | None = None,
                 colors: np.ndarray | None = None, background: float = 1.0) -> np.ndarray:
    """Render balls at ``positions`` (N, 2B) in ``[0, 1]`` into RGB uint8 images (N, size, size, 3).

    Ball ``b`` is an antialiased disc of ``radius`` (default ``size / 8``) and colour ``colors[b]``
    (default :func:`ball_colors`), composited over ``background`` (grey level in [0, 1]) in index order,
    so later balls cover earlier ones. Vectorised over the batch and the pixel grid; each ball is composited
    on the ``(2 ceil(r + 1) + 1)^2`` window around it (the only pixels its antialiased edge reaches).

    Examples
    --------
    >>> img = render_balls(np.array([[0.5, 0.5]]), size=16, radius=4)
    >>> img.shape, img[0, 8, 8].tolist(), img[0, 0, 0].tolist()
    ((1, 16, 16, 3), [230, 23, 23], [255, 255, 255])
    """
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 2 or positions.shape[1] % 2:
        raise ConfigError(f"ball positions must be (N, 2 * balls), got shape {positions.shape}")
    n_balls = positions.shape[1] // 2
    radius = size / 8 if radius is None else float(radius)
    colors = ball_colors(n_balls) if colors is None else np.asarray(colors, dtype=np.float64)
    centres = ball_pixel_centres(positions, size, radius).astype(np.float32)  # (N, B, 2)
    g = _grid(size)
    rgb = colors.astype(np.float32)
    # a ball touches only pixels whose centre is within radius + 0.5 of its centre: work on a w x w window
    half = int(np.ceil(radius + 1.0))
    w = min(2 * half + 1, size)
    offs = np.arange(w)
    out = np.empty((len(positions), size, size, 3), dtype=np.uint8)
    for lo in range(0, len(positions), _CHUNK):
        c = centres[lo:lo + _CHUNK]
        n = len(c)
        img = np.full((n * size * size, 3), background, dtype=np.float32)  # (n H W, 3) flat pixels
        for b in range(n_balls):
            c0 = np.clip(np.floor(c[:, b, 0]).astype(np.int64) - half, 0, size - w)[:, None] + offs  # (n, w)
            r0 = np.clip(np.floor(c[:, b, 1]).astype(np.int64) - half, 0, size - w)[:, None] + offs
            dx2 = np.square(g[c0] - c[:, b, 0:1])  # (n, w) columns
            dy2 = np.square(g[r0] - c[:, b, 1:2])  # (n, w) rows
            a = _coverage(np.sqrt(dy2[:, :, None] + dx2[:, None, :]) - np.float32(radius))[..., None]  # (n,w,w,1)
            idx = (np.arange(n)[:, None, None] * size + r0[:, :, None]) * size + c0[:, None, :]  # (n, w, w)
            patch = img[idx]  # (n, w, w, 3)
            patch += a * (rgb[b] - patch)
            img[idx] = patch
        out[lo:lo + _CHUNK] = (img.reshape(n, size, size, 3) * 255.0 + 0.5).astype(np.uint8)
    return out


# ------------------------------------------------------------------------------------------------
# Robot arm geometry
# ------------------------------------------------------------------------------------------------
_LINK_WEIGHTS = np.array([1.0, 0.8, 0.65, 0.55, 0.45])
_LINK_HALF_WIDTH = np.array([3.4, 3.0, 2.6, 2.2, 1.9])  # px at 64 x 64
_LINK_TONE = np.array([0.80, 0.70, 0.62, 0.56, 0.50])


@dataclass(frozen=True)
class ArmGeometry:
    """A planar arm with ``n_joints`` revolute joints, drawn on a ``size`` x ``size`` canvas.

    Attributes
    ----------
    n_joints : number of joints = links (3-5)
    size : canvas width = height (px)
    lengths : (k,) link lengths (px), proportional to ``1, 0.8, 0.65, 0.55, 0.45``, summing to ``0.42 size``
    half_widths : (k,) link half thickness (px)
    half_ranges : (k,) joint range half-widths (radians): base 90 degrees, the others ``120 / (k - 1)`` degrees
    base : (2,) base position (x right, y up; px) -- the canvas centre
    """

    n_joints: int
    size: int = 64

    def __post_init__(self):
        if not 2 <= self.n_joints <= 5:
            raise ConfigError(f"the robot arm has 2 to 5 joints, got {self.n_joints}")
        if self.size < 16:
            raise ConfigError(f"image size must be >= 16 px, got {self.size}")

    @property
    def lengths(self) -> np.ndarray:
        w = _LINK_WEIGHTS[:self.n_joints]
        return 0.42 * self.size * w / w.sum()

    @property
    def half_widths(self) -> np.ndarray:
        return _LINK_HALF_WIDTH[:self.n_joints] * self.size / 64

    @property
    def half_ranges(self) -> np.ndarray:
        rel = np.deg2rad(120.0 / (self.n_joints - 1))
        return np.array([np.deg2rad(90.0)] + [rel] * (self.n_joints - 1))

    @property
    def base(self) -> np.ndarray:
        return np.array([self.size / 2, self.size / 2])


def forward_kinematics(angles: np.ndarray, geometry: ArmGeometry) -> np.ndarray:
    """Joint positions of the arm: (N, k + 1, 2) in px, x to the right and y up; ``[:, 0]`` is the base,
    ``[:, k]`` the end effector.

    ``phi_j = theta_0 + ... + theta_j`` (absolute direction of link ``j``, 0 = straight up, counter-clockwise
    positive), ``p_{j+1} = p_j + L_j (-sin phi_j, cos phi_j)``.

    Examples
    --------
    >>> geo = ArmGeometry(3)
    >>> forward_kinematics(np.zeros((1, 3)), geo)[0, -1].round(2).tolist()  # straight up: base + (0, 0.42 * 64)
    [32.0, 58.88]
    """
    angles = np.asarray(angles, dtype=np.float64)
    phi = np.cumsum(angles, axis=1)  # (N, k)
    steps = geometry.lengths * np.stack([-np.sin(phi), np.cos(phi)], axis=-1).transpose(2, 0, 1)  # (2, N, k)
    pts = np.cumsum(steps.transpose(1, 2, 0), axis=1)  # (N, k, 2)
    return np.concatenate([np.zeros((len(angles), 1, 2)), pts], axis=1) + geometry.base


def to_pixels(points: np.ndarray, size: int) -> np.ndarray:
    """World (x right, y up; px) to pixel coordinates (column, row from the top): ``(x, size - y)``."""
    pts = np.array(points, dtype=np.float64, copy=True)
    pts[..., 1] = size - pts[..., 1]
    return pts


def render_arm(angles: np.ndarray, geometry: ArmGeometry) -> np.ndarray:
    """Render the arm at joint ``angles`` (N, k) (radians) as grey uint8 silhouettes (N, size, size).

    The shape is the union of capsules (links, half width ``w_j``) and discs (joints, radius ``w_j + 0.8``;
    end effector ``w_{k-1} + 0.5``; base ``1.4 w_0``). Per pixel the signed distance to the nearest primitive
    gives the antialiased coverage ``clip(0.5 - sd, 0, 1)`` and that primitive's shading
    ``tone (0.45 + 0.55 sqrt(1 - (d / rho)^2))`` (``d`` the distance to its axis or centre, ``rho`` its radius:
    a cylinder / sphere lit from the camera). Background black. Each primitive is evaluated on the window
    around it that its antialiased edge can reach (the others' pixels are untouched).
    """
    angles = np.asarray(angles, dtype=np.float64)
    k, size = geometry.n_joints, geometry.size
    if angles.ndim != 2 or angles.shape[1] != k:
        raise ConfigError(f"arm angles must be (N, {k}), got shape {angles.shape}")
    joints = to_pixels(forward_kinematics(angles, geometry), size).astype(np.float32)  # (N, k+1, 2)
    w = geometry.half_widths
    # primitives: k capsules, then k+1 discs (base, joints 1..k-1, end effector)
    radii = np.concatenate([w, [1.4 * w[0]], w[1:] + 0.8, [w[-1] + 0.5]]).astype(np.float32)
    tones = np.concatenate([_LINK_TONE[:k], [0.55], np.full(k - 1, 1.0), [0.95]]).astype(np.float32)
    # each primitive reaches only pixels within (its half length +) radius + 0.5 of its centre: a window
    halves = np.ceil(np.concatenate([geometry.lengths / 2, np.zeros(k + 1)]) + radii + 1.0).astype(np.int64)
    g = _grid(size)
    out = np.empty((len(angles), size, size), dtype=np.uint8)
    for lo in range(0, len(angles), _CHUNK):
        J = joints[lo:lo + _CHUNK]  # (n, k+1, 2)
        n = len(J)
        best = np.full(n * size * size, np.inf, dtype=np.float32)  # signed distance to the nearest primitive
        which = np.zeros(n * size * size, dtype=np.int8)  # its index
        axis_d = np.zeros(n * size * size, dtype=np.float32)  # distance to its axis / centre
        for p in range(2 * k + 1):
            a = J[:, p] if p < k else J[:, p - k]  # (n, 2) capsule start / disc centre
            centre = (J[:, p] + J[:, p + 1]) / 2 if p < k else a
            w = min(2 * int(halves[p]) + 1, size)
            offs = np.arange(w)
            cols = np.clip(np.floor(centre[:, 0]).astype(np.int64) - halves[p], 0, size - w)[:, None] + offs
            rows = np.clip(np.floor(centre[:, 1]).astype(np.int64) - halves[p], 0, size - w)[:, None] + offs
            gx, gy = g[cols] - a[:, 0:1], g[rows] - a[:, 1:2]  # (n, w) pixel offsets from a
            if p < k:  # capsule from joint p to joint p + 1
                seg = J[:, p + 1] - a
                L = np.sqrt((seg**2).sum(1, keepdims=True))  # (n, 1)
                u = seg / L
                t = gx[:, None, :] * u[:, None, 0:1] + gy[:, :, None] * u[:, None, 1:2]  # along (n, w, w)
                e = gx[:, None, :] * u[:, None, 1:2] - gy[:, :, None] * u[:, None, 0:1]  # across
                t -= np.clip(t, 0.0, L[:, :, None])
                d = np.sqrt(t * t + e * e)
            else:  # disc at joint p - k
                d = np.sqrt(np.square(gy)[:, :, None] + np.square(gx)[:, None, :])
            idx = ((np.arange(n)[:, None] * size + rows)[:, :, None] * size + cols[:, None, :]).ravel()
            sd = (d - radii[p]).ravel()
            closer = sd < best[idx]
            idx = idx[closer]
            best[idx] = sd[closer]
            axis_d[idx] = d.ravel()[closer]
            which[idx] = p
        rho = radii[which]
        shade = tones[which] * (0.45 + 0.55 * np.sqrt(np.clip(1.0 - np.square(axis_d / rho), 0.0, 1.0)))
        img = _coverage(best) * shade * 255.0 + 0.5
        out[lo:lo + _CHUNK] = img.reshape(n, size, size).astype(np.uint8)
    return out


# ------------------------------------------------------------------------------------------------
# Simulated image environments
# ------------------------------------------------------------------------------------------------
@dataclass
class ImageProblem:
    """Simulated image environments with their ground truth.

    Environment 0 is observational; environment ``m >= 1`` applies ``interventions[m - 1]``.

    Attributes
    ----------
    kind : "balls" | "robot-arm"
    scm : the latent SCM (``scm.graph[i, j] = 1`` means ``Z_i -> Z_j``)
    interventions : one :class:`~scorecause.simulate.latent.LatentIntervention` per interventional environment
    images : per environment, uint8 (N, H, W, 3) (balls) or (N, H, W) (robot arm)
    latents : per environment, float64 (N, n): what is drawn -- ball positions in [0, 1] / joint angles (rad)
    z : per environment, float64 (N, n): the SCM's variables before :func:`squash`
    loc, scale : (n,) the squashing's observational mean and standard deviation of ``z``
    latent_names : n names (``ball0_x``, ``ball0_y``, ... / ``joint0``, ...); files use ``Z0..``
    params : the simulator's settings (for the record)
    """

    kind: str
    scm: LatentSCM
    interventions: list[LatentIntervention]
    images: list[np.ndarray] = field(default_factory=list)
    latents: list[np.ndarray] = field(default_factory=list)
    z: list[np.ndarray] = field(default_factory=list)
    loc: np.ndarray | None = None
    scale: np.ndarray | None = None
    latent_names: list[str] = field(default_factory=list)
    params: dict = field(default_factory=dict)

    @property
    def graph(self) -> np.ndarray:
        """int8 (n, n) latent DAG, ``A[i, j] = 1`` means ``Z_i -> Z_j``."""
        return self.scm.graph

    @property
    def targets(self) -> list[list[int]]:
        """Intervened latents per interventional environment (the ``targets.json`` list)."""
        return [list(iv.targets) for iv in self.interventions]


def _check_common(N: int, per_node: int, latent: str, size: int) -> None:
    if N < 1:
        raise ConfigError(f"need at least 1 image per environment, got {N}")
    if per_node not in (1, 2):
        raise ConfigError(f"interventions per latent must be 1 or 2, got {per_node}")
    if latent not in LATENT_KINDS:
        raise ConfigError(f"latent SCM must be one of {', '.join(LATENT_KINDS)}, got {latent!r}")
    if size < 16:
        raise ConfigError(f"image size must be >= 16 px, got {size}")


def check_image_memory(n_envs: int, N: int, size: int, channels: int) -> None:
    """Refuse a simulation whose uint8 images would not fit in half of this machine's memory (they are all held in
    memory until the atomic write): a one-line error with the largest ``N`` that fits."""
    from scorecause.limits import physical_memory

    per_image = size * size * channels
    budget = physical_memory() // 2
    if n_envs * N * per_image > budget:
        fits = budget // (n_envs * per_image)
        raise DataError(f"{n_envs} environments x {N} images of {size}x{size}x{channels} need "
                        f"{n_envs * N * per_image / 2**30:.1f} GiB, more than half of this machine's memory "
                        f"({budget / 2**30:.1f} GiB); use at most {fits} images per environment (or a smaller size)")


def _latent_environments(kind: str, n: int, N: int, rng: np.random.Generator, *, latent: str, per_node: int,
                         density: float, var_scale, to_scene, render, names: list[str],
                         params: dict, channels: int) -> ImageProblem:
    """Draw the SCM and the hard-intervention design, sample every environment, squash, map, render."""
    check_image_memory(1 + per_node * n, N, params["size"], channels)
    if var_scale is None:
        var_scale = (0.25, 4.0) if per_node == 2 else 0.25
    scm = random_latent_scm(n, rng, kind=latent, density=density)
    ivs = _design(scm, rng, "hard", per_node, False, var_scale)
    Zref = scm.sample(_SCALE_DRAWS, rng)
    loc, scale = Zref.mean(axis=0), Zref.std(axis=0)
    prob = ImageProblem(kind, scm, ivs, loc=loc, scale=scale, latent_names=names,
                        params={**params, "latent": latent, "per_node": per_node, "density": density,
                                "var_scale": var_scale})
    for iv in [None, *ivs]:
        Z = scm.sample(N, rng, iv)
        lat = to_scene(squash(Z, loc, scale))
        prob.z.append(Z)
        prob.latents.append(lat)
        prob.images.append(render(lat))
    return prob


def simulate_balls(n_balls: int, N: int, rng: np.random.Generator, *, latent: str = "linear",
                   per_node: int = 2, size: int = 64, radius: float | None = None, degree: float = 2.0,
                   var_scale=None) -> ImageProblem:
    """Rendered balls whose positions follow a latent SCM, with hard interventions (JMLR 2025, Table 14).

    Parameters
    ----------
    n_balls : 2-5 balls; ``n = 2 n_balls`` latents (``Z_{2b}`` ball ``b``'s x, ``Z_{2b+1}`` its y)
    N : images per environment
    rng : numpy Generator (all randomness)
    latent : latent mechanisms, "linear" | "quadratic" (the nonlinear SCM) | "mlp"
    per_node : hard interventions per latent, 1 (``n`` environments) or 2 (``2n``)
    size : image width = height (px)
    radius : ball radius (px), default ``size / 8``
    degree : expected degree of the latent ER graph (edge probability ``min(1, 2 degree / (n - 1))``)
    var_scale : noise-variance factor(s) of the hard interventions (default 0.25; two per node (0.25, 4.0))

    Returns
    -------
    ImageProblem with ``1 + per_node * n`` environments of RGB uint8 images (N, size, size, 3); ``latents``
    hold the positions in [0, 1] (0 = left / bottom).

    Examples
    --------
    >>> prob = simulate_balls(3, 10, np.random.default_rng(1), per_node=1)
    >>> len(prob.images), prob.graph.shape, float(prob.latents[0].min()) > 0
    (7, (6, 6), True)
    """
    _check_common(N, per_node, latent, size)
    if not 1 <= n_balls <= 5:
        raise ConfigError(f"the balls simulator draws 1 to 5 balls, got {n_balls}")
    n = 2 * n_balls
    radius = size / 8 if radius is None else float(radius)
    if not 0 < radius < size / 2:
        raise ConfigError(f"ball radius must be in (0, {size / 2}) px, got {radius}")
    density = min(1.0, 2.0 * degree / max(n - 1, 1))
    colors = ball_colors(n_balls)
    names = [f"ball{b}_{ax}" for b in range(n_balls) for ax in ("x", "y")]
    return _latent_environments(
        "balls", n, N, rng, latent=latent, per_node=per_node, density=density, var_scale=var_scale,
        to_scene=lambda U: (U + 1.0) / 2.0,
        render=lambda P: render_balls(P, size=size, radius=radius, colors=colors),
        names=names, params={"n_balls": n_balls, "size": size, "radius": radius}, channels=3)


def simulate_robot_arm(n_joints: int, N: int, rng: np.random.Generator, *, latent: str = "linear",
                       per_node: int = 1, size: int = 64, density: float = 0.5,
                       var_scale=None) -> ImageProblem:
    """A planar robot arm whose joint angles follow a latent SCM, with hard interventions on joints.

    Parameters
    ----------
    n_joints : 3-5 revolute joints (2 allowed for quick tests); ``n = n_joints`` latents
    N : images per environment
    rng : numpy Generator (all randomness)
    latent : latent mechanisms, "linear" | "quadratic" | "mlp"
    per_node : hard interventions per joint, 1 or 2
    size : image width = height (px)
    density : edge probability of the latent ER graph over the joints (in a random causal order)
    var_scale : noise-variance factor(s) of the hard interventions (default 0.25; two per node (0.25, 4.0))

    Returns
    -------
    ImageProblem with grey uint8 images (N, size, size); ``latents`` hold the joint angles in radians
    (``|theta_j| < ArmGeometry(n_joints).half_ranges[j]``).

    Examples
    --------
    >>> prob = simulate_robot_arm(3, 10, np.random.default_rng(0))
    >>> len(prob.images), prob.images[0].dtype.name, prob.latent_names
    (4, 'uint8', ['joint0', 'joint1', 'joint2'])
    """
    _check_common(N, per_node, latent, size)
    geometry = ArmGeometry(n_joints, size)
    h = geometry.half_ranges
    return _latent_environments(
        "robot-arm", n_joints, N, rng, latent=latent, per_node=per_node, density=density, var_scale=var_scale,
        to_scene=lambda U: U * h, render=lambda T: render_arm(T, geometry),
        names=[f"joint{j}" for j in range(n_joints)], params={"n_joints": n_joints, "size": size}, channels=1)


def contact_sheet(rows: list[np.ndarray], *, pad: int = 2, fill: int = 128, scale: int = 1) -> np.ndarray:
    """Tile image batches into one uint8 picture: one row per batch (e.g. per environment), ``pad`` px of grey
    ``fill`` between tiles, each pixel repeated ``scale`` times (nearest neighbour).

    Parameters
    ----------
    rows : list of uint8 (n_r, H, W) or (n_r, H, W, C) batches, all with the same H, W, C
    pad, fill, scale : spacing (px), spacing grey level, magnification

    Returns
    -------
    uint8 (R (H + pad) + pad, max_r n_r (W + pad) + pad[, C]) times ``scale`` -- ready for an image writer.

    Examples
    --------
    >>> contact_sheet([np.zeros((3, 4, 4), np.uint8), np.zeros((2, 4, 4), np.uint8)]).shape
    (14, 20)
    """
    H, W = rows[0].shape[1:3]
    tail = rows[0].shape[3:]
    cols = max(len(r) for r in rows)
    sheet = np.full((len(rows) * (H + pad) + pad, cols * (W + pad) + pad, *tail), fill, dtype=np.uint8)
    for i, batch in enumerate(rows):
        for j, im in enumerate(batch):
            top, left = pad + i * (H + pad), pad + j * (W + pad)
            sheet[top:top + H, left:left + W] = im
    return sheet.repeat(scale, axis=0).repeat(scale, axis=1)


# ------------------------------------------------------------------------------------------------
# Named image settings (``scorecause simulate --preset crl-balls / crl-robot-arm``)
# ------------------------------------------------------------------------------------------------
IMAGE_PRESETS: dict[str, dict] = {
    "crl-balls": {
        "description": "CRL images: 2-5 balls whose positions follow a latent SCM, 1 or 2 hard interventions "
                       "per latent (crl --images)",
        "simulate": simulate_balls, "default_count": 2, "default_per_node": 2, "latents_per_count": 2,
        "count_range": (1, 5), "count_name": "balls",
    },
    "crl-robot-arm": {
        "description": "CRL images: planar robot arm, 3-5 joint angles follow a latent SCM, hard interventions "
                       "on joints (crl --images)",
        "simulate": simulate_robot_arm, "default_count": 3, "default_per_node": 1, "latents_per_count": 1,
        "count_range": (2, 5), "count_name": "joints",
    },
}


def image_preset_size(preset: str, count: int | None = None, per_node: int | None = None,
                      latent: str = "linear", size: int = 64) -> tuple[int, int]:
    """``(latents, environments)`` that :func:`simulate_images` makes for these settings (None = default).

    Checks the settings first (:class:`ConfigError` naming the bad one), without drawing anything.

    >>> image_preset_size("crl-balls", 3)
    (6, 13)
    """
    if preset not in IMAGE_PRESETS:
        raise ConfigError(f"unknown image preset {preset!r}; choose one of: {', '.join(IMAGE_PRESETS)}")
    spec = IMAGE_PRESETS[preset]
    count = spec["default_count"] if count is None else count
    per_node = spec["default_per_node"] if per_node is None else per_node
    _check_common(1, per_node, latent, size)
    lo, hi = spec["count_range"]
    if not lo <= count <= hi:
        raise ConfigError(f"{preset} draws {lo} to {hi} {spec['count_name']}, got {count}")
    n = spec["latents_per_count"] * count
    return n, 1 + n * per_node


def simulate_images(preset: str, *, count: int | None = None, N: int, rng: np.random.Generator,
                    latent: str = "linear", per_node: int | None = None, size: int = 64) -> ImageProblem:
    """Simulate a named image setting of :data:`IMAGE_PRESETS` (``count`` balls or joints).

    Examples
    --------
    >>> prob = simulate_images("crl-robot-arm", N=5, rng=np.random.default_rng(0))
    >>> len(prob.images), prob.images[0].shape
    (4, (5, 64, 64))
    """
    image_preset_size(preset, count, per_node, latent, size)
    spec = IMAGE_PRESETS[preset]
    count = spec["default_count"] if count is None else count
    per_node = spec["default_per_node"] if per_node is None else per_node
    return spec["simulate"](count, N, rng, latent=latent, per_node=per_node, size=size)
