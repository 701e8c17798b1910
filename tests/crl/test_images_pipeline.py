"""Image pipeline of GSCALE-I (scorecause.crl.images): autoencoder, ImageGSCALE, pose read-out, `crl --images`.

Tiny images from an in-test renderer (a Gaussian blob whose position is the latent pair), so every test runs in
seconds. Tolerances were measured with the seeds used here (numbers in the comments).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from scorecause.crl.images import (  # noqa: E402
    ImageGSCALE,
    IsomapChart,
    PoseMap,
    SupervisedPoseCNN,
    ancestral_readout,
    angle_error_deg,
    check_images,
    encode_images,
    load_autoencoder,
    pose_readout,
    train_autoencoder,
)
from scorecause.crl.metrics import mcc  # noqa: E402
from scorecause.errors import DataError  # noqa: E402
from scorecause.simulate.latent import simulate_latent  # noqa: E402

SIZE = 16


def blob_images(Z: np.ndarray, ref: np.ndarray, size: int = SIZE, sigma: float = 1.6) -> np.ndarray:
    """Grey uint8 (N, size, size): a Gaussian blob at ``(sigmoid(z_0), sigmoid(z_1))`` (standardised by ``ref``)."""
    U = 0.2 + 0.6 / (1 + np.exp(-(Z - ref.mean(0)) / ref.std(0)))
    g = np.arange(size) + 0.5
    cx, cy = U[:, 0] * size, U[:, 1] * size
    img = np.exp(-((g[None, :, None] - cy[:, None, None]) ** 2 + (g[None, None, :] - cx[:, None, None]) ** 2)
                 / (2 * sigma**2))
    return (255 * img).round().astype(np.uint8)


def blob_problem(N: int = 400, per_node: int = 2, seed: int = 0):
    prob = simulate_latent(2, 2, N, np.random.default_rng(seed), per_node=per_node)
    ref = prob.environments[0].meta["Z"]
    images = [blob_images(ds.meta["Z"], ref) for ds in prob.environments]
    return prob, images, [list(iv.targets) for iv in prob.interventions]


SMALL = {"ae_width": 8, "ae_input_size": None, "ae_epochs": 25, "ae_patience": 5, "ae_batch_size": 64,
         "ae_lr": 3e-3, "device": "cpu", "gscale_params": {"n_steps": 300, "n_train": 400}}


def test_autoencoder_reconstructs_better_than_the_mean_image():
    _, images, _ = blob_problem(300)
    model, hist = train_autoencoder(images, code_dim=4, width=8, max_epochs=25, patience=5, batch_size=64, lr=3e-3,
                                    random_state=0)
    pool = np.concatenate(images).astype(np.float32) / 255
    mean_mse = float(((pool - pool.mean(0)) ** 2).mean())
    assert min(hist["val"]) < 0.3 * mean_mse  # measured: 0.0xx of the mean image's MSE
    codes = encode_images(model.encoder, images[0])
    assert codes.shape == (300, 4) and np.isfinite(codes).all()


def blob_centres(Z: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """The drawn blob centres of :func:`blob_images` (fractions of the side)."""
    return 0.2 + 0.6 / (1 + np.exp(-(Z - ref.mean(0)) / ref.std(0)))


def test_keypoint_codes_are_affine_in_the_blob_position():
    from sklearn.linear_model import LinearRegression

    from scorecause.scores.matching import torch_threads

    prob, images, _ = blob_problem(150)
    # one thread, as measured: this short training (150 images, 8 epochs) depends on the float summation order
    # (2 threads: R^2 0.68); in the full suite an earlier test had set one thread, so it passed there by order
    with torch_threads(1, torch.device("cpu")):
        model, hist = train_autoencoder(images, code_dim=2, width=8, kind="keypoint", max_epochs=8, patience=5,
                                        batch_size=64, lr=3e-3, random_state=0)
    ref = prob.environments[0].meta["Z"]
    U = blob_centres(ref, ref)
    C = encode_images(model.encoder, images[0])  # (150, 2): one point (x, y) in [-1, 1]
    assert C.shape == (150, 2) and np.abs(C).max() <= 1
    r2 = LinearRegression().fit(C[:75], U[:75]).score(C[75:], U[75:])
    # measured (seed 0): 0.997; ConvAutoencoder's code of the same size, same training: 0.858
    assert r2 > 0.97, r2


def test_keypoint_code_must_be_even():
    with pytest.raises(DataError, match="even"):
        train_autoencoder([np.zeros((20, 16, 16), np.uint8)] * 2, code_dim=3, kind="keypoint", max_epochs=1)


@pytest.mark.slow
def test_pipeline_end_to_end_beats_pixel_pca():
    from sklearn.decomposition import PCA

    prob, images, targets = blob_problem(400)
    est = ImageGSCALE(random_state=0, **SMALL).fit(images, targets=targets)
    Z = est.transform(images[0])
    assert Z.shape == (400, 2) and est.adjacency_.shape == (2, 2) and est.per_node_ == 2
    truth = prob.environments[0].meta["Z"]
    pca = mcc(truth, PCA(2).fit_transform(images[0].reshape(400, -1).astype(float)))
    got = mcc(truth, Z)
    print("mcc", got, "pixel-pca mcc", pca)
    assert got > pca + 0.3, (got, pca)  # measured (seed 0): 0.913 vs pixel-PCA 0.444 (autoencoder GSCALE-I fit 0.946;
    # conv autoencoder: 0.627)
    assert est.recon_mse_ < est.mean_image_mse_
    # same call, same result
    again = ImageGSCALE(random_state=0, **SMALL).fit(images, targets=targets).transform(images[0])
    np.testing.assert_allclose(Z, again, atol=1e-5)


def test_pipeline_with_the_contrastive_gscale_fit():
    """--param gscale.encoder_fit=contrastive reaches GSCALE-I through the image pipeline (two hard per latent)."""
    prob, images, targets = blob_problem(400)
    params = {**SMALL, "gscale_params": {**SMALL["gscale_params"], "encoder_fit": "contrastive"}}
    est = ImageGSCALE(random_state=0, **params).fit(images, targets=targets)
    assert est.gscale_.encoder_fit == "contrastive" and est.gscale_.logits_ is not None
    got = mcc(prob.environments[0].meta["Z"], est.transform(images[0]))
    assert got > 0.88, got  # measured (seed 0, 400 images per environment): 0.913 (autoencoder fit: 0.946)


@pytest.mark.slow
def test_rendered_balls_mcc_with_the_keypoint_autoencoder():
    from scorecause.simulate.images import simulate_balls

    prob = simulate_balls(2, 1000, np.random.default_rng(0), per_node=2)
    est = ImageGSCALE(random_state=0, ae_input_size=16, ae_epochs=10, device="cpu").fit(prob.images,
                                                                                        targets=prob.targets)
    got = mcc(prob.latents[0], est.transform(prob.images[0]))
    print("balls mcc", got)
    assert est.code_basis_.shape == (8, 4)  # 4 points, projected on the top n = 4 principal directions
    assert got > 0.95, got  # measured (seed 0): 0.981 (autoencoder GSCALE-I fit 0.983); the conv autoencoder: 0.396


@pytest.mark.slow
def test_one_intervention_per_latent_gives_the_ancestral_graph():
    prob, images, targets = blob_problem(300, per_node=1)
    est = ImageGSCALE(random_state=0, **SMALL).fit(images, targets=targets)
    assert est.per_node_ == 1 and est.graph_kind_ == "ancestral"
    assert est.transform(images[1]).shape == (300, 2)


def curved_codes(N: int = 600, seed: int = 0):
    """A curved 2-manifold in 4-D, like the arm's joint positions: two links on circle arcs (angles ``a``)."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1.5, 1.5, size=(N, 2))  # (N, 2) angles, radians
    phi = np.cumsum(a, axis=1)  # absolute link directions
    p1 = np.c_[-np.sin(phi[:, 0]), np.cos(phi[:, 0])]
    p2 = p1 + 0.8 * np.c_[-np.sin(phi[:, 1]), np.cos(phi[:, 1])]
    return a, np.c_[p1, p2]  # (N, 4) joint positions


