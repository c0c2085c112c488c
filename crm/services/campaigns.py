"""Campaigns: created and run by marketing, previewed by sales before they go live, their cost the sum of
their spend entries.

Status moves: planned → awaiting_preview (submit) → active (a sales previewer approves) or back to planned
(changes requested); planned → active directly only for a campaign that does not require a preview;
active → completed; any status but completed → cancelled.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from config.validation import MAX_UTC_OFFSET
from crm.choices import CampaignStatus, Channel, PreviewDecision, Segment
from crm.exceptions import NotAllowed, WrongStatus
from crm.models import Campaign, CampaignPreview, CampaignSpend
from crm.models.campaigns import MAX_AMOUNT
from integrations.choices import EventType
from integrations.metric_changes import metric_days_changed
from integrations.webhooks.events import webhook_event_emit

RUNNERS = frozenset({Role.MARKETER, Role.MARKETING_MANAGER, Role.REVENUE_LEADER, Role.ADMIN})
OVERSEERS = frozenset({Role.MARKETING_MANAGER, Role.REVENUE_LEADER, Role.ADMIN})
PREVIEWERS = frozenset({Role.SALES_MANAGER, Role.REVENUE_LEADER})
# An ad platform's integration reports spend; it does not plan or approve campaigns.
SPEND_RECORDERS = RUNNERS | {Role.INTEGRATION}
EDITABLE_FIELDS = (
    "name",
    "channel",
    "segments",
    "owner",
    "starts_on",
    "ends_on",
    "budget",
    "currency",
    "requires_sales_preview",
    "description",
)
FINAL = (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)


def may_run(user: User, campaign: Campaign | None = None) -> bool:
    """Creating a campaign needs a marketing role; changing one, being its owner or overseeing marketing."""
    if user.is_superuser or user.role in OVERSEERS:
        return True
    return user.role == Role.MARKETER and (campaign is None or campaign.owner_id == user.pk)


def _check_fields(data: dict, campaign: Campaign | None) -> None:
    errors: dict[str, str] = {}
    if "channel" in data and data["channel"] not in Channel.values:
        errors["channel"] = f"{data['channel']!r} is not a channel; use {', '.join(Channel.values)}."
    segments = data.get("segments", [])
    if not isinstance(segments, list) or not all(s in Segment.values for s in segments):
        errors["segments"] = f"Target segments are a list of {', '.join(Segment.values)}."
    elif len(set(segments)) < len(segments):
        errors["segments"] = "A segment is listed twice."
    budget = data.get("budget")
    if budget is not None and not Decimal(0) <= budget <= MAX_AMOUNT:
        errors["budget"] = f"A budget runs from 0 to {MAX_AMOUNT:,}."
    owner = data.get("owner")
    if owner is not None and owner.role not in RUNNERS - {Role.ADMIN}:
        errors["owner"] = f"{owner.username} is not in marketing: a campaign's owner runs it (a marketer or manager)."
    starts = data.get("starts_on", campaign.starts_on if campaign else None)
    ends = data.get("ends_on", campaign.ends_on if campaign else None)
    if starts and ends and ends < starts:
        errors["ends_on"] = f"The campaign ends ({ends}) before it starts ({starts})."
    if errors:
        raise ValidationError(errors)


def campaign_create(*, user: User, **data) -> Campaign:
    if not may_run(user):
        raise NotAllowed("Marketers, marketing managers, revenue leaders and administrators create campaigns.")
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"campaign_create got {', '.join(sorted(unknown))}")
    if user.role == Role.MARKETER:
        data["owner"] = user  # a marketer runs what they create; a manager may hand it to someone else
    data.setdefault("owner", user if user.role in RUNNERS - {Role.ADMIN} else None)
    _check_fields(data, None)
    campaign = Campaign(**data)
    campaign.full_clean(validate_constraints=False)
    campaign.save()
    return campaign


def campaign_update(*, user: User, campaign_id: int, **data) -> Campaign:
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if not may_run(user, campaign):
            raise NotAllowed("A campaign is changed by its owner, a marketing manager, a revenue leader or an admin.")
        if campaign.status in FINAL:
            raise WrongStatus(
                f"A {campaign.status} campaign is history: it is not changed.", campaign_status=campaign.status
            )
        if "owner" in data and user.role == Role.MARKETER:
            raise NotAllowed("Handing a campaign to someone else is a marketing manager's call.")
        if "currency" in data and data["currency"] != campaign.currency and campaign.spend_entries.exists():
            raise ValidationError({"currency": f"Spend is already recorded in {campaign.currency}."})
        _check_fields(data, campaign)
        for field, value in data.items():
            setattr(campaign, field, value)
        campaign.full_clean(validate_constraints=False)
        campaign.save()
    return campaign


def campaign_spend_record(
    *, user: User, campaign_id: int, spent_on: date, amount: Decimal, currency: str = "", note: str = ""
) -> CampaignSpend:
    """Adds one line of cost. The amount is positive, in the campaign's currency, dated inside the campaign's
    dates and not in the future (spend records what was paid, budgets what is planned)."""
    if user.role not in SPEND_RECORDERS and not user.is_superuser:
        raise NotAllowed("Spend is recorded by marketing, its managers, revenue leaders and integrations.")
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if user.role == Role.MARKETER and campaign.owner_id != user.pk:
            raise NotAllowed("A marketer records spend on the campaigns they own.")
        errors = _spend_problems(campaign, spent_on, amount, currency or campaign.currency)
        if errors:
            raise ValidationError(errors)
        metric_days_changed(moments=[spent_on], cause="campaign spend")
        return CampaignSpend.objects.create(
            campaign=campaign,
            spent_on=spent_on,
            amount=amount,
            currency=campaign.currency,
            note=note.strip(),
            recorded_by=user,
        )


def _spend_problems(campaign: Campaign, spent_on: date, amount: Decimal, currency: str) -> dict[str, str]:
    errors = {}
    if not Decimal(0) < amount <= MAX_AMOUNT:
        errors["amount"] = f"A spend is more than 0 and at most {MAX_AMOUNT:,}; got {amount}."
    if currency != campaign.currency:
        errors["currency"] = f"{campaign.name} keeps its books in {campaign.currency}; record the spend in it."
    today_somewhere = (timezone.now() + MAX_UTC_OFFSET).date()
    if spent_on > today_somewhere:
        errors["spent_on"] = "Spend records what was paid: the date cannot be in the future."
    elif (campaign.starts_on and spent_on < campaign.starts_on) or (campaign.ends_on and spent_on > campaign.ends_on):
        errors["spent_on"] = (
            f"{spent_on} is outside the campaign's dates ({campaign.starts_on or '…'} to {campaign.ends_on or '…'})."
        )
    return errors


def campaign_spend_delete(*, user: User, spend_id: int) -> None:
    with transaction.atomic():
        spend = CampaignSpend.objects.select_for_update().select_related("campaign").get(pk=spend_id)
        if not may_run(user, spend.campaign) and spend.recorded_by_id != user.pk:
            raise NotAllowed("A spend line is removed by whoever recorded it or may change the campaign.")
        spend.delete()
        metric_days_changed(moments=[spend.spent_on], cause="campaign spend removed")


def _move(campaign: Campaign, to: str, allowed_from: tuple[str, ...]) -> None:
    if campaign.status not in allowed_from:
        raise WrongStatus(
            f"{campaign.name} is {campaign.get_status_display().lower()}; "
            f"it cannot become {CampaignStatus(to).label.lower()}.",
            campaign_status=campaign.status,
        )
    campaign.status = to
    campaign.save(update_fields=["status"])
    if to == CampaignStatus.ACTIVE:
        part = {"id": campaign.pk, "name": campaign.name, "channel": campaign.channel, "owner": campaign.owner_id}
        webhook_event_emit(type=EventType.CAMPAIGN_ACTIVATED, data={"campaign": part})


def campaign_submit_for_preview(*, user: User, campaign_id: int) -> Campaign:
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if not may_run(user, campaign):
            raise NotAllowed("A campaign is sent to preview by its owner or a marketing manager.")
        _move(campaign, CampaignStatus.AWAITING_PREVIEW, (CampaignStatus.PLANNED,))
    return campaign


def campaign_activate(*, user: User, campaign_id: int) -> Campaign:
    """Starts a campaign that needs no sales preview; one that does goes live when a previewer approves it."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if not may_run(user, campaign):
            raise NotAllowed("A campaign is started by its owner or a marketing manager.")
        if campaign.requires_sales_preview:
            raise WrongStatus(
                f"{campaign.name} requires a sales preview: submit it, and it goes live when sales approves it.",
                campaign_status=campaign.status,
            )
        _move(campaign, CampaignStatus.ACTIVE, (CampaignStatus.PLANNED,))
    return campaign


