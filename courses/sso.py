"""Single sign-on: CAS (django-cas-ng) and OpenID Connect (mozilla-django-oidc), each off until configured.

Both libraries do the protocol; this module decides whose account a sign-in opens
(courses.services.sso: by username, never by e-mail, a new account without any role), keeps them out of
the password lockout (django-axes guards password checks; a ticket or a code is not a guess), and says
what went wrong in words when a sign-in fails. Settings are read at each request, so a deployment turns a
method on or off with its environment alone (README, "Single sign-on").
"""

import logging
import time
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_cas_ng import views as cas_views
from django_cas_ng.backends import CASBackend as LibraryCASBackend
from django_cas_ng.utils import get_cas_client
from mozilla_django_oidc import views as oidc_views
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from courses.services.sso import sso_account_for_login
from portal.errors import PortalError
from portal.signin import cas_enabled, oidc_enabled, sign_in_methods

logger = logging.getLogger(__name__)

CAS_BACKEND = "courses.sso.CASBackend"
OIDC_BACKEND = "courses.sso.OIDCBackend"
DISCOVERY_TTL_SECONDS = 3600
_discovery: dict[str, tuple[float, dict]] = {}


def _refuse(request, message: str) -> None:
    if request is not None:
        request.sso_problem = message
    logger.warning("Single sign-on refused: %s", message)


def _account(request, *, login: str, provider: str, **names):
    try:
        return sso_account_for_login(login=login, provider=provider, **names)
    except PortalError as exc:
        _refuse(request, exc.detail)
        return None


def _first(value) -> str:
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


class CASBackend(LibraryCASBackend):
    """Checks the ticket with the CAS server (django-cas-ng's client), then opens the account whose
    username is the CAS user. Takes only `ticket` and `service`, so a password sign-in never reaches it."""

    def authenticate(self, request, ticket, service):
        if not cas_enabled():
            return None
        client = get_cas_client(service_url=service, request=request)
        try:
            login, attributes, _ = client.verify_ticket(ticket)
        except requests.RequestException:
            _refuse(
                request, f"The portal could not reach {settings.PORTAL_CAS_NAME}'s sign-in server. Try again."
            )
            return None
        if not login:
            _refuse(
                request, "The sign-in server did not accept the sign-in (it may have expired). Try again."
            )
            return None
        attributes = attributes or {}
        return _account(
            request,
            login=login,
            provider="cas",
            first_name=_first(attributes.get("first_name") or attributes.get("givenName")),
            last_name=_first(attributes.get("last_name") or attributes.get("sn")),
            email=_first(attributes.get("email") or attributes.get("mail")),
        )


def oidc_provider() -> dict:
    """The issuer's discovery document (its endpoints), fetched at the first sign-in and kept an hour."""
    issuer = settings.PORTAL_OIDC_ISSUER
    cached = _discovery.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_TTL_SECONDS:
        return cached[1]
    response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT)
    response.raise_for_status()
    document = response.json()
    if str(document.get("issuer", "")).rstrip("/") != issuer:
        raise requests.RequestException(
            f"The discovery document names issuer {document.get('issuer')!r}, not PORTAL_OIDC_ISSUER {issuer!r}."
        )
    _discovery[issuer] = (time.monotonic(), document)
    return document


