"""The import API: upload a file (dry run by default), watch its progress, read the per-row report, start
the real run, download the refused rows as a formula-safe CSV; and the saved mappings per source."""

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from config.fields import JSONField
from config.pagination import CursorPagination
from config.parsers import JSONParser
from config.problems import PayloadTooLarge
from leads.exceptions import NotAllowed
from leads.imports import parse, report, services
from leads.imports.models import ImportFormat, ImportJob, ImportRow, ImportSource, RowOutcome

MAX_JSON_CONTENT = 2_500_000  # a JSON body is read whole into memory; larger files go multipart


class ImportSourceSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=100, help_text="Saving under an existing name replaces its mapping.")

    class Meta:
        model = ImportSource
        fields = ["id", "name", "mapping", "defaults", "updated_at"]
        read_only_fields = ["id", "updated_at"]


class ImportJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField(help_text="Rows done / total, 0–100.")

    class Meta:
        model = ImportJob
        fields = [
            "id", "dry_run", "dry_run_of", "source", "filename", "format", "status", "rows_total", "rows_done",
            "progress", "counts", "mapping", "defaults", "error", "created_at", "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_progress(self, job: ImportJob) -> int:
        return 100 if not job.rows_total else int(100 * job.rows_done / job.rows_total)


class ImportCreateSerializer(serializers.Serializer):
    """A file as a multipart part `file`, or as text in `content` (JSON bodies, up to 2.5 MB)."""

    file = serializers.FileField(required=False, help_text="The CSV or JSON file (multipart), up to 50 MB.")
    content = serializers.CharField(required=False, trim_whitespace=False, help_text="The file's text (JSON body).")
    filename = serializers.CharField(required=False, max_length=200, default="")
    format = serializers.ChoiceField(choices=ImportFormat.choices, required=False, help_text="Guessed if absent.")
    source = serializers.IntegerField(required=False, min_value=1, help_text="A saved source: its mapping/defaults.")
    mapping = JSONField(required=False, help_text="File column → target; overrides the source's.")
    defaults = JSONField(required=False, help_text="Target → value for rows that leave it empty.")
    save_as = serializers.CharField(required=False, max_length=100, help_text="Save the mapping as this source.")
    dry_run = serializers.BooleanField(default=True, help_text="Only report what each row would do (default).")


class ImportRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRow
        fields = ["number", "outcome", "lead", "errors", "note"]
        read_only_fields = fields


class RowPagination(CursorPagination):
    ordering = "number"


class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imports of leads from CSV or JSON. Each caller sees their own jobs; administrators every job."""

    serializer_class = ImportJobSerializer
    scope_resource = "imports"
    parser_classes = [JSONParser, parsers.MultiPartParser]

    def get_queryset(self) -> QuerySet[ImportJob]:
        jobs = ImportJob.objects.defer("content")
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return jobs.none()
        user = self.request.user
        return jobs if user.is_administrator else jobs.filter(created_by=user)

    def _content(self, data: dict) -> tuple[bytes, str]:
        upload = data.get("file")
        if upload is not None:
            if upload.size > parse.MAX_BYTES:
                raise PayloadTooLarge(f"At most {parse.MAX_BYTES // 1024 // 1024} MB per file.")
            return upload.read(), data.get("filename") or upload.name or ""
        if "content" not in data:
            raise ValidationError({"file": ["Send the file (multipart `file`) or its text (`content`)."]})
        if len(data["content"]) > MAX_JSON_CONTENT:
            raise PayloadTooLarge("A file in a JSON body is at most 2.5 MB; send larger ones as multipart.")
        return data["content"].encode(), data.get("filename", "")

    @extend_schema(request=ImportCreateSerializer, responses={201: ImportJobSerializer})
    def create(self, request):
        """Uploads a file and starts a dry run (or, with `dry_run` false, the import itself) as a job."""
        if not services.may_import(request.user):
            raise NotAllowed("Marketing, managers, revenue leaders, administrators and integrations import leads.")
        body = ImportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        content, filename = self._content(data)
        source = None
        if "source" in data:
            source = ImportSource.objects.filter(pk=data["source"]).first()
            if source is None:
                raise ValidationError({"source": [f"No import source {data['source']}."]})
        job = services.import_job_create(
            actor=request.user, content=content, filename=filename, fmt=data.get("format"), source=source,
            mapping=data.get("mapping"), defaults=data.get("defaults"), dry_run=data["dry_run"],
        )  # fmt: skip
        if data.get("save_as"):
            job.source = services.import_source_save(
                actor=request.user, name=data["save_as"], mapping=job.mapping, defaults=job.defaults
            )
            job.save(update_fields=["source"])
        job.refresh_from_db()
        return Response(ImportJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        """Imports for real what a dry run reported: the same file, mapping and defaults, as a new job."""
        job = services.import_job_run_from(actor=request.user, dry_run_job=self.get_object())
        job.refresh_from_db()
        return Response(ImportJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ImportRowSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=RowPagination)
    def rows(self, request, pk=None):
        """What each row did (or would do): created, updated, duplicate or refused, with the problems by column."""
        rows = self.get_object().rows.all()
        outcome = request.query_params.get("outcome")
        if outcome is not None:
            if outcome not in RowOutcome.values:
                raise ValidationError({"outcome": [f"One of {', '.join(RowOutcome.values)}."]})
            rows = rows.filter(outcome=outcome)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ImportRowSerializer(page, many=True).data)

    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(description="row, column, problem, note, value (the cell)")}
    )
    @action(detail=True, methods=["get"], url_path="errors.csv", url_name="errors-csv")
    def errors_csv(self, request, pk=None):
        """The refused rows, one line per problem, safe to open in a spreadsheet."""
        job = self.get_object()
        response = StreamingHttpResponse(report.errors_csv(job), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        return response


class ImportSourceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Saved column mappings and defaults, one per place files come from."""

    serializer_class = ImportSourceSerializer
    scope_resource = "imports"
    queryset = ImportSource.objects.all()

    def get_queryset(self) -> QuerySet[ImportSource]:
        if not services.may_import(self.request.user):
            return ImportSource.objects.none()
        return ImportSource.objects.all()

    @extend_schema(request=ImportSourceSerializer, responses={201: ImportSourceSerializer})
    def create(self, request):
        """Saves (or replaces) the mapping and defaults of the source with this name."""
        body = ImportSourceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        source = services.import_source_save(
            actor=request.user, name=data["name"], mapping=data.get("mapping", {}), defaults=data.get("defaults", {})
        )
        return Response(ImportSourceSerializer(source).data, status=status.HTTP_201_CREATED)


@extend_schema_view(errors_csv=extend_schema(exclude=True))
class ImportErrorsFile(ImportJobViewSet):
    """`imports/{id}/errors.csv` without the router's trailing slash, as a file is named; the schema lists the
    router's path only."""
