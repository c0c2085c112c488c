"""Scoring set-based in PostgreSQL: the criteria language as SQL conditions, and one statement that scores
every lead (or a given few) the way leads.scoring.rules explains one lead.

`condition_q` must agree with leads.criteria.evaluate_condition on every lead; a property test holds them to it.
"""

import json
from collections.abc import Mapping
from datetime import datetime

from django.db import connection
from django.db.models import Case, CharField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce, NullIf
from django.db.models.lookups import GreaterThanOrEqual

from crm.models import Touch
from leads import criteria
from leads.models import Lead, LeadScore, LeadScoreChange
from leads.scoring.models import ScoringModelVersion


def _either(own: str, company: str):
    """The lead's own value, else its company's, else "" — as lead_snapshot reads it."""
    return Coalesce(NullIf(F(own), Value("")), NullIf(F(company), Value("")), Value(""), output_field=CharField())


SNAPSHOT = {
    "c_score": lambda: F("score"),
    "c_expected_value": lambda: F("expected_value"),
    "c_employees": lambda: F("company__employees"),
    "c_size_band": lambda: Coalesce(F("company__size_band"), Value(""), output_field=CharField()),
    "c_segment": lambda: _either("segment", "company__segment"),
    "c_territory": lambda: _either("territory", "company__territory"),
    "c_industry": lambda: _either("industry", "company__industry"),
    "c_title": lambda: F("title"),
    "c_email": lambda: F("email"),
    "c_phone": lambda: F("phone"),
    "c_company": lambda: Case(
        When(company__isnull=False, then=F("company__name")), default=F("company_name"), output_field=CharField()
    ),
    "c_source_campaign": lambda: Coalesce(Cast("source_campaign_id", CharField()), Value("")),
    "c_currency": lambda: F("currency"),
    "c_key_account": lambda: F("company__is_key_account"),  # NULL without a company, as lead_snapshot's None
    "c_has_budget": lambda: F("has_budget"),
    "c_has_authority": lambda: F("has_authority"),
    "c_has_need": lambda: F("has_need"),
    "c_has_timeline": lambda: F("has_timeline"),
}


