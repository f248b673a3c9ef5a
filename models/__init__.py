"""Customer segmentation: select, train, register (MLflow) and score.

Import absolutely (`from models.training import train`): the name is generic.
Entry points: `models.jobs.run_nightly`, `models.jobs.run_weekly`,
`models.training.train`, `models.scoring.score`; CLI `python -m models --help`.
"""
