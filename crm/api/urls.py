from config.routers import Router
from crm.api import directory_views, record_views, review_views, taxonomy_views, views

router = Router()
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("campaign-spend", views.SpendViewSet, basename="campaign-spend")
router.register("collateral", views.CollateralViewSet, basename="collateral")
router.register("collateral-versions", views.CollateralVersionViewSet, basename="collateral-version")
router.register("companies", record_views.CompanyViewSet, basename="company")
router.register("contacts", record_views.ContactViewSet, basename="contact")
router.register("responsibilities", directory_views.ResponsibilityViewSet, basename="responsibility")
router.register("tags", taxonomy_views.TagViewSet, basename="tag")
router.register("account-reviews", review_views.ReviewViewSet, basename="account-review")
router.register("action-items", review_views.ActionItemViewSet, basename="action-item")

urlpatterns = router.urls
