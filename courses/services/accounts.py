import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from courses import selectors
from courses.models import ApiToken, User, _new_calendar_token, validate_time_zone
from courses.services.audit import audit_record
from portal.errors import ObjectNotFound, PortalError


@transaction.atomic
def user_time_zone_display_set(*, acting_user: User, mode: str, browser_time_zone: str | None = None) -> User:
    """Show times in the course's zone (the default) or in the browser's zone, which the browser reports
    (an IANA name) when the person switches; the choice is remembered for every page and device."""
    if mode not in User.TimeZoneDisplay.values:
        raise PortalError(
            "Choose course (the course's time zone) or browser (your browser's time zone).",
            fields={"time_zone_display": "course or browser."},
        )
    zone = (browser_time_zone or "").strip()
    if zone:
        try:
            validate_time_zone(zone)
        except ValidationError:
            raise PortalError(
                f"{zone!r} is not a time zone name; send an IANA name such as America/Los_Angeles.",
                fields={"browser_time_zone": "An IANA time zone name."},
            ) from None
    if mode == User.TimeZoneDisplay.BROWSER and not (zone or acting_user.browser_time_zone):
        raise PortalError(
            "Send your browser's time zone (browser_time_zone, an IANA name such as America/Los_Angeles) "
            "to see times in it.",
            fields={"browser_time_zone": "Required to show times in your browser's zone."},
        )
    old = {
        "time_zone_display": acting_user.time_zone_display,
        "browser_time_zone": acting_user.browser_time_zone,
    }
    acting_user.time_zone_display = mode
    if zone:
        acting_user.browser_time_zone = zone
    acting_user.save(update_fields=["time_zone_display", "browser_time_zone"])
    new = {
        "time_zone_display": acting_user.time_zone_display,
        "browser_time_zone": acting_user.browser_time_zone,
    }
    if new != old:
        audit_record(
            actor=acting_user, action="account.time_zone", target=acting_user.username, old=old, new=new
        )
    return acting_user


@transaction.atomic
def calendar_token_reset(*, acting_user: User) -> str:
    """Revoke the old calendar feed address and issue a new one."""
    acting_user.calendar_token = _new_calendar_token()
    acting_user.save(update_fields=["calendar_token"])
    return acting_user.calendar_token


# ---- API tokens ---------------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, user: User, name: str = "", now: datetime | None = None) -> tuple[ApiToken, str]:
    """Issue a new token (one per program or device) and return it with its key, which is never stored
    and cannot be shown again. Signing in never hands back an earlier token; the user's tokens that no
    longer work (expired, or issued under an old password) are deleted here."""
    now = now or timezone.now()
    name = (name or "").strip() or "API token"
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise PortalError(
            "Give the token a shorter name (100 characters at most).", fields={"name": "Too long."}
        )
    fingerprint = selectors.password_fingerprint(user)
    ApiToken.objects.filter(user=user).filter(
        Q(expires_at__lte=now) | ~Q(password_fingerprint=fingerprint)
    ).delete()
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        digest=selectors.api_token_digest(key),
        prefix=key[:8],
        password_fingerprint=fingerprint,
        created_at=now,
        expires_at=now + timedelta(days=settings.PORTAL_TOKEN_LIFETIME_DAYS),
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, acting_user: User, token_id: int) -> None:
    """Revoke one of the acting user's own tokens; anyone else's is "not found"."""
    deleted, _ = ApiToken.objects.filter(user=acting_user, id=token_id).delete()
    if not deleted:
        raise ObjectNotFound()


def api_token_record_use(*, token: ApiToken, now: datetime | None = None) -> None:
    """Keep `last_used_at` to the minute: one UPDATE a minute per token, not one per request."""
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
