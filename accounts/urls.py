from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import token_views, views

urlpatterns = [
    path("system/", views.system_status, name="system-status"),
    path("system/tokens/", token_views.token_page, name="token-list"),
    path("system/tokens/<int:token_id>/revoke/", token_views.token_revoke, name="token-revoke"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
