"""Reads of the "who to call" directory: its lines, filtered, and the answer for one slice of the market.

The answer, per role, comes from the MOST SPECIFIC line that matches the slice and names someone for that role.
A line matches when each dimension it names equals the slice's (a blank dimension matches anything; a product
line matches when the product is among the slice's products). Its specificity is a bit-weighted score of the
dimensions it names:

    company (key account) 8 · product 4 · territory 2 · segment 1

Each weight is larger than the sum of those below it, so a line naming the company beats every line that does
not, whatever else they name; a product line beats any territory-and-segment line; territory beats segment; the
line naming nothing (0) answers last. Between lines of equal score (say two product lines, for two of the
lead's products) the most recently confirmed wins, then the older line (lower id). Roles are answered
independently: a key-account line naming only a rep leaves the marketer to the next most specific line that
names one.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from crm.choices import Segment
from crm.models import CallReport, CallReportTag, Company, Responsibility, Tag

ROLES = ("rep", "marketer", "liaison", "manager")
ROLE_LABELS = {"rep": "Sales rep", "marketer": "Marketer", "liaison": "Liaison", "manager": "Manager"}
WEIGHTS = {"company": 8, "product": 4, "territory": 2, "segment": 1}
STALE_AFTER = timedelta(days=180)
MAX_PRODUCTS = 100


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    name: str
    email: str
    phone: str
    is_active: bool


@dataclass(frozen=True)
class Answer:
    """Who answers for one role: the person, and the line that named them (its slice in words and its score)."""

    role: str
    person: Person | None
    line_id: int | None = None
    line: str = ""
    specificity: int = 0
    confirmed_at: datetime | None = None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def stale(self) -> bool:
        return self.confirmed_at is not None and timezone.now() - self.confirmed_at > STALE_AFTER


def line_label(*, segment: str, territory: str, product: str, company: str) -> str:
    """A line's slice in words, e.g. "Enterprise · EMEA · Analytics", or "Everyone else" for the blank line."""
    parts = [Segment(segment).label if segment in Segment.values else segment, territory, product, company]
    return " · ".join(p for p in parts if p) or "Everyone else"


def responsibility_list(
    *,
    segment: str = "",
    territory: str = "",
    product_id: int | None = None,
    company_id: int | None = None,
    person_id: int | None = None,
    stale: bool = False,
) -> QuerySet[Responsibility]:
    """Lines naming exactly the given dimensions (and/or naming `person_id` in any role), with every related
    row joined; `stale` keeps lines not confirmed in 180 days."""
    lines = Responsibility.objects.select_related(
        "product", "company", "rep", "marketer", "liaison", "manager", "confirmed_by"
    )
    if segment:
        lines = lines.filter(segment=segment)
    if territory:
        lines = lines.filter(territory__iexact=territory)
    if product_id is not None:
        lines = lines.filter(product_id=product_id)
    if company_id is not None:
        lines = lines.filter(company_id=company_id)
    if person_id is not None:
        lines = lines.filter(
            Q(rep_id=person_id) | Q(marketer_id=person_id) | Q(liaison_id=person_id) | Q(manager_id=person_id)
        )
    if stale:
        lines = lines.filter(confirmed_at__lt=timezone.now() - STALE_AFTER)
    return lines.order_by("segment", "territory", "company__name", "product__label", "id")


def _tables() -> dict[str, str]:
    return {
        "resp": Responsibility._meta.db_table,
        "user": User._meta.db_table,
        "tag": Tag._meta.db_table,
        "company": Company._meta.db_table,
        "report": CallReport._meta.db_table,
        "report_tag": CallReportTag._meta.db_table,
    }


