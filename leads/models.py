from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from accounts.choices import Function
from leads.choices import INITIAL_STAGE, ParticipantRole, Stage

# Who may write what: the editable fields (forms, serializers, lead_update) and the ones only the transition
# service writes. Defined once here so every front door agrees.
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "title", "company_name")
FIT_FIELDS = ("segment", "territory", "industry")
FACT_FIELDS = ("has_budget", "has_authority", "has_need", "has_timeline")
EDITABLE_FIELDS = (
    *CONTACT_FIELDS,
    *FIT_FIELDS,
    "source_campaign",
    "expected_value",
    "gross_margin",
    "currency",
    *FACT_FIELDS,
)
FUNNEL_FIELDS = ("stage", "owner", "team", "owning_function", "stage_entered_at", "outcome_reason")
# Hidden from users who see a lead's marketing data only (leads.selectors), in every text derived from them too.
SALES_ONLY_FIELDS = ("expected_value", "gross_margin", "currency", *FACT_FIELDS, "phone")


class Lead(models.Model):
    """A person or organisation travelling the funnel: one record from awareness to purchase.

    `stage`, `owner`, `team` and `owning_function` change only through funnel.services.lead_transition (the one
    door); every form and serializer treats them as read-only.
    """

    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    email_normalized = models.CharField(max_length=254, blank=True, editable=False)
    phone = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=100, blank=True)
    company = models.ForeignKey("crm.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="leads")
    company_name = models.CharField(max_length=200, blank=True, help_text="As captured; the company record is linked.")
    contacts = models.ManyToManyField("crm.Contact", blank=True, related_name="leads")
    segment = models.CharField(max_length=16, blank=True)
    territory = models.CharField(max_length=50, blank=True)
    industry = models.CharField(max_length=100, blank=True)

    stage = models.CharField(max_length=16, choices=Stage.choices, default=INITIAL_STAGE, editable=False)
    stage_entered_at = models.DateTimeField(editable=False)
    owning_function = models.CharField(max_length=16, choices=Function.choices, editable=False)
    # No single-column indexes on owner, team and source campaign: lead_owner_id, lead_team_id and
    # lead_campaign_id lead with the same column and serve every look-up by it, and each index more is one
    # more write on every captured lead and every move.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        editable=False,
        db_index=False,
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        editable=False,
        db_index=False,
    )
    outcome_reason = models.CharField(
        max_length=500, blank=True, editable=False, help_text="Why the lead was lost or sent to nurture."
    )
    source_campaign = models.ForeignKey(
        "crm.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="sourced_leads", db_index=False
    )

    expected_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    gross_margin = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Expected gross margin (revenue less cost of goods); at purchase it is credited with the revenue.",
    )
    currency = models.CharField(max_length=3, default="USD")
    has_budget = models.BooleanField(null=True, blank=True, help_text="Budget confirmed (true), ruled out (false).")
    has_authority = models.BooleanField(null=True, blank=True, help_text="We talk to someone who can decide.")
    has_need = models.BooleanField(null=True, blank=True, help_text="A need our product meets is confirmed.")
    has_timeline = models.BooleanField(null=True, blank=True, help_text="A buying timeline is confirmed.")
    score = models.PositiveSmallIntegerField(default=0, help_text="Lead score 0–100 (set by scoring).")

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # Keyset pages of the list, filtered or not, walk one of these in id order.
            models.Index(fields=["stage", "-id"], name="lead_stage_id"),
            models.Index(fields=["owner", "-id"], name="lead_owner_id"),
            models.Index(fields=["team", "-id"], name="lead_team_id"),
            models.Index(fields=["source_campaign", "-id"], name="lead_campaign_id"),
            models.Index(fields=["owning_function", "-id"], name="lead_function_id"),
            models.Index(fields=["created_at"], name="lead_created"),
            # The lead list's other orders, walked by keyset: by name, by score.
            models.Index(fields=["last_name", "first_name", "id"], name="lead_name_order"),
            models.Index(fields=["-score", "-id"], name="lead_score_order"),
            # The board: a person's leads in one stage, most recently moved first.
            models.Index(fields=["owner", "stage", "-stage_entered_at"], name="lead_owner_stage_time"),
            # Name and company search is a substring match; trigram indexes keep it off a sequential scan.
            GinIndex(OpClass(Upper("last_name"), name="gin_trgm_ops"), name="lead_last_name_trgm"),
            GinIndex(OpClass(Upper("first_name"), name="gin_trgm_ops"), name="lead_first_name_trgm"),
            GinIndex(OpClass(Upper("company_name"), name="gin_trgm_ops"), name="lead_company_name_trgm"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["email_normalized"], condition=~Q(email_normalized=""), name="lead_email_unique"
            ),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="lead_stage_valid"),
            models.CheckConstraint(condition=Q(owning_function__in=Function.values), name="lead_function_valid"),
            models.CheckConstraint(condition=Q(score__lte=100), name="lead_score_range"),
            models.CheckConstraint(
                condition=Q(expected_value__isnull=True) | Q(expected_value__gte=0), name="lead_value_not_negative"
            ),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="lead_currency_iso"),
            # A margin is part of the revenue: never below zero, never above the value it is part of.
            models.CheckConstraint(
                condition=Q(gross_margin__isnull=True)
                | (
                    Q(gross_margin__gte=0)
                    & (Q(expected_value__isnull=True) | Q(gross_margin__lte=models.F("expected_value")))
                ),
                name="lead_margin_within_value",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        margin, value = self.gross_margin, self.expected_value
        if margin is not None and (margin < 0 or (value is not None and margin > value)):
            raise ValidationError(
                {"gross_margin": "The gross margin is part of the value: from 0 up to the expected value."}
            )

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class LeadParticipant(models.Model):
    """Someone involved in a lead besides its owner, e.g. a revenue leader pulled in by an escalation rule."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lead_participations")
    role = models.CharField(max_length=16, choices=ParticipantRole.choices)
    reason = models.CharField(max_length=300, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lead", "user"], name="lead_participant_once")]

    def __str__(self) -> str:
        return f"{self.user} on {self.lead}"


class OwnerStageCount(models.Model):
    """How many leads each person owns in each stage, kept by the database itself: a trigger on leads_lead
    (migration 0006) adjusts the row on every insert, delete and change of owner or stage, however it is made
    (the one door, the admin, a bulk load). Boards, workloads and home pages read these rows instead of
    counting a million leads."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=16, choices=Stage.choices)
    n = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "stage"], name="owner_stage_count_once")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.stage}: {self.n}"


# Scoring and imports are sub-packages; their models register under this app by being imported here.
from leads.imports.models import ImportJob, ImportRow, ImportSource  # noqa: E402
from leads.scoring.models import LeadScore, LeadScoreChange, ScoringModelVersion  # noqa: E402

__all__ = [
    "ImportJob",
    "ImportRow",
    "ImportSource",
    "Lead",
    "LeadParticipant",
    "LeadScore",
    "LeadScoreChange",
    "OwnerStageCount",
    "ScoringModelVersion",
]
