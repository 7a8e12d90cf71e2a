"""The signed-in user's e-mail choices: the account page's reminders switch posts here."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.services.mail_preferences import mail_preference_set, reminders_wanted
from portal.api import ERROR, validated


class MailPreferencesOut(serializers.Serializer):
    reminders = serializers.BooleanField(
        help_text="Deadline reminder e-mails, 48 and 24 hours before a due time with nothing submitted."
    )


class MailPreferencesIn(serializers.Serializer):
    reminders = serializers.BooleanField(help_text="true: send reminders (the default); false: do not.")


class MailPreferencesView(APIView):
    @extend_schema(responses={200: MailPreferencesOut}, tags=["me"])
    def get(self, request):
        return Response({"reminders": reminders_wanted(request.user)})

    @extend_schema(request=MailPreferencesIn, responses={200: MailPreferencesOut, 400: ERROR}, tags=["me"])
    def patch(self, request):
        """Turn deadline reminder e-mails on or off (the link in every reminder turns them off too)."""
        data = validated(MailPreferencesIn, request.data)
        preference = mail_preference_set(acting_user=request.user, reminders=data["reminders"])
        return Response({"reminders": preference.reminders})
