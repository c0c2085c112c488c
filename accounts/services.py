import hashlib
import hmac
import secrets
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import QueryDict
from django.utils import timezone

from accounts.choices import Role
from accounts.exceptions import TokenRefused
from accounts.models import ApiToken, Notification, SavedView, User, WorkerHeartbeat
from accounts.scopes import SCOPES

TOKEN_PREFIX = "crm_"
PREFIX_LENGTH = 12  # secrets.token_hex(6)
HEX_DIGITS = frozenset("0123456789abcdef")


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(
    *, user: User, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Creates a token and returns it with its plaintext, which is shown once and never stored.

    Checks only the token itself; who may issue one to whom is `api_token_issue`'s rule (tests and the
    benchmark call this directly to give any person a token)."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationError({"scopes": f"Unknown scope(s): {', '.join(unknown)}."})
    if not scopes:
        raise ValidationError({"scopes": "A token needs at least one scope."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        key_hash=_hash_secret(secret),
        scopes=[scope for scope in SCOPES if scope in set(scopes)],
        expires_at=expires_at,
    )
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


def api_token_issue(
    *, actor: User, user: User, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """An administrator issues a token to an active integration user (people sign in; systems hold tokens).
    Raises PermissionDenied for anyone else, ValidationError for another user, scope or a past expiry."""
    if not actor.is_administrator:
        raise PermissionDenied("Only administrators issue API tokens.")
    if user.role != Role.INTEGRATION or not user.is_active:
        raise ValidationError({"user": f"{user.username} is not an active integration user."})
    return api_token_create(user=user, name=name, scopes=scopes, expires_at=expires_at)


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revokes a token; revoking twice keeps the first revocation time."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token


def api_token_authenticate(*, raw: str, ip: str | None = None) -> ApiToken:
    """Returns the live token matching `raw` (hashes compared in constant time) and records its use from `ip`.
    Raises TokenRefused saying whether it is unknown, revoked, expired or its user deactivated."""
    prefix, _, secret = raw.removeprefix(TOKEN_PREFIX).partition("_")
    token = None
    # Only a well-formed prefix reaches the database (a NUL or a megabyte of header never does).
    if raw.startswith(TOKEN_PREFIX) and len(prefix) == PREFIX_LENGTH and set(prefix) <= HEX_DIGITS:
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.key_hash, _hash_secret(secret)):
        raise TokenRefused("Invalid API token.")
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenRefused(f"This API token was revoked at {token.revoked_at:%Y-%m-%d %H:%M} UTC.")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRefused(f"This API token expired at {token.expires_at:%Y-%m-%d %H:%M} UTC.")
    if not token.user.is_active:
        raise TokenRefused("This API token's user is deactivated.")
    # Write last use at most once a minute so a busy integration does not turn every read into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip)
        token.last_used_at, token.last_used_ip = now, ip
    return token


def worker_heartbeat_record(*, name: str) -> WorkerHeartbeat:
    """Upserts the heartbeat row; safe to run twice (the counter only says how many runs arrived)."""
    with transaction.atomic():
        beat, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
            name=name, defaults={"beat_at": timezone.now(), "runs": 1}
        )
        if not created:
            WorkerHeartbeat.objects.filter(pk=name).update(beat_at=timezone.now(), runs=F("runs") + 1)
            beat.refresh_from_db()
    return beat


def notification_send(
    *, recipient: User, kind: str, subject_type: str, subject_id: int, message: str, url: str = ""
) -> Notification:
    """Creates the notification once; a repeat (same recipient, kind and subject) returns the first one."""
    notification, _ = Notification.objects.get_or_create(
        recipient=recipient,
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        defaults={"message": message[:500], "url": url},
    )
    return notification


def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Marks the user's unread notifications (all, or those in `ids`) read; returns how many changed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


MAX_SAVED_VIEWS = 30
UNSAVED_PARAMS = frozenset({"cursor"})


def saved_view_save(*, user: User, page: str, name: str, query: QueryDict) -> SavedView:
    """Saves (or overwrites, by name) a list's filters and order; the page position is never saved."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the view a name."})
    kept = query.copy()
    for param in UNSAVED_PARAMS & set(kept):
        del kept[param]
    text = kept.urlencode()
    if len(text) > 1000:
        raise ValidationError({"query": "These filters are too long to save."})
    with transaction.atomic():
        existing = SavedView.objects.select_for_update().filter(user=user, page=page)
        if existing.count() >= MAX_SAVED_VIEWS and not existing.filter(name=name).exists():
            raise ValidationError({"name": f"You have {MAX_SAVED_VIEWS} saved views here; delete one first."})
        view, _ = SavedView.objects.update_or_create(user=user, page=page, name=name[:60], defaults={"query": text})
    return view


def saved_view_delete(*, user: User, view_id: int) -> int:
    """Deletes one of the user's own views; returns how many were deleted (0 if it was not theirs)."""
    deleted, _ = SavedView.objects.filter(user=user, pk=view_id).delete()
    return deleted
