"""The product's URLs plus /bench/hello/ and /bench/bare-leads/; used only with bench.bench_settings."""

from django.urls import include, path

from bench.views import BareLeadListView, BareTransitionView, HelloView

urlpatterns = [
    path("bench/hello/", HelloView.as_view()),
    path("bench/bare-leads/", BareLeadListView.as_view()),
    path("bench/bare-leads/<int:pk>/transition/", BareTransitionView.as_view()),
    path("", include("config.urls")),
]

handler404 = "config.problems.not_found"
handler500 = "config.problems.server_error"
