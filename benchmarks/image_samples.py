"""Sample grids of the image simulators for docs/crl.md (docs/figures/crl-balls-sample.png, ...-robot-arm-...).

Usage: python benchmarks/image_samples.py

Each grid: row 1 the observational environment, the next rows the first interventional environments
(one hard intervention on one latent each, in the order of targets.json), 8 images per row, magnified 2x.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scorecause.simulate.images import contact_sheet, simulate_images

OUT = Path(__file__).resolve().parent.parent / "docs" / "figures"


def main():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    OUT.mkdir(parents=True, exist_ok=True)
    for preset, count, n_rows in [("crl-balls", 2, 5), ("crl-robot-arm", 3, 4)]:
        prob = simulate_images(preset, count=count, N=8, rng=np.random.default_rng(0), per_node=1)
        sheet = contact_sheet(prob.images[:n_rows], scale=2)
        path = OUT / f"{preset}-sample.png"
        if sheet.ndim == 2:
            plt.imsave(path, sheet, cmap="gray", vmin=0, vmax=255)
        else:
            plt.imsave(path, sheet)
        print(f"wrote {path} (rows: observational, then targets {prob.targets[:n_rows - 1]}; "
              f"graph edges {[(int(i), int(j)) for i, j in zip(*np.nonzero(prob.graph))]})")


if __name__ == "__main__":
    main()
