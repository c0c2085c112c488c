from django.apps import AppConfig


class FunnelConfig(AppConfig):
    name = "funnel"
    verbose_name = "Shared funnel"

    def ready(self) -> None:
        # leads may not import funnel: a bulk import reaches the capture policy and the one door through the
        # hooks leads.imports declares, filled here.
        from funnel.services import imports
        from leads.imports import hooks

        hooks.register(capture=imports.leads_capture_many, stage=imports.lead_stage_request)
