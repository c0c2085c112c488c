"""The insight digest: a week's or a month's call reports rolled up for marketing, and what marketing did about
what it read.

A digest counts, for every accepted need, objection, competitor and feedback tag, the reports of the period that
carry it — overall and within each segment, product (the report's accepted product tags), campaign and stage
(the lead's, as the report was logged) — next to the same count for the period before. Suggested and rejected
tags count nowhere; once a tag is accepted, recomputing a period counts it. Reports without a segment, stage or
campaign count overall but in no slice of that dimension.
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from config.errors import NotAllowed
from crm.choices import TagKind, TagStatus
from crm.models import Campaign, Collateral, Tag
from funnel.insight import periods
from funnel.insight.choices import PeriodKind
from funnel.insight.models import Digest, DigestCount, InsightResponse

COUNTED_KINDS = [TagKind.NEED, TagKind.OBJECTION, TagKind.COMPETITOR, TagKind.FEEDBACK]
QUOTED_KINDS = [TagKind.OBJECTION, TagKind.COMPETITOR]
TOP = 5  # the top items per kind the page and the e-mail show, and whose example quotes are kept
QUOTES = 3
QUOTE_CHARS = 280
COMPUTERS = frozenset({Role.SALES_MANAGER, Role.MARKETING_MANAGER, Role.REVENUE_LEADER, Role.ADMIN})
RESPONDERS = frozenset({Role.MARKETER, Role.MARKETING_MANAGER, Role.REVENUE_LEADER, Role.ADMIN})

# One statement, reading the period's reports and their tags once (`tagged`): the counts of every slice, grouped
# and inserted, then the latest noted reports of the top objections and competitors (by this period's overall
# count, ties by label) picked from the same rows. Each report carries a tag at most once (callreporttag_unique),
# so a group's rows are distinct reports.
DIGEST_SQL = """
WITH tagged AS MATERIALIZED (
    SELECT r.id, r.segment, r.lead_stage, r.campaign_id, r.occurred_on, r.occurred_on >= %(start)s AS current,
           btrim(r.notes) <> '' AS noted, rt.tag_id, t.kind
    FROM crm_callreport r
    JOIN crm_callreporttag rt ON rt.report_id = r.id
    JOIN crm_tag t ON t.id = rt.tag_id
    WHERE r.occurred_on >= %(previous)s AND r.occurred_on < %(end)s AND t.status = %(accepted)s
),
counts AS (
    SELECT d.dimension, d.value, c.tag_id,
           count(*) FILTER (WHERE c.current) AS count, count(*) FILTER (WHERE NOT c.current) AS previous_count
    FROM tagged c
    CROSS JOIN LATERAL (VALUES ('all', ''), ('segment', c.segment), ('stage', c.lead_stage),
                               ('campaign', c.campaign_id::text)) AS d(dimension, value)
    WHERE c.kind = ANY(%(kinds)s) AND (d.dimension = 'all' OR coalesce(d.value, '') <> '')
    GROUP BY 1, 2, 3
    UNION ALL
    SELECT 'product', p.tag_id::text, c.tag_id,
           count(*) FILTER (WHERE c.current), count(*) FILTER (WHERE NOT c.current)
    FROM tagged c JOIN tagged p ON p.id = c.id AND p.kind = %(product)s
    WHERE c.kind = ANY(%(kinds)s)
    GROUP BY 1, 2, 3
),
inserted AS (
    INSERT INTO funnel_digestcount (digest_id, dimension, value, tag_id, count, previous_count)
    SELECT %(digest)s, dimension, value, tag_id, count, previous_count FROM counts
),
top AS (
    SELECT tag_id FROM (
        SELECT c.tag_id, row_number() OVER (PARTITION BY t.kind ORDER BY c.count DESC, t.label, t.id) AS rank
        FROM counts c JOIN crm_tag t ON t.id = c.tag_id
        WHERE c.dimension = 'all' AND c.count > 0 AND t.kind = ANY(%(quoted)s)
    ) ranked WHERE rank <= %(top)s
),
picked AS (
    SELECT tag_id, id, occurred_on, n FROM (
        SELECT tag_id, id, occurred_on, row_number() OVER (PARTITION BY tag_id ORDER BY occurred_on DESC, id DESC) AS n
        FROM tagged WHERE current AND noted AND tag_id IN (SELECT tag_id FROM top)
    ) ranked WHERE n <= %(quotes)s
)
SELECT p.tag_id, p.id, p.occurred_on, regexp_replace(btrim(left(r.notes, %(chars)s * 2)), '\\s+', ' ', 'g')
FROM picked p JOIN crm_callreport r ON r.id = p.id
ORDER BY p.tag_id, p.n
"""
REPORTS_SQL = """
SELECT count(*) FILTER (WHERE occurred_on >= %(start)s), count(*) FILTER (WHERE occurred_on < %(start)s)
FROM crm_callreport WHERE occurred_on >= %(previous)s AND occurred_on < %(end)s
"""


def digest_compute(*, period_kind: str, period_start: date) -> Digest:
    """Computes (or recomputes) the period's digest: its counts replaced in one transaction by set-based SQL, so
    a rerun over unchanged reports and taxonomy writes the same rows. The digest row is locked meanwhile: two
    computes of one period run one after the other. Raises ValidationError naming a bad period."""
    periods.period_check(period_kind=period_kind, period_start=period_start, today=timezone.localdate())
    end = periods.next_start(period_kind=period_kind, period_start=period_start)
    params = {
        "start": period_start,
        "end": end,
        "previous": periods.previous_start(period_kind=period_kind, period_start=period_start),
        "accepted": TagStatus.ACCEPTED,
        "kinds": [str(kind) for kind in COUNTED_KINDS],
        "product": TagKind.PRODUCT,
        "quoted": [str(kind) for kind in QUOTED_KINDS],
        "top": TOP,
        "quotes": QUOTES,
        "chars": QUOTE_CHARS,
    }
    with transaction.atomic():
        now = timezone.now()
        fresh = Digest(period_kind=period_kind, period_start=period_start, period_end=end, computed_at=now)
        Digest.objects.bulk_create([fresh], ignore_conflicts=True)
        digest = Digest.objects.select_for_update().get(period_kind=period_kind, period_start=period_start)
        DigestCount.objects.filter(digest=digest).delete()
        params["digest"] = digest.pk
        with connection.cursor() as cursor:
            cursor.execute(DIGEST_SQL, params)
            quotes = cursor.fetchall()
            cursor.execute(REPORTS_SQL, params)
            digest.report_count, digest.previous_report_count = cursor.fetchone()
        digest.quotes = _quotes(quotes)
        digest.computed_at = now
        digest.save(update_fields=["report_count", "previous_report_count", "quotes", "computed_at"])
    return digest


def _quotes(rows: list[tuple]) -> dict[str, list[dict]]:
    quotes: dict[str, list[dict]] = {}
    for tag_id, report_id, occurred_on, text in rows:
        if len(text) > QUOTE_CHARS:
            text = text[: QUOTE_CHARS - 1].rstrip() + "…"
        quotes.setdefault(str(tag_id), []).append({"report": report_id, "on": occurred_on.isoformat(), "text": text})
    return quotes


def digest_compute_for(*, user: User, period_kind: str, period_start: date) -> Digest:
    """The page's "compute now": managers may compute a period nobody computed yet (or refresh one)."""
    if not (user.is_superuser or user.role in COMPUTERS):
        raise NotAllowed("Only managers and the revenue leader compute a digest; the weekly job computes the rest.")
    return digest_compute(period_kind=period_kind, period_start=period_start)


