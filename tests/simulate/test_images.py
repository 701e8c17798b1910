"""Image simulators (scorecause.simulate.images): rendered balls and a planar robot arm."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
from scipy.stats import ks_2samp

from scorecause.errors import ConfigError
from scorecause.simulate.images import (
    ArmGeometry,
    ball_pixel_centres,
    forward_kinematics,
    render_arm,
    render_balls,
    simulate_balls,
    simulate_images,
    simulate_robot_arm,
    to_pixels,
)


@pytest.mark.parametrize("name", ["scorecause.simulate.images", "scorecause.crl.io"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("simulate", [simulate_balls, simulate_robot_arm])
def test_same_seed_same_images(simulate):
    a, b = (simulate(3, 20, np.random.default_rng(7), size=32) for _ in range(2))
    c = simulate(3, 20, np.random.default_rng(8), size=32)
    assert all(np.array_equal(x, y) for x, y in zip(a.images, b.images))
    assert all(np.array_equal(x, y) for x, y in zip(a.latents, b.latents))
    assert np.array_equal(a.graph, b.graph) and a.targets == b.targets
    assert not np.array_equal(a.images[0], c.images[0])


def test_balls_stay_inside_the_canvas():
    prob = simulate_balls(3, 150, np.random.default_rng(0), size=32, per_node=2)
    assert len(prob.images) == 1 + 2 * 6 and prob.images[0].shape == (150, 32, 32, 3)
    r = prob.params["radius"]
    for P in prob.latents:
        assert P.min() > 0 and P.max() < 1
        C = ball_pixel_centres(P, 32, r)  # (N, 3, 2)
        assert C.min() >= r and C.max() <= 32 - r  # every ball wholly inside


def test_one_ball_lights_the_expected_pixels():
    """The darkness-weighted centroid of one rendered ball is its centre (measured error 0.006 px)."""
    for pos, radius in [([0.3, 0.7], 6.0), ([0.55, 0.123], 8.0), ([0.0, 1.0], 5.0)]:
        img = render_balls(np.array([pos]), size=64, radius=radius)[0].astype(float)
        dark = 3 * 255 - img.sum(-1)  # (H, W), zero on the white background
        rows, cols = np.indices(dark.shape)
        centroid = np.array([(dark * (cols + 0.5)).sum(), (dark * (rows + 0.5)).sum()]) / dark.sum()
        expected = ball_pixel_centres(np.array([pos]), 64, radius)[0, 0]
        assert np.abs(centroid - expected).max() < 0.05
        assert abs(np.count_nonzero(dark > 0.5 * dark.max()) - np.pi * radius**2) < 2 * np.pi * radius  # area


def test_arm_forward_kinematics_known_angles():
    geo = ArmGeometry(3)
    L = geo.lengths
    assert np.isclose(L.sum(), 0.42 * 64)
    base = geo.base
    angles = np.array([[0.0, 0.0, 0.0], [np.pi / 2, 0.0, 0.0], [0.0, np.pi / 2, -np.pi / 2]])
    ends = forward_kinematics(angles, geo)[:, -1]
    np.testing.assert_allclose(ends[0], base + [0, L.sum()])  # straight up
    np.testing.assert_allclose(ends[1], base + [-L.sum(), 0], atol=1e-12)  # counter-clockwise: to the left
    np.testing.assert_allclose(ends[2], base + [-L[1], L[0] + L[2]], atol=1e-12)


def test_arm_silhouette_contains_the_joints():
    geo = ArmGeometry(4)
    rng = np.random.default_rng(0)
    angles = rng.uniform(-1, 1, size=(20, 4)) * geo.half_ranges
    imgs = render_arm(angles, geo)
    px = to_pixels(forward_kinematics(angles, geo), 64)  # (20, 5, 2) column, row
    for img, pts in zip(imgs, px):
        for x, y in pts:
            assert img[int(y), int(x)] > 100  # joint discs are bright
        assert (img > 0).mean() < 0.2  # ... on a black background
    # the silhouette moves with the angles (no two configurations render alike here)
    assert all(not np.array_equal(imgs[0], im) for im in imgs[1:])


def test_arm_angles_within_ranges_and_arm_inside_the_canvas():
    prob = simulate_robot_arm(5, 400, np.random.default_rng(1), per_node=2, size=24)
    geo = ArmGeometry(5, 24)
    margin = 1.4 * geo.half_widths[0]  # the base disc is the widest part
    for T in prob.latents:
        assert (np.abs(T) < geo.half_ranges).all()
        pts = forward_kinematics(T, geo)
        assert pts.min() > margin and pts.max() < 24 - margin
    assert np.rad2deg(geo.half_ranges[1:]).sum() == pytest.approx(120)  # total relative turning: no self-crossing


@pytest.mark.parametrize("simulate", [simulate_balls, simulate_robot_arm])
def test_hard_intervention_changes_only_the_target_and_its_descendants(simulate):
    """KS tests on the rendered-scene latents: the target's marginal moves, non-descendants' do not."""
    prob = simulate(3, 3000, np.random.default_rng(3), per_node=1, size=16)
    A = prob.graph.astype(bool)
    n = A.shape[0]
    reach = A.copy()
    for _ in range(n):
        reach |= (reach.astype(int) @ A.astype(int)) > 0
    checked = 0
    for m, (t,) in enumerate(prob.targets, start=1):
        assert ks_2samp(prob.latents[0][:, t], prob.latents[m][:, t]).pvalue < 1e-6
        for j in range(n):
            if j != t and not reach[t, j]:  # a non-descendant (parents included) keeps its marginal
                assert ks_2samp(prob.latents[0][:, j], prob.latents[m][:, j]).pvalue > 1e-3
                checked += 1
    assert checked > 0
    assert prob.graph.sum() > 0


def test_preset_and_settings_errors():
    assert len(simulate_images("crl-balls", count=2, N=3, rng=np.random.default_rng(0), size=16).images) == 9
    with pytest.raises(ConfigError, match="1 to 5 balls"):
        simulate_images("crl-balls", count=6, N=3, rng=np.random.default_rng(0))
    with pytest.raises(ConfigError, match="must be 1 or 2"):
        simulate_images("crl-robot-arm", per_node=3, N=3, rng=np.random.default_rng(0))
    with pytest.raises(ConfigError, match="latent SCM must be one of"):
        simulate_balls(2, 3, np.random.default_rng(0), latent="gp")
    with pytest.raises(ConfigError, match="unknown image preset"):
        simulate_images("crl-cubes", N=3, rng=np.random.default_rng(0))


def test_windowed_ball_rendering_matches_a_full_grid_reference():
    """Each ball is composited on a window around it; a plain full-grid float64 reference agrees to 1 level."""
    rng = np.random.default_rng(2)
    P = rng.uniform(size=(6, 6))
    size, radius = 20, 3.3
    colors = rng.uniform(size=(3, 3))
    got = render_balls(P, size=size, radius=radius, colors=colors).astype(int)
    centres = ball_pixel_centres(P, size, radius)
    rows, cols = np.indices((size, size)) + 0.5
    for img, C in zip(got, centres):
        ref = np.ones((size, size, 3))
        for (x, y), col in zip(C, colors):
            a = np.clip(radius + 0.5 - np.hypot(cols - x, rows - y), 0, 1)[..., None]
            ref = (1 - a) * ref + a * col
        assert np.abs(img - np.round(255 * ref)).max() <= 1


def test_windowed_arm_rendering_matches_a_full_grid_reference():
    """Union of capsules and discs, nearest-primitive shading: a plain per-image float64 reference agrees."""
    geo = ArmGeometry(3, 24)
    angles = np.random.default_rng(4).uniform(-1, 1, size=(5, 3)) * geo.half_ranges
    got = render_arm(angles, geo).astype(int)
    w = geo.half_widths
    radii = np.concatenate([w, [1.4 * w[0]], w[1:] + 0.8, [w[-1] + 0.5]])
    tones = np.array([0.80, 0.70, 0.62, 0.55, 1.0, 1.0, 0.95])
    rows, cols = np.indices((24, 24)) + 0.5
    for img, pts in zip(got, to_pixels(forward_kinematics(angles, geo), 24)):
        dists = []
        for a, b in zip(pts[:-1], pts[1:]):  # capsules: distance to the segment
            ab = b - a
            t = np.clip(((cols - a[0]) * ab[0] + (rows - a[1]) * ab[1]) / (ab @ ab), 0, 1)
            dists.append(np.hypot(cols - a[0] - t * ab[0], rows - a[1] - t * ab[1]))
        dists += [np.hypot(cols - x, rows - y) for x, y in pts]  # discs: base, joints, end effector
        D = np.stack(dists)
        sd = D - radii[:, None, None]
        p = sd.argmin(0)
        d = np.take_along_axis(D, p[None], 0)[0]
        shade = tones[p] * (0.45 + 0.55 * np.sqrt(np.clip(1 - (d / radii[p]) ** 2, 0, 1)))
        ref = np.clip(0.5 - sd.min(0), 0, 1) * shade * 255
        assert np.abs(img - np.round(ref)).max() <= 1


def test_simulation_refuses_more_images_than_half_the_memory(monkeypatch):
    """All images are held in memory before the atomic write: a too-large request stops before rendering, with
    the largest image count that fits."""
    import scorecause.limits as limits
    from scorecause.errors import DataError

    monkeypatch.setattr(limits, "physical_memory", lambda: 2 * 7 * 100 * 64 * 64 * 3)  # 7 envs x 100 images
    with pytest.raises(DataError, match="use at most 100 images per environment"):
        simulate_balls(3, 101, np.random.default_rng(0), per_node=1)
    assert len(simulate_balls(3, 100, np.random.default_rng(0), per_node=1).images) == 7
    with pytest.raises(DataError, match=r"9 environments x 5000 images of 64x64x1"):
        simulate_robot_arm(4, 5000, np.random.default_rng(0), per_node=2)
