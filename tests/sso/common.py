"""What the test suite's CAS server and OpenID Connect provider share: who can sign in there, and the
settings of a throwaway Django site (its own SQLite file, its own cookie names: the portal's browser tests
run on the same machine, and cookies do not tell ports apart)."""

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
PASSWORD = "university-pass"
# The university's logins. The portal knows ug1, ta1 and instructor (the demo's and the test world's
# accounts); "newstudent" is someone it has never heard of, "UG2" a login spelt in another case than the
# roster's "ug2".
PEOPLE = [
    ("ug1", "Uma", "Grad", "ug1@university.example"),
    ("UG2", "Ugo", "Second", "ug2@university.example"),
    ("ta1", "Tara", "Assistant", "ta1@university.example"),
    ("instructor", "Ines", "Teacher", "instructor@university.example"),
    ("newstudent", "Nia", "Newcomer", "newstudent@university.example"),
    ("bad login!", "Bad", "Login", "bad@university.example"),
    ("root", "Rudi", "Root", "root@university.example"),  # a university login named like a local superuser
]


def site_settings(name: str) -> dict:
    return {
        "SECRET_KEY": f"test-{name}-server-not-secret",
        "DEBUG": False,
        "ALLOWED_HOSTS": ["*"],
        "USE_TZ": True,
        "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["SSO_TEST_DB"]}},
        "DEFAULT_AUTO_FIELD": "django.db.models.AutoField",
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "SESSION_COOKIE_NAME": f"{name}_sessionid",
        "CSRF_COOKIE_NAME": f"{name}_csrftoken",
        "STATIC_URL": "/static/",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [HERE / "templates"],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        "MIDDLEWARE": [
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        "LOGGING": {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}},
    }


def create_people() -> None:
    from django.contrib.auth.models import User

    for username, first, last, email in PEOPLE:
        user, _ = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": email}
        )
        user.set_password(PASSWORD)
        user.save()
