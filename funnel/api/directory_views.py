"""`GET /api/v1/directory/lookup/`: who to call about a lead (`?lead=`), a company (`?company=`) or a slice of
the market (`?segment=&territory=&product=`), one answer per role from the most specific directory line."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from config.pagination import MAX_ID
from crm.choices import Segment
from crm.directory import MAX_PRODUCTS, directory_lookup
from crm.models import Company
from funnel.directory import directory_for_company, directory_for_lead
from leads.models import Lead
from leads.selectors import lead_list


class LookupQuerySerializer(serializers.Serializer):
    lead = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    company = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    segment = serializers.ChoiceField(choices=Segment.choices, allow_blank=True, required=False)
    territory = serializers.CharField(max_length=50, allow_blank=True, required=False)
    product = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=MAX_PRODUCTS, required=False
    )

    def validate(self, attrs):
        named = [key for key in ("lead", "company") if key in attrs]
        by_slice = any(key in attrs for key in ("segment", "territory", "product"))
        if len(named) > 1 or (named and by_slice):
            raise serializers.ValidationError("Ask about one thing: a lead, a company, or a segment/territory/product.")
        if not named and not by_slice:
            raise serializers.ValidationError("Name a lead, a company, or a segment, territory or product.")
        return attrs


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    is_active = serializers.BooleanField(help_text="An inactive person is shown but not routed to.")


class AnswerSerializer(serializers.Serializer):
    role = serializers.CharField(help_text="rep, marketer, liaison or manager.")
    role_label = serializers.CharField()
    person = PersonSerializer(allow_null=True, help_text="Null: no directory line names anyone for this role.")
    line_id = serializers.IntegerField(allow_null=True, help_text="The directory line that answered.")
    line = serializers.CharField(help_text='Its slice in words, e.g. "Enterprise · EMEA".')
    specificity = serializers.IntegerField(help_text="company 8 + product 4 + territory 2 + segment 1.")
    confirmed_at = serializers.DateTimeField(allow_null=True, help_text="When the line was last confirmed.")
    stale = serializers.BooleanField(help_text="Not confirmed in 180 days.")


class LookupSerializer(serializers.Serializer):
    answers = AnswerSerializer(many=True)


class DirectoryLookupView(APIView):
    """Who to call for what: for each role the person from the most specific matching directory line (company
    beats product beats territory beats segment), the line that answered and when it was last confirmed."""

    scope_resource = "users"

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "lead",
                int,
                description="A lead you can see: its segment, territory, company and the products of its call reports.",
            ),
            OpenApiParameter("company", int, description="A company: its segment, territory, itself, its products."),
            OpenApiParameter("segment", str, enum=Segment.values),
            OpenApiParameter("territory", str, description="e.g. EMEA"),
            OpenApiParameter("product", int, many=True, description="Product tag ids; repeat for several."),
        ],
        responses=LookupSerializer,
        summary="Who to call about a lead, a company or a slice of the market",
    )
    def get(self, request):
        query = LookupQuerySerializer(
            data={
                **{k: v for k, v in request.query_params.items() if k != "product"},
                **({"product": request.query_params.getlist("product")} if "product" in request.query_params else {}),
            }
        )
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if "lead" in data:
            try:
                # Visibility as lead_get checks it; only the company is needed beside the lead's own row.
                lead = lead_list(user=request.user).select_related("company").get(pk=data["lead"])
                answers = directory_for_lead(lead)
            except Lead.DoesNotExist:
                raise NotFound("No such lead (or not one you can see).") from None
        elif "company" in data:
            answers = directory_for_company(get_object_or_404(Company, pk=data["company"]))
        else:
            answers = directory_lookup(
                segment=data.get("segment", ""),
                territory=data.get("territory", ""),
                product_ids=data.get("product", []),
            )
        return Response(LookupSerializer({"answers": answers}).data)
