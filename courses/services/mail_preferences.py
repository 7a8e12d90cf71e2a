"""Whether a user gets deadline reminder e-mails: the account page's switch and the one-click link in every
reminder (a signed token naming the user, so no sign-in is needed; it never expires, as old e-mails keep
their link). The choice is a portal.models.MailPreference row; no row means reminders on."""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from courses.models import User
from courses.services.audit import audit_record
from portal.models import MailPreference

_SALT = "courses.reminders-off"


def reminders_wanted(user: User) -> bool:
    return MailPreference.objects.filter(user=user, reminders=False).first() is None


def reminders_off_token(user: User) -> str:
    return signing.Signer(salt=_SALT).sign(str(user.pk))


def reminders_off_url(user: User) -> str:
    """The absolute address a reminder links to (and names in List-Unsubscribe)."""
    return settings.PORTAL_BASE_URL + reverse("reminders-off", args=[reminders_off_token(user)])


def user_by_reminders_token(token: str) -> User | None:
    """The user a reminders link was made for; None for a forged or mangled one."""
    try:
        user_id = int(signing.Signer(salt=_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


@transaction.atomic
def mail_preference_set(*, acting_user: User, reminders: bool, via: str = "account") -> MailPreference:
    """Turn the user's reminder e-mails on or off (`via`: "account" or "link", for the audit trail)."""
    preference, _ = MailPreference.objects.select_for_update().get_or_create(user=acting_user)
    if preference.reminders != reminders:
        preference.reminders = reminders
        preference.changed_at = timezone.now()
        preference.save(update_fields=["reminders", "changed_at"])
        audit_record(
            actor=acting_user,
            action="account.reminders",
            target=acting_user.username,
            reminders=reminders,
            via=via,
        )
    return preference
