"""The metric families a snapshot computes, in order, and the metric groups their numbers drill down through.
Each module documents the metrics it writes."""

from funnel.metrics.compute import Family
from funnel.metrics.families.flow import cohorts, entries, flow, stage_times, velocity
from funnel.metrics.families.handoffs import handoff_family
from funnel.metrics.families.money import money_family
from funnel.metrics.families.outcomes import closes, sales
from funnel.metrics.measures import Group
from funnel.targets.family import target_attainment

FAMILIES: list[Family] = [flow, stage_times, velocity, closes, sales, target_attainment, handoff_family, money_family]
# `flow` writes the rows of `entries` and `cohorts` in one statement; every group drills down through its own base.
# The handoff, money and target families run one statement per period of a batch (funnel.metrics.compute.per_period).
GROUPS: list[Group] = [entries, cohorts, stage_times, velocity, closes, sales]
