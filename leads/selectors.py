"""Who may see and change which lead — in one place, used by every list, detail and action.

- administrators, integrations and revenue leaders: every lead, fully;
- sales and marketing managers: leads owned by anyone in their reporting subtree or held by a team that
  someone in that subtree manages;
- reps and SDRs: their own leads and their team's;
- marketers (and marketing managers): additionally every lead in a marketing-owned stage fully, and every
  other lead's marketing data (read-only, sales-only fields hidden);
- anyone an escalation made a participant of a lead: that lead, fully.
A lead outside all of these does not exist for the user (404).

Who may change a lead (edit its fields, move it, ask for an approval) is narrower than who sees it fully:
its owner; anyone in its team while it sits unowned in the team's queue; managers over its owner or team;
marketers for leads in marketing-owned stages (marketing works those as one pool); administrators, revenue
leaders and integrations. A teammate who sees it fully may still log a call report on it (covering a call
is recording what happened, not changing the lead). docs/permissions.md has the whole matrix.
"""

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value

from accounts.choices import Function, Role
from accounts.models import User
from accounts.selectors import managed_team_sql, user_subtree_sql
from leads.exceptions import DuplicateLead
from leads.models import SALES_ONLY_FIELDS, Lead, LeadParticipant, OwnerStageCount

SEES_EVERYTHING = frozenset({Role.ADMIN, Role.INTEGRATION, Role.REVENUE_LEADER})
MARKETING_ROLES = frozenset({Role.MARKETER, Role.MARKETING_MANAGER})
MANAGER_ROLES = frozenset({Role.SALES_MANAGER, Role.MARKETING_MANAGER})
MARKETING_ONLY = "You see this lead's marketing data only; its owner's side changes it."


def _full_access(user: User) -> Q | None:
    """The leads `user` sees in full, every field; None means all of them. Changing one is narrower
    (_change_access); seeing only its marketing data is wider (lead_list)."""
    if user.is_superuser or user.role in SEES_EVERYTHING:
        return None
    participant = Exists(LeadParticipant.objects.filter(lead=OuterRef("pk"), user=user))
    q = Q(owner=user) | Q(participant)
    if user.team_id:
        q |= Q(team_id=user.team_id)
    if user.role in MANAGER_ROLES:
        q |= Q(owner_id__in=user_subtree_sql(user=user)) | Q(team_id__in=managed_team_sql(user=user))
    if user.role in MARKETING_ROLES:
        q |= Q(owning_function=Function.MARKETING)
    return q


def _change_access(user: User) -> Q | None:
    """The leads `user` may change; None means all of them (those they see, which is all)."""
    if user.is_superuser or user.role in SEES_EVERYTHING:
        return None
    q = Q(owner=user)
    if user.team_id:
        q |= Q(owner__isnull=True, team_id=user.team_id)
    if user.role in MANAGER_ROLES:
        q |= Q(owner_id__in=user_subtree_sql(user=user)) | Q(team_id__in=managed_team_sql(user=user))
    if user.role in MARKETING_ROLES:
        q |= Q(owning_function=Function.MARKETING)
    return q


def lead_list(*, user: User) -> QuerySet[Lead]:
    """Every lead `user` may see, annotated with `full_access` (False: marketing data only)."""
    leads = Lead.objects.all()
    full = _full_access(user)
    if full is None:
        return leads.annotate(full_access=Value(True))
    if user.role in MARKETING_ROLES:
        return leads.annotate(full_access=ExpressionWrapper(full, output_field=BooleanField()))
    # Everything such a user sees, they see fully: filter once instead of repeating the test in the SELECT.
    return leads.filter(full).annotate(full_access=Value(True))


def lead_get(*, user: User, lead_id: int) -> Lead:
    """The lead if visible to `user`, else Lead.DoesNotExist (rendered as 404, never 403)."""
    return lead_list(user=user).select_related("owner", "team", "company", "source_campaign").get(pk=lead_id)


def lead_get_in_full(*, user: User, lead_id: int) -> Lead:
    """The lead if `user` sees it fully (to log a call report): 404 if invisible, 403 if marketing data only."""
    lead = lead_get(user=user, lead_id=lead_id)
    if not lead.full_access:
        raise PermissionDenied(MARKETING_ONLY)
    return lead


def lead_get_for_change(*, user: User, lead_id: int, only: tuple[str, ...] = ()) -> Lead:
    """The lead if `user` may change it: 404 if invisible, 403 if they see it but it is not theirs to change.
    `only` loads just those columns, for callers (a transition) that re-read the lead under a lock anyway.
    One query either way: whether the user may change it is computed beside the row."""
    change = _change_access(user)
    may_change = Value(True) if change is None else ExpressionWrapper(change, output_field=BooleanField())
    leads = lead_list(user=user).annotate(may_change=may_change)
    leads = leads.only(*only) if only else leads.select_related("owner", "team", "company", "source_campaign")
    lead = leads.get(pk=lead_id)
    if not lead.full_access:
        raise PermissionDenied(MARKETING_ONLY)
    if not lead.may_change:
        owner = lead.owner.get_username() if lead.owner_id else "its team"
        raise PermissionDenied(
            f"This lead is {owner}'s to change (or their manager's). You may log a call report on it."
        )
    return lead


def lead_changeable(*, user: User, lead_ids: list[int]) -> list[int]:
    """Which of `lead_ids` `user` may change (among those they see in full), in one query."""
    change, full = _change_access(user), _full_access(user)
    leads = Lead.objects.filter(pk__in=lead_ids)
    for q in (change, full):
        if q is not None:
            leads = leads.filter(q)
    return list(leads.values_list("pk", flat=True))


