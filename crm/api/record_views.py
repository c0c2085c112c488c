"""Companies and contacts: list (filters, search), read, create, PATCH (no PUT), merge a duplicate into one, and
the merges one record absorbed. Both teams read every company and contact; writes go through
crm.services.records, which decides who may do what."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm import selectors
from crm.api import record_serializers as s
from crm.choices import MergeKind
from crm.services import records as services


class _RecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    http_method_names = ["get", "post", "patch", "head", "options"]
    query_serializer: type
    write_serializer: type
    merge_kind: str

    def _filters(self) -> dict:
        query = self.query_serializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return {key: value for key, value in query.validated_data.items() if value not in (None, "")}

    def _answer(self, record, code=status.HTTP_200_OK) -> Response:
        return Response(self.serializer_class(self.get_queryset_base().get(pk=record.pk)).data, status=code)

    def _merge(self, request, merge):
        data = s.MergeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kept = self.get_object()
        done = merge(keep=kept.pk, duplicate=data.validated_data["duplicate"], by=request.user)
        return Response(s.RecordMergeSerializer(done).data, status=status.HTTP_201_CREATED)

    def _merges(self, request):
        kept = self.get_object()
        page = self.paginate_queryset(selectors.record_merge_list(kind=self.merge_kind, kept_id=kept.pk))
        return self.get_paginated_response(s.RecordMergeSerializer(page, many=True).data)


class CompanyViewSet(_RecordViewSet):
    """Companies we sell to, deduplicated on their normalised web domain. `POST /{id}/merge/` folds a duplicate
    into the company (managers, revenue leaders, administrators); every link it had moves."""

    scope_resource = "companies"
    serializer_class = s.CompanySerializer
    query_serializer = s.CompanyQuerySerializer
    write_serializer = s.CompanyWriteSerializer
    merge_kind = MergeKind.COMPANY

    def get_queryset_base(self):
        return selectors.company_list()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return self.get_queryset_base()
        filters = self._filters()
        return selectors.company_list(
            search=filters.get("q", ""),
            segment=filters.get("segment", ""),
            territory=filters.get("territory", ""),
            is_key_account=filters.get("is_key_account"),
            tier=filters.get("tier"),
            owner_id=filters.get("owner"),
        )

    @extend_schema(parameters=[s.CompanyQuerySerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.CompanyWriteSerializer, responses={201: s.CompanySerializer})
    def create(self, request):
        data = s.CompanyWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        company = services.company_create(user=request.user, **data.validated_data)
        return self._answer(company, status.HTTP_201_CREATED)

    @extend_schema(request=s.CompanyWriteSerializer(partial=True), responses=s.CompanySerializer)
    def partial_update(self, request, pk=None):
        data = s.CompanyWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        company_id = self.get_object().pk
        return self._answer(services.company_update(user=request.user, company_id=company_id, **data.validated_data))

    @extend_schema(
        request=s.MergeRequestSerializer,
        responses={201: s.RecordMergeSerializer},
        summary="Fold a duplicate company into this one (its leads, contacts, call reports and reviews move)",
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        return self._merge(request, services.company_merge)

    @extend_schema(responses=s.RecordMergeSerializer(many=True), summary="Companies merged into this one")
    @action(detail=True, methods=["get"])
    def merges(self, request, pk=None):
        return self._merges(request)


class ContactViewSet(_RecordViewSet):
    """People at companies, deduplicated on their lower-cased e-mail, with their part in the buying decision.
    `POST /{id}/merge/` folds a duplicate into the contact; its lead and call-report links move."""

    scope_resource = "companies"
    serializer_class = s.ContactSerializer
    query_serializer = s.ContactQuerySerializer
    write_serializer = s.ContactWriteSerializer
    merge_kind = MergeKind.CONTACT

    def get_queryset_base(self):
        return selectors.contact_list()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return self.get_queryset_base()
        filters = self._filters()
        return selectors.contact_list(
            search=filters.get("q", ""), company_id=filters.get("company"), buying_role=filters.get("buying_role", "")
        )

    @extend_schema(parameters=[s.ContactQuerySerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.ContactWriteSerializer, responses={201: s.ContactSerializer})
    def create(self, request):
        data = s.ContactWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact = services.contact_create(user=request.user, **data.validated_data)
        return self._answer(contact, status.HTTP_201_CREATED)

    @extend_schema(request=s.ContactWriteSerializer(partial=True), responses=s.ContactSerializer)
    def partial_update(self, request, pk=None):
        data = s.ContactWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        contact_id = self.get_object().pk
        return self._answer(services.contact_update(user=request.user, contact_id=contact_id, **data.validated_data))

    @extend_schema(
        request=s.MergeRequestSerializer,
        responses={201: s.RecordMergeSerializer},
        summary="Fold a duplicate contact into this one (its lead and call-report links move)",
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        return self._merge(request, services.contact_merge)

    @extend_schema(responses=s.RecordMergeSerializer(many=True), summary="Contacts merged into this one")
    @action(detail=True, methods=["get"])
    def merges(self, request, pk=None):
        return self._merges(request)
