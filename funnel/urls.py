"""Web UI routes of the funnel (lead list, lead detail with its transition form, handoff inbox)."""

urlpatterns: list = []
