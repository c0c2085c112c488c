"""The transactional outbox: a change's side effects are rows written in the change's transaction, handed to
Celery after commit by the relay (`manage.py outbox_relay`, woken by the NOTIFY the insert trigger sends at
commit) and by a sweep each minute, so a request never talks to the broker and a broker outage loses nothing."""

from functools import partial

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import KombuError

from integrations.models import OutboxMessage


class BrokerUnavailable(Exception):
    """The broker refused a message; what was not sent stays pending for the next pass."""


def outbox_emit(*, task: str, **kwargs) -> OutboxMessage:
    """Writes the side effect `task(**kwargs)` with the caller's change; it runs only if that change commits.

    The task must be safe to run twice: a relay that dies after publishing and before marking publishes again.
    """
    _task(task)  # a typo must fail the change, not the relay
    message = OutboxMessage.objects.create(task=task, kwargs=kwargs)
    if current_app.conf.task_always_eager:
        # No broker and no relay (tests, a single-process setup): publish this one right after commit.
        transaction.on_commit(partial(outbox_publish, ids=[message.pk]))
    return message


def _task(name: str):
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()  # registers every app's tasks (autodiscovery is lazy)
        if name not in current_app.tasks:
            raise LookupError(f"No Celery task is named {name!r}.")
    return current_app.tasks[name]


def outbox_publish(*, ids: list[int] | None = None, limit: int = 500, older_than_seconds: int = 0) -> int:
    """Publishes up to `limit` pending messages in id order and marks them; returns how many.

    Rows are locked with SKIP LOCKED, so two relays (or the relay and the sweep) never send one row at the same
    time. Raises BrokerUnavailable after marking what went out before the broker failed. With eager Celery the
    tasks run here, after the rows are marked and outside their transaction, as a worker would run them.
    """
    eager = current_app.conf.task_always_eager
    with transaction.atomic():
        rows = _pending(ids, limit, older_than_seconds)
        sent: list[OutboxMessage] = []
        failure = None
        for row in rows:
            try:
                if not eager:
                    # No kombu retry loop: the relay backs off itself and the row stays pending meanwhile.
                    _task(row.task).apply_async(kwargs=row.kwargs, retry=False)
            except (KombuError, OSError) as error:  # the transport's errors: each means "not sent"
                failure = error
                OutboxMessage.objects.filter(pk=row.pk).update(
                    attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:500]
                )
                break
            sent.append(row)
        published = [row.pk for row in sent]
        OutboxMessage.objects.filter(pk__in=published).update(published_at=timezone.now(), attempts=F("attempts") + 1)
    if failure is not None:
        raise BrokerUnavailable(str(failure)) from failure
    if eager:
        for row in sent:
            _task(row.task).apply_async(kwargs=row.kwargs)
    return len(sent)


def _pending(ids: list[int] | None, limit: int, older_than_seconds: int) -> list[OutboxMessage]:
    pending = OutboxMessage.objects.select_for_update(skip_locked=True).filter(published_at__isnull=True)
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    if older_than_seconds:
        pending = pending.filter(created_at__lt=timezone.now() - timezone.timedelta(seconds=older_than_seconds))
    return list(pending.order_by("id")[:limit])


def outbox_prune(*, older_than_days: int = 7) -> int:
    """Deletes published messages older than the window: they are a log, not a record."""
    cutoff = timezone.now() - timezone.timedelta(days=older_than_days)
    deleted, _ = OutboxMessage.objects.filter(published_at__lt=cutoff).delete()
    return deleted
