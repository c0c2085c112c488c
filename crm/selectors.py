from django.db.models import DecimalField, F, Func, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Lower

from crm.choices import CollateralStatus
from crm.models import (
    Campaign,
    CampaignPreview,
    CampaignSpend,
    Collateral,
    CollateralVersion,
    Company,
    Contact,
    RecordMerge,
)


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


# Companies and contacts --------------------------------------------------------------------------------------


def company_list(
    *,
    search: str = "",
    segment: str = "",
    territory: str = "",
    is_key_account: bool | None = None,
    tier: int | None = None,
    owner_id: int | None = None,
) -> QuerySet[Company]:
    """Companies (every one, to both teams), by name; `search` matches the name or the domain."""
    companies = Company.objects.select_related("owner")
    if search:
        companies = companies.filter(Q(name__icontains=search) | Q(domain__icontains=search.lower()))
    if segment:
        companies = companies.filter(segment=segment)
    if territory:
        companies = companies.filter(territory__iexact=territory)
    if is_key_account is not None:
        companies = companies.filter(is_key_account=is_key_account)
    if tier is not None:
        companies = companies.filter(key_account_tier=tier)
    if owner_id is not None:
        companies = companies.filter(owner_id=owner_id)
    return companies


def company_territories() -> list[str]:
    return list(
        Company.objects.exclude(territory="").order_by("territory").values_list("territory", flat=True).distinct()
    )


def _bare_domain(expression) -> Func:
    # What domain_normalize would make of a stored domain, for rows written before normalisation.
    return Func(
        Lower(expression), Value(r"^([a-z]+://)?(www\.)?|[/:].*$|\.$"), Value(""), Value("g"), function="regexp_replace"
    )


def company_duplicates_of(*, company: Company) -> QuerySet[Company]:
    """Other companies that look like this one: the same domain once normalised, or the same name ignoring case."""
    same = Q(lower_name=company.name.lower())
    if company.domain:
        same |= Q(bare_domain=company.domain.lower())
    return (
        Company.objects.exclude(pk=company.pk)
        .annotate(lower_name=Lower("name"), bare_domain=_bare_domain(F("domain")))
        .filter(same)
        .select_related("owner")
    )


def contact_list(*, search: str = "", company_id: int | None = None, buying_role: str = "") -> QuerySet[Contact]:
    """Contacts, by name; `search` matches first or last name, e-mail or title."""
    contacts = Contact.objects.select_related("company")
    if search:
        contacts = contacts.filter(
            Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(email__icontains=search)
            | Q(title__icontains=search)
        )
    if company_id is not None:
        contacts = contacts.filter(company_id=company_id)
    if buying_role:
        contacts = contacts.filter(buying_role=buying_role)
    return contacts


def contact_duplicates_of(*, contact: Contact) -> QuerySet[Contact]:
    """Other contacts that look like this one: the same e-mail ignoring case, or the same name at the same company."""
    same = Q(first_name__iexact=contact.first_name, last_name__iexact=contact.last_name)
    if contact.company_id:  # a namesake at another company is another person; one with no company may not be
        same &= Q(company_id=contact.company_id) | Q(company__isnull=True)
    if contact.email:
        same |= Q(email__iexact=contact.email)
    return Contact.objects.exclude(pk=contact.pk).filter(same).select_related("company")


def record_merge_list(*, kind: str, kept_id: int) -> QuerySet[RecordMerge]:
    """What was merged into one company or contact, newest first."""
    return RecordMerge.objects.filter(kind=kind, kept_id=kept_id).select_related("merged_by")
