"""API tokens: sign in for one (`POST /api/v1/auth/token/`), revoke the one in use (`DELETE`), and list,
make and revoke one's own (`/api/v1/auth/tokens/`). Thin views over courses.services.accounts."""

from django.contrib.auth import authenticate, logout
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from courses import selectors
from courses.models import ApiToken
from courses.services import accounts
from portal.api import ERROR, InstantField
from portal.auth import client_address, is_locked, lock_message
from portal.errors import PermissionDenied, TooManyAttempts
from portal.signin import password_sign_in_allowed, password_sign_in_off_message


class TokenThrottle(AnonRateThrottle):
    """Sign-in requests per client address; the address is decided as for the lockout (portal.auth)."""

    scope = "token"

    def get_ident(self, request):
        return client_address(request) or "unknown"


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Which program or device this token is for.",
    )

    def validate(self, attrs):
        user = authenticate(self.context["request"], username=attrs["username"], password=attrs["password"])
        if user is None:  # a wrong password, an inactive account, or a lock (refused before any check)
            raise serializers.ValidationError(
                "That username and password do not match an active account. Check both and try again.",
                code="authorization",
            )
        if not password_sign_in_allowed(user):  # after the password check: a guesser learns nothing
            raise serializers.ValidationError(password_sign_in_off_message(), code="password_sign_in_off")
        attrs["user"] = user
        return attrs


class TokenNameIn(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)


class TokenOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The key's first characters, to tell tokens apart.")
    created_at = InstantField()
    last_used_at = InstantField(allow_null=True)
    expires_at = InstantField()
    expired = serializers.BooleanField()
    current = serializers.BooleanField(help_text="The token this request was signed with.")


class NewTokenOut(TokenOut):
    token = serializers.CharField(help_text="The key: shown this once, never again.")


def _token_out(row: ApiToken, request, cls=TokenOut, **extra) -> dict:
    return cls(
        {
            **{
                f: getattr(row, f)
                for f in ("id", "name", "prefix", "created_at", "last_used_at", "expires_at")
            },
            "expired": row.expires_at <= timezone.now(),
            "current": isinstance(request.auth, ApiToken) and request.auth.pk == row.pk,
            **extra,
        }
    ).data


class TokenView(APIView):
    throttle_classes = [TokenThrottle]

    def _signing_in(self) -> bool:
        request = getattr(self, "request", None)  # None while the schema is generated
        return request is not None and request.method == "POST"

    def get_permissions(self):
        return [AllowAny()] if self._signing_in() else [IsAuthenticated()]

    def get_authenticators(self):
        # Signing in reads no credentials but the password: a stale token header must not refuse it.
        return [] if self._signing_in() else super().get_authenticators()

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer(
                "TokenResponse", {"token": serializers.CharField(), "expires_at": InstantField()}
            ),
            400: ERROR,
            429: ERROR,
        },
        tags=["auth"],
    )
    def post(self, request):
        """Exchange a username and password for a new API token (`Authorization: Token <token>`).

        Each sign-in issues a new token (name it after the program or device with `name`); it expires after
        the portal's token lifetime (30 days unless configured). Repeated failures lock the username, and
        the address, for a while (429, `code: "locked"`)."""
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if is_locked(request, username if isinstance(username, str) else None):
            raise TooManyAttempts(lock_message(), code="locked")
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, key = accounts.api_token_create(
            user=serializer.validated_data["user"], name=serializer.validated_data.get("name", "")
        )
        return Response({"token": key, "expires_at": InstantField().to_representation(token.expires_at)})

    @extend_schema(
        request=None, responses={204: OpenApiResponse(description="Revoked."), 401: ERROR}, tags=["auth"]
    )
    def delete(self, request):
        """Revoke the token this request is signed with (it answers 401 from now on). Signed in with a
        session (the browser), this signs the session out."""
        if isinstance(request.auth, ApiToken):
            accounts.api_token_revoke(acting_user=request.user, token_id=request.auth.pk)
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokensView(APIView):
    @extend_schema(responses={200: TokenOut(many=True)}, tags=["auth"])
    def get(self, request):
        """Your API tokens, newest first (keys are never shown again)."""
        return Response([_token_out(t, request) for t in selectors.api_tokens_for_user(request.user)])

    @extend_schema(request=TokenNameIn, responses={201: NewTokenOut, 400: ERROR, 403: ERROR}, tags=["auth"])
    def post(self, request):
        """Make a new token for a program or device; the key is in this answer only. Signed in (a session)
        only: a token cannot make tokens, or a stolen one would outlive its expiry and its revocation."""
        if isinstance(request.auth, ApiToken):
            raise PermissionDenied(
                "A token cannot make new tokens. Make one on your account page in the portal, or sign in for "
                "one with POST /api/v1/auth/token/.",
                code="token_from_token",
            )
        data = TokenNameIn(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = accounts.api_token_create(user=request.user, name=data.validated_data.get("name", ""))
        return Response(_token_out(token, request, NewTokenOut, token=key), status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    @extend_schema(
        request=None, responses={204: OpenApiResponse(description="Revoked."), 404: ERROR}, tags=["auth"]
    )
    def delete(self, request, token_id: int):
        """Revoke one of your tokens."""
        accounts.api_token_revoke(acting_user=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
