"""The portal's own 404 page also while DEBUG is on.

In debug, Django answers an unknown address with its technical page, which lists every URL pattern of the
portal; someone opening a page their role may not see should get the same page as in production, and an
unknown API address the API's JSON error shape (portal.api.not_found, the production handler).
"""

from django.conf import settings

from portal.api import not_found


class FriendlyNotFoundMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and response.get("Content-Type", "").startswith("text/html")
            and not getattr(response, "portal_page", False)
        ):
            styled = not_found(request, None)
            for header, value in response.headers.items():  # the security headers the inner layers set
                if header.lower() not in ("content-type", "content-length"):
                    styled.headers.setdefault(header, value)
            styled.portal_page = True
            return styled
        return response
