from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from crm.choices import CollateralStatus
from crm.models import Campaign, CampaignPreview, CampaignSpend, Collateral, CollateralVersion


def _spent() -> Coalesce:
    # A subquery, not a join: joining spend and touches in one query would multiply both sums.
    total = (
        CampaignSpend.objects.filter(campaign=OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(total), Value(0), output_field=DecimalField(max_digits=16, decimal_places=2))


def campaign_list() -> QuerySet[Campaign]:
    """Every campaign (both teams see all of them), with `spent`: the sum of its spend entries."""
    return Campaign.objects.select_related("owner").annotate(spent=_spent())


def campaign_spend_list(*, campaign: Campaign) -> QuerySet[CampaignSpend]:
    return CampaignSpend.objects.filter(campaign=campaign).select_related("recorded_by")


def campaign_preview_list(*, campaign: Campaign) -> QuerySet[CampaignPreview]:
    return CampaignPreview.objects.filter(campaign=campaign).select_related("reviewer")


def campaign_spend_all() -> QuerySet[CampaignSpend]:
    return CampaignSpend.objects.select_related("campaign")


def collateral_list() -> QuerySet[Collateral]:
    released = CollateralVersion.objects.filter(collateral=OuterRef("pk"), status=CollateralStatus.RELEASED)
    return Collateral.objects.select_related("owner").annotate(released_version=Subquery(released.values("pk")[:1]))


def collateral_version_list() -> QuerySet[CollateralVersion]:
    return CollateralVersion.objects.select_related("collateral", "submitted_by", "reviewer")
