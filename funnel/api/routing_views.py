"""Routing pools' people: `GET /api/v1/routing/people/?team=` (settings and state now), `PATCH
/api/v1/routing/people/{id}/` (weight, cap, pause, working hours) and `GET /api/v1/routing/share/` (each
person's share of the pool's leads against their weight over a period)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Team, User
from config.pagination import MAX_ID
from config.schema import problems
from funnel.routing import people as routing


class TeamQuerySerializer(serializers.Serializer):
    team = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="A team you can see; default: your own."
    )


class ShareQuerySerializer(TeamQuerySerializer):
    since = serializers.DateField(
        required=False, input_formats=["%Y-%m-%d"], help_text="First day; default 30 days ago."
    )
    until = serializers.DateField(required=False, input_formats=["%Y-%m-%d"], help_text="Last day; default today.")


@extend_schema_field(OpenApiTypes.DECIMAL)
class WeightField(serializers.Field):
    """Passed to the service as sent, so its refusal names the problem (zero, above 10, not a number)."""

    def to_internal_value(self, data):
        return data


@extend_schema_field({"type": "integer", "nullable": True, "minimum": 0})
class CapField(WeightField):
    pass


@extend_schema_field({"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}, "nullable": True})
class DaysField(WeightField):
    pass


class SettingsSerializer(serializers.Serializer):
    routing_weight = WeightField(required=False, help_text="Share of the pool's leads, above 0 and at most 10.")
    routing_cap = CapField(required=False, allow_null=True, help_text="Most handoffs awaiting them; null: no cap.")
    routing_paused = serializers.BooleanField(required=False, help_text="Paused: routing passes them over.")
    time_zone = serializers.CharField(
        required=False, allow_blank=True, max_length=64, help_text="IANA name; blank: the team's."
    )
    work_days = DaysField(required=False, allow_null=True, help_text="0 = Monday … 6 = Sunday; null: the team's.")
    work_starts = serializers.TimeField(required=False, allow_null=True, help_text="Null: the team's.")
    work_ends = serializers.TimeField(required=False, allow_null=True, help_text="Null: the team's.")


class TeamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RoutingPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.pk")
    username = serializers.CharField(source="user.username")
    name = serializers.SerializerMethodField()
    role = serializers.CharField(source="user.role")
    routing_weight = serializers.DecimalField(source="user.routing_weight", max_digits=4, decimal_places=2)
    routing_cap = serializers.IntegerField(source="user.routing_cap", allow_null=True)
    routing_paused = serializers.BooleanField(source="user.routing_paused")
    time_zone = serializers.CharField(source="user.time_zone", help_text="Their own; blank: the team's.")
    work_days = serializers.ListField(child=serializers.IntegerField(), source="user.work_days", allow_null=True)
    work_starts = serializers.TimeField(source="user.work_starts", allow_null=True)
    work_ends = serializers.TimeField(source="user.work_ends", allow_null=True)
    hours = serializers.CharField(help_text='The hours that apply, e.g. "Mon, Tue 09:00–17:00 Europe/Berlin".')
    away_until = serializers.DateTimeField(source="now.away_until", allow_null=True, help_text="Out of office.")
    delegate = serializers.IntegerField(source="now.delegate_id", allow_null=True, help_text="Who stands in.")
    pending = serializers.IntegerField(source="now.pending", help_text="Handoffs awaiting their answer.")
    in_hours = serializers.BooleanField(source="now.in_hours", help_text="Inside their working hours now.")
    available = serializers.BooleanField(help_text="Routing may give them a lead now (hours aside).")
    state = serializers.CharField(help_text='Now in words: "routing paused", "3 of 3 handoffs pending", …')

    @extend_schema_field(OpenApiTypes.STR)
    def get_name(self, obj) -> str:
        return routing.display_name(obj.user)


class RoutingPeopleSerializer(serializers.Serializer):
    team = TeamRefSerializer()
    people = RoutingPersonSerializer(many=True)


class ShareSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    weight = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True, help_text="Null: left.")
    won = serializers.IntegerField(help_text="Leads the pool routed to them in the period.")
    expected = serializers.DecimalField(
        max_digits=5, decimal_places=4, help_text="Their weight over the current members' total, 0 to 1."
    )
    actual = serializers.DecimalField(
        max_digits=5, decimal_places=4, help_text="Their leads over all the pool routed to someone, 0 to 1."
    )


class ShareReportSerializer(serializers.Serializer):
    team = TeamRefSerializer()
    since = serializers.DateField()
    until = serializers.DateField()
    routed = serializers.IntegerField(help_text="Leads the pool routed to someone in the period.")
    queued = serializers.IntegerField(help_text="Leads that went to the team's queue: nobody could take them.")
    people = ShareSerializer(many=True)


def _team(request, team_id: int | None) -> Team:
    """The team asked for if the caller may see its routing (404 otherwise), else the caller's own pool."""
    teams = routing.routing_team_list(user=request.user)
    if team_id is not None:
        team = teams.filter(pk=team_id).first()
        if team is None:
            raise NotFound("No such team (or not one whose routing you can see).")
        return team
    team = routing.default_team(
        user=request.user, teams=teams.filter(Q(manager=request.user) | Q(members=request.user))
    )
    if team is None:
        raise DjangoValidationError({"team": "You belong to no team; name one with ?team=."})
    return team


