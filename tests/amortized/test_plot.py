"""Calibration plot of edge probabilities."""

import numpy as np

from scorecause.plot import calibration_plot


def test_calibration_plot_draws_one_curve_per_label(tmp_path):
    rng = np.random.default_rng(0)
    T = [np.triu(rng.random((5, 5)) < 0.3, 1).astype(int) for _ in range(3)]
    P = [np.clip(t * 0.7 + rng.uniform(0, 0.3, t.shape), 0, 1) for t in T]
    fig = calibration_plot({"model": (T, P), "flat": (T, [np.full((5, 5), 0.2)] * 3)})
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[0] == "perfect" and labels[1].startswith("model (ECE") and len(labels) == 3
    fig.savefig(tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 1000
