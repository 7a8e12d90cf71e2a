from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The portal's own plumbing with tables: the task outbox and process heartbeats (no course rules)."""

    name = "portal"
    verbose_name = "Portal plumbing"
