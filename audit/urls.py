from django.urls import path

from audit import views

urlpatterns = [path("system/audit/", views.audit_log, name="audit-log")]
