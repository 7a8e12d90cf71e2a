from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The portal's own plumbing with tables: the task outbox and process heartbeats (no course rules)."""

    name = "portal"
    verbose_name = "Portal plumbing"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from portal.dbtime import use_c_timestamp_loader

        connection_created.connect(use_c_timestamp_loader, dispatch_uid="portal-c-timestamp-loader")
