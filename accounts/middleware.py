from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from accounts.models import ApiToken
from accounts.scopes import write_answer_scope, write_answer_withheld


class TeamTimezoneMiddleware:
    """Shows every moment of the web UI in the signed-in person's team's time zone (the zone their working
    hours and SLA clocks already count in); UTC for anyone without a team. The API always speaks UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        zone = None
        if not request.path.startswith("/api/") and user is not None and user.is_authenticated and user.team_id:
            try:
                zone = ZoneInfo(user.team.time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                zone = None
        if zone is not None:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class WriteAnswerScopeMiddleware:
    """Cuts a write's answer to the ids of what it wrote when the request's token lacks the resource's read scope
    (accounts.scopes.write_answer_withheld): `leads:write` alone must not read a lead by patching it. Every API
    view's answer passes here unrendered (DRF's Response is a template response), so no view can forget it.
    Session users are limited by their role, not by scopes, and get the whole answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_template_response(self, request, response):
        context = getattr(response, "renderer_context", None) or {}
        api_request, view = context.get("request"), context.get("view")
        token = getattr(api_request, "auth", None)
        if not isinstance(token, ApiToken) or not 200 <= response.status_code < 300:
            return response
        scope = write_answer_scope(view, api_request.method)
        if scope is not None and scope not in token.scopes:
            response.data = write_answer_withheld(response.data, scope)
        return response
