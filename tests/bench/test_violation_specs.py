"""The assumption-violation specs: the partial specs run today are exact subsets (same cell ids) of the full one,
so `scorecause bench <full spec> --resume` on the same folder runs only the missing rows (e.g. adascore)."""

from pathlib import Path

from scorecause.bench.spec import load_spec
from scorecause.registry import _METHODS, register

SPECS = Path(__file__).resolve().parents[2] / "benchmarks" / "specs"


def test_partial_violation_specs_are_subsets_of_the_full_spec():
    added = "adascore" not in _METHODS
    if added:  # a stand-in only to expand the full spec's grid before AdaScore is merged
        register("adascore", "scorecause.bench.baselines:EmptyGraph")
    try:
        full = {c.id: c for c in load_spec(SPECS / "assumption-violations.yaml").cells()}
    finally:
        if added:
            del _METHODS["adascore"]
    fast = load_spec(SPECS / "assumption-violations-fast.yaml").cells()
    nogam = load_spec(SPECS / "assumption-violations-nogam-small.yaml").cells()
    assert len(full) == 8 * 3 * 2 * 5 * 9
    for cell in fast + nogam:
        assert cell.id in full and full[cell.id].dataset_label == cell.dataset_label
    missing = set(full) - {c.id for c in fast + nogam}
    assert {full[i].method for i in missing} == {"adascore", "nogam"}
    assert {full[i].dataset["d"] for i in missing if full[i].method == "nogam"} == {20}
