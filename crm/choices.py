from django.db import models


class Segment(models.TextChoices):
    ENTERPRISE = "enterprise", "Enterprise"
    MID_MARKET = "mid_market", "Mid-market"
    SMB = "smb", "Small business"


class Channel(models.TextChoices):
    EVENT = "event", "Event"
    WEBINAR = "webinar", "Webinar"
    EMAIL = "email", "Email"
    PAID_SEARCH = "paid_search", "Paid search"
    PAID_SOCIAL = "paid_social", "Paid social"
    CONTENT = "content", "Content"
    TRADE_SHOW = "trade_show", "Trade show"
    DIRECT_MAIL = "direct_mail", "Direct mail"
    PARTNER = "partner", "Partner"
    OTHER = "other", "Other"


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    AWAITING_PREVIEW = "awaiting_preview", "Awaiting sales preview"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class PreviewDecision(models.TextChoices):
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


class TouchKind(models.TextChoices):
    VISIT = "visit", "Website visit"
    DOWNLOAD = "download", "Download"
    WEBINAR_REGISTERED = "webinar_registered", "Webinar registered"
    WEBINAR_ATTENDED = "webinar_attended", "Webinar attended"
    EMAIL_OPEN = "email_open", "Email open"
    EMAIL_CLICK = "email_click", "Email click"
    FORM_FILL = "form_fill", "Form fill"
    EVENT_MET = "event_met", "Met at an event"
    AD_CLICK = "ad_click", "Ad click"
    MEETING_BOOKED = "meeting_booked", "Meeting booked"


class InteractionChannel(models.TextChoices):
    CALL = "call", "Call"
    VISIT = "visit", "Visit"
    VIDEO = "video", "Video"
    EMAIL = "email", "Email"
    EVENT = "event", "Event"


class Stage(models.TextChoices):
    """The shared funnel's stages, in order, then the two outcomes beside them."""

    AWARENESS = "awareness", "Awareness"
    INTEREST = "interest", "Interest"
    CONSIDERATION = "consideration", "Consideration"
    INTENT = "intent", "Intent"
    EVALUATION = "evaluation", "Evaluation"
    PURCHASE = "purchase", "Purchase"
    LOST = "lost", "Lost"
    NURTURE = "nurture", "Nurture"


class CollateralKind(models.TextChoices):
    DECK = "deck", "Sales deck"
    CASE_STUDY = "case_study", "Case study"
    PRICE_SHEET = "price_sheet", "Price sheet"
    ONE_PAGER = "one_pager", "One-pager"
    WHITEPAPER = "whitepaper", "Whitepaper"
    DEMO_VIDEO = "demo_video", "Demo video"
    OTHER = "other", "Other"


class CollateralStatus(models.TextChoices):
    IN_REVIEW = "in_review", "In sales review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved by sales"
    RELEASED = "released", "Released"
    SUPERSEDED = "superseded", "Superseded"


class SizeBand(models.TextChoices):
    """Employees, in the bands firmographic data providers use."""

    MICRO = "1-10", "1–10"
    SMALL = "11-50", "11–50"
    MEDIUM = "51-200", "51–200"
    LARGE = "201-1000", "201–1,000"
    XLARGE = "1001-5000", "1,001–5,000"
    HUGE = "5001+", "5,001 and more"


class KeyAccountTier(models.IntegerChoices):
    STRATEGIC = 1, "Tier 1 — strategic"
    MAJOR = 2, "Tier 2 — major"
    GROWTH = 3, "Tier 3 — growth"


# HBR: "marketing is invited to the top-10 key account reviews" — our rule of engagement for the top tiers.
REVIEW_NEEDS_MARKETER_TIERS = frozenset({KeyAccountTier.STRATEGIC, KeyAccountTier.MAJOR})


class BuyingRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", "Decision maker"
    INFLUENCER = "influencer", "Influencer"
    CHAMPION = "champion", "Champion"
    USER = "user", "User"
    BLOCKER = "blocker", "Blocker"


class TagKind(models.TextChoices):
    """The managed taxonomies a call report's typed fields choose from."""

    NEED = "need", "Need"
    OBJECTION = "objection", "Objection"
    COMPETITOR = "competitor", "Competitor"
    FEEDBACK = "feedback", "Product feedback"
    PRODUCT = "product", "Product"


class TagStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    SUGGESTED = "suggested", "Suggested by a rep"
    REJECTED = "rejected", "Rejected"


class InterestLevel(models.TextChoices):
    NONE = "none", "None"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


class MergeKind(models.TextChoices):
    COMPANY = "company", "Company"
    CONTACT = "contact", "Contact"
