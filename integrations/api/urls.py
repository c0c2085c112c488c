from config.routers import Router
from integrations.api import views

router = Router()
router.register("webhook-subscriptions", views.SubscriptionViewSet, basename="webhook-subscription")
router.register("webhook-deliveries", views.DeliveryViewSet, basename="webhook-delivery")

urlpatterns = router.urls
