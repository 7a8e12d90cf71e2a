"""`Authorization: Token <key>` for the API: the portal's own tokens (courses.ApiToken), which expire and
can be revoked. Refusals are 401s in the API's error shape and say what to do."""

from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from courses import selectors
from courses.services import accounts


class ExpiringTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key):
        token = selectors.api_token_by_key(key)
        if token is None or not selectors.api_token_is_current(token):
            raise AuthenticationFailed(
                "This token is not valid: it was revoked, or your password changed since it was issued. "
                "Sign in again (POST /api/v1/auth/token/) for a new one.",
                code="authentication_failed",
            )
        now = timezone.now()
        if token.expires_at <= now:
            raise AuthenticationFailed(
                f"This token expired at {timezone.localtime(token.expires_at).isoformat()}. "
                "Sign in again (POST /api/v1/auth/token/) for a new one.",
                code="token_expired",
            )
        accounts.api_token_record_use(token=token, now=now)
        return token.user, token
