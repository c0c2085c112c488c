"""One chunk of an import, inside its transaction: deduplicate against the database with one query, create
the new leads set-based through the funnel's capturer (rows asking for a later stage one by one, through the
one door, each in a savepoint so a refusal leaves nothing), then companies, contacts, touches and the blank
fields of existing leads, each in one multi-row statement."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from crm.models import Campaign
from integrations.metric_changes import local_day, metric_days_changed, metric_history_changed
from integrations.outbox import outbox_emit
from leads.choices import INITIAL_STAGE
from leads.imports import hooks, writes
from leads.imports.models import ImportJob, RowOutcome
from leads.imports.rows import Plan
from leads.models import Lead
from leads.selectors import lead_changeable, lead_list


@dataclass
class Work:
    job: ImportJob
    actor: User
    owners: dict[str, User]
    campaigns: dict[str, Campaign]
    mapping: dict

    def column(self, target: str) -> str:
        for column, mapped in self.mapping.items():
            if mapped == target:
                return column
        return f"default {target}" if target in self.job.defaults else "(row)"


@dataclass
class Outcome:
    number: int
    outcome: str
    lead_id: int | None = None
    errors: dict = field(default_factory=dict)
    note: str = ""


@dataclass
class _State:
    """What the chunk decided so far: outcomes by row, and each written or matched lead's plan."""

    outcomes: dict[int, Outcome] = field(default_factory=dict)
    created: dict[int, Plan] = field(default_factory=dict)  # lead id → plan
    matched: dict[int, Plan] = field(default_factory=dict)  # existing lead id → plan (may change or touch it)


def _refuse(state: _State, plan: Plan, errors: dict, note: str = "") -> None:
    state.outcomes[plan.number] = Outcome(plan.number, RowOutcome.REFUSED, errors=errors, note=note[:300])


def _lead(work: Work, plan: Plan, companies: dict) -> Lead:
    fields = dict(plan.lead)
    lead = Lead(**fields, email_normalized=plan.email_normalized)
    lead.company = companies.get(plan.company["domain"]) if plan.company else None
    lead.source_campaign = work.campaigns.get(plan.campaign) if plan.campaign else None
    return lead


def _owner(work: Work, plan: Plan) -> User | None:
    return (work.owners.get(plan.owner) or work.owners.get(plan.owner.lower())) if plan.owner else None


def _capture(work: Work, state: _State, plans: list[Plan], companies: dict, now) -> None:
    plain = [p for p in plans if not p.stage or p.stage == INITIAL_STAGE]
    leads = [_lead(work, p, companies) for p in plain]
    problems = hooks.capturer()(work.actor, leads, [_owner(work, p) for p in plain], now)
    for index, (plan, lead) in enumerate(zip(plain, leads, strict=True)):
        if index in problems:
            _refuse(state, plan, {work.column("lead.owner"): problems[index]})
        else:
            state.created[lead.pk] = plan
    for plan in plans:
        if plan.stage and plan.stage != INITIAL_STAGE:
            _capture_staged(work, state, plan, _lead(work, plan, companies), now)


def _capture_staged(work: Work, state: _State, plan: Plan, lead: Lead, now) -> None:
    """The normal services, one row at a time: capture, then each move through the one door; a refusal
    rolls the row back whole."""
    captured = False
    try:
        with transaction.atomic():
            problems = hooks.capturer()(work.actor, [lead], [_owner(work, plan)], now)
            if problems:
                raise hooks.StageRefused(problems[0])
            captured = True
            hooks.stage_requester()(work.actor, lead, plan.stage, plan.stage_reason, now)
    except hooks.StageRefused as refused:
        column = work.column("lead.stage") if captured else work.column("lead.owner")
        failed = [f"{c['rule']}: {c['check']} — {c['reason']}" for c in refused.failed]
        _refuse(state, plan, {column: str(refused)}, note="; ".join(failed))
        return
    state.created[lead.pk] = plan


