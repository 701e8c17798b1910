"""Diagnostics of the image pipeline of GSCALE-I (BENCHMARKS.md, "CRL on images"): where the MCC is lost.

Usage (one JSON line per fit on stdout; torch on one thread):

  python benchmarks/crl_images_diagnostics.py ceiling SETTING N SEEDS
      GSCALE-I's ceiling on ideal codes: the true latents (ball positions) through an affine map to 3n
      dimensions, and through a tanh of it, plus noise 0.01 -- what GSCALE-I reaches when the autoencoder is
      perfect up to a mixing. Arm settings add the forward-kinematics code (the joint positions, the best a
      keypoint code can hold: a curved n-manifold in 2n dimensions), as is (GSCALE-I's tangent projection) and
      through the n-dimensional chart of the image pipeline (``forward-kinematics+chart``:
      scorecause.crl.images.IsomapChart fitted on all environments' codes; with its trustworthiness).
  python benchmarks/crl_images_diagnostics.py codes SETTING N KIND EPOCHS CODE_DIM INPUT_SIZE [SEED]
      Trains one image autoencoder (KIND "keypoint" or "conv"), reports its held-out reconstruction MSE and
      how much of the true latents the codes hold (held-out linear and 10-NN R^2), then GSCALE-I's MCC on all
      code dimensions and on the top n principal directions.

SETTING is KIND-COUNT-MECHANISM-PERNODE as in ``bench_crl.py --images`` (e.g. balls-2-linear-2, arm-3-linear-2).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np


def _problem(setting: str, N: int, seed: int):
    from scorecause.simulate.images import simulate_balls, simulate_robot_arm

    kind, count, mech, per = setting.split("-")
    sim = simulate_balls if kind == "balls" else simulate_robot_arm
    return kind, sim(int(count), N, np.random.default_rng(seed), latent=mech, per_node=int(per))


def _gscale_mcc(codes, prob, seed: int, q: int | None = None, **params) -> float:
    """MCC of GSCALE-I on ``codes`` (optionally projected on their top ``q`` principal directions)."""
    from scorecause.crl.base import reduce_dimension
    from scorecause.crl.gscale import GSCALE_I
    from scorecause.crl.metrics import mcc

    if q is not None:
        V = reduce_dimension(codes, q, max_rows=None)
        codes = [(c - codes[0].mean(0)) @ V for c in codes]
    gs = GSCALE_I(random_state=seed, **params).fit(codes, targets=prob.targets)
    return float(mcc(prob.latents[0], gs.transform(codes[0])))


def ceiling(setting: str, N: int, seeds: int) -> None:
    from scorecause.crl.images import IsomapChart
    from scorecause.simulate.images import ArmGeometry, forward_kinematics

    for s in range(seeds):
        kind, prob = _problem(setting, N, s)
        rng = np.random.default_rng(s)
        n = prob.latents[0].shape[1]
        A = rng.normal(size=(n, 3 * n))
        maps = {"affine": lambda P, A=A: P @ A, "tanh": lambda P, A=A: np.tanh(2 * (P - P.mean()) @ A)}
        if kind == "arm":
            geo = ArmGeometry(n)
            maps["forward-kinematics"] = lambda P, geo=geo: forward_kinematics(P, geo)[:, 1:].reshape(len(P), -1)
            maps["forward-kinematics+chart"] = maps["forward-kinematics"]
        for name, f in maps.items():
            codes = [f(P) for P in prob.latents]
            sd = np.concatenate(codes).std()
            codes = [c + 0.01 * sd * rng.normal(size=c.shape) for c in codes]
            t = time.process_time()
            extra = {}
            if name.endswith("+chart"):
                chart = IsomapChart(n, random_state=s).fit(np.concatenate(codes))
                codes = [chart.transform(c) for c in codes]
                extra = {"chart_trustworthiness": round(chart.trustworthiness_, 4)}
            m = _gscale_mcc(codes, prob, s)
            print(json.dumps({"diagnostic": "ceiling", "setting": setting, "N": N, "seed": s, "codes": name,
                              "mcc": round(m, 4), **extra, "cpu_s": round(time.process_time() - t, 1)}), flush=True)


def codes(setting: str, N: int, kind: str, epochs: int, code_dim: int, input_size: int, seed: int = 0) -> None:
    from sklearn.linear_model import LinearRegression
    from sklearn.neighbors import KNeighborsRegressor

    from scorecause.crl.images import encode_images, train_autoencoder

    _, prob = _problem(setting, N, seed)
    t = time.process_time()
    ae, hist = train_autoencoder(prob.images, code_dim=code_dim, input_size=input_size, kind=kind,
                                 max_epochs=epochs, random_state=seed)
    t_ae = time.process_time() - t
    C = [encode_images(ae.encoder, X) for X in prob.images]
    P, h = prob.latents[0], N // 2
    n = P.shape[1]
    print(json.dumps({
        "diagnostic": "codes", "setting": setting, "N": N, "seed": seed, "ae_kind": kind, "code_dim": code_dim,
        "input_size": input_size, "epochs_run": len(hist["val"]), "val_mse": round(min(hist["val"]), 5),
        "code_linear_r2": round(LinearRegression().fit(C[0][:h], P[:h]).score(C[0][h:], P[h:]), 4),
        "code_knn_r2": round(KNeighborsRegressor(10).fit(C[0][:h], P[:h]).score(C[0][h:], P[h:]), 4),
        "mcc_all_dims": round(_gscale_mcc(C, prob, seed), 4),
        "mcc_top_n": round(_gscale_mcc(C, prob, seed, q=min(n, code_dim)), 4), "ae_cpu_s": round(t_ae, 1)}),
        flush=True)


if __name__ == "__main__":
    import torch

    torch.set_num_threads(1)
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "ceiling":
        ceiling(a[0], int(a[1]), int(a[2]))
    elif cmd == "codes":
        codes(a[0], int(a[1]), a[2], int(a[3]), int(a[4]), int(a[5]), *(int(x) for x in a[6:7]))
    else:
        sys.exit(__doc__)
