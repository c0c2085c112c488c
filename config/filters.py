"""Filter fields that refuse, by name, query values the database would choke on."""

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from config.pagination import MAX_ID
from config.validation import utc_datetime


class _UtcDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return utc_datetime(parsed)
        except ValueError as exc:
            raise forms.ValidationError(f"Enter a valid date and time: {exc}") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601 date-times, moved to UTC here: an offset no zone has (+19:00) is a 400, not a database error."""

    field_class = _UtcDateTimeField


class IdFilter(django_filters.NumberFilter):
    """A whole-number id: `1.5`, `1e400` or a number past bigint is a 400 naming the parameter."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class _BooleanField(forms.Field):
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.VALUES[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError("true or false.", code="invalid") from None


class BooleanFilter(django_filters.BooleanFilter):
    """true or false (or 1 / 0); blank is no filter. django-filter reads any other value (`maybe`) as no filter,
    silently answering with every row; this is a 400 naming the parameter."""

    field_class = _BooleanField