def _provider_or_refuse(request) -> dict | None:
    try:
        return oidc_provider()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("OpenID Connect discovery failed: %s", exc)
        _refuse(
            request, f"The portal could not reach {settings.PORTAL_OIDC_NAME}'s sign-in server. Try again."
        )
        return None


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, with the endpoints from discovery, the ID token's issuer and audience
    checked, and the account matched by PORTAL_OIDC_USERNAME_CLAIM. Takes only `nonce` and
    `code_verifier` (what the callback passes), so no other sign-in reaches it."""

    def __init__(self, *args, **kwargs):
        # The library reads its endpoints here, at every authenticate() of any kind; they are only known
        # (from discovery) when an OpenID Connect sign-in actually happens.
        self.UserModel = get_user_model()

    def authenticate(self, request, *, nonce, code_verifier=None):
        if not oidc_enabled() or request is None:
            return None
        provider = _provider_or_refuse(request)
        if provider is None:
            return None
        self.OIDC_OP_TOKEN_ENDPOINT = provider["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = provider["userinfo_endpoint"]
        self.OIDC_OP_JWKS_ENDPOINT = provider.get("jwks_uri")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        try:
            return super().authenticate(request, nonce=nonce, code_verifier=code_verifier)
        except requests.RequestException as exc:
            logger.warning("OpenID Connect sign-in failed: %s", exc)
            _refuse(request, f"{settings.PORTAL_OIDC_NAME}'s sign-in server refused the sign-in. Try again.")
            return None
        except SuspiciousOperation as exc:
            _refuse(request, f"The sign-in could not be verified ({exc}). Try again.")
            return None

    def get_user(self, user_id):
        return ModelBackend.get_user(self, user_id)  # the library's skips the is_active check

    def get_or_create_user(self, access_token, id_token, payload):
        audience = payload.get("aud")
        audience = [audience] if isinstance(audience, str) else list(audience or [])
        if str(payload.get("iss", "")).rstrip("/") != settings.PORTAL_OIDC_ISSUER:
            raise SuspiciousOperation("the ID token comes from another issuer")
        if settings.OIDC_RP_CLIENT_ID not in audience:
            raise SuspiciousOperation("the ID token is meant for another client")
        claims = self.get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("the user information is about someone else than the ID token")
        claim = settings.PORTAL_OIDC_USERNAME_CLAIM
        login = _first(claims.get(claim) or payload.get(claim))
        if not login:
            _refuse(
                self.request,
                f"The sign-in server did not send your username (claim {claim!r}). Ask the portal's "
                "administrator to check PORTAL_OIDC_USERNAME_CLAIM and PORTAL_OIDC_SCOPES.",
            )
            return None
        return _account(
            self.request,
            login=login,
            provider="oidc",
            first_name=_first(claims.get("given_name")),
            last_name=_first(claims.get("family_name")),
            email=_first(claims.get("email")),
        )


def _failed(request, method: str):
    problem = getattr(request, "sso_problem", None) or (
        f"The sign-in with {method} did not complete (it was cancelled or refused). Try again."
    )
    return render(request, "registration/sso_failed.html", {"problem": problem}, status=403)


def _local_next_only(request) -> None:
    """Drop a `next` that leaves the portal (another host or scheme): the sign-in then goes to the
    default page, never to a site an attacker named in a link. django-cas-ng reads `next` unchecked when
    CAS_LOGIN_NEXT_PAGE is unset, so this runs before it sees the request (and before `next` goes into the
    service URL the ticket is issued for)."""
    for method in ("GET", "POST"):
        params = getattr(request, method)
        value = params.get("next")
        if value is not None and not url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            params = params.copy()
            del params["next"]
            setattr(request, method, params)


class CASLoginView(cas_views.LoginView):
    """GET /accounts/cas/login/: off to the CAS server, and back here with a ticket."""

    def dispatch(self, request, *args, **kwargs):
        if not cas_enabled():
            raise Http404("CAS sign-in is not configured on this portal.")
        _local_next_only(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        try:
            return super().get(request)
        except PermissionDenied:
            return _failed(request, settings.PORTAL_CAS_NAME)


class OIDCStartView(oidc_views.OIDCAuthenticationRequestView):
    """GET /accounts/oidc/login/: off to the provider's authorization endpoint."""

    def __init__(self, *args, **kwargs):
        super(oidc_views.OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not oidc_enabled():
            raise Http404("OpenID Connect sign-in is not configured on this portal.")
        provider = _provider_or_refuse(request)
        if provider is None:
            return _failed(request, settings.PORTAL_OIDC_NAME)
        self.OIDC_OP_AUTH_ENDPOINT = provider["authorization_endpoint"]
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class OIDCCallbackView(oidc_views.OIDCAuthenticationCallbackView):
    """GET /accounts/oidc/callback/: the provider sends the browser back here with a code."""

    def get(self, request):
        if not oidc_enabled():
            raise Http404("OpenID Connect sign-in is not configured on this portal.")
        return super().get(request)

    def login_failure(self):
        return _failed(self.request, settings.PORTAL_OIDC_NAME)


class PortalLoginView(LoginView):
    """The sign-in page: single sign-on buttons when configured, and the password form (for administrators
    only when PORTAL_PASSWORD_SIGN_IN is false)."""

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "sso_methods": sign_in_methods(),
            "password_sign_in": settings.PORTAL_PASSWORD_SIGN_IN,
        }


def sign_out_offer(request) -> dict | None:
    """Where to sign out of the university's server too, for a session opened through it."""
    backend = request.session.get(BACKEND_SESSION_KEY)
    back = request.build_absolute_uri(reverse("login"))
    if backend == CAS_BACKEND and cas_enabled():
        return {"name": settings.PORTAL_CAS_NAME, "url": get_cas_client(request=request).get_logout_url(back)}
    if backend == OIDC_BACKEND and oidc_enabled():
        try:
            end_session = oidc_provider().get("end_session_endpoint")
        except (requests.RequestException, ValueError):
            end_session = None
        if end_session:
            params = {"client_id": settings.OIDC_RP_CLIENT_ID, "post_logout_redirect_uri": back}
            if request.session.get("oidc_id_token"):  # lets the provider sign out without asking
                params["id_token_hint"] = request.session["oidc_id_token"]
            query = urlencode(params)
            return {"name": settings.PORTAL_OIDC_NAME, "url": f"{end_session}?{query}"}
    return None


class PortalLogoutView(LogoutView):
    """Sign-out ends the portal's session. After a single sign-on it also offers (does not force) the
    university's sign-out, which would end every other site's session there too."""

    def post(self, request, *args, **kwargs):
        offer = sign_out_offer(request)
        response = super().post(request, *args, **kwargs)
        if offer is None:
            return response
        return render(request, "registration/logged_out.html", {"sso_sign_out": offer})
