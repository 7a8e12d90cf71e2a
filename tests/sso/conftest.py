from tests.sso.servers import cas_configured, cas_server, oidc_configured, oidc_server  # noqa: F401
