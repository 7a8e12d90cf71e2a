"""Signing in and out (password, and single sign-on through courses.sso when configured). Included by
portal.urls ahead of django.contrib.auth's own account URLs, which would otherwise answer login/."""

from django.urls import path

from courses.sso import CASLoginView, OIDCCallbackView, OIDCStartView, PortalLoginView, PortalLogoutView
from portal.auth import LoginForm, PortalPasswordChangeView

urlpatterns = [
    path("accounts/login/", PortalLoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/logout/", PortalLogoutView.as_view(), name="logout"),
    # The old password is checked like a sign-in: failures count toward the lockout (portal.auth).
    path("accounts/password_change/", PortalPasswordChangeView.as_view(), name="password_change"),
    # Single sign-on: each answers 404 until its server is configured.
    path("accounts/cas/login/", CASLoginView.as_view(), name="cas-login"),
    path("accounts/oidc/login/", OIDCStartView.as_view(), name="oidc-login"),
    path("accounts/oidc/callback/", OIDCCallbackView.as_view(), name="oidc_authentication_callback"),
]
