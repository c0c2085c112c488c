from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone


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
