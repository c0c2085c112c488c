from django.urls import path

from leads.imports import views

urlpatterns = [
    path("imports/", views.import_page, name="import"),
    path("imports/<int:job_id>/", views.import_job_page, name="import-job"),
    path("imports/<int:job_id>/progress/", views.import_job_progress, name="import-job-progress"),
    path("imports/<int:job_id>/map/", views.import_job_map_page, name="import-job-map"),
    path("imports/<int:job_id>/run/", views.import_job_run_page, name="import-job-run"),
]
