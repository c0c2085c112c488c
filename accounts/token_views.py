"""The administrators' API tokens page: every token with what it may do and when and where it was last used;
issue one to an integration user (its secret is shown on the answer to that POST only), revoke one."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.choices import Role
from accounts.models import ApiToken
from accounts.scopes import ACCESS_LABELS, RESOURCES, SCOPE_CHOICES, group_scopes

SHOWN = 500  # tokens are few; the API pages through all of them


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. website form sync.")
    user = forms.ModelChoiceField(queryset=None, label="Integration user", empty_label=None)
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires",
        help_text="Optional; in your time zone.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one scope."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        integrations = selectors.user_list().filter(role=Role.INTEGRATION).order_by("username")
        self.fields["user"].queryset = integrations

    def scope_groups(self) -> list[tuple]:
        """Each resource with its accesses as (scope, label, ticked), for a row of checkboxes per resource."""
        ticked = set(self["scopes"].value() or [])
        return [(resource, [_pick(resource, a, ticked) for a in resource.accesses]) for resource in RESOURCES]


def _pick(resource, access: str, ticked: set) -> tuple[str, str, bool]:
    scope = f"{resource.name}:{access}"
    return scope, ACCESS_LABELS[access], scope in ticked


def _administrator(request) -> None:
    if not request.user.is_administrator:
        raise PermissionDenied("API tokens are issued by administrators.")


def _page(request, form: TokenForm, *, issued: tuple | None = None, status: int = 200):
    tokens = selectors.api_token_list(user=request.user).order_by("-created_at")[:SHOWN]
    now = timezone.now()
    rows = [(token, token.state(now), group_scopes(token.scopes)) for token in tokens]
    context = {"form": form, "rows": rows, "issued": issued, "has_integrations": form.fields["user"].queryset.exists()}
    response = render(request, "accounts/tokens.html", context, status=status)
    if issued:
        add_never_cache_headers(response)  # the page holds a secret: no cache keeps a copy
    return response


@login_required
def token_page(request):
    _administrator(request)
    if request.method != "POST":
        return _page(request, TokenForm())
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, plaintext = services.api_token_issue(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            # Rendered, not redirected: the secret exists in this one answer and nowhere else.
            return _page(request, TokenForm(), issued=(token, plaintext), status=201)
    return _page(request, form, status=400)


@login_required
@require_POST
def token_revoke(request, token_id: int):
    _administrator(request)
    token = get_object_or_404(ApiToken, pk=token_id)
    already = token.revoked_at is not None
    services.api_token_revoke(token=token)
    messages.success(request, f"{token.name} was already revoked." if already else f"Revoked {token.name}.")
    return redirect("token-list")
