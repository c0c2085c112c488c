from django.urls import path

from config.routers import Router
from leads.api.touch_views import TouchViewSet
from leads.imports.api import ImportErrorsFile, ImportJobViewSet, ImportSourceViewSet
from leads.scoring.api import LeadScoreViewSet, ScoringVersionViewSet

router = Router()
router.register("touches", TouchViewSet, basename="touch")
router.register("scoring-versions", ScoringVersionViewSet, basename="scoring-version")
router.register("lead-scores", LeadScoreViewSet, basename="lead-score")
router.register("imports", ImportJobViewSet, basename="import")
router.register("import-sources", ImportSourceViewSet, basename="import-source")

urlpatterns = [
    # The errors of an import as a file name, without the router's trailing slash.
    path("imports/<int:pk>/errors.csv", ImportErrorsFile.as_view({"get": "errors_csv"}), name="import-errors-file"),
    *router.urls,
]
