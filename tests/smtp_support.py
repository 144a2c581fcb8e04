"""A real SMTP server in the test process (aiosmtpd on 127.0.0.1) that keeps what it receives."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Inbox:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))  # type: ignore[arg-type]
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(*, user: str | None = None, password: str | None = None) -> Iterator[Inbox]:
    """Plain SMTP (no TLS) on 127.0.0.1; with user/password it requires that login."""
    inbox = Inbox(port=free_port())
    kwargs: dict[str, object] = {}
    if user is not None:

        def authenticate(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
            ok = isinstance(auth_data, LoginPassword) and (
                auth_data.login.decode(),
                auth_data.password.decode(),
            ) == (user, password)
            return AuthResult(success=ok, handled=False)  # False: the server answers 535

        # Login over plain SMTP: the tests run on loopback, where the sender allows it.
        kwargs = {"authenticator": authenticate, "auth_require_tls": False, "auth_required": True}
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, **kwargs)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
