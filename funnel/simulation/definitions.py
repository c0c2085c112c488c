"""What a proposed definition version would change, against the active one, before either side signs it.

Now: of the open leads as they are, how many qualify under each, which newly qualify and which stop.
History: of the moves of the last N days into the stages a rule gates on this definition, how many the proposal
would have refused (each judged on the snapshot the move kept of the lead, Transition.context), and of those
leads that went on to purchase, how many and how much revenue would have been held back. Everything is counted
in PostgreSQL with the criteria compiled once (leads.scoring.sql.criteria_q); every count is broken down by
segment, source campaign, owner and team, and each names the bucket that drills down to its leads.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, Count, F, IntegerField, Max, Min, Q, QuerySet, Sum, When
from django.db.models.functions import Cast, Coalesce

from accounts.models import Team, User
from crm.models import Campaign
from funnel.models import HandoffRule, LeadDefinitionVersion, Purchase, Transition
from funnel.simulation.sql import with_history_snapshot
from leads.choices import VersionStatus
from leads.models import Lead
from leads.scoring.sql import criteria_q, with_snapshot

CLOSED_STAGES = ("purchase", "lost")
NOTHING = Q(pk__in=[])
# Dimension → (the column over current leads or past moves, the model naming its values: None when the value is
# its own label). The drill-down filters on the same columns.
NOW_DIMENSIONS = {
    "segment": ("c_segment", None),
    "source_campaign": ("source_campaign_id", Campaign),
    "owner": ("owner_id", User),
    "team": ("team_id", Team),
}
HISTORY_DIMENSIONS = {
    "segment": ("c_segment", None),
    "source_campaign": ("c_source_campaign", None),
    "owner": ("to_owner_id", User),
    "team": ("to_owner__team_id", Team),
}
TOP = 50


def _count(condition: Q) -> Coalesce:
    return Coalesce(Sum(Case(When(condition, then=1), default=0, output_field=IntegerField())), 0)


def history_days(now: datetime) -> int | None:
    """How many days back the kept snapshots reach (None: no move has kept one yet)."""
    first = Transition.objects.filter(context__isnull=False).aggregate(first=Min("occurred_at"))["first"]
    return None if first is None else (now - first).days + 1


def window_check(window_days: object, now: datetime) -> int:
    if isinstance(window_days, bool) or not isinstance(window_days, int) or window_days < 1:
        raise ValidationError({"window_days": f"{window_days!r} is not a number of days; give 1 or more."})
    reach = history_days(now)
    if reach is not None and window_days > reach:
        raise ValidationError(
            {
                "window_days": f"The history kept reaches back {reach} day{'s' if reach != 1 else ''}; "
                f"a {window_days}-day window is longer."
            }
        )
    return window_days


def active_version(version: LeadDefinitionVersion) -> LeadDefinitionVersion | None:
    return LeadDefinitionVersion.objects.filter(
        definition_id=version.definition_id, status=VersionStatus.ACTIVE
    ).first()


def gated_moves(code: str) -> Q:
    """The moves an enforced rule lets through only when the lead meets definition `code`."""
    scope = NOTHING
    for rule in HandoffRule.objects.filter(is_active=True):
        if any(p.get("kind") == "definition_met" and p.get("level") == code for p in rule.preconditions):
            move = Q(to_stage__in=rule.to_stages) if rule.to_stages else Q()
            if rule.from_stages:
                move &= Q(from_stage__in=rule.from_stages)
            scope |= move
    return scope


def gated_stages(code: str) -> list[str]:
    """The stages the moves of gated_moves(code) go into ("" for a rule that gates a move into any stage)."""
    stages: set[str] = set()
    for rule in HandoffRule.objects.filter(is_active=True):
        if any(p.get("kind") == "definition_met" and p.get("level") == code for p in rule.preconditions):
            stages.update(rule.to_stages or [""])
    return sorted(stages)


def _labels(model, keys: list[str]) -> dict[str, str]:
    if model is None:
        return {key: key for key in keys}
    ids = [int(key) for key in keys if key.isdigit()]
    field = "username" if model is User else "name"
    return {str(pk): label for pk, label in model.objects.filter(pk__in=ids).values_list("pk", field)}


def _grouped(queryset: QuerySet, dimensions: dict, measures: dict) -> dict:
    """Totals and every breakdown from ONE grouped pass (by all the dimensions at once), rolled up here: the
    finest groups number thousands where the rows number millions, so one scan replaces one per breakdown."""
    columns = {f"d_{name}": F(column) for name, (column, _) in dimensions.items()}
    rows = list(queryset.order_by().values(**columns).annotate(**measures))
    totals = {m: sum(row[m] for row in rows) for m in measures}
    by = {}
    for name, (_, model) in dimensions.items():
        sums: dict[str, dict] = defaultdict(lambda: dict.fromkeys(measures, 0))
        for row in rows:
            key = row[f"d_{name}"]
            bucket = sums["" if key is None else str(key)]
            for m in measures:
                bucket[m] += row[m]
        first = next(iter(measures))
        top = sorted(sums.items(), key=lambda item: (-item[1][first], item[0]))[:TOP]
        labels = _labels(model, [key for key, _ in top])
        by[name] = [{"value": key, "label": labels.get(key) or "(none)", **counts} for key, counts in top]
    return {"totals": totals, "by": by}


def now_part(proposed: dict, active: dict | None) -> dict:
    """Open leads qualifying under each version, newly qualifying and no longer qualifying."""
    meets_new, meets_old = criteria_q(proposed), criteria_q(active) if active else NOTHING
    measures = {
        "leads": Count("id"),
        "qualify_active": _count(meets_old),
        "qualify_proposed": _count(meets_new),
        "newly_qualify": _count(meets_new & ~meets_old),
        "stop_qualifying": _count(meets_old & ~meets_new),
    }
    return _grouped(with_snapshot(Lead.objects.exclude(stage__in=CLOSED_STAGES)), NOW_DIMENSIONS, measures)


def history_part(code: str, proposed: dict, active: dict | None, since: datetime) -> dict:
    """Past moves the proposal would have refused, and the purchases and revenue behind them."""
    scope = gated_moves(code)
    moves = with_history_snapshot(
        Transition.objects.filter(scope, occurred_at__gte=since, context__isnull=False, from_stage__isnull=False)
    )
    meets_new, meets_old = criteria_q(proposed), criteria_q(active) if active else NOTHING
    measures = {
        "moves": Count("id"),
        "refused_proposed": _count(~meets_new),
        "refused_active": _count(~meets_old),
        "newly_refused": _count(meets_old & ~meets_new),
    }
    refused_leads = moves.filter(~meets_new).values("lead_id")
    purchases = Purchase.objects.filter(lead_id__in=refused_leads)
    revenue = [
        {"currency": row["currency"], "revenue": str(row["revenue"] or 0), "purchases": row["n"]}
        for row in purchases.values("currency").annotate(revenue=Sum("revenue"), n=Count("id")).order_by("currency")
    ]
    return {
        "gated": scope != NOTHING,
        "stages": gated_stages(code),
        **_grouped(moves, HISTORY_DIMENSIONS, measures),
        "went_on_to_purchase": purchases.values("lead_id").distinct().count(),
        "revenue_held_back": revenue,
    }


def definition_simulate(*, version: LeadDefinitionVersion, window_days: int, now: datetime, progress=None) -> dict:
    """The whole comparison for one proposed version; `progress(percent)` is told how far it got."""
    if version.status == VersionStatus.ACTIVE:
        raise ValidationError({"definition_version": f"Version {version.number} is already the active one."})
    window_check(window_days, now)
    current = active_version(version)
    active = current.criteria if current else None
    result = {
        "definition": version.definition.code,
        "proposed": {"id": version.pk, "number": version.number},
        "active": {"id": current.pk, "number": current.number} if current else None,
        "window_days": window_days,
        "computed_at": now.isoformat(),
        "now": now_part(version.criteria, active),
    }
    if progress:
        progress(50)
    since = now - timedelta(days=window_days)
    result["history"] = history_part(version.definition.code, version.criteria, active, since)
    result["history_until_id"] = Transition.objects.aggregate(n=Coalesce(Max("id"), 0))["n"]
    return result


def _in_bucket(rows: QuerySet, column: str, value: str) -> QuerySet:
    rows = rows.annotate(dim_=Cast(F(column), CharField()))
    return rows.filter(Q(dim_="") | Q(dim___isnull=True)) if value == "" else rows.filter(dim_=value)


def _buckets(part: str, meets_new: Q, meets_old: Q) -> dict:
    """The counts of one part of a result, each as the condition its rows meet."""
    if part == "now":
        return {
            "leads": Q(),
            "qualify_active": meets_old,
            "qualify_proposed": meets_new,
            "newly_qualify": meets_new & ~meets_old,
            "stop_qualifying": meets_old & ~meets_new,
        }
    return {
        "moves": Q(),
        "refused_proposed": ~meets_new,
        "refused_active": ~meets_old,
        "newly_refused": meets_old & ~meets_new,
        "went_on_to_purchase": ~meets_new,  # and then bought: narrowed below
    }


def simulation_leads(*, result: dict, part: str, bucket: str, dimension: str = "", value: str = "") -> QuerySet:
    """The leads behind one count of a result (what a drill-down link shows), recomputed now."""
    if part not in ("now", "history"):
        raise ValidationError({"part": f"{part!r} is not a part of a simulation; use now or history."})
    version = LeadDefinitionVersion.objects.get(pk=result["proposed"]["id"])
    current = LeadDefinitionVersion.objects.filter(pk=(result["active"] or {}).get("id")).first()
    meets_old = criteria_q(current.criteria) if current else NOTHING
    buckets = _buckets(part, criteria_q(version.criteria), meets_old)
    if bucket not in buckets:
        raise ValidationError(
            {"bucket": f"{bucket!r} is not a count of this simulation's {part} part; use {', '.join(buckets)}."}
        )
    dimensions = NOW_DIMENSIONS if part == "now" else HISTORY_DIMENSIONS
    if dimension and dimension not in dimensions:
        raise ValidationError({"dimension": f"{dimension!r} is not a breakdown; use {', '.join(dimensions)}."})
    if part == "now":
        rows = with_snapshot(Lead.objects.exclude(stage__in=CLOSED_STAGES)).filter(buckets[bucket])
        if dimension:
            rows = _in_bucket(rows, dimensions[dimension][0], value)
        return Lead.objects.filter(pk__in=rows.values("pk"))
    since = datetime.fromisoformat(result["computed_at"]) - timedelta(days=result["window_days"])
    moves = with_history_snapshot(
        Transition.objects.filter(
            gated_moves(result["definition"]), occurred_at__gte=since, context__isnull=False, from_stage__isnull=False
        )
    ).filter(buckets[bucket])
    if dimension:
        moves = _in_bucket(moves, dimensions[dimension][0], value)
    leads = Lead.objects.filter(pk__in=moves.values("lead_id"))
    if bucket == "went_on_to_purchase":
        leads = leads.filter(pk__in=Purchase.objects.values("lead_id"))
    return leads
