"""AdaScore on GP-ANM data without hidden variables: what the confounding step (Prop. 3) costs in SHD.

    python benchmarks/adascore_confounding_ablation.py 1 2     # seeds of the `gp` setting, d = 10, n = 1000

For each seed: the mixed-graph SHD of AdaScore, the SHD of its graph with every bidirected edge put back as the
directed CAM edge it replaced (= AdaScore with ``detect_confounding=False``: NoGAM order + CAM), how many
bidirected edges sit on true edges, and the statistics ``(i, j, delta_j, delta_j without i, delta_i reverse)``.
Same data as ``bench_discovery.py adascore --settings gp`` (same preset and seed).
"""

from __future__ import annotations

import json
import sys

import numpy as np

from scorecause.metrics import shd
from scorecause.registry import methods
from scorecause.simulate import simulate


def main(seeds):
    for seed in seeds:
        ds = simulate("score-gp-er", d=10, n=1000, rng=np.random.default_rng(seed))
        est = methods.create("adascore").fit(ds.X)
        A = est.adjacency_.copy()
        for i, j, *_ in est.confounding_tests_:
            if est.bidirected_[i, j]:
                A[i, j] = 1  # the CAM edge i -> j that the confounding step replaced
        bi = list(zip(*np.nonzero(np.triu(est.bidirected_, 1))))
        print(json.dumps({
            "seed": seed, "shd_mixed": int(shd(ds.truth, est.adjacency_, pred_bidirected=est.bidirected_)),
            "shd_without_confounding_step": int(shd(ds.truth, A)), "n_bidirected": len(bi),
            "bidirected_on_true_edges": sum(1 for i, j in bi if ds.truth[i, j] or ds.truth[j, i]),
            "tests": [(i, j, round(f, 3), round(w, 3), round(r, 3)) for i, j, f, w, r in est.confounding_tests_]}),
            flush=True)


if __name__ == "__main__":
    main([int(s) for s in sys.argv[1:]] or [1, 2])
