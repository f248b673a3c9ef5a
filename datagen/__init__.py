"""Seeded synthetic customer data: six landing sources with planted messiness and ground truth.

`generate()` is the API, `python -m datagen generate` the command line; see generator.py.
"""

from datagen.generator import GenerationReport, generate
from datagen.profiles import MessRates

__all__ = ["GenerationReport", "MessRates", "generate"]
