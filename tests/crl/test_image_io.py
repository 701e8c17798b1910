"""Image environments on disk: the .npz folder format, its reader, and `scorecause simulate --preset crl-balls`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from scorecause.cli import main
from scorecause.crl.io import (
    image_environment_paths,
    read_environments,
    read_image_environments,
    write_image_environments,
)
from scorecause.errors import DataError
from scorecause.graph import read_graph
from scorecause.simulate.images import simulate_images


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_reader_round_trips_the_writer(tmp_path):
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, size=(n, 8, 6, 3), dtype=np.uint8) for n in (5, 4, 3)]  # N may differ
    latents = [rng.normal(size=(im.shape[0], 2)) for im in images]
    extras = [{"z": lat * 2} for lat in latents]
    out = tmp_path / "envs"
    paths = image_environment_paths(out, 3)
    assert [p.name for p in paths] == ["env0.npz", "env1.npz", "env2.npz", "targets.json"]
    out.mkdir()
    write_image_environments(images, paths, [[1], [0]], latents=latents, extras=extras)
    envs = read_image_environments(out)
    assert envs.n_envs == 3 and envs.image_shape == (8, 6, 3) and envs.targets == [[1], [0]]
    assert all(np.array_equal(a, b) for a, b in zip(envs.images, images))
    assert all(np.array_equal(a, b) for a, b in zip(envs.latents, latents))
    assert np.array_equal(envs.extras[2]["z"], extras[2]["z"])
    assert [p.name for p in envs.files] == ["env0.npz", "env1.npz", "env2.npz"]


def test_numeric_file_order_and_optional_latents(tmp_path):
    for m in (0, 1, 2, 10):  # env10 after env2
        np.savez(tmp_path / f"env{m}.npz", images=np.full((2, 4, 4), m, np.uint8))
    envs = read_image_environments(tmp_path)
    assert [int(im[0, 0, 0]) for im in envs.images] == [0, 1, 2, 10]
    assert envs.latents is None and envs.targets is None


def _write(tmp_path, name, **arrays):
    np.savez(tmp_path / name, **arrays)


GOOD = np.zeros((3, 8, 8), np.uint8)


@pytest.mark.parametrize("setup, message", [
    (lambda d: None, "holds no .npz image environment files"),
    (lambda d: _write(d, "env0.npz", pixels=GOOD), r"env0.npz' has no 'images' array \(it holds: pixels\)"),
    (lambda d: _write(d, "env0.npz", images=GOOD.astype(float)), "images are float64, expected uint8"),
    (lambda d: _write(d, "env0.npz", images=np.zeros((8, 8), np.uint8)), r"shape \(8, 8\), expected \(N, H, W\)"),
    (lambda d: _write(d, "env0.npz", images=np.zeros((3, 8, 8, 2), np.uint8)), "C in 1, 3, 4"),
    (lambda d: (_write(d, "env0.npz", images=GOOD), _write(d, "env1.npz", images=np.zeros((3, 9, 8), np.uint8))),
     r"env1.npz': images are \(9, 8\) but .*env0.npz' has \(8, 8\)"),
    (lambda d: _write(d, "env0.npz", images=GOOD, latents=np.zeros((4, 2))), "latents have shape \\(4, 2\\)"),
    (lambda d: (_write(d, "env0.npz", images=GOOD, latents=np.zeros((3, 2))), _write(d, "env1.npz", images=GOOD)),
     "env1.npz' has no 'latents' array but .*env0.npz' has"),
    (lambda d: (_write(d, "env0.npz", images=GOOD, latents=np.zeros((3, 2))),
                _write(d, "env1.npz", images=GOOD, latents=np.zeros((3, 3)))), "3 latents but"),
    (lambda d: _write(d, "env0.npz", images=GOOD, labels=np.zeros(2)), "array 'labels' has shape \\(2,\\)"),
    (lambda d: (d / "env0.npz").write_bytes(b"not a zip"), "env0.npz' is not a readable .npz file"),
    (lambda d: (_write(d, "env0.npz", images=GOOD), _write(d, "env1.npz", images=GOOD),
                (d / "targets.json").write_text("[[0], [1]]")), "one list of latent indices per interventional "
                                                                "environment \\(1\\), got 2 entries"),
    (lambda d: (_write(d, "env0.npz", images=GOOD, latents=np.zeros((3, 2))),
                _write(d, "env1.npz", images=GOOD, latents=np.zeros((3, 2))),
                (d / "targets.json").write_text("[[2]]")), "environment 1 names latent 2, outside 0..1"),
    (lambda d: (_write(d, "env0.npz", images=GOOD), (d / "targets.json").write_text("[[0")), "not valid JSON"),
])
def test_bad_inputs_give_one_line_errors(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(DataError, match=message) as info:
        read_image_environments(tmp_path)
    assert "\n" not in str(info.value)


def test_not_a_folder_and_table_reader_pointer(tmp_path):
    with pytest.raises(DataError, match="is not a directory"):
        read_image_environments(tmp_path / "missing")
    _write(tmp_path, "env0.npz", images=GOOD)
    with pytest.raises(DataError, match="read_image_environments"):
        read_environments(tmp_path)


def test_stale_environment_files_are_refused(tmp_path):
    _write(tmp_path, "env5.npz", images=GOOD)
    with pytest.raises(DataError, match="holds env5.npz, which would be read as another environment"):
        image_environment_paths(tmp_path, 3)
    (tmp_path / "f").write_text("x")
    with pytest.raises(DataError, match="is a file"):
        image_environment_paths(tmp_path / "f", 3)


def test_cli_presets_end_to_end(tmp_path):
    res = cli("simulate", "--preset", "crl-balls", "--balls", 2, "--per-node", 1, "-n", 6, "--image-size", 16,
              "--seed", 4, "-o", tmp_path / "balls", "--graph-out", tmp_path / "truth.json")
    assert res.exit_code == 0, res.output
    assert "5 environments x 6 images 16x16x3, 4 latents" in res.output
    envs = read_image_environments(tmp_path / "balls")
    prob = simulate_images("crl-balls", count=2, per_node=1, N=6, size=16, rng=np.random.default_rng(4))
    assert all(np.array_equal(a, b) for a, b in zip(envs.images, prob.images))
    assert all(np.array_equal(a, b) for a, b in zip(envs.latents, prob.latents))
    assert envs.targets == prob.targets and sorted(sum(prob.targets, [])) == [0, 1, 2, 3]
    T, names, _ = read_graph(tmp_path / "truth.json")
    assert names == ["Z0", "Z1", "Z2", "Z3"] and np.array_equal(T, prob.graph)

    res = cli("simulate", "--preset", "crl-robot-arm", "--joints", 3, "--mechanism", "quadratic", "-n", 4,
              "--unknown-targets", "-o", tmp_path / "arm")
    assert res.exit_code == 0, res.output
    arm = read_image_environments(tmp_path / "arm")
    assert arm.n_envs == 4 and arm.image_shape == (64, 64) and arm.targets is None
    assert json.loads((tmp_path / "arm" / "targets.json").read_text()) is None

    again = cli("simulate", "--preset", "crl-robot-arm", "-n", 4, "-o", tmp_path / "arm")  # no silent overwrite
    assert again.exit_code != 0 and "pass --overwrite" in again.output
    again = cli("simulate", "--preset", "crl-robot-arm", "-n", 4, "--seed", 1, "-o", tmp_path / "arm", "--overwrite")
    assert again.exit_code == 0, again.output
    assert not np.array_equal(read_image_environments(tmp_path / "arm").images[0], arm.images[0])


@pytest.mark.parametrize("args, message", [
    (["--preset", "crl-robot-arm", "--balls", "2"], "--balls does not apply to the image preset"),
    (["--preset", "crl-balls", "--latents", "4"], "--latents does not apply to the image preset"),
    (["--preset", "crl-linear", "--per-node", "2"], "--per-node does not apply to preset 'crl-linear'"),
    (["--preset", "crl-balls", "--balls", "7"], "crl-balls draws 1 to 5 balls, got 7"),
    (["--preset", "crl-robot-arm", "--mechanism", "gp"], "latent SCM must be one of linear, quadratic, mlp"),
])
def test_cli_option_errors(tmp_path, args, message):
    res = cli("simulate", *args, "-n", 3, "-o", tmp_path / "out")
    assert res.exit_code != 0 and message in res.output
    assert not (tmp_path / "out").exists()
