"""A digest delivered to the marketers of the segments it concerns: an in-app notification and an e-mail each.

A marketer is concerned with a segment when a directory line (crm.Responsibility) names them its marketer; a
line with a blank segment concerns every segment. Marketing managers get every segment of the digest. A
digest that concerns no segment (no report named one) still goes to marketing managers and to marketers of
blank-segment lines, with the overall top items.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from accounts.services import notification_send
from crm.choices import Segment, TagKind
from crm.models import Responsibility
from funnel.insight import selectors
from funnel.insight.models import Digest, DigestDelivery

EMAIL_TOP = 3  # top objections and competitors per segment in the e-mail


def digest_recipients(*, segments: list[str]) -> dict[int, list[str]]:
    """User id → the digest's segments that concern them, for every active recipient."""
    concerned: dict[int, set[str]] = {}
    lines = Responsibility.objects.filter(marketer__isnull=False, marketer__is_active=True).filter(
        Q(segment="") | Q(segment__in=segments)
    )
    for marketer_id, segment in lines.values_list("marketer_id", "segment"):
        concerned.setdefault(marketer_id, set()).update([segment] if segment else segments)
    managers = User.objects.filter(role=Role.MARKETING_MANAGER, is_active=True).values_list("pk", flat=True)
    for manager_id in managers:
        concerned.setdefault(manager_id, set()).update(segments)
    return {user_id: sorted(found) for user_id, found in concerned.items()}


def digest_deliver(*, digest_id: int) -> int:
    """Sends the digest to each recipient not yet sent it; returns how many it sent now (0 on a rerun).

    Each recipient in their own transaction: the delivery row is inserted first (a concurrent run blocks on its
    unique key until this one commits, then finds it), then the notification and the e-mail. A failing mail
    server rolls that recipient's row back, so the next run tries them again."""
    digest = Digest.objects.get(pk=digest_id)
    segments = selectors.digest_segments(digest=digest)
    recipients = digest_recipients(segments=segments)
    done = set(DigestDelivery.objects.filter(digest=digest).values_list("recipient_id", flat=True))
    people = User.objects.in_bulk([pk for pk in recipients if pk not in done])
    sent = 0
    for user_id, user in sorted(people.items()):
        try:
            with transaction.atomic():
                DigestDelivery.objects.create(
                    digest=digest, recipient=user, segments=recipients[user_id], sent_at=timezone.now()
                )
                _send(digest, user, recipients[user_id])
        except IntegrityError:  # a concurrent run delivered it first
            continue
        sent += 1
    return sent


def digest_url(digest: Digest) -> str:
    query = urlencode({"period_kind": digest.period_kind, "period_start": digest.period_start.isoformat()})
    return f"{reverse('insights')}?{query}"


def _send(digest: Digest, user: User, segments: list[str]) -> None:
    url = digest_url(digest)
    title = f"Insight digest: {digest.get_period_kind_display().lower()} of {digest.period_start:%-d %b %Y}"
    notification_send(
        recipient=user,
        kind="insight_digest",
        subject_type="funnel.digest",
        subject_id=digest.pk,
        message=f"{title} — {digest.report_count} call reports; top objections and competitors for your segments.",
        url=url,
    )
    context = {
        "user": user,
        "digest": digest,
        "title": title,
        "link": settings.SITE_URL.rstrip("/") + url,
        "sections": _sections(digest, segments),
    }
    message = EmailMultiAlternatives(
        subject=title,
        body=render_to_string("funnel/insight_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(render_to_string("funnel/insight_email.html", context), "text/html")
    if user.email:
        message.send()


def _sections(digest: Digest, segments: list[str]) -> list[dict]:
    """(heading, top objections, top competitors) per segment of theirs; overall when they have none."""
    labels = dict(Segment.choices)
    if not segments:
        tops = {"": selectors.digest_top(digest=digest, top=EMAIL_TOP)}
    else:
        tops = selectors.digest_top_by_segment(digest=digest, segments=segments, top=EMAIL_TOP)
    return [
        {
            "heading": labels.get(segment, "All reports"),
            "objections": kinds[TagKind.OBJECTION],
            "competitors": kinds[TagKind.COMPETITOR],
        }
        for segment, kinds in tops.items()
    ]