def with_snapshot(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """`leads` annotated with what conditions read (c_<field>)."""
    return leads.annotate(**{name: make() for name, make in SNAPSHOT.items()})


def _empty(column: str) -> Q:
    return Q(**{f"{column}__isnull": True}) | Q(**{column: ""})


def _number_empty(column: str) -> Q:
    return Q(**{f"{column}__isnull": True})


def _facts_q(condition: Mapping) -> Q:
    confirmed = sum(
        (Case(When(**{f"c_has_{fact}": True}, then=1), default=0, output_field=IntegerField()))
        for fact in condition["facts"]
    )
    return Q(GreaterThanOrEqual(confirmed, condition.get("at_least", len(condition["facts"]))))


def condition_q(condition: Mapping, score: str = "c_score") -> Q:
    """The leads (annotated by with_snapshot) that meet one valid condition; `score` names the annotation a
    condition on the score reads (a proposed score, say)."""
    if "facts" in condition:
        return _facts_q(condition)
    field, op = condition["field"], condition["op"]
    column, kind = (score if field == "score" else f"c_{field}"), criteria.FIELDS[field]
    empty = _number_empty(column) if kind != criteria.TEXT else _empty(column)
    if op == "present":
        return ~empty if kind == criteria.TEXT else Q(**{f"{column}__isnull": False})
    if op == "absent":
        return empty
    if op in ("is_true", "is_false"):
        return Q(**{column: op == "is_true"})
    value = condition["value"]
    if kind == criteria.NUMBER:
        value = criteria.as_number(value)
    if op in ("in", "not_in"):
        matches = Q(**{f"{column}__in": value})
        return (matches & ~empty) if op == "in" else (empty | ~matches)
    if op == "ne":
        return empty | ~Q(**{column: value})
    lookup = {"eq": "exact", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}[op]
    return Q(**{f"{column}__{lookup}": value}) & ~empty


def criteria_q(document: Mapping, score: str = "c_score") -> Q:
    """The leads that meet every condition of a criteria document."""
    q = Q()
    for condition in document["conditions"]:
        q &= condition_q(condition, score)
    return q


def fit_expression(fit_rules: list):
    """The sum of the points of the fit rules a lead meets (before the 0-100 bound)."""
    total = Value(0, output_field=IntegerField())
    for rule in fit_rules:
        total = total + Case(When(condition_q(rule["when"]), then=Value(rule["points"])), default=Value(0))
    return total


def _rules_values(engagement_rules: list) -> tuple[str, list]:
    if not engagement_rules:
        return "SELECT NULL::text, NULL::int, NULL::float8, NULL::numeric WHERE false", []
    rows = ", ".join(["(%s::text, %s::int, %s::float8, %s::numeric)"] * len(engagement_rules))
    params = [v for r in engagement_rules for v in (r["kind"], r["points"], r["half_life_days"], r["cap"])]
    return f"VALUES {rows}", params


# Every lead's (or the given ones') fit and engagement, bounded and graded, under one version's rules.
SCORED_SQL = """
WITH rules(kind, points, half_life, cap) AS ({rules}),
fit AS ({fit}),
per_touch AS (
    SELECT t.lead_id, t.kind, round(CASE WHEN r.half_life IS NULL THEN r.points * t.weight ELSE (
        (r.points * t.weight)::float8
        * power(2::float8, -(extract(epoch FROM (%(as_of)s - t.occurred_at))::float8 / 86400.0::float8 / r.half_life))
    )::numeric END, 2) AS points
    FROM {touch} t JOIN rules r ON r.kind = t.kind
    WHERE t.occurred_at <= %(as_of)s {touch_filter}
),
per_kind AS (
    SELECT p.lead_id, sign(sum(p.points)) * least(abs(sum(p.points)), min(r.cap)) AS points
    FROM per_touch p JOIN rules r ON r.kind = p.kind GROUP BY p.lead_id, p.kind
),
engagement AS (SELECT lead_id, sum(points) AS points FROM per_kind GROUP BY lead_id),
bounded AS (
    SELECT f.id AS lead_id, least(greatest(f.raw_fit, 0), 100)::numeric AS fit,
           least(greatest(coalesce(e.points, 0), 0), 100) AS engagement
    FROM fit f LEFT JOIN engagement e ON e.lead_id = f.id
),
scored AS (
    SELECT lead_id, fit, engagement, least(fit + engagement, 100) AS total,
           CASE WHEN fit >= 75 THEN 'A' WHEN fit >= 50 THEN 'B' WHEN fit >= 25 THEN 'C' ELSE 'D' END
        || CASE WHEN engagement >= 75 THEN '1' WHEN engagement >= 50 THEN '2' WHEN engagement >= 25 THEN '3'
                ELSE '4' END AS grade
    FROM bounded
)
"""

# The write. A lead's score row changes only when its whole score or grade (or the version) does: a row left
# alone still explains the score exactly as of the moment it was scored, and a nightly rescore after a day of
# decay writes the leads whose score moved, not a million rows. Every CTE reads the same snapshot, so
# `changed` still holds the scores from before the writes.
WRITE_SQL = (
    SCORED_SQL
    + """,
changed AS (
    SELECT s.lead_id, s.fit, s.engagement, s.total, s.grade, round(s.total)::int AS score,
           l.score AS old_score, o.grade AS old_grade
    FROM scored s
    JOIN {lead} l ON l.id = s.lead_id
    LEFT JOIN {score} o ON o.lead_id = s.lead_id
    WHERE o.lead_id IS NULL OR o.version_id <> %(version)s OR o.grade <> s.grade
       OR round(o.total) <> round(s.total) OR l.score <> round(s.total)
),
upsert AS (
    INSERT INTO {score} (lead_id, version_id, fit, engagement, total, grade, scored_at)
    SELECT lead_id, %(version)s, fit, engagement, total, grade, %(as_of)s FROM changed
    ON CONFLICT (lead_id) DO UPDATE SET version_id = EXCLUDED.version_id, fit = EXCLUDED.fit,
        engagement = EXCLUDED.engagement, total = EXCLUDED.total, grade = EXCLUDED.grade,
        scored_at = EXCLUDED.scored_at
    RETURNING lead_id
),
lead_update AS (
    UPDATE {lead} l SET score = c.score FROM changed c WHERE l.id = c.lead_id AND l.score <> c.score
    RETURNING l.id
),
history AS (
    INSERT INTO {history} (lead_id, version_id, score_before, score_after, grade_before, grade_after, cause,
                           changed_at)
    SELECT lead_id, %(version)s, CASE WHEN old_grade IS NULL THEN NULL ELSE old_score END, score,
           coalesce(old_grade, ''), grade, %(cause)s, %(as_of)s
    FROM changed
    WHERE old_grade IS NULL OR old_score <> score OR old_grade <> grade
    RETURNING lead_id, score_before, score_after
)
SELECT (SELECT count(*) FROM scored), (SELECT count(*) FROM upsert),
       coalesce((SELECT json_agg(json_build_array(lead_id, score_before, score_after)) FROM history), '[]')
"""
)


def _statement(template: str, version: ScoringModelVersion, lead_ids: list[int] | None) -> tuple[str, list]:
    leads = Lead.objects.all() if lead_ids is None else Lead.objects.filter(pk__in=lead_ids)
    fit_sql, fit_params = (
        with_snapshot(leads.order_by()).annotate(raw_fit=fit_expression(version.fit_rules)).values("id", "raw_fit")
    ).query.sql_with_params()
    rules_sql, rules_params = _rules_values(version.engagement_rules)
    sql = template.format(
        # A subset's touches are found through the lead index; every lead's, by one scan of the table.
        touch_filter="" if lead_ids is None else "AND t.lead_id IN (SELECT id FROM fit)",
        rules=rules_sql.replace("%s", "%%s"),
        fit=fit_sql.replace("%s", "%%s"),
        touch=Touch._meta.db_table,
        lead=Lead._meta.db_table,
        score=LeadScore._meta.db_table,
        history=LeadScoreChange._meta.db_table,
    )
    return sql, rules_params + list(fit_params)


def scores_write(
    *, version: ScoringModelVersion, as_of: datetime, lead_ids: list[int] | None, cause: str
) -> tuple[int, list[tuple[int, int | None, int]]]:
    """Scores every lead (`lead_ids` None) or the given ones under `version` as of `as_of`, in one statement.
    Returns (how many were scored, [(lead, score before, score after)] for each whose score or grade changed).
    Rerunning it with the same `as_of` changes nothing and records nothing."""
    sql, positional = _statement(WRITE_SQL, version, lead_ids)
    with connection.cursor() as cursor:
        _execute(cursor, sql, positional, {"as_of": as_of, "version": version.pk, "cause": cause})
        scored, _, changes = cursor.fetchone()
    if isinstance(changes, str):
        changes = json.loads(changes)
    return scored, [tuple(change) for change in changes]


PROPOSED_TABLE = "proposed_lead_scores"


def proposed_scores_stage(*, version: ScoringModelVersion, as_of: datetime) -> str:
    """Computes every lead's score under a version that is not in use into a temporary table (lead_id, score,
    grade) that lives until the transaction ends; returns its name. Nothing of ours is written."""
    sql, positional = _statement(
        SCORED_SQL + "SELECT lead_id, round(total)::int AS score, grade FROM scored", version, None
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PROPOSED_TABLE}")
        _execute(cursor, f"CREATE TEMP TABLE {PROPOSED_TABLE} ON COMMIT DROP AS {sql}", positional, {"as_of": as_of})
        cursor.execute(f"CREATE UNIQUE INDEX ON {PROPOSED_TABLE} (lead_id)")
        cursor.execute(f"ANALYZE {PROPOSED_TABLE}")
    return PROPOSED_TABLE


def _execute(cursor, sql: str, positional: list, named: dict) -> None:
    # Django builds the fit query with positional %s; the statement's own values are named. psycopg takes one
    # style per statement, so the positional ones are bound by name too.
    parts = sql.split("%%s")
    if len(parts) - 1 != len(positional):
        raise ValueError(f"{len(parts) - 1} placeholders for {len(positional)} values")
    sql = parts[0] + "".join(f"%(p{index})s{part}" for index, part in enumerate(parts[1:]))
    cursor.execute(sql, {**named, **{f"p{index}": value for index, value in enumerate(positional)}})
