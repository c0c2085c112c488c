"""Fields for the web UI, the admin and the API that keep the same edge checks as the API's JSON parser."""

from django import forms
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from config.validation import MAX_JSON_DEPTH, json_problems, utc_datetime


class UtcDateTimeField(serializers.DateTimeField):
    """An API date-time whose UTC offset a real time zone has (-12:00 to +14:00), as the list filters and the
    touch importer require: DRF alone would quietly turn "+19:00" into some UTC moment."""

    def to_internal_value(self, value):
        try:
            parsed = parse_datetime(value.strip()) if isinstance(value, str) and len(value) <= 64 else None
        except ValueError:  # well formed but no date (month 13): DRF's own parsing names it below
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            try:
                utc_datetime(parsed)
            except ValueError as error:
                raise serializers.ValidationError(str(error)[:1].upper() + str(error)[1:]) from None
        return super().to_internal_value(value)


class JSONField(serializers.JSONField):
    """DRF's JSON field with the JSON parser's edge checks (config.parsers.JSONParser). A multipart part is JSON
    text that this field parses itself, past the parser: json.loads would raise RecursionError at ~1,000 levels
    (a 500) and read 1e999 as infinity (which jsonb refuses)."""

    def to_internal_value(self, data):
        try:
            document = super().to_internal_value(data)
        except RecursionError:
            raise serializers.ValidationError(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.") from None
        problems = json_problems(document)
        if problems:
            raise serializers.ValidationError(problems)
        return document


class JSONFormField(forms.JSONField):
    """Django's JSON form field, refusing by name what PostgreSQL or Python would fail on: nesting past
    MAX_JSON_DEPTH (json.loads raises RecursionError at ~1,000 levels), integers past Python's 4,300-digit
    conversion limit (a ValueError Django does not catch), NUL characters, NaN and infinities (which json.loads
    accepts and jsonb refuses)."""

    def to_python(self, value):
        try:
            document = super().to_python(value)
        except RecursionError:
            raise forms.ValidationError(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.") from None
        except ValueError:  # after Django's own JSONDecodeError handling: only the digit limit gets here
            raise forms.ValidationError("The JSON holds a number with too many digits.") from None
        problems = json_problems(document)
        if problems:
            raise forms.ValidationError(problems)
        return document

    def bound_data(self, data, initial):
        """What a re-rendered form shows: a refused document goes back as the text that was typed."""
        try:
            document = super().bound_data(data, initial)
        except (RecursionError, ValueError):
            return forms.fields.InvalidJSONInput(data)
        if isinstance(data, str) and json_problems(document):
            return forms.fields.InvalidJSONInput(data)
        return document
