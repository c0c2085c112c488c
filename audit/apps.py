from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from audit import jobs  # noqa: F401 - connects the Celery signals that name a job as the actor
