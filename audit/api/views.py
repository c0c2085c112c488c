from rest_framework import mixins, viewsets
from rest_framework.exceptions import NotFound

from audit.api.serializers import AuditEntrySerializer
from audit.filters import AuditFilter
from audit.models import AuditEntry
from audit.selectors import audit_entry_list, may_read_audit
from config.schema import problems


class AuditEntryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Who changed what and when on leads, definitions and their versions, handoff rules, scoring versions,
    shared targets and API tokens, newest first. Administrators only: for anyone else it does not exist."""

    serializer_class = AuditEntrySerializer
    filterset_class = AuditFilter
    scope_resource = "audit"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not may_read_audit(request.user):
            raise NotFound("No such resource.")  # as if it did not exist, like any unknown URL

    @problems(404)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditEntry.objects.none()
        return audit_entry_list(user=self.request.user)