def _existing(work: Work, state: _State, plans: list[Plan]) -> list[Plan]:
    """Rows whose e-mail is a lead's already: matched to it (one query); the others are returned."""
    by_email = {p.email_normalized: p for p in plans}
    found = dict(Lead.objects.filter(email_normalized__in=list(by_email)).values_list("email_normalized", "pk"))
    if not found:
        return plans
    visible = set(lead_list(user=work.actor).filter(pk__in=found.values()).values_list("pk", flat=True))
    for email, lead_id in found.items():
        plan = by_email[email]
        if lead_id in visible:
            state.matched[lead_id] = plan
        else:
            state.outcomes[plan.number] = Outcome(
                plan.number, RowOutcome.DUPLICATE, note="A lead with this e-mail exists."
            )
    return [p for p in plans if p.email_normalized not in found]


def _touch_rows(work: Work, leads: dict[int, Plan]) -> dict[str, int]:
    rows, keys = [], {}
    for lead_id, plan in leads.items():
        if plan.touch is None:
            continue
        campaign = work.campaigns[plan.touch["campaign"] or plan.campaign]
        key = writes.touch_key(plan, campaign.pk)
        rows.append((lead_id, campaign.pk, plan.touch["kind"], plan.touch["occurred_at"], plan.touch["weight"], key))
        keys[key] = lead_id
    stored = writes.touches_store(work.actor, rows)
    return {key: keys[key] for key in stored}


def _late_touches(moments: dict[int, datetime]) -> None:
    """Touches dated before today reach closed periods' metrics (influenced revenue of later purchases)."""
    today = timezone.localdate()
    late = {lead_id: at for lead_id, at in moments.items() if local_day(at) < today}
    if late:
        metric_days_changed(moments=list(late.values()), cause="imported touches", lead_ids=late)


def _related(work: Work, state: _State, companies: dict) -> set[int]:
    """Contacts, touches and blank fields for created and matched leads; the matched leads that changed."""
    leads = {**state.created, **state.matched}
    links = [
        (lead_id, plan.contact, companies[plan.company["domain"]].pk if plan.company else None)
        for lead_id, plan in leads.items()
        if plan.contact
    ]
    changed = writes.contacts_link(links)
    touched = _touch_rows(work, leads)
    if touched and not work.job.dry_run:
        # Written with the chunk, delivered after its commit: the touched leads are rescored (as touches/bulk).
        outbox_emit(task="leads.tasks.lead_scores_refresh", lead_ids=sorted(set(touched.values())))
        _late_touches({lead_id: leads[lead_id].touch["occurred_at"] for lead_id in touched.values()})
    changed |= set(touched.values())
    changeable = set(lead_changeable(user=work.actor, lead_ids=list(state.matched)))
    fills = [
        (lead_id, companies[plan.company["domain"]].pk if plan.company else None, plan.lead)
        for lead_id, plan in state.matched.items()
        if lead_id in changeable
    ]
    filled = writes.leads_fill_blanks(fills)
    # A company or segment filled in re-slices the lead's whole history in the metrics.
    resliced = {lead_id for lead_id, company_id, fields in fills if company_id or fields.get("segment")} & filled
    if resliced and not work.job.dry_run:
        metric_history_changed(lead_ids=resliced, cause="imported fields")
    return changed | filled


def chunk_run(work: Work, plans: list[Plan]) -> list[Outcome]:
    """Every row's outcome; writes inside the caller's transaction."""
    state, now = _State(), timezone.now()
    candidates = []
    for plan in plans:
        if plan.errors:
            _refuse(state, plan, plan.errors)
        elif plan.duplicate_of is not None:
            note = f"Same e-mail as row {plan.duplicate_of}."
            state.outcomes[plan.number] = Outcome(plan.number, RowOutcome.DUPLICATE, note=note)
        else:
            candidates.append(plan)
    new = _existing(work, state, candidates)
    companies = writes.companies_resolve(candidates)
    _capture(work, state, new, companies, now)
    changed = _related(work, state, companies)
    for lead_id, plan in state.created.items():
        state.outcomes[plan.number] = Outcome(plan.number, RowOutcome.CREATED, lead_id=lead_id)
    for lead_id, plan in state.matched.items():
        outcome = RowOutcome.UPDATED if lead_id in changed else RowOutcome.DUPLICATE
        state.outcomes[plan.number] = Outcome(
            plan.number, outcome, lead_id=lead_id, note="A lead with this e-mail exists."
        )
    return [state.outcomes[plan.number] for plan in plans]
