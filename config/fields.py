"""Form fields for the web UI and the admin that keep the same edge checks as the API's JSON parser."""

from django import forms

from config.validation import MAX_JSON_DEPTH, json_problems


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
