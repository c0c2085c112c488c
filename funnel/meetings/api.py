"""The joint meeting over the API: meetings with their generated agenda (embedded when one is read), the
regeneration, and the action items a meeting raises. Read by those who run it (managers, the revenue leader,
administrators); for anyone else a meeting does not exist."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.serializers import UserRefSerializer
from accounts.models import User
from crm.api.review_views import ActionItemSerializer
from crm.models.campaigns import MAX_AMOUNT
from crm.services.reviews import MAX_TITLE
from funnel.meetings import selectors, services
from funnel.models import AgendaItem, JointMeeting


class AgendaItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgendaItem
        fields = ["position", "kind", "title", "detail", "lead", "handoff", "company", "tag", "action_item"]
        read_only_fields = fields
        extra_kwargs = {
            "detail": {"help_text": "What the item is about: value, owner, reason, count… depending on its kind."},
            "lead": {"help_text": "The lead it is about (opportunities, SLA breaches, rejected handoffs)."},
            "action_item": {"help_text": "The open action item carried from an earlier meeting."},
        }


class MeetingSerializer(serializers.ModelSerializer):
    created_by = UserRefSerializer(read_only=True)
    agenda_size = serializers.IntegerField(read_only=True, help_text="Items on the agenda.")
    open_actions = serializers.IntegerField(read_only=True, help_text="Action items raised here and still open.")

    class Meta:
        model = JointMeeting
        fields = [
            "id",
            "held_on",
            "title",
            "opportunity_threshold",
            "agenda_generated_at",
            "agenda_size",
            "open_actions",
            "created_by",
        ]
        read_only_fields = fields


class MeetingDetailSerializer(MeetingSerializer):
    agenda = AgendaItemSerializer(many=True, read_only=True)
    action_items = ActionItemSerializer(many=True, read_only=True)

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "notes", "agenda", "action_items"]
        read_only_fields = fields


class MeetingWriteSerializer(serializers.Serializer):
    held_on = serializers.DateField(help_text="The meeting's day; one meeting a day, at most a year ahead.")
    opportunity_threshold = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        max_value=MAX_AMOUNT,
        help_text="Open opportunities worth at least this are on the agenda.",
    )


class MeetingActionSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=MAX_TITLE, help_text="What is to be done.")
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), help_text="Who owes it (a user's id).")
    due_on = serializers.DateField(required=False, allow_null=True, help_text="Not before the meeting's day.")


class JointMeetingViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The regular sales and marketing meeting, newest first. Creating one generates its agenda; reading one
    embeds the agenda and the action items raised at it."""

    scope_resource = "meetings"
    serializer_class = MeetingSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return JointMeeting.objects.none()
        return selectors.meeting_list(user=self.request.user)

    def _detail(self, meeting_id: int, code: int = status.HTTP_200_OK) -> Response:
        meeting = selectors.meeting_get(user=self.request.user, meeting_id=meeting_id)
        return Response(MeetingDetailSerializer(meeting).data, status=code)

    @extend_schema(responses=MeetingDetailSerializer)
    def retrieve(self, request, pk=None):
        return self._detail(self.get_object().pk)

    @extend_schema(request=MeetingWriteSerializer, responses={201: MeetingDetailSerializer})
    def create(self, request):
        data = MeetingWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = services.meeting_create(**data.validated_data, by=request.user)
        return self._detail(meeting.pk, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=MeetingDetailSerializer, summary="Regenerate the agenda from the data")
    @action(detail=True, methods=["post"])
    def agenda(self, request, pk=None):
        meeting = self.get_object()
        services.meeting_agenda_generate(meeting=meeting, by=request.user)
        return self._detail(meeting.pk)

    @extend_schema(request=MeetingActionSerializer, responses={201: ActionItemSerializer}, summary="Raise an action")
    @action(detail=True, methods=["post"], url_path="action-items")
    def action_items(self, request, pk=None):
        meeting = self.get_object()
        data = MeetingActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.meeting_action_item_add(meeting=meeting, **data.validated_data, by=request.user)
        return Response(ActionItemSerializer(item).data, status=status.HTTP_201_CREATED)