def test_isomap_chart_flattens_a_curved_code_and_has_no_folds():
    from sklearn.linear_model import LinearRegression

    a, Y = curved_codes()
    chart = IsomapChart(2, random_state=0).fit(Y)
    E = chart.transform(Y)
    raw = LinearRegression().fit(Y, a).score(Y, a)
    got = LinearRegression().fit(E, a).score(E, a)
    # measured (seed 0): linear R^2 of the angles 0.848 on the codes, 0.989 on the chart; trustworthiness 0.9997
    assert raw < 0.9 and got > 0.98, (raw, got)
    assert chart.trustworthiness_ > 0.98, chart.trustworthiness_
    assert E.shape == (600, 2) and np.allclose(chart.transform(Y[:7]), E[:7])


def test_isomap_chart_does_not_depend_on_an_affine_remixing_of_the_codes():
    _, Y = curved_codes()
    A = np.random.default_rng(1).normal(size=(4, 4)) * np.array([10.0, 0.1, 1.0, 3.0])  # anisotropic mixing
    E1 = IsomapChart(2, random_state=0).fit(Y).transform(Y)
    E2 = IsomapChart(2, random_state=0).fit(Y @ A + 5.0).transform(Y @ A + 5.0)
    # whitening makes the two code clouds differ by a rotation only: same geodesics, same chart up to signs
    np.testing.assert_allclose(np.abs(E1), np.abs(E2), atol=1e-6 * np.abs(E1).max())


