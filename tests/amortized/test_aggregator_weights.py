"""Shipped `amortized` weights: size, checksum, safe loading, stored reference prediction, and the CLI path."""

import numpy as np
import pytest
import torch

from scorecause.amortized.aggregator import (
    MANIFEST_PREFIX,
    SHIPPED,
    Amortized,
    load_aggregator,
    reference_prediction,
)
from scorecause.amortized.estimator import WEIGHTS_DIR, read_manifest, sha256_file


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_aggregator_checksum_size_and_reference_prediction(name):
    entry = read_manifest()[MANIFEST_PREFIX + name]
    path = WEIGHTS_DIR / entry["file"]
    assert path.stat().st_size <= 10 * 2**20 and path.stat().st_size == entry["bytes"]
    assert sha256_file(path) == entry["sha256"]
    blob = torch.load(path, weights_only=True)
    assert set(blob) == {"state_dict", "config", "info"} and blob["config"]["kind"] == "aggregator"
    assert entry["training"]["step"] > 0 and "train_config" in entry["training"]
    ref = entry["reference"]
    P = reference_prediction(load_aggregator(name), ref["seed"], ref["n"], ref["d"])
    np.testing.assert_allclose(P, np.array(ref["edge_probs"]), atol=2e-5)


def test_shipped_model_finds_a_strong_chain_and_uses_interventions():
    """x0 -> x1 -> x2 with strong links, x3 independent: the chain's edges rank above every non-edge."""
    rng = np.random.default_rng(0)
    n = 600
    x0 = rng.normal(size=n)
    x1 = 2 * x0 + 0.5 * rng.normal(size=n)
    x2 = -1.5 * x1 + 0.5 * rng.normal(size=n)
    X = np.c_[x0, x1, x2, rng.normal(size=n)]
    P = Amortized().fit(X).edge_probs_
    skeleton = P + P.T
    assert min(skeleton[0, 1], skeleton[1, 2]) > max(skeleton[0, 3], skeleton[1, 3], skeleton[2, 3], skeleton[0, 2])
    est = Amortized(acyclic=True).fit(X)
    from scorecause.graph import is_dag

    assert is_dag(est.adjacency_)


def test_discover_cli_runs_amortized_with_probabilities(tmp_path):
    import json

    from click.testing import CliRunner

    from scorecause.cli import main
    from scorecause.simulate import simulate

    ds = simulate("linear-gaussian", d=6, n=400, rng=np.random.default_rng(1))
    data = tmp_path / "data.csv"
    ds.to_file(data)
    out = tmp_path / "g.json"
    res = CliRunner().invoke(main, ["discover", str(data), "--method", "amortized", "--out", str(out),
                                    "--report", str(tmp_path / "r.html"), "-q"])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert "prob" in json.dumps(doc)
    assert (tmp_path / "r.html").read_text().count("<") > 10
