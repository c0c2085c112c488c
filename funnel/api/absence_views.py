"""`/api/v1/out-of-office/`: when people are away and who stands in. A person sees and sets their own, a
manager their reports', revenue leaders and administrators everyone's; `POST /{id}/end/` ends one now."""

import django_filters
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import OutOfOffice, User
from accounts.selectors import absence_list
from config.fields import UtcDateTimeField
from config.filters import BooleanFilter, IdFilter
from funnel.routing import absences


class AbsenceSerializer(serializers.ModelSerializer):
    user_name = serializers.SerializerMethodField(help_text="The absent person's name.")
    delegate_name = serializers.SerializerMethodField(help_text="Who stands in; null: their team does.")
    in_force = serializers.SerializerMethodField(help_text="The period covers the present moment.")

    class Meta:
        model = OutOfOffice
        fields = [
            "id",
            "user",
            "user_name",
            "starts_at",
            "ends_at",
            "delegate",
            "delegate_name",
            "note",
            "set_by",
            "created_at",
            "rerouted_at",
            "in_force",
        ]
        read_only_fields = fields
        extra_kwargs = {"rerouted_at": {"help_text": "When the handoffs waiting for them were handed on (once)."}}

    def get_user_name(self, absence: OutOfOffice) -> str:
        return absences.name_of(absence.user)

    def get_delegate_name(self, absence: OutOfOffice) -> str | None:
        return absences.name_of(absence.delegate) if absence.delegate_id else None

    def get_in_force(self, absence: OutOfOffice) -> bool:
        now = self.context.get("now")
        return now is not None and absence.starts_at <= now < absence.ends_at


class AbsenceCreateSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, help_text="Who is away; default: you."
    )
    starts_at = UtcDateTimeField(help_text="From when (may be in the past: away since this morning).")
    ends_at = UtcDateTimeField(
        help_text=f"Until when; in the future, at most {absences.MAX_DAYS} days after the start."
    )
    delegate = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        help_text="Who takes their handoffs meanwhile; none: round-robin in their team.",
    )
    note = serializers.CharField(max_length=absences.MAX_NOTE, required=False, allow_blank=True)


class AbsenceFilter(django_filters.FilterSet):
    user = IdFilter(field_name="user_id", help_text="The absent person's id.")
    current = BooleanFilter(method="filter_current", help_text="true: not over yet (in force or ahead); false: over.")

    class Meta:
        model = OutOfOffice
        fields = ["user", "current"]

    def filter_current(self, queryset, name, value):
        now = timezone.now()
        return queryset.filter(ends_at__gt=now) if value else queryset.filter(ends_at__lte=now)


class AbsenceViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Out-of-office periods. While one is in force routing skips the person, and the handoffs waiting for
    them go (once) to the delegate, else to their team by weighted round-robin, else to the team's queue."""

    scope_resource = "users"
    serializer_class = AbsenceSerializer
    filterset_class = AbsenceFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OutOfOffice.objects.none()
        return absence_list(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(
        request=AbsenceCreateSerializer,
        responses={201: AbsenceSerializer},
        summary="Set an out-of-office (yours, or a report's)",
    )
    def create(self, request):
        data = AbsenceCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        absence = absences.absence_set(
            actor=request.user,
            user=values.get("user") or request.user,
            starts_at=values["starts_at"],
            ends_at=values["ends_at"],
            delegate=values.get("delegate"),
            note=values.get("note", ""),
        )
        return Response(self.get_serializer(absence).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={
            200: AbsenceSerializer,
            204: OpenApiResponse(description="It had not begun, so it was removed."),
        },
        summary="End an out-of-office now",
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        ended = absences.absence_end(actor=request.user, absence=self.get_object())
        if ended is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(self.get_serializer(ended).data)
