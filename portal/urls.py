from django.contrib import admin
from django.contrib.auth.views import PasswordResetView
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal.health import healthz
from portal.mail import PasswordResetForm

api_v1 = [
    path("", include("courses.api_urls")),
    path("", include("grading.api_urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Sign-in and sign-out, password and single sign-on (courses.sso), before django.contrib.auth's URLs.
    path("", include("courses.account_urls")),
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
