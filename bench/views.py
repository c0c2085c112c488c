"""Bare DRF endpoints measuring what the framework costs before any product code: the ceiling the product's
list is compared with. Same authentication and permissions as the product API; no pagination, no filters."""

from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.models import Lead

BARE_FIELDS = ["id", "first_name", "last_name", "email", "stage", "score", "created_at"]


class HelloView(APIView):
    def get(self, request):
        return Response({"hello": "world"})


class BareLeadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lead
        fields = BARE_FIELDS


class BareLeadListView(ListAPIView):
    """The newest 50 leads, a few columns, no joins: ORDER BY id DESC LIMIT 50 over the same table."""

    serializer_class = BareLeadSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return Lead.objects.only(*BARE_FIELDS).order_by("-id")[:50]
