"""Turning reminder e-mails off from the link in a reminder: no sign-in (the signed token names the user).

GET only shows what the button will do, because mail scanners and link previews open links on their own;
POST turns reminders off. A mail program's one-click unsubscribe (RFC 8058) POSTs
"List-Unsubscribe=One-Click" to the same address without cookies, hence no CSRF check: the token is the
credential, and all it can do is turn one person's reminders off."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from courses.services.mail_preferences import mail_preference_set, reminders_wanted, user_by_reminders_token


def _user_or_404(token: str):
    user = user_by_reminders_token(token)
    if user is None:
        raise Http404(
            "This link to turn reminders off is damaged; copy the whole address from the e-mail, or sign in "
            "and use the switch on your account page."
        )
    return user


@method_decorator(csrf_exempt, name="dispatch")
class RemindersOffView(View):
    def get(self, request, token: str):
        """What the button will do; changes nothing."""
        user = _user_or_404(token)
        return self._page(request, user, done=False)

    def post(self, request, token: str):
        user = _user_or_404(token)
        mail_preference_set(acting_user=user, reminders=False, via="link")
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse("Deadline reminders are off.\n", content_type="text/plain; charset=utf-8")
        return self._page(request, user, done=True)

    @staticmethod
    def _page(request, user, *, done: bool):
        return render(
            request,
            "courses/reminders_off.html",
            {"person": user, "reminders_on": reminders_wanted(user), "done": done},
        )
