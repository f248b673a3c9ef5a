"""`cdp`: the roof of the platform: CLI, the task bodies the DAGs call, the nightly pipeline, backfill, run summary."""
