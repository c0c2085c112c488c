from crm.models.call_reports import CallReport, CallReportTag
from crm.models.campaigns import Campaign, CampaignPreview, CampaignSpend
from crm.models.collateral import Collateral, CollateralUse, CollateralVersion
from crm.models.directory import Responsibility
from crm.models.records import Company, Contact, RecordMerge
from crm.models.reviews import AccountReview, ActionItem
from crm.models.taxonomy import Tag
from crm.models.touches import Touch

__all__ = [
    "AccountReview",
    "ActionItem",
    "CallReport",
    "CallReportTag",
    "Campaign",
    "CampaignPreview",
    "CampaignSpend",
    "Collateral",
    "CollateralUse",
    "CollateralVersion",
    "Company",
    "Contact",
    "RecordMerge",
    "Responsibility",
    "Tag",
    "Touch",
]
