from oauth2_provider.oauth2_validators import OAuth2Validator


class UniversityValidator(OAuth2Validator):
    """Claims a university's provider sends: the login as preferred_username, the name, the e-mail."""

    def get_additional_claims(self, request):
        user = request.user
        return {
            "preferred_username": user.username,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "email": user.email,
        }
