"""Sales expenses over the API: list (by team and dates), record, remove. Everyone reads them (they are inputs of
shared metrics); sales managers record them for their teams, revenue leaders and administrators for any."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from accounts.api.serializers import UserRefSerializer
from config.pagination import MAX_ID
from crm.models.campaigns import MAX_AMOUNT
from funnel.metrics import expenses
from funnel.metrics.models import SalesExpense


class SalesExpenseSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name")
    recorded_by = UserRefSerializer(read_only=True)

    class Meta:
        model = SalesExpense
        fields = ["id", "team", "team_name", "spent_on", "amount", "currency", "category", "note"]
        fields += ["recorded_by", "recorded_at"]
        read_only_fields = fields


class SalesExpenseWriteSerializer(serializers.Serializer):
    team = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The sales team that spent it.")
    spent_on = serializers.DateField(help_text="When it was paid: from 2000-01-01, not in the future.")
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text=f"More than 0, at most {MAX_AMOUNT:,}."
    )
    currency = serializers.CharField(max_length=3, default="USD", help_text="ISO code; never converted.")
    category = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class SalesExpenseQuerySerializer(serializers.Serializer):
    team = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, help_text="Only this team's.")

    def get_fields(self):
        fields = super().get_fields()  # `from` is a Python keyword: declared here rather than as attributes
        fields["from"] = serializers.DateField(required=False, help_text="Spent on or after this day.")
        fields["to"] = serializers.DateField(required=False, help_text="Spent on or before this day.")
        return fields

    def validate(self, attrs):
        since, until = attrs.get("from"), attrs.get("to")
        if since and until and until < since:  # an empty list would read as "nothing was spent"
            raise serializers.ValidationError({"to": f"The range ends ({until}) before it starts ({since})."})
        return attrs


class SalesExpenseViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """A sales team's expenses, the numerator of sales expense to sales and part of the cost per lead, MQL and
    customer. Entries are never edited: a correction is a removal and a new entry."""

    scope_resource = "metrics"
    serializer_class = SalesExpenseSerializer
    filter_backends: list = []

    def get_queryset(self):
        if self.action != "list":
            return expenses.sales_expense_list()
        query = SalesExpenseQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        return expenses.sales_expense_list(team_id=data.get("team"), since=data.get("from"), until=data.get("to"))

    @extend_schema(parameters=[SalesExpenseQuerySerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=SalesExpenseWriteSerializer, responses={201: SalesExpenseSerializer})
    def create(self, request):
        data = SalesExpenseWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        expense = expenses.sales_expense_record(user=request.user, team_id=values.pop("team"), **values)
        return Response(SalesExpenseSerializer(expense).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        expenses.sales_expense_delete(user=self.request.user, expense_id=instance.pk)
