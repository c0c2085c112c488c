"""The metric families a snapshot computes, in order. Each module documents the metrics it writes."""

from funnel.metrics.compute import Family

FAMILIES: list[Family] = []
