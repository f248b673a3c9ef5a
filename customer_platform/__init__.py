"""Customer data platform: shared configuration, CLI and orchestration helpers."""

__version__ = "0.1.0"
