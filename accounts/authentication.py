import ipaddress

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from accounts.exceptions import TokenRefused
from accounts.models import ApiToken
from accounts.scopes import required_scope
from accounts.services import api_token_authenticate


def _client_ip(request) -> str | None:
    """The peer's address as the server saw it. A forwarded-for header is not trusted: anyone can send one."""
    address = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer crm_<prefix>_<secret>`; the token's scopes limit what its user may do."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Bearer <token>'.")
        try:
            token = api_token_authenticate(raw=header[1], ip=_client_ip(request))
        except TokenRefused as refused:
            raise exceptions.AuthenticationFailed(refused.message) from None
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class TokenScopePermission(permissions.BasePermission):
    """Session users are limited by their role only; a token also needs the scope of the view's resource
    (accounts/scopes.py). A view that names no resource refuses every token: a new endpoint fails closed.
    DRF builds the permission per request, so the refusal can name the scope that was missing."""

    message = "This API token lacks the scope this endpoint needs."

    def has_permission(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return True
        needed = required_scope(view, request.method)
        if needed is None:
            self.message = "This endpoint declares no token scope, so no API token may use it."
            return False
        self.message = f"This API token lacks the '{needed}' scope."
        return needed in request.auth.scopes


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Each operation's security requirement names the one scope a token needs for it."""

    target_class = ApiTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token: crm_<prefix>_<secret>. Each operation names the scope it needs.",
        }

    def get_security_requirement(self, auto_schema):
        scope = required_scope(auto_schema.view, auto_schema.method)
        return {self.name: [scope] if scope else []}
