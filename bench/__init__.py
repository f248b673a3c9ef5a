"""Benchmarks and quality measurements against the generator's ground truth (never read by the platform)."""
