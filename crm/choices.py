from django.db import models


class Segment(models.TextChoices):
    ENTERPRISE = "enterprise", "Enterprise"
    MID_MARKET = "mid_market", "Mid-market"
    SMB = "smb", "Small business"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    PAID_SEARCH = "paid_search", "Paid search"
    SOCIAL = "social", "Social"
    EVENT = "event", "Event"
    WEBINAR = "webinar", "Webinar"
    CONTENT = "content", "Content"
    PARTNER = "partner", "Partner"
    OUTBOUND = "outbound", "Outbound"


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"


class InteractionChannel(models.TextChoices):
    CALL = "call", "Call"
    VISIT = "visit", "Visit"
    VIDEO = "video", "Video"
    EMAIL = "email", "Email"
    EVENT = "event", "Event"
