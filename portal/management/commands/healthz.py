"""The health report of /healthz, for container health checks that have no HTTP server of their own.

`manage.py healthz` exits 0 when the database answers; `--process worker|beat|relay` also needs this host's
own heartbeat to be fresh (under a minute old). It prints the report as JSON.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from portal import health, heartbeat


class Command(BaseCommand):
    help = "Print the health report; fail when the database (or this host's --process heartbeat) is down."

    def add_arguments(self, parser):
        parser.add_argument("--process", choices=["worker", "beat", "relay"])

    def handle(self, *args, process=None, **options):
        status, report = health.health_report()
        self.stdout.write(json.dumps(report))
        if status != 200:
            raise CommandError("the database is unreachable")
        if process and not health.heartbeat_fresh(kind=process, host=heartbeat.host()):
            raise CommandError(f"no {process} heartbeat from {heartbeat.host()} in the last minute")