def test_isomap_chart_refuses_a_flat_direction():
    _, Y = curved_codes(100)
    with pytest.raises(DataError, match="gscale_dim"):
        IsomapChart(2).fit(np.c_[Y, np.zeros(100)])


def test_ancestral_readout_on_true_latents_is_the_transitive_closure():
    from scorecause.graph import transitive_closure

    prob = simulate_latent(4, 4, 3000, np.random.default_rng(3), per_node=1, var_scale=0.25)
    Zs = [ds.meta["Z"] for ds in prob.environments]
    owner = np.array([iv.targets[0] for iv in prob.interventions])
    A = ancestral_readout(Zs[0], Zs[1:], owner)
    np.testing.assert_array_equal(A, transitive_closure(prob.graph))


def test_pose_readout_recovers_an_affine_map_exactly():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(60, 3))
    W, b = rng.normal(size=(3, 3)), rng.normal(size=3)
    angles = Z @ W + b
    pred = pose_readout(Z[:10], angles[:10], Z[10:])  # k = 10 labels
    np.testing.assert_allclose(pred, angles[10:], atol=1e-9)
    assert angle_error_deg(pred, angles[10:]) < 1e-6


def test_monotone_pose_map_matches_latents_to_angles():
    rng = np.random.default_rng(1)
    angles = rng.uniform(-1, 1, size=(300, 2))
    Z = np.c_[-np.tanh(2 * angles[:, 1]), angles[:, 0] ** 3]  # permuted, monotone, one decreasing
    pm = PoseMap("monotone").fit(Z[:100], angles[:100])
    assert pm.match_.tolist() == [1, 0]
    assert angle_error_deg(pm.predict(Z[100:]), angles[100:]) < 2.0  # measured ~0.3 degrees


@pytest.mark.slow
def test_supervised_cnn_learns_blob_position():
    _, images, _ = blob_problem(200)
    prob = simulate_latent(2, 2, 200, np.random.default_rng(0), per_node=2)
    Z = prob.environments[0].meta["Z"]
    cnn = SupervisedPoseCNN(width=8, input_size=None, max_epochs=60, patience=10, random_state=0)
    pred = cnn.fit(images[0][:100], Z[:100]).predict(images[0][100:])
    err, trivial = np.abs(pred - Z[100:]).mean(), np.abs(Z[:100].mean(0) - Z[100:]).mean()
    assert err < 0.7 * trivial, (err, trivial)


def test_bad_images_are_refused():
    with pytest.raises(DataError, match="power-of-two"):
        check_images(np.zeros((3, 12, 12), np.uint8))
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        check_images(np.full((3, 16, 16), 2.0))
    with pytest.raises(DataError, match="exactly"):
        ImageGSCALE(per_node=1, **SMALL).fit([np.zeros((20, 16, 16), np.uint8)] * 5, targets=[[0], [0], [1], [1]])


