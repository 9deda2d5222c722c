"""API authentication: `Authorization: Token <value>` only; tokens in a query string are refused."""

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions

from .models import ApiToken, hash_token


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        if "token" in request.query_params or "api_key" in request.query_params:
            raise exceptions.AuthenticationFailed(
                _("Tokens are accepted only in the Authorization header, never in the query string.")
            )
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header: use 'Authorization: Token <value>'."))
        try:
            value = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token header: the token is not text."))
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(value)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if token.revoked is not None:
            raise exceptions.AuthenticationFailed(_("This token has been revoked."))
        if token.expires is not None and token.expires <= timezone.now():
            raise exceptions.AuthenticationFailed(_("This token has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The token's user is inactive."))
        from .services import token_touch

        token_touch(token)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class IsAuthenticatedWithTokenScope(permissions.IsAuthenticated):
    """Authenticated; a read-only token may only read."""

    message = _("This token is read-only; it cannot be used for a write.")

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            self.message = None
            return False
        token = request.auth
        if isinstance(token, ApiToken) and token.read_only and request.method not in permissions.SAFE_METHODS:
            self.message = _("This token is read-only; it cannot be used for a write.")
            return False
        return True
