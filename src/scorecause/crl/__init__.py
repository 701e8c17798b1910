"""scorecause.crl: score-based causal representation learning (LSCALE-I, GSCALE-I, UMNI-CRL) and a baseline.

Estimators take a list of environments (observational first); see docs/crl.md.
"""

from scorecause.crl.gscale import GSCALE_I
from scorecause.crl.lscale import LSCALE_I
from scorecause.crl.squires import LinearCausalDisentanglement
from scorecause.crl.umni import UMNI

__all__ = ["LSCALE_I", "GSCALE_I", "UMNI", "LinearCausalDisentanglement"]
