from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from funnel import forms


def error_message(request, exc: Exception) -> None:
    messages.error(request, " · ".join(forms.error_lines(exc)))


def back(request, default: str):
    """Redirect to the page the form came from (its `next`, if it is ours), else to `default`."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)
