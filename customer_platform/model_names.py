"""The registered model names and the champion alias: a contract between stages.

The model families (`models/`) register versions under these names and move the `champion`
alias; other stages (monitoring) read the champions by the same names without importing the
families. A family keeps its own experiment names and everything else about its model.
"""

from __future__ import annotations

#: Customer segmentation (`models/segmentation`).
SEGMENTATION_MODEL = "customer_segmentation"
#: Churn probability (`models/prediction`, calibrated classifier).
CHURN_MODEL = "customer_churn"
#: Lifetime value (`models/prediction`, BG/NBD + Gamma-Gamma parameters).
CLV_MODEL = "customer_clv"
#: Every registered model whose inputs are monitored, in report order.
REGISTERED_MODELS: tuple[str, ...] = (SEGMENTATION_MODEL, CHURN_MODEL, CLV_MODEL)
#: The alias scoring follows.
CHAMPION = "champion"
