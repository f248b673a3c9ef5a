"""The process-wide SparkSession (defined in the foundation, shared with the silver gate)."""

from __future__ import annotations

from customer_platform.spark import get_spark

__all__ = ["get_spark"]
