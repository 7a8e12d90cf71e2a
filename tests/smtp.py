"""A real SMTP server for the mail tests (aiosmtpd, on a free local port), and the portal pointed at it."""

import email
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Inbox:
    """What the server accepted, in order. `on_rcpt` / `on_data` run inside the server's handlers (before it
    answers RCPT, and once it has the whole message, before it answers): a test kills the sending side
    there, or `on_data` returns a reply ("451 ...") to refuse the message instead of accepting it."""

    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    on_rcpt: object = None
    on_data: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.on_rcpt:
            self.on_rcpt()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        reply = self.on_data() if self.on_data else None
        if reply:  # the test's handler refuses this one (a reply such as "451 ..." or "550 ...")
            return reply
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]

    def subjects(self) -> list[str]:
        return sorted(str(m["Subject"]) for m in self.messages)


@pytest.fixture
def smtp_server(settings, monkeypatch):
    """Start the server and configure the portal's SMTP backend for it (also in the environment, for a
    worker process started afterwards)."""
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    backend = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = backend, "127.0.0.1", inbox.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    for name, value in {
        "DJANGO_EMAIL_BACKEND": backend,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(inbox.port),
    }.items():
        monkeypatch.setenv(name, value)
    try:
        yield inbox
    finally:
        controller.stop()
