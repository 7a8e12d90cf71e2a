import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from courses import selectors
from courses.models import ApiToken, User, _new_calendar_token
from portal.errors import ObjectNotFound, PortalError


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