def digest_weekly_run(*, today: date) -> list[Digest]:
    """After a week ends: last week's digest and the digests of the month(s) it touched (a week can straddle two),
    computed; then the week's digest delivered, and a month's once that month is over. Safe to run twice: the
    counts are recomputed to the same rows and deliveries are unique."""
    from funnel.insight.delivery import digest_deliver  # delivery reads these services' constants

    this_week = periods.period_containing(period_kind=PeriodKind.WEEK, day=today)
    week = periods.previous_start(period_kind=PeriodKind.WEEK, period_start=this_week)
    sunday = week + timedelta(days=6)
    months = sorted({week.replace(day=1), sunday.replace(day=1)})
    computed = [digest_compute(period_kind=PeriodKind.WEEK, period_start=week)]
    computed += [digest_compute(period_kind=PeriodKind.MONTH, period_start=month) for month in months]
    for digest in computed:
        if digest.period_kind == PeriodKind.WEEK or digest.period_end <= today:
            digest_deliver(digest_id=digest.pk)
    return computed


def insight_response_create(
    *, user: User, tag_id: int, collateral_id: int | None = None, campaign_id: int | None = None, note: str = ""
) -> InsightResponse:
    """A marketer links a tag (an objection, a competitor…) to the collateral or campaign that answers it."""
    if not (user.is_superuser or user.role in RESPONDERS):
        raise NotAllowed("Only marketing (and the revenue leader) records what marketing did about an insight.")
    tag = Tag.objects.filter(pk=tag_id).first()
    errors: dict[str, str] = {}
    if tag is None:
        errors["tag"] = f"No tag has id {tag_id}."
    elif tag.kind not in COUNTED_KINDS or tag.status != TagStatus.ACCEPTED:
        errors["tag"] = f"{tag.label!r} is not an accepted need, objection, competitor or feedback tag."
    if collateral_id is None and campaign_id is None:
        errors["collateral"] = "Name the collateral or the campaign that answers it (or both)."
    if collateral_id is not None and not Collateral.objects.filter(pk=collateral_id).exists():
        errors["collateral"] = f"No collateral has id {collateral_id}."
    if campaign_id is not None and not Campaign.objects.filter(pk=campaign_id).exists():
        errors["campaign"] = f"No campaign has id {campaign_id}."
    note = note.strip()
    if len(note) > 500:
        errors["note"] = f"Keep the note under 500 characters (it has {len(note):,})."
    if "\x00" in note:
        errors["note"] = "The note contains a NUL character."
    if errors:
        raise ValidationError(errors)
    return InsightResponse.objects.create(
        tag=tag, collateral_id=collateral_id, campaign_id=campaign_id, note=note, created_by=user
    )
