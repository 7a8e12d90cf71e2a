"""Single sign-on's one write: the portal account a CAS or OpenID Connect sign-in belongs to.

The university's server says who the person is (their login); the portal matches that login to the
account's username, which is what the roster import writes, and never to an e-mail address (an address
can change hands, a login does not). Someone the portal does not know yet gets an account with no role,
no staff rights and no password: they see no course until their instructor adds them to the roster.
"""

from django.db import transaction

from courses.models import AuditEvent, User
from courses.services.audit import audit_record
from courses.services.roster import USERNAME
from portal.errors import PortalError


def _matching_account(login: str) -> User | None:
    exact = User.objects.filter(username=login).first()
    if exact is not None:
        return exact
    # A server may spell a login in another case than the roster did ("GBurdell3" for "gburdell3").
    folded = list(User.objects.filter(username__iexact=login)[:2])
    if len(folded) > 1:
        raise PortalError(
            f"More than one portal account is named {login!r} in different letter cases, so the portal "
            "cannot tell which one is yours. Ask your instructor to merge them.",
            code="ambiguous_account",
        )
    return folded[0] if folded else None


@transaction.atomic
def sso_account_for_login(
    *, login: str, provider: str, first_name: str = "", last_name: str = "", email: str = ""
) -> User:
    """The account whose username is `login` (a CAS user or an OpenID Connect claim), created without any
    role when there is none. Refuses a login that is no valid username and an account that is switched
    off, with a message that says what to do."""
    login = (login or "").strip()
    if not USERNAME.match(login):
        raise PortalError(
            f"The sign-in server named you {login[:40]!r}, which is not a portal username (letters, digits "
            "and . @ + - _ only). Ask the portal's administrator to check the single sign-on settings.",
            code="bad_login",
        )
    user = _matching_account(login)
    if user is None:
        user, created = User.objects.get_or_create(
            username=login,
            defaults={
                "first_name": first_name[:150],
                "last_name": last_name[:150],
                "email": email[:254],
                "is_staff": False,
                "is_superuser": False,
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            audit_record(
                actor=user,
                action=AuditEvent.Action.ACCOUNT_SSO_CREATE,
                target=user.username,
                provider=provider,
            )
    if user.is_superuser or user.is_staff:
        # A local administrator account is not the university's person of the same login: it signs in with
        # its password (which PORTAL_PASSWORD_SIGN_IN=false still allows for superusers).
        raise PortalError(
            f"{user.username} is one of the portal's administrator accounts, which sign in with their "
            "password, not through single sign-on. Use the password form, or ask the portal's "
            "administrator if this login is yours at the university.",
            code="administrator",
        )
    if not user.is_active:
        raise PortalError(
            f"The portal account {user.username} is switched off. Ask your instructor or the portal's "
            "administrator to switch it back on.",
            code="inactive",
        )
    return user
