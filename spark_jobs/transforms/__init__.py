"""Pure DataFrame -> DataFrame transforms of the ingest jobs (no I/O)."""
