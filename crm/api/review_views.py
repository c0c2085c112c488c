"""Key-account reviews and action items over the API: read by both teams; a review is held (created) with
its attendees and action items in one request; an action item is closed or reopened by its own POST."""

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.serializers import UserRefSerializer
from accounts.models import User
from config.filters import IdFilter
from config.schema import problems
from crm import review_selectors as selectors
from crm.choices import ActionStatus
from crm.models import AccountReview, ActionItem, Company
from crm.services import reviews as services

CLOSING = [(s, label) for s, label in ActionStatus.choices if s in services.CLOSED]


class ActionItemSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer(read_only=True)
    closed_by = UserRefSerializer(read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField(help_text="Open and past its due date.")

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "title",
            "owner",
            "due_on",
            "status",
            "overdue",
            "review",
            "created_at",
            "closed_at",
            "closed_by",
        ]
        read_only_fields = fields

    def get_overdue(self, item) -> bool:
        return bool(item.status == ActionStatus.OPEN and item.due_on and item.due_on < timezone.localdate())


class CompanyRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = ["id", "name", "key_account_tier"]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    company = CompanyRefSerializer(read_only=True)
    attendees = UserRefSerializer(many=True, read_only=True)
    created_by = UserRefSerializer(read_only=True)
    action_items = ActionItemSerializer(many=True, read_only=True)

    class Meta:
        model = AccountReview
        fields = ["id", "company", "held_on", "attendees", "notes", "decisions", "action_items", "created_by"]
        read_only_fields = fields


class ActionDraftSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=services.MAX_TITLE, help_text="What is to be done.")
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), help_text="Who owes it (a user's id).")
    due_on = serializers.DateField(required=False, allow_null=True, help_text="Not before the review's date.")


class ReviewWriteSerializer(serializers.Serializer):
    """Shape only; crm.services.reviews checks the rule of engagement, dates and people."""

    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all(), help_text="A key account's id.")
    held_on = serializers.DateField(help_text="The day the review was held; not in the future.")
    attendees = serializers.ListField(
        child=serializers.PrimaryKeyRelatedField(queryset=User.objects.all()),
        max_length=services.MAX_ATTENDEES,
        help_text="Ids of the users who attended. Tier 1 and 2 accounts need at least one from marketing.",
    )
    notes = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    decisions = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    action_items = ActionDraftSerializer(many=True, required=False, max_length=services.MAX_ACTION_ITEMS)


class ReviewFilter(django_filters.FilterSet):
    company = IdFilter(field_name="company_id", help_text="The company's id.")

    class Meta:
        model = AccountReview
        fields = ["company"]


class ReviewViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Key-account reviews, the latest recorded first, each with its attendees and action items."""

    scope_resource = "meetings"
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter

    def get_queryset(self):
        return selectors.review_list()

    @extend_schema(request=ReviewWriteSerializer, responses={201: ReviewSerializer}, summary="Hold a review")
    def create(self, request):
        data = ReviewWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        drafts = [services.ActionDraft(**draft) for draft in fields.pop("action_items", [])]
        review = services.review_hold(**fields, action_items=drafts, by=request.user)
        return Response(ReviewSerializer(selectors.review_get(review_id=review.pk)).data, status.HTTP_201_CREATED)


class ActionItemFilter(django_filters.FilterSet):
    owner = IdFilter(field_name="owner_id", help_text="The owner's id.")
    review = IdFilter(field_name="review_id", help_text="The review's id.")
    status = django_filters.ChoiceFilter(choices=ActionStatus.choices)

    class Meta:
        model = ActionItem
        fields = ["owner", "review", "status"]


class ActionItemCreateSerializer(ActionDraftSerializer):
    review = serializers.PrimaryKeyRelatedField(
        queryset=AccountReview.objects.all(),
        help_text="The review it is raised at (a joint meeting's: POST /joint-meetings/{id}/action-items/).",
    )


class ActionItemCloseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CLOSING, help_text="done, or dropped (no longer needed).")


class ActionItemViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Action items raised at reviews and joint meetings, newest first; `?owner=<id>&status=open` is one
    person's open list."""

    scope_resource = "meetings"
    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter

    def get_queryset(self):
        return selectors.action_item_list()

    @extend_schema(request=ActionItemCreateSerializer, responses={201: ActionItemSerializer})
    def create(self, request):
        data = ActionItemCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.action_item_create(**data.validated_data, by=request.user)
        return Response(ActionItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ActionItemCloseSerializer, responses=ActionItemSerializer, summary="Close an action item")
    @action(detail=True, methods=["post"])
    @problems(409)
    def close(self, request, pk=None):
        data = ActionItemCloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.action_item_close(
            item_id=self.get_object().pk, status=data.validated_data["status"], by=request.user
        )
        return Response(ActionItemSerializer(item).data)

    @extend_schema(request=None, responses=ActionItemSerializer, summary="Reopen a closed action item")
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        item = services.action_item_reopen(item_id=self.get_object().pk, by=request.user)
        return Response(ActionItemSerializer(item).data)
