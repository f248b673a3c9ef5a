"""Customer models: shared MLflow tracking, registry, promotion and write-back, and model families.

Shared: `features` (the feature table), `tracking` (MLflow experiment setup), `registry`
(log, register, aliases), `promotion` (gating and alias moves), `writeback` (warehouse
tables stamped with the MLflow run id), `jobs` and `cli` (scheduled and command-line entry
points). Families: `models.segmentation`.

Import absolutely (`from models.segmentation.training import train`): the name is generic.
Entry points: `models.jobs.run_nightly`, `models.jobs.run_weekly`,
`models.segmentation.training.train`, `models.segmentation.scoring.score`; CLI
`python -m models --help`.
"""
