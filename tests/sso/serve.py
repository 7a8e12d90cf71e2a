"""Runs one of the test suite's single sign-on servers in a process of its own:

    python -m tests.sso.serve cas|oidc DATABASE_FILE

It migrates its SQLite file, creates the university's people (tests.sso.common) and its side of the
portal's configuration, listens on a free port of 127.0.0.1 and prints `READY <port>` once the socket
accepts connections. tests/sso/servers.py starts it; it stops when that process is killed.
"""

import os
import sys


def main() -> None:
    kind, database = sys.argv[1], sys.argv[2]
    os.environ["DJANGO_SETTINGS_MODULE"] = f"tests.sso.{kind}_site.settings"
    os.environ["SSO_TEST_DB"] = database
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.utils.module_loading import import_string

    from tests.sso.common import create_people

    call_command("migrate", verbosity=0, interactive=False)
    create_people()
    import_string(f"{settings.SETTINGS_MODULE}.setup")()

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    server.set_app(WSGIHandler())
    print(f"READY {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
