import django_filters
from django.db.models import Q

from accounts.choices import Function
from config.filters import BooleanFilter, IdFilter, IsoDateTimeFilter
from leads.choices import Stage
from leads.models import Lead
from leads.services import email_normalize

MAX_SEARCH_WORDS = 5


class LeadFilter(django_filters.FilterSet):
    # distinct=False: an IN over one column cannot duplicate rows, and DISTINCT would sort the whole match.
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices, distinct=False, help_text="One or more stages.")
    owner = IdFilter(field_name="owner_id", help_text="Owner's user id.")
    team = IdFilter(field_name="team_id", help_text="Owning team's id.")
    campaign = IdFilter(field_name="source_campaign_id", help_text="Source campaign id.")
    owning_function = django_filters.ChoiceFilter(choices=Function.choices, help_text="marketing, sales or shared.")
    score_min = django_filters.NumberFilter(field_name="score", lookup_expr="gte", min_value=0, max_value=100)
    score_max = django_filters.NumberFilter(field_name="score", lookup_expr="lte", min_value=0, max_value=100)
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", help_text="ISO 8601, inclusive.")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", help_text="ISO 8601, exclusive.")
    mine = BooleanFilter(method="owned_by_me", help_text="true: only the leads you own.")
    q = django_filters.CharFilter(
        method="search", max_length=200, help_text="Search: an email, or words of a name or company (all must match)."
    )

    class Meta:
        model = Lead
        fields: list[str] = []

    def owned_by_me(self, queryset, name, value):
        return queryset.filter(owner=self.request.user) if value and self.request else queryset

    def search(self, queryset, name, value):
        value = value.strip()
        if "@" in value:
            return queryset.filter(email_normalized=email_normalize(value))
        # "Dana Haddad" or "Haddad Cedar": every word must be found in the first name, last name or company.
        for word in value.split()[:MAX_SEARCH_WORDS]:
            queryset = queryset.filter(
                Q(last_name__icontains=word) | Q(first_name__icontains=word) | Q(company_name__icontains=word)
            )
        return queryset
