from django.contrib import messages

from funnel import forms


def error_message(request, exc: Exception) -> None:
    messages.error(request, " · ".join(forms.error_lines(exc)))