def campaign_preview_decide(*, user: User, campaign_id: int, decision: str, comments: str = "") -> CampaignPreview:
    """A sales previewer's verdict: approval makes the campaign active; asking for changes (saying which)
    sends it back to planned. Only a campaign awaiting preview can be previewed."""
    if user.role not in PREVIEWERS:  # a decision for sales's people, as signing definitions is
        raise NotAllowed("Sales managers and revenue leaders preview campaigns.")
    if decision not in PreviewDecision.values:
        raise ValidationError({"decision": f"Decide {' or '.join(PreviewDecision.values)}."})
    if decision == PreviewDecision.CHANGES_REQUESTED and not comments.strip():
        raise ValidationError({"comments": "Say which changes sales needs."})
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        approved = decision == PreviewDecision.APPROVED
        _move(
            campaign,
            CampaignStatus.ACTIVE if approved else CampaignStatus.PLANNED,
            (CampaignStatus.AWAITING_PREVIEW,),
        )
        return CampaignPreview.objects.create(
            campaign=campaign, reviewer=user, decision=decision, comments=comments.strip()
        )


def campaign_complete(*, user: User, campaign_id: int) -> Campaign:
    return _finish(user, campaign_id, CampaignStatus.COMPLETED, (CampaignStatus.ACTIVE,))


def campaign_cancel(*, user: User, campaign_id: int) -> Campaign:
    allowed = (CampaignStatus.PLANNED, CampaignStatus.AWAITING_PREVIEW, CampaignStatus.ACTIVE)
    return _finish(user, campaign_id, CampaignStatus.CANCELLED, allowed)


def _finish(user: User, campaign_id: int, to: str, allowed_from: tuple[str, ...]) -> Campaign:
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if not may_run(user, campaign):
            raise NotAllowed("A campaign is ended by its owner or a marketing manager.")
        _move(campaign, to, allowed_from)
    return campaign