# Three branches, each an index scan: a key account's lines through the partial index on company; lines naming
# neither company nor product through the slice's unique index (segment, territory, product, company), every
# column an index condition; product lines through the index on product, the products as an array condition.
_LINES = """
SELECT {columns}, {score} AS specificity FROM {resp} r
 WHERE r.company_id = %(company)s AND r.segment IN ('', %(segment)s) AND r.territory IN ('', %(territory)s)
   AND (r.product_id IS NULL OR r.product_id = ANY(ARRAY(SELECT id FROM products)))
UNION ALL
SELECT {columns}, {score} AS specificity FROM {resp} r
 WHERE r.segment IN ('', %(segment)s) AND r.territory IN ('', %(territory)s)
   AND r.product_id IS NULL AND r.company_id IS NULL
UNION ALL
SELECT {columns}, {score} AS specificity FROM {resp} r
 WHERE r.segment IN ('', %(segment)s) AND r.territory IN ('', %(territory)s)
   AND r.product_id = ANY(ARRAY(SELECT id FROM products)) AND r.company_id IS NULL
"""
_SCORE = (
    "(CASE WHEN r.company_id IS NULL THEN 0 ELSE 8 END + CASE WHEN r.product_id IS NULL THEN 0 ELSE 4 END"
    " + CASE WHEN r.territory = '' THEN 0 ELSE 2 END + CASE WHEN r.segment = '' THEN 0 ELSE 1 END)"
)
_COLUMNS = (
    "r.id, r.segment, r.territory, r.product_id, r.company_id, r.rep_id, r.marketer_id, r.liaison_id, "
    "r.manager_id, r.confirmed_at"
)
_REPORTED = """
UNION ALL SELECT rt.tag_id FROM {report_tag} rt JOIN {report} cr ON cr.id = rt.report_id
  JOIN {tag} t ON t.id = rt.tag_id AND t.kind = 'product'
 WHERE cr.{column} = {param}"""
_ANSWER = """
WITH products AS (SELECT unnest(%(products)s::bigint[]) AS id {reported}),
lines AS ({lines}),
answers AS (
  SELECT DISTINCT ON (v.role) v.role, v.user_id, l.id, l.specificity, l.confirmed_at,
         l.segment, l.territory, l.product_id, l.company_id
    FROM lines l
   CROSS JOIN LATERAL (VALUES ('rep', l.rep_id), ('marketer', l.marketer_id), ('liaison', l.liaison_id),
                              ('manager', l.manager_id)) AS v(role, user_id)
   WHERE v.user_id IS NOT NULL
   ORDER BY v.role, l.specificity DESC, l.confirmed_at DESC, l.id
)
SELECT a.role, a.id, a.specificity, a.confirmed_at, a.segment, a.territory, coalesce(t.label, ''),
       coalesce(c.name, ''), u.id, u.username, trim(u.first_name || ' ' || u.last_name), u.email, u.phone, u.is_active
  FROM answers a
  JOIN {user} u ON u.id = a.user_id
  LEFT JOIN {tag} t ON t.id = a.product_id
  LEFT JOIN {company} c ON c.id = a.company_id
"""


@functools.cache
def _sql() -> str:
    tables = _tables()
    reported = "".join(
        _REPORTED.format(column=column, param=param, **tables)
        for column, param in (("lead_id", "%(lead)s"), ("company_id", "%(reported_company)s"))
    )
    lines = _LINES.format(score=_SCORE, columns=_COLUMNS, **tables)
    return _ANSWER.format(reported=reported, lines=lines, **tables)


def directory_lookup(
    *,
    segment: str = "",
    territory: str = "",
    company_id: int | None = None,
    product_ids: Iterable[int] = (),
    products_reported_for_lead: int | None = None,
    products_reported_for_company: int | None = None,
) -> list[Answer]:
    """Who to call for the slice, one Answer per role in ROLES order (person None when no line names one);
    specificity as the module docstring defines it. The products are `product_ids` plus, when asked, the product
    tags of the call reports on a lead or a company. One SQL statement."""
    params = {
        "segment": segment or "",
        "territory": territory or "",
        "company": company_id,
        "products": list(product_ids)[:MAX_PRODUCTS],
        "lead": products_reported_for_lead,
        "reported_company": products_reported_for_company,
    }
    with connection.cursor() as cursor:
        cursor.execute(_sql(), params)
        rows = cursor.fetchall()
    found = {row[0]: _answer(row) for row in rows}
    return [found.get(role) or Answer(role=role, person=None) for role in ROLES]


def _answer(row: tuple) -> Answer:
    role, line_id, specificity, confirmed_at, segment, territory, product, company, *person = row
    uid, username, name, email, phone, is_active = person
    return Answer(
        role=role,
        person=Person(uid, username, name or username, email, phone, is_active),
        line_id=line_id,
        line=line_label(segment=segment, territory=territory, product=product, company=company),
        specificity=specificity,
        confirmed_at=confirmed_at,
    )