TEAM = OpenApiParameter("team", int, description="A team you can see; default: the one you manage, else your own.")


class RoutingPeopleView(APIView):
    """A routing pool's people — weights, caps, pauses, working hours — and where each stands now. Managers see
    the teams they answer for, revenue leaders and administrators every team, anyone else their own."""

    scope_resource = "users"

    @extend_schema(parameters=[TEAM], responses=RoutingPeopleSerializer, summary="A team's routing people")
    @problems(404)
    def get(self, request):
        query = TeamQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        team = _team(request, query.validated_data.get("team"))
        body = {"team": team, "people": routing.routing_people(team)}
        return Response(RoutingPeopleSerializer(body).data)


class RoutingPersonView(APIView):
    """One person's routing settings."""

    scope_resource = "users"

    @extend_schema(
        parameters=[OpenApiParameter("user_id", int, OpenApiParameter.PATH, description="The person's user id.")],
        request=SettingsSerializer,
        responses=RoutingPersonSerializer,
        summary="Set a person's weight, cap, pause or working hours",
        description="Weight, cap and pause: their manager, a revenue leader or an administrator. A person sets "
        "their own working hours and pauses themselves, never their own weight or cap.",
    )
    def patch(self, request, user_id: int):
        user = _person(request, user_id)
        data = SettingsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = routing.routing_settings_update(actor=request.user, user=user, **data.validated_data)
        return Response(RoutingPersonSerializer(routing.routing_person(user)).data)


def _person(request, user_id: int) -> User:
    teams = routing.routing_team_list(user=request.user)
    person = User.objects.filter(Q(pk=request.user.pk) | Q(team__in=teams), pk=user_id).select_related("team").first()
    if person is None:
        raise NotFound("No such person (or not one whose routing you can see).")
    return person


class RoutingShareView(APIView):
    """Each person's share of the leads a team's pool routed over a period, against their weight."""

    scope_resource = "users"

    @extend_schema(
        parameters=[
            TEAM,
            OpenApiParameter("since", OpenApiTypes.DATE, description="First day (YYYY-MM-DD); default 30 days ago."),
            OpenApiParameter("until", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD); default today."),
        ],
        responses=ShareReportSerializer,
        summary="Each person's share of a team's routed leads against their weight",
    )
    @problems(404)
    def get(self, request):
        query = ShareQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        team = _team(request, query.validated_data.get("team"))
        days = routing.share_days(team, query.validated_data.get("since"), query.validated_data.get("until"))
        report = routing.routing_share(team, *days)
        return Response(ShareReportSerializer(report).data)
