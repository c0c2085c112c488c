from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.health import healthz
from config.problems import api_not_found

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("crm.api.urls")),
    path("", include("leads.api.urls")),
    path("", include("funnel.api.urls")),
    path("", include("audit.api.urls")),
    path("", include("integrations.api.urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Any other /api/ URL: a problem document even with DEBUG on (whose 404 page is HTML).
    re_path(r"^api/", api_not_found),
    path("", include("accounts.urls")),
    path("", include("funnel.urls")),
    path("", include("leads.imports.urls")),
    path("", include("audit.urls")),
]

handler400 = "config.problems.bad_request"
handler403 = "config.problems.permission_denied"
handler404 = "config.problems.not_found"
handler500 = "config.problems.server_error"
