from config.routers import Router
from leads.api.touch_views import TouchViewSet
from leads.scoring.api import LeadScoreViewSet, ScoringVersionViewSet

router = Router()
router.register("touches", TouchViewSet, basename="touch")
router.register("scoring-versions", ScoringVersionViewSet, basename="scoring-version")
router.register("lead-scores", LeadScoreViewSet, basename="lead-score")

urlpatterns = router.urls
