from django.urls import path

from accounts.api import views
from config.routers import Router

router = Router()
router.register("users", views.UserViewSet, basename="user")
router.register("teams", views.TeamViewSet, basename="team")
router.register("tokens", views.ApiTokenViewSet, basename="token")
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = [path("me/", views.MeView.as_view(), name="me"), *router.urls]
