import django_filters
from django.db.models import Q

from leads.choices import Stage
from leads.models import Lead
from leads.services import email_normalize


class LeadFilter(django_filters.FilterSet):
    # distinct=False: an IN over one column cannot duplicate rows, and DISTINCT would sort the whole match.
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices, distinct=False, help_text="One or more stages.")
    owner = django_filters.NumberFilter(field_name="owner_id", help_text="Owner's user id.")
    team = django_filters.NumberFilter(field_name="team_id", help_text="Owning team's id.")
    campaign = django_filters.NumberFilter(field_name="source_campaign_id", help_text="Source campaign id.")
    owning_function = django_filters.CharFilter(help_text="marketing, sales or shared.")
    score_min = django_filters.NumberFilter(field_name="score", lookup_expr="gte")
    score_max = django_filters.NumberFilter(field_name="score", lookup_expr="lte")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="search", help_text="Search: an email, or part of a name or company.")

    class Meta:
        model = Lead
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()
        if "@" in value:
            return queryset.filter(email_normalized=email_normalize(value))
        return queryset.filter(
            Q(last_name__icontains=value) | Q(first_name__icontains=value) | Q(company_name__icontains=value)
        )