def lead_may_change(*, user: User, lead: Lead) -> bool:
    """For pages that show or hide the change forms of a lead already loaded for `user`."""
    change = _change_access(user)
    return lead.full_access and (change is None or Lead.objects.filter(change, pk=lead.pk).exists())


def duplicate_for(*, user: User, error: DuplicateLead) -> DuplicateLead:
    """The duplicate error as `user` may see it: naming the existing lead only if they can see that lead."""
    if error.existing is None or lead_list(user=user).filter(pk=error.existing.pk).exists():
        return error
    return DuplicateLead(None)


HIDDEN_REASON = "hidden: sales data"
# Checks recorded before they listed their fields are judged by their words: these name sales-only values.
_SALES_WORDS = (*SALES_ONLY_FIELDS, "budget", "authority", "need", "timeline")


def reveals_sales_data(fields: list[str] | tuple[str, ...] | None, text: str = "") -> bool:
    """Whether a derived text (a rule check's reason, an evaluation) shows a sales-only value of a lead.
    `fields` are the lead fields it was computed from; None (an older record) falls back to its words."""
    if fields is not None:
        return any(name in SALES_ONLY_FIELDS for name in fields)
    return any(word in text for word in _SALES_WORDS)


LIST_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "company_id",
    "company_name",
    "segment",
    "territory",
    "industry",
    "stage",
    "stage_entered_at",
    "owning_function",
    "owner_id",
    "team_id",
    "outcome_reason",
    "source_campaign_id",
    "expected_value",
    "gross_margin",
    "currency",
    "has_budget",
    "has_authority",
    "has_need",
    "has_timeline",
    "score",
    "full_access",
    "created_at",
    "updated_at",
)


_NAMES_SQL = """
    SELECT 'company', id, name, '', '' FROM crm_company WHERE id = ANY(%s)
    UNION ALL SELECT 'owner', id, username, first_name, last_name FROM accounts_user WHERE id = ANY(%s)
    UNION ALL SELECT 'team', id, name, '', '' FROM accounts_team WHERE id = ANY(%s)
    UNION ALL SELECT 'source_campaign', id, name, '', '' FROM crm_campaign WHERE id = ANY(%s)
"""
_NAMED = ("company", "owner", "team", "source_campaign")


def lead_rows(leads: QuerySet[Lead]) -> QuerySet:
    """The list page as plain rows; `lead_rows_named` adds the related names to a page of them.

    Measured at 1M leads: building model instances for 50 leads and their four relations, or compiling a
    query with four joins or name subqueries, each cost more than the database's work for the page."""
    return leads.values(*LIST_COLUMNS)


def lead_rows_named(rows: list[dict]) -> list[dict]:
    """Adds company, owner, team and campaign names to the rows with one query for the whole page."""
    ids = {kind: sorted({row[f"{kind}_id"] for row in rows if row[f"{kind}_id"] is not None}) for kind in _NAMED}
    names: dict[tuple[str, int], tuple] = {}
    if any(ids.values()):
        with connection.cursor() as cursor:
            cursor.execute(_NAMES_SQL, [ids[kind] for kind in _NAMED])
            names = {(kind, pk): tuple(values) for kind, pk, *values in cursor.fetchall()}
    for row in rows:
        for kind in _NAMED:
            row[kind] = names.get((kind, row[f"{kind}_id"]))
    return rows


def owner_stage_counts(*, owner_ids, stages) -> dict[tuple[int, str], int]:
    """{(owner id, stage): leads} from the counts the database keeps (leads.models.OwnerStageCount): one
    indexed read however many leads these people own. `owner_ids` may be a list or a subquery."""
    rows = OwnerStageCount.objects.filter(owner_id__in=owner_ids, stage__in=stages, n__gt=0)
    return {(owner, stage): n for owner, stage, n in rows.values_list("owner_id", "stage", "n")}


_BOARD_SQL = """
    SELECT id FROM (
        SELECT l.id, row_number() OVER (PARTITION BY l.stage ORDER BY l.stage_entered_at DESC, l.id DESC) AS place
        FROM unnest(%s::bigint[]) AS o(id)
        CROSS JOIN unnest(%s::varchar[]) AS s(stage)
        CROSS JOIN LATERAL (
            SELECT id, stage, stage_entered_at FROM leads_lead
            WHERE owner_id = o.id AND stage = s.stage ORDER BY stage_entered_at DESC, id DESC LIMIT %s
        ) AS l
    ) AS ranked WHERE place <= %s
"""


def lead_board(*, user: User, owner_ids: list[int], stages: list[str], per_stage: int) -> dict[str, list[Lead]]:
    """The `per_stage` most recently moved leads of these owners in each stage, as `user` may see them.

    Each owner's leads in a stage are one short walk of the (owner, stage, stage_entered_at) index, merged in
    SQL; ordering the whole team's leads instead would sort hundreds of thousands of rows at a million."""
    with connection.cursor() as cursor:
        cursor.execute(_BOARD_SQL, [owner_ids, stages, per_stage, per_stage])
        ids = [row[0] for row in cursor.fetchall()]
    leads = lead_list(user=user).filter(pk__in=ids).select_related("owner", "company")
    board: dict[str, list[Lead]] = {stage: [] for stage in stages}
    for lead in sorted(leads, key=lambda lead: (lead.stage_entered_at, lead.pk), reverse=True):
        board[lead.stage].append(lead)
    return board
