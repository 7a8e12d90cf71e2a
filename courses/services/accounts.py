from django.db import transaction

from courses.models import User, _new_calendar_token


@transaction.atomic
def calendar_token_reset(*, acting_user: User) -> str:
    """Revoke the old calendar feed address and issue a new one."""
    acting_user.calendar_token = _new_calendar_token()
    acting_user.save(update_fields=["calendar_token"])
    return acting_user.calendar_token