def _write_envs(tmp_path, per_node=2, N=300):
    from scorecause.crl.io import image_environment_paths, write_image_environments

    prob, images, targets = blob_problem(N, per_node=per_node)
    out = tmp_path / "envs"
    paths = image_environment_paths(out, len(images))
    out.mkdir()
    write_image_environments(images, paths, targets, latents=[ds.meta["Z"] for ds in prob.environments])
    return out, prob


def test_cli_crl_images_writes_every_output(tmp_path):
    from click.testing import CliRunner

    from scorecause.cli import main

    envs, prob = _write_envs(tmp_path)
    labels = tmp_path / "labels.csv"
    Z = prob.environments[0].meta["Z"]
    labels.write_text("row,a0,a1\n" + "\n".join(f"{r},{Z[r, 0]},{Z[r, 1]}" for r in range(40)))
    out = tmp_path / "out"
    params = [f"--param={k}={v}" for k, v in SMALL.items() if k not in ("device", "gscale_params")]
    params += ["--param=gscale.n_steps=300", "--param=gscale.n_train=300"]
    res = CliRunner().invoke(main, ["crl", str(envs), "--method", "gscale", "--images", "-o", str(out), "--device",
                                    "cpu", "--labels", str(labels), "--n-labels", "20", *params])
    assert res.exit_code == 0, res.output
    for name in ("latents.csv", "graph.json", "autoencoder.pt", "metrics.json", "pose.csv", "report.html"):
        assert (out / name).exists(), name
    state = torch.load(out / "autoencoder.pt", weights_only=True)
    assert "state_dict" in state and state["config"]["size"] == SIZE
    model = load_autoencoder(out / "autoencoder.pt")
    assert model.encoder(torch.zeros(1, 1, SIZE, SIZE)).shape == (1, state["config"]["code_dim"])
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"mcc", "reconstruction_mse", "pose_error_deg"} <= set(metrics)
    page = (out / "report.html").read_text()
    assert "Sample images and reconstructions" in page and "scatter" in page
    # the same folder without --images: a clear error naming the flag
    res = CliRunner().invoke(main, ["crl", str(envs), "--method", "gscale", "-o", str(tmp_path / "o2")])
    assert res.exit_code == 1 and "--images" in res.output


def test_image_gscale_runs_on_the_chart_when_gscale_dim_exceeds_n():
    prob, images, targets = blob_problem(150)
    small = {**SMALL, "ae_epochs": 3, "gscale_params": {"n_steps": 30, "n_train": 150}}
    est = ImageGSCALE(random_state=0, gscale_dim=4, **small).fit(images, targets=targets)
    assert est.chart_ is not None and 0 < est.chart_.trustworthiness_ <= 1
    assert est.gscale_.B_.shape[0] == 2  # GSCALE-I sees the 2-D chart, not the 4-D codes
    Z = est.transform(images[1])
    assert Z.shape == (150, 2) and np.isfinite(Z).all()


@pytest.mark.slow
def test_gscale_on_the_chart_of_arm_joint_positions():
    """GSCALE-I on the exact joint positions of a 3-joint arm (the best a keypoint code can hold), through the
    chart of the image pipeline."""
    from scorecause.crl.gscale import GSCALE_I
    from scorecause.simulate.images import ArmGeometry, forward_kinematics, simulate_robot_arm

    prob = simulate_robot_arm(3, 2000, np.random.default_rng(0), per_node=2)
    rng = np.random.default_rng(0)
    codes = [forward_kinematics(P, ArmGeometry(3))[:, 1:].reshape(len(P), -1) for P in prob.latents]  # (N, 6)
    sd = np.concatenate(codes).std()
    codes = [c + 0.01 * sd * rng.normal(size=c.shape) for c in codes]
    chart = IsomapChart(3, random_state=0).fit(np.concatenate(codes))
    charted = [chart.transform(c) for c in codes]  # (N, 3)
    gs = GSCALE_I(random_state=0).fit(charted, targets=prob.targets)
    got = mcc(prob.latents[0], gs.transform(charted[0]))
    print("arm joint positions, chart + GSCALE-I mcc", got, "trustworthiness", chart.trustworthiness_)
    # measured (seed 0): 0.98 (0.75 for GSCALE-I on the 6-D positions with its tangent projection)
    assert got > 0.95 and chart.trustworthiness_ > 0.99, (got, chart.trustworthiness_)
