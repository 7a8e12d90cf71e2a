from django.contrib import admin
from django.contrib.auth.views import PasswordResetView
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal.auth import LoginForm
from portal.health import healthz
from portal.mail import PasswordResetForm
from portal.sso import CASLoginView, OIDCCallbackView, OIDCStartView, PortalLoginView, PortalLogoutView
from portal.token_api import TokenDetailView, TokensView, TokenView

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/tokens/", TokensView.as_view(), name="api-tokens"),
    path("auth/tokens/<int:token_id>/", TokenDetailView.as_view(), name="api-token-detail"),
    path("", include("courses.api_urls")),
    path("", include("grading.api_urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", PortalLoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/logout/", PortalLogoutView.as_view(), name="logout"),
    # Single sign-on (portal.sso): each answers 404 until its server is configured.
    path("accounts/cas/login/", CASLoginView.as_view(), name="cas-login"),
    path("accounts/oidc/login/", OIDCStartView.as_view(), name="oidc-login"),
    path("accounts/oidc/callback/", OIDCCallbackView.as_view(), name="oidc_authentication_callback"),
    # Password reset's e-mail goes out once through the portal's mail path (portal.mail).
    path(
        "accounts/password_reset/",
        PasswordResetView.as_view(form_class=PasswordResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("courses.urls")),
    path("", include("grading.urls")),
]

handler404 = "portal.api.not_found"
