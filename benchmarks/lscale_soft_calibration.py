"""Calibration of the soft LSCALE-I read-out on seeds disjoint from the benchmark seeds (issue 13, part 5).

    python benchmarks/lscale_soft_calibration.py N_LATENTS FIRST_SEED STOP_SEED

Fits ``LSCALE_I(intervention="soft")`` (Gaussian scores, d = 100, N = 50,000) per seed and reports, for a grid
of thresholds ``kappa`` on ``T^2 / V`` (``score_moments_ / noise_moments_``), the SHD between transitive
closures, whether the fitted order is topological, the three weakest ancestor ratios and the largest null
ratio; at the end the quantiles of the null ratios (non-ancestor entries). Output: stdout (the committed
logs are ``benchmarks/results/crl_lscale_soft_calibration_n*_seeds*.txt``).
"""

import sys
import time

import numpy as np

from scorecause.crl.lscale import LSCALE_I
from scorecause.graph import transitive_closure
from scorecause.simulate.latent import simulate_latent


def main(n: int, first: int, stop: int, kappas=(9, 12, 16, 20, 25, 36, 50)):
    seeds = range(first, stop)
    total = {k: 0 for k in kappas}
    nulls = []
    for s in seeds:
        prob = simulate_latent(n, 100, 50000, np.random.default_rng(s), intervention="soft", min_edge_strength=0.02)
        targets = [iv.targets for iv in prob.interventions]
        node = [t[0] for t in targets]  # latent m <-> node node[m]
        latent = np.argsort(node)
        c = time.process_time()
        est = LSCALE_I(intervention="soft", random_state=s).fit(prob.environments, targets=targets)
        cpu = time.process_time() - c
        order = [int(latent[v]) for v in est.order_]
        pos = np.empty(n, dtype=int)
        pos[order] = np.arange(n)
        before = pos[:, None] < pos[None, :]
        truth = transitive_closure(prob.graph)[np.ix_(node, node)]  # latent space
        anc = truth.T.astype(bool)  # anc[m, j]: j is an ancestor of m
        off = ~np.eye(n, dtype=bool)
        with np.errstate(invalid="ignore", divide="ignore"):
            E = est.score_moments_ / est.noise_moments_
        nulls += list(E[off & ~anc])
        res = {}
        for k in kappas:
            A = transitive_closure(((E > k).T & before).astype(np.int8))
            res[k] = int((A != truth).sum())
            total[k] += res[k]
        ok = all(pos[j] < pos[m] for j, m in np.argwhere(truth))
        print(s, "ok", ok, res, "weak", np.round(np.sort(E[anc])[:3], 1), "maxnull",
              round(float(E[off & ~anc].max()), 1), f"cpu {cpu:.1f}", flush=True)
    print("mean", {k: round(v / len(seeds), 3) for k, v in total.items()})
    print("null q50/90/99/99.9/max", np.round(np.quantile(nulls, [.5, .9, .99, .999, 1]), 2), len(nulls))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
