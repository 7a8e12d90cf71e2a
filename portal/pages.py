"""Shared pieces of the HTML pages."""

from django.http import Http404

from portal.errors import PortalError


def or_404(check, *args, **kwargs):
    """Run an access check for a page: whatever is outside the user's reach is the page's 404, with the
    access rule's message (the same answer the API gives, so nobody learns that the object exists)."""
    try:
        return check(*args, **kwargs)
    except PortalError as exc:
        raise Http404(exc.detail) from exc
