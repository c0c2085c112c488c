from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    """A side effect of a change (a Celery task and its arguments), written in the change's own transaction.

    A change that rolls back leaves no message; a committed one is handed to the broker by the relay
    (`integrations.outbox`) after commit, however long the broker is away. Every task an outbox names is safe
    to run twice, because a relay that dies between publishing and marking publishes again.
    """

    task = models.CharField(max_length=120)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The relay reads only what waits; published rows are the bulk of the table.
            models.Index(fields=["id"], condition=Q(published_at__isnull=True), name="outbox_pending"),
            models.Index(fields=["published_at"], name="outbox_published_at"),
        ]

    def __str__(self) -> str:
        return f"{self.task}({self.kwargs}) {'published' if self.published_at else 'pending'}"
