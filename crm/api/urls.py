from config.routers import Router
from crm.api import views

router = Router()
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("campaign-spend", views.SpendViewSet, basename="campaign-spend")
router.register("collateral", views.CollateralViewSet, basename="collateral")
router.register("collateral-versions", views.CollateralVersionViewSet, basename="collateral-version")

urlpatterns = router.urls
