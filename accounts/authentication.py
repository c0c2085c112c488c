from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from accounts.choices import TokenScope
from accounts.services import api_token_authenticate


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer crm_<prefix>_<secret>`; the token's scopes limit what its user may do."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Bearer <token>'.")
        token = api_token_authenticate(raw=header[1])
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API token.")
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class TokenScopePermission(permissions.BasePermission):
    """Session users are limited by their role only; a token also needs `read` to read and `write` for unsafe
    methods. DRF builds the permission per request, so the refusal can name the scope that was missing."""

    message = "This API token lacks the 'write' scope."

    def has_permission(self, request, view):
        token = request.auth
        if token is None or not hasattr(token, "scopes"):
            return True
        needed = TokenScope.READ if request.method in permissions.SAFE_METHODS else TokenScope.WRITE
        self.message = f"This API token lacks the '{needed}' scope."
        return needed in token.scopes


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API token: crm_<prefix>_<secret>."}
