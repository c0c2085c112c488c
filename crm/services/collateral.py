"""Collateral: marketing submits versions, sales reviews each one, and only an approved version is released.

Version statuses: in_review → approved or changes_requested (the reviewer says why); approved → released by
marketing, which supersedes the version released before it. A new version always starts in review.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from crm.choices import CollateralKind, CollateralStatus, PreviewDecision, Segment, Stage
from crm.exceptions import NotAllowed, WrongStatus
from crm.models import Collateral, CollateralVersion
from crm.services.campaigns import may_run

REVIEWERS = frozenset({Role.SALES_REP, Role.SALES_MANAGER, Role.REVENUE_LEADER})


def _check(kind: str, stages: list, segments: list) -> None:
    errors = {}
    if kind not in CollateralKind.values:
        errors["kind"] = f"{kind!r} is not a kind of collateral; use {', '.join(CollateralKind.values)}."
    if not all(stage in Stage.values for stage in stages) or len(set(stages)) < len(stages):
        errors["stages"] = f"Distinct stages from {', '.join(Stage.values)}."
    if not all(segment in Segment.values for segment in segments) or len(set(segments)) < len(segments):
        errors["segments"] = f"Distinct segments from {', '.join(Segment.values)}."
    if errors:
        raise ValidationError(errors)


def collateral_create(
    *,
    user: User,
    title: str,
    kind: str,
    link: str,
    stages: list | None = None,
    segments: list | None = None,
    notes: str = "",
) -> CollateralVersion:
    """A new asset and its first version, straight into sales review."""
    if not may_run(user):
        raise NotAllowed("Marketing creates collateral; sales reviews it.")
    stages, segments = stages or [], segments or []
    _check(kind, stages, segments)
    with transaction.atomic():
        collateral = Collateral(title=title.strip(), kind=kind, stages=stages, segments=segments, owner=user)
        collateral.full_clean()
        collateral.save()
        return CollateralVersion.objects.create(
            collateral=collateral, number=1, link=link, notes=notes.strip(), submitted_by=user
        )


def collateral_version_submit(*, user: User, collateral_id: int, link: str, notes: str = "") -> CollateralVersion:
    with transaction.atomic():
        collateral = Collateral.objects.select_for_update().get(pk=collateral_id)
        if not may_run(user) or (user.role == Role.MARKETER and collateral.owner_id != user.pk):
            raise NotAllowed("A new version comes from the asset's owner or a marketing manager.")
        last = collateral.versions.aggregate(n=Max("number"))["n"] or 0
        return CollateralVersion.objects.create(
            collateral=collateral, number=last + 1, link=link, notes=notes.strip(), submitted_by=user
        )


def collateral_version_review(*, user: User, version_id: int, decision: str, comments: str = "") -> CollateralVersion:
    """Sales's verdict on exactly this version: approval lets marketing release it; changes must say which."""
    if user.role not in REVIEWERS:  # a decision for sales's people, as signing definitions is
        raise NotAllowed("Sales reviews collateral: reps, sales managers and revenue leaders.")
    if decision not in PreviewDecision.values:
        raise ValidationError({"decision": f"Decide {' or '.join(PreviewDecision.values)}."})
    if decision == PreviewDecision.CHANGES_REQUESTED and not comments.strip():
        raise ValidationError({"comments": "Say which changes sales needs."})
    with transaction.atomic():
        version = CollateralVersion.objects.select_for_update().get(pk=version_id)
        if version.status != CollateralStatus.IN_REVIEW:
            raise WrongStatus(
                f"Version {version.number} is {version.status}, not in review.", version_status=version.status
            )
        if version.submitted_by_id == user.pk:
            raise NotAllowed("A version is reviewed by someone other than who submitted it.")
        approved = decision == PreviewDecision.APPROVED
        version.status = CollateralStatus.APPROVED if approved else CollateralStatus.CHANGES_REQUESTED
        version.reviewer, version.reviewed_at, version.review_comments = user, timezone.now(), comments.strip()
        version.save()
    return version


def collateral_version_release(*, user: User, version_id: int) -> CollateralVersion:
    with transaction.atomic():
        version = CollateralVersion.objects.select_for_update().select_related("collateral").get(pk=version_id)
        collateral = Collateral.objects.select_for_update().get(pk=version.collateral_id)
        if not may_run(user) or (user.role == Role.MARKETER and collateral.owner_id != user.pk):
            raise NotAllowed("Collateral is released by its owner or a marketing manager.")
        if version.status != CollateralStatus.APPROVED:
            raise WrongStatus(
                f"Version {version.number} is {CollateralStatus(version.status).label.lower()}: only a version "
                "sales approved can be released.",
                version_status=version.status,
            )
        collateral.versions.filter(status=CollateralStatus.RELEASED).update(status=CollateralStatus.SUPERSEDED)
        version.status, version.released_at = CollateralStatus.RELEASED, timezone.now()
        version.save()
    return version
