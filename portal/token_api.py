"""POST /api/v1/auth/token/: a username and password for an API token."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import AnonRateThrottle

from portal.auth import is_locked, lock_message
from portal.errors import TooManyAttempts


class TokenThrottle(AnonRateThrottle):
    scope = "token"


class TokenRequestSerializer(AuthTokenSerializer):
    """DRF's serializer, with a refusal that says what to do (the portal's error standard)."""

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(
                "That username and password do not match an active account. Check both and try again.",
                code="authorization",
            ) from exc


@extend_schema(
    request=inline_serializer(
        "TokenRequest", {"username": serializers.CharField(), "password": serializers.CharField()}
    ),
    responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    tags=["auth"],
)
class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (`Authorization: Token <token>`)."""

    serializer_class = TokenRequestSerializer
    throttle_classes = [TokenThrottle]

    def post(self, request, *args, **kwargs):
        username = request.data.get("username")
        if isinstance(username, str) and is_locked(request, username):  # else the serializer refuses it
            raise TooManyAttempts(lock_message(), code="locked")
        return super().post(request, *args, **kwargs)
