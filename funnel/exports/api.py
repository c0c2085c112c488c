"""GET /api/v1/exports/<resource>/?format=csv|jsonl&<the list endpoint's filters>: a streamed download, one
route per resource of resources.RESOURCES."""

from django.http import StreamingHttpResponse
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.views import APIView

from config.db_router import reads_from_replica
from config.validation import NUL
from funnel.exports.formats import csv_stream, jsonl_stream
from funnel.exports.resources import RESOURCES, export_rows

FORMATS = {
    "csv": ("text/csv; charset=utf-8", csv_stream),
    "jsonl": ("application/x-ndjson", jsonl_stream),
}


class _FormatIsOurs(DefaultContentNegotiation):
    """`?format=` names the file's format here, and a client asking for text/csv gets it: DRF would read the
    parameter as a renderer's name (404) and the Accept header as one too (406). Only errors are rendered, as
    JSON problem documents."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _refuse_nul(params) -> None:
    """PostgreSQL refuses a NUL in text; the stream has begun by the time the query runs, so refuse it here."""
    bad = sorted(key for key, values in params.lists() if NUL in key or any(NUL in value for value in values))
    if bad:
        raise ValidationError({key.replace(NUL, "\\u0000"): ["Contains a NUL character (\\u0000)."] for key in bad})


@reads_from_replica
class ExportView(APIView):
    """A list you may read as a file. Rows are the list endpoint's, for you, with its filters."""

    content_negotiation_class = _FormatIsOurs

    resource = ""  # which export this route serves (export_paths), and so the token scope it needs
    scope_resource: str | None = None

    @extend_schema(
        summary="Export a list as CSV or JSON lines, streamed",
        description="Takes the filters of the resource's list endpoint and lists exactly what it shows you. CSV "
        "cells that a spreadsheet would run as a formula start with a single quote; JSON lines carry every value "
        "unaltered.",
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=list(FORMATS), default="csv")],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="A header line, then a row per record."),
            (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description="A JSON object per line."),
        },
    )
    def get(self, request):
        found = RESOURCES[self.resource]
        name = request.query_params.get("format", "csv")
        if name not in FORMATS:
            raise ValidationError({"format": [f"Unknown format {name!r}; use csv or jsonl."]})
        content_type, write = FORMATS[name]
        _refuse_nul(request.query_params)
        rows = export_rows(resource=found, user=request.user, params=request.query_params, request=request)
        rows = rows.using(rows.db)  # chosen now, inside the request's read scope; the stream runs after it
        response = StreamingHttpResponse(write(rows, found.columns), content_type=content_type)
        filename = f"{found.name}-{timezone.localdate().isoformat()}.{name}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def export_paths() -> list:
    """A route per export, each naming the resource whose read scope a token needs (an unknown name is the
    API's 404 for any unknown URL)."""
    return [
        path(
            f"exports/{resource.name}/",
            ExportView.as_view(resource=resource.name, scope_resource=resource.scope),
            name=f"api-export-{resource.name}",
        )
        for resource in RESOURCES.values()
    ]
