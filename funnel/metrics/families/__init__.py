"""The metric families a snapshot computes, in order. Each module documents the metrics it writes. The handoff,
money and target families still compute one period per statement (funnel.metrics.compute.per_period)."""

from funnel.metrics.compute import Family
from funnel.metrics.families.flow import cohorts, entries, stage_times, velocity
from funnel.metrics.families.handoffs import handoff_family
from funnel.metrics.families.money import money_family
from funnel.metrics.families.outcomes import closes, sales
from funnel.targets.family import target_attainment

FAMILIES: list[Family] = [entries, cohorts, stage_times, velocity, closes, sales, target_attainment]
FAMILIES += [handoff_family, money_family]
