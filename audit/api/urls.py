from audit.api.views import AuditEntryViewSet
from config.routers import Router

router = Router()
router.register("audit", AuditEntryViewSet, basename="audit-entry")

urlpatterns = router.urls
