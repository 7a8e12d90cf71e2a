"""Reads about accounts: the signed-in user's summary, the calendar feed's owner and API tokens."""

import hashlib

from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from courses.models import (
    ApiToken,
    User,
)
from courses.selectors.enrolments import enrolments_for_user, staff_roles_for_user, waitlist_position
from portal.queries import row_by_key


def me_summary(user) -> dict:
    enrolments = enrolments_for_user(user)
    roles = staff_roles_for_user(user)
    role_names = sorted({r.role for r in roles} | ({"student"} if enrolments else set()))
    return {
        "username": user.username,
        "name": user.display_name,
        "email": user.email,
        "roles": role_names,
        "staff_roles": [
            {
                "course_id": r.course_id,
                "course": r.course.code,
                "role": r.role,
                "section": r.section.code if r.section else None,
            }
            for r in roles
        ],
        "enrolments": [
            {
                "id": e.id,
                "course_id": e.section.course_id,
                "course": e.section.course.code,
                "section_id": e.section_id,
                "section": e.section.code,
                "status": e.status,
                "grading_basis": e.grading_basis,
                "waitlist_position": waitlist_position(e),
            }
            for e in enrolments
        ],
        "calendar_url": reverse("calendar-feed", kwargs={"token": user.calendar_token}),
        "time_zone_display": user.time_zone_display,
        "browser_time_zone": user.browser_time_zone,
    }


def user_by_calendar_token(token: str) -> User | None:
    return User.objects.filter(calendar_token=token, is_active=True).first()


def api_token_digest(key: str) -> str:
    """What is stored of a token's key: its SHA-256 (the key is random, so no slow hash is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def password_fingerprint(user: User) -> str:
    """Changes whenever the password does (change, reset, admin, `changepassword`): a token remembers the
    one it was issued under and stops working with a new password, as Django's sessions do."""
    return salted_hmac("courses.ApiToken.password", user.password, algorithm="sha256").hexdigest()


def api_token_by_key(key: str) -> ApiToken | None:
    return row_by_key(ApiToken.objects.select_related("user").filter(digest=api_token_digest(key)))


def api_token_is_current(token: ApiToken) -> bool:
    """Not revoked by a password change, and the account still active (expiry is checked apart, so that
    the refusal can say the token expired)."""
    return token.user.is_active and constant_time_compare(
        token.password_fingerprint, password_fingerprint(token.user)
    )


def api_tokens_for_user(user: User) -> list[ApiToken]:
    """The user's tokens, newest first, expired ones included (a page marks them); never the ones a
    password change revoked."""
    return list(ApiToken.objects.filter(user=user, password_fingerprint=password_fingerprint(user)))
