from crm.models.call_reports import CallReport
from crm.models.campaigns import Campaign, CampaignPreview, CampaignSpend
from crm.models.collateral import Collateral, CollateralUse, CollateralVersion
from crm.models.records import Company, Contact
from crm.models.touches import Touch

__all__ = [
    "CallReport",
    "Campaign",
    "CampaignPreview",
    "CampaignSpend",
    "Collateral",
    "CollateralUse",
    "CollateralVersion",
    "Company",
    "Contact",
    "Touch",
]
