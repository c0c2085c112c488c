"""The "who to call" directory's lines over the API: everyone reads them, managers write them (no PUT: a PATCH
names the fields it changes), and `POST {id}/confirm/` says a line is still true. The answer for a lead or a
company is funnel's /directory/lookup/ (crm cannot read leads)."""

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.serializers import UserRefSerializer
from accounts.models import User
from config.filters import IdFilter
from crm.choices import Segment
from crm.directory import STALE_AFTER, line_label, responsibility_list
from crm.models import Company, Responsibility, Tag
from crm.services import directory as services

PEOPLE = User.objects.all()


class ResponsibilitySerializer(serializers.ModelSerializer):
    product_label = serializers.CharField(source="product.label", read_only=True, allow_null=True, default=None)
    company_name = serializers.CharField(source="company.name", read_only=True, allow_null=True, default=None)
    slice = serializers.SerializerMethodField(help_text='The line\'s slice in words, e.g. "Enterprise · EMEA".')
    rep = UserRefSerializer(read_only=True, allow_null=True)
    marketer = UserRefSerializer(read_only=True, allow_null=True)
    liaison = UserRefSerializer(read_only=True, allow_null=True)
    manager = UserRefSerializer(read_only=True, allow_null=True)
    confirmed_by = UserRefSerializer(read_only=True)
    stale = serializers.SerializerMethodField(help_text=f"Not confirmed in {STALE_AFTER.days} days.")

    class Meta:
        model = Responsibility
        fields = [
            "id",
            "segment",
            "territory",
            "product",
            "product_label",
            "company",
            "company_name",
            "slice",
            "rep",
            "marketer",
            "liaison",
            "manager",
            "note",
            "confirmed_at",
            "confirmed_by",
            "stale",
        ]
        read_only_fields = fields

    def get_slice(self, line) -> str:
        return line_label(
            segment=line.segment,
            territory=line.territory,
            product=line.product.label if line.product_id else "",
            company=line.company.name if line.company_id else "",
        )

    def get_stale(self, line) -> bool:
        return timezone.now() - line.confirmed_at > STALE_AFTER


class ResponsibilityWriteSerializer(serializers.Serializer):
    """Shape only; crm.services.directory checks each person's function and that the slice is not taken."""

    segment = serializers.ChoiceField(
        choices=Segment.choices, allow_blank=True, required=False, help_text="Blank: any segment."
    )
    territory = serializers.CharField(
        max_length=50, allow_blank=True, required=False, help_text="Blank: any territory, e.g. EMEA."
    )
    product = serializers.PrimaryKeyRelatedField(
        queryset=Tag.objects.all(), allow_null=True, required=False, help_text="A product tag; null: any product."
    )
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.all(), allow_null=True, required=False, help_text="A key account; null: any."
    )
    rep = serializers.PrimaryKeyRelatedField(
        queryset=PEOPLE, allow_null=True, required=False, help_text="A person in a sales team."
    )
    marketer = serializers.PrimaryKeyRelatedField(
        queryset=PEOPLE, allow_null=True, required=False, help_text="A person in a marketing team."
    )
    liaison = serializers.PrimaryKeyRelatedField(
        queryset=PEOPLE, allow_null=True, required=False, help_text="Any active person, often an SDR."
    )
    manager = serializers.PrimaryKeyRelatedField(
        queryset=PEOPLE, allow_null=True, required=False, help_text="A sales or marketing manager or revenue leader."
    )
    note = serializers.CharField(max_length=200, allow_blank=True, required=False)


class ResponsibilityFilter(django_filters.FilterSet):
    segment = django_filters.ChoiceFilter(choices=Segment.choices, method="_exact", help_text="Lines naming it.")
    territory = django_filters.CharFilter(max_length=50, method="_exact", help_text="Lines naming it (any case).")
    product = IdFilter(method="_exact", help_text="Lines naming this product tag.")
    company = IdFilter(method="_exact", help_text="Lines naming this key account.")
    person = IdFilter(method="_exact", help_text="Lines naming this person in any role.")
    stale = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="_exact",
        help_text="true: only lines not confirmed in 180 days.",
    )

    class Meta:
        model = Responsibility
        fields: list[str] = []

    def _exact(self, queryset, name, value):
        return queryset  # applied together in filter_queryset, through the selector

    def filter_queryset(self, queryset):
        data = {k: v for k, v in self.form.cleaned_data.items() if v not in (None, "")}
        data["stale"] = data.get("stale") == "true"
        keys = {"product": "product_id", "company": "company_id", "person": "person_id"}
        return responsibility_list(**{keys.get(k, k): v for k, v in data.items()})


class ResponsibilityViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The directory's lines: for a slice of the market (blank dimensions match anything), who answers."""

    scope_resource = "users"
    serializer_class = ResponsibilitySerializer
    filterset_class = ResponsibilityFilter

    def get_queryset(self):
        return responsibility_list()

    def _answer(self, line, code=status.HTTP_200_OK) -> Response:
        return Response(ResponsibilitySerializer(self.get_queryset().get(pk=line.pk)).data, status=code)

    @extend_schema(request=ResponsibilityWriteSerializer, responses={201: ResponsibilitySerializer})
    def create(self, request):
        data = ResponsibilityWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line = services.responsibility_create(user=request.user, **data.validated_data)
        return self._answer(line, status.HTTP_201_CREATED)

    @extend_schema(request=ResponsibilityWriteSerializer(partial=True), responses=ResponsibilitySerializer)
    def partial_update(self, request, pk=None):
        data = ResponsibilityWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        line_id = self.get_object().pk
        return self._answer(
            services.responsibility_update(user=request.user, responsibility_id=line_id, **data.validated_data)
        )

    def perform_destroy(self, instance):
        services.responsibility_delete(user=self.request.user, responsibility_id=instance.pk)

    @extend_schema(request=None, responses=ResponsibilitySerializer, summary="Say the line is still true")
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        line_id = self.get_object().pk
        return self._answer(services.responsibility_confirm(user=request.user, responsibility_id=line_id))
