"""Purchases and their attribution: recorded with the move to purchase, credited to touches after commit."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Min

from crm.models import Touch
from funnel.attribution import weights
from funnel.attribution.models import AttributionCredit, Purchase
from funnel.metrics.invalidation import days_changed
from funnel.models import Transition
from integrations.outbox import outbox_emit
from leads.models import Lead

REBUILD_BATCH = 500  # purchases re-credited per transaction by the nightly rebuild
MQL, SQL = "MQL", "SQL"  # the definitions whose first signed use marks the MQL and the opportunity milestones


def _first_use(lead_id: int, code: str):
    used = Transition.objects.filter(lead_id=lead_id, definition_versions__contains=[{"code": code}])
    return used.aggregate(at=Min("occurred_at"))["at"]


def purchase_record(*, lead: Lead, transition: Transition) -> Purchase:
    """Called by the one door inside its transaction when a lead reaches purchase."""

    purchase = Purchase.objects.create(
        lead=lead,
        transition=transition,
        revenue=lead.expected_value,
        gross_margin=lead.gross_margin,
        currency=lead.currency,
        lead_created_at=lead.created_at,
        mql_at=_first_use(lead.pk, MQL),
        sql_at=_first_use(lead.pk, SQL),
        purchased_at=transition.occurred_at,
    )
    outbox_emit(task="funnel.tasks.purchase_attribute", purchase_id=purchase.pk)
    return purchase


def purchase_attribute(*, purchase_id: int) -> int:
    """(Re)computes the purchase's credits under every model; safe to rerun (late touches are picked up).
    Returns how many credit rows it holds."""
    with transaction.atomic():
        count, moved_on = _recredit(purchase_id)
        if moved_on is not None:  # a late touch re-credited it: its period's return on spend moved
            days_changed(moments=[moved_on], cause="attribution")
    return count


def _recredit(purchase_id: int) -> tuple[int, datetime | None]:
    """The purchase's credits written again: how many, and its purchase time when they differ from before."""
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update().get(pk=purchase_id)
        before = _credit_set(purchase)
        AttributionCredit.objects.filter(purchase=purchase).delete()
        if not purchase.revenue:
            return 0, (purchase.purchased_at if before else None)
        touches = list(Touch.objects.filter(lead_id=purchase.lead_id).values_list("id", "occurred_at", "campaign_id"))
        campaign_of = {touch_id: campaign_id for touch_id, _, campaign_id in touches}
        facts = [weights.TouchAt(touch_id, at) for touch_id, at, _ in touches]
        milestones = weights.Milestones(purchase.lead_created_at, purchase.sql_at, purchase.purchased_at)
        credits = []
        for model in weights.MODELS:
            shares = weights.split(model, facts, milestones)
            revenue = weights.allocate(purchase.revenue, shares)
            margin = weights.allocate(purchase.gross_margin or Decimal(0), shares)
            credits += [
                AttributionCredit(
                    purchase=purchase,
                    model=model,
                    touch_id=touch_id,
                    campaign_id=campaign_of[touch_id],
                    share=Decimal(share.numerator) / Decimal(share.denominator),
                    revenue=revenue[touch_id],
                    gross_margin=margin[touch_id],
                )
                for touch_id, share in shares.items()
            ]
        AttributionCredit.objects.bulk_create(credits)
        return len(credits), (purchase.purchased_at if _credit_set(purchase) != before else None)


def _credit_set(purchase: Purchase) -> set[tuple]:
    return set(
        AttributionCredit.objects.filter(purchase=purchase).values_list("model", "touch_id", "revenue", "gross_margin")
    )


def attribution_rebuild() -> int:
    """Every purchase re-credited: after touches arrived late, or a model's conventions changed. Each batch
    commits with one invalidation for the periods whose credits moved (not one message per purchase: a change of
    conventions moves them all)."""
    ids = list(Purchase.objects.order_by("pk").values_list("pk", flat=True))
    total = 0
    for start in range(0, len(ids), REBUILD_BATCH):
        with transaction.atomic():
            results = [_recredit(pk) for pk in ids[start : start + REBUILD_BATCH]]
            days_changed(moments=[moved for _, moved in results if moved is not None], cause="attribution rebuilt")
        total += sum(count for count, _ in results)
    return total
