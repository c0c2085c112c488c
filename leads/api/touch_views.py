from decimal import Decimal

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from config.filters import IdFilter, IsoDateTimeFilter
from crm.choices import TouchKind
from crm.models import Touch
from leads import touches
from leads.selectors import lead_list


class TouchFilter(django_filters.FilterSet):
    lead = IdFilter(field_name="lead_id", help_text="The lead's id.")
    campaign = IdFilter(field_name="campaign_id", help_text="The campaign's id.")
    kind = django_filters.ChoiceFilter(choices=TouchKind.choices)
    since = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte", help_text="Touches at or after this time.")

    class Meta:
        model = Touch
        fields = ["lead", "campaign", "kind", "since"]


class TouchItemSerializer(serializers.Serializer):
    """One touch as sent. Documentation of the shape; leads.touches checks every item itself, fast, in bulk."""

    key = serializers.CharField(max_length=100, required=False, help_text="Your id for it: a retry is ignored.")
    lead = serializers.IntegerField(min_value=1)
    campaign = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=TouchKind.choices)
    occurred_at = serializers.DateTimeField(help_text="ISO 8601 with a UTC offset; not in the future.")
    weight = serializers.DecimalField(
        max_digits=4, decimal_places=2, min_value=Decimal("0.01"), max_value=10, required=False
    )


class TouchBulkSerializer(serializers.Serializer):
    touches = serializers.ListField(
        child=TouchItemSerializer(), min_length=1, max_length=touches.MAX_TOUCHES, help_text="Up to 10,000 touches."
    )
    all_or_nothing = serializers.BooleanField(
        default=False,
        help_text="Refuse the whole request (400) if any touch is bad; by default the good ones are kept.",
    )


class _Envelope(serializers.Serializer):
    # What the endpoint reads before the service checks each item: a list, not too long, nothing else.
    touches = serializers.ListField(child=serializers.JSONField(), min_length=1, max_length=touches.MAX_TOUCHES)
    all_or_nothing = serializers.BooleanField(default=False)


class RejectedSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The touch's position in the request, from 0.")
    errors = serializers.DictField(child=serializers.CharField(), help_text="Field → what is wrong with it.")


class TouchBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.ListField(child=serializers.IntegerField(), help_text="Positions already stored.")
    rejected = RejectedSerializer(many=True)


class TouchSerializer(serializers.ModelSerializer):
    class Meta:
        model = Touch
        fields = ["id", "lead", "campaign", "kind", "occurred_at", "weight", "client_key", "recorded_at"]
        read_only_fields = fields


def _problems(batch: touches.TouchBatch) -> dict[str, list[str]]:
    return {
        f"touches[{index}].{name}": [message]
        for index, errors in batch.rejected.items()
        for name, message in errors.items()
    }


class TouchViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Leads' interactions with campaigns, which feed the score and the attribution of revenue."""

    scope_resource = "touches"
    serializer_class = TouchSerializer
    filterset_class = TouchFilter

    def get_queryset(self) -> QuerySet[Touch]:
        if getattr(self, "swagger_fake_view", False):
            return Touch.objects.none()
        return Touch.objects.filter(lead__in=lead_list(user=self.request.user).values("pk"))

    @extend_schema(request=TouchItemSerializer, responses={201: TouchSerializer, 200: TouchSerializer})
    def create(self, request):
        """One touch; the same `key` again answers 200 with nothing new stored."""
        batch = touches.touches_record(user=request.user, items=[request.data], all_or_nothing=True)
        if batch.rejected:
            raise ValidationError(
                {name.removeprefix("touches[0]."): problem for name, problem in _problems(batch).items()}
            )
        if batch.duplicates:
            touch = Touch.objects.get(recorded_by=request.user, client_key=request.data["key"])
            return Response(TouchSerializer(touch).data)
        touch = Touch.objects.get(pk=batch.touch_ids[0])
        return Response(TouchSerializer(touch).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TouchBulkSerializer, responses=TouchBulkResultSerializer, summary="Up to 10,000 touches")
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Stores the good touches and reports each bad one by position (`all_or_nothing` refuses them all).
        A touch whose `key` this sender already stored is skipped and listed under `duplicates`."""
        envelope = _Envelope(data=request.data)
        envelope.is_valid(raise_exception=True)
        data = envelope.validated_data
        batch = touches.touches_record(user=request.user, items=data["touches"], all_or_nothing=data["all_or_nothing"])
        if batch.rejected and data["all_or_nothing"]:
            raise ValidationError(_problems(batch))
        rejected = [{"index": index, "errors": errors} for index, errors in sorted(batch.rejected.items())]
        return Response({"created": len(batch.created), "duplicates": batch.duplicates, "rejected": rejected})
