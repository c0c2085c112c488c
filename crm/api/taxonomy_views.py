"""The managed taxonomies' API: autocomplete over the terms, a rep's suggestion, and the curators' verbs
(accept, reject, merge into an accepted term)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.schema import problems
from crm.api import taxonomy_serializers as s
from crm.choices import TagStatus
from crm.models import Tag
from crm.services import taxonomy

LIST_LIMIT = 200


class TagViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Terms call reports choose from: accepted terms, and your own suggestions (curators see every term).
    `?kind=objection&q=pri` is the autocomplete: accepted first, then your suggestions."""

    scope_resource = "call_reports"
    serializer_class = s.TagSerializer
    pagination_class = None  # autocomplete order is by relevance; at most LIST_LIMIT terms come back

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) or taxonomy.may_curate(self.request.user):
            return Tag.objects.select_related("suggested_by")
        usable = Tag.objects.filter(status=TagStatus.ACCEPTED) | Tag.objects.filter(
            status=TagStatus.SUGGESTED, suggested_by=self.request.user
        )
        return usable.select_related("suggested_by")

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", description="One taxonomy: need, objection, competitor, feedback, product."),
            OpenApiParameter("q", description="Part of a label, slug or synonym, any case."),
            OpenApiParameter("status", description="Curators: terms in this status, whoever suggested them."),
        ],
        summary="Terms for autocomplete, accepted first, then your own suggestions",
    )
    def list(self, request):
        params = s.TagSearchSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        kind, q = params.validated_data.get("kind"), params.validated_data.get("q", "")
        wanted = params.validated_data.get("status")
        if wanted and taxonomy.may_curate(request.user):
            tags = taxonomy.tag_curation_list(kind=kind).filter(status=wanted)
            tags = tags.filter(label__icontains=q.strip()) if q.strip() else tags
            found = list(tags.order_by("kind", "label")[:LIST_LIMIT])
        else:
            found = taxonomy.tag_search(kind=kind, q=q, user=request.user, limit=LIST_LIMIT)
            found = [tag for tag in found if not wanted or tag.status == wanted]
        return Response(s.TagSerializer(found, many=True).data)

    @extend_schema(
        request=s.TagSuggestSerializer,
        responses={201: s.TagSerializer},
        summary="Suggest a new term (refused, naming it, when one like it exists); a curator's is accepted at once",
    )
    def create(self, request):
        data = s.TagSuggestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tag = taxonomy.tag_suggest(user=request.user, **data.validated_data)
        return Response(s.TagSerializer(tag).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.TagSerializer, summary="Accept a suggestion (curators)")
    @action(detail=True, methods=["post"])
    @problems(409)
    def accept(self, request, pk=None):
        return Response(s.TagSerializer(taxonomy.tag_accept(user=request.user, tag_id=self.get_object().pk)).data)

    @extend_schema(request=None, responses=s.TagSerializer, summary="Reject a suggestion (curators)")
    @action(detail=True, methods=["post"])
    @problems(409)
    def reject(self, request, pk=None):
        return Response(s.TagSerializer(taxonomy.tag_reject(user=request.user, tag_id=self.get_object().pk)).data)

    @extend_schema(
        request=s.TagMergeSerializer,
        responses=s.TagSerializer,
        summary="Merge a suggestion into an accepted term: its reports carry the term, its label becomes a synonym",
    )
    @action(detail=True, methods=["post"])
    @problems(409)
    def merge(self, request, pk=None):
        data = s.TagMergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tag = taxonomy.tag_merge(user=request.user, tag_id=self.get_object().pk, into_id=data.validated_data["into"])
        return Response(s.TagSerializer(tag).data)
