from django.db import models


class HandoffStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class SlaKind(models.TextChoices):
    ACCEPT = "accept", "Accept or reject"
    FIRST_TOUCH = "first_touch", "First touch"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class SlaClock(models.TextChoices):
    WORKING_HOURS = "working", "Receiving team's working hours"
    ROUND_THE_CLOCK = "clock", "Round the clock"
