"""The funnel's configuration as one cached snapshot per process: the stage graph, the active rules (and
the shadow ones) and the active definition versions. Every transition reads them; they change rarely. The database bumps
`funnel_config_version` on any change to them (migration 0006), so one tiny query per transition tells
whether the snapshot is still current."""

from dataclasses import dataclass

from django.db import connection

from funnel.engine.preconditions import ActiveDefinition
from funnel.models import HandoffRule, LeadDefinitionVersion, Stage, StageMove
from funnel.simulation.choices import RuleState
from leads.choices import VersionStatus


@dataclass(frozen=True)
class FunnelConfig:
    version: int | None
    stages: dict[str, Stage]
    moves_from: dict[str, list[str]]
    rules: list[HandoffRule]
    definitions: dict[str, ActiveDefinition]
    shadow_rules: list[HandoffRule] = ()

    def rules_for(self, from_stage: str | None, to_stage: str) -> list[HandoffRule]:
        return [rule for rule in self.rules if rule.applies_to(from_stage, to_stage)]

    def shadow_rules_for(self, from_stage: str | None, to_stage: str) -> list[HandoffRule]:
        return [rule for rule in self.shadow_rules if rule.applies_to(from_stage, to_stage)]


_snapshot: FunnelConfig | None = None


def _current_version() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM funnel_config_version WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def _load(version: int | None) -> FunnelConfig:
    moves_from: dict[str, list[str]] = {}
    for from_stage, to_stage in StageMove.objects.order_by("to_stage__position").values_list(
        "from_stage_id", "to_stage_id"
    ):
        moves_from.setdefault(from_stage, []).append(to_stage)
    versions = LeadDefinitionVersion.objects.filter(status=VersionStatus.ACTIVE).select_related("definition")
    return FunnelConfig(
        version=version,
        stages={stage.pk: stage for stage in Stage.objects.all()},
        moves_from=moves_from,
        rules=list(HandoffRule.objects.filter(is_active=True)),
        shadow_rules=list(HandoffRule.objects.filter(state=RuleState.SHADOW)),
        definitions={
            v.definition.code: ActiveDefinition(v.definition.code, v.pk, v.number, v.criteria) for v in versions
        },
    )


def funnel_config() -> FunnelConfig:
    """The current configuration; re-read when its version moved (or when there is no version to go by)."""
    global _snapshot
    version = _current_version()
    snapshot = _snapshot
    if snapshot is None or version is None or snapshot.version != version:
        snapshot = _load(version)
        _snapshot = snapshot
    return snapshot
