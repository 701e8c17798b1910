"""Plots: graph drawings, heatmaps, calibration curves and benchmark figures (matplotlib, Agg backend).

Every function returns a matplotlib Figure and never calls ``plt.show()``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

# --- graph drawings and heatmaps (discovery) ---

# --- calibration (amortized) ---

# --- benchmark figures (bench) ---
