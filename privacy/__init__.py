"""Erasure (right to be forgotten): request, target resolution from the source registry, purge, audit."""
