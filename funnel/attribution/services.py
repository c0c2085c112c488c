"""Purchases and their attribution: recorded with the move to purchase, credited to touches after commit."""

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
        purchase = Purchase.objects.select_for_update().get(pk=purchase_id)
        before = _credit_set(purchase)
        AttributionCredit.objects.filter(purchase=purchase).delete()
        if not purchase.revenue:
            return 0
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
        if _credit_set(purchase) != before:  # a late touch re-credited it: its period's return on spend moved
            days_changed(moments=[purchase.purchased_at], cause="attribution")
        return len(credits)


def _credit_set(purchase: Purchase) -> set[tuple]:
    return set(
        AttributionCredit.objects.filter(purchase=purchase).values_list("model", "touch_id", "revenue", "gross_margin")
    )


def attribution_rebuild() -> int:
    """Every purchase re-credited: after touches arrived late, or a model's conventions changed."""
    return sum(purchase_attribute(purchase_id=pk) for pk in Purchase.objects.values_list("pk", flat=True))
