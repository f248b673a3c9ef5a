"""Old home of the sample-fitted clusterers, kept only so already registered models load.

Model versions registered before the segmentation family moved to `models.segmentation`
name `models.candidates.WardOnSample` / `models.candidates.DensityOnSample` in their
skops files and trusted types, and skops imports those paths on load. New code imports
`models.segmentation.candidates`; delete this module once no registered version names it.
"""

from models.segmentation.candidates import DensityOnSample, WardOnSample

__all__ = ["DensityOnSample", "WardOnSample"]
