"""Channel adapters of the outbox: the in-app inbox, e-mail over SMTP, SMS through an HTTP gateway.

An adapter sends one message or raises ``SendFailed`` with a reason that holds no personal data
(no address, no text): the outbox stores that reason and retries later. An adapter whose server
is not configured is *off* (``off_reason``); the outbox then marks its messages "skipped".

E-mail carries a ``Message-ID`` derived from the outbox row's dedupe key, and the SMS gateway
receives the same stable ``id``: when a sender dies after the server accepted a message but before
the outbox recorded it, the message is sent again with the same identifier, so the receiving side
can recognise the duplicate (docs/policy-delivery.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Protocol

import httpx
from sqlalchemy.orm import Session

from tongban.config import Settings
from tongban.kernel.clock import now
from tongban.notify import service as inbox

INBOX = "inbox"
EMAIL = "email"
SMS = "sms"
CHANNELS = (INBOX, EMAIL, SMS)


class SendFailed(Exception):
    """The channel did not accept the message; ``reason`` is safe to store and log."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason[:500]
        self.permanent = permanent  # retrying cannot help (a refused address)


@dataclass(frozen=True)
class Outgoing:
    """One message as a channel sends it; ``link`` is absolute for e-mail and SMS."""

    dedupe_key: str
    address: str
    subject: str
    body: str
    link: str


def message_token(dedupe_key: str) -> str:
    """A stable identifier of a notification (no personal data: a digest of its dedupe key)."""
    return hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:32]


def message_id(dedupe_key: str, settings: Settings) -> str:
    """The e-mail ``Message-ID``: the same for every attempt at the same notification."""
    _, sender = parseaddr(settings.smtp_from)
    domain = sender.rpartition("@")[2] or "tongban.localhost"
    return f"<{message_token(dedupe_key)}@{domain}>"


class Channel(Protocol):
    @property
    def off_reason(self) -> str:
        """Why the channel cannot send (empty when it can)."""
        ...

    def send(self, message: Outgoing) -> None: ...

    def close(self) -> None: ...


def send_inbox(session: Session, user_id: int, subject: str, body: str, link: str) -> None:
    """The inbox channel: a message in the account's inbox, in the caller's transaction."""
    inbox.send_to_user(session, user_id, subject, body, link)


class EmailChannel:
    """Plain-text e-mail over SMTP (STARTTLS, SSL or plain), one connection reused per run."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    @property
    def off_reason(self) -> str:
        return "" if self.settings.smtp_host else "e-mail channel off: no SMTP host configured"

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.smtp_security == "ssl":
            smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
            if s.smtp_security == "starttls":
                smtp.starttls(context=context)
        if s.smtp_user:
            smtp.login(s.smtp_user, s.smtp_password.get_secret_value())
        return smtp

    def compose(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.settings.smtp_from
        email["To"] = message.address
        email["Subject"] = message.subject
        email["Message-ID"] = message_id(message.dedupe_key, self.settings)
        email["Date"] = format_datetime(now())
        text = message.body
        if message.link:
            text = f"{text}\n\n{message.link}" if text else message.link
        email.set_content(text)
        return email

    def send(self, message: Outgoing) -> None:
        email = self.compose(message)
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(email)
        except smtplib.SMTPResponseException as error:
            self._drop()
            permanent = 500 <= error.smtp_code < 600
            raise SendFailed(
                f"SMTP {error.smtp_code} ({type(error).__name__})", permanent=permanent
            ) from None
        except smtplib.SMTPRecipientsRefused:
            self._drop()
            raise SendFailed("SMTP recipient refused", permanent=True) from None
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            raise SendFailed(f"SMTP connection failed ({type(error).__name__})") from None

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


class SmsChannel:
    """SMS through an HTTP gateway: POST JSON ``{to, text, id}`` with a bearer token."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: httpx.Client | None = None

    @property
    def off_reason(self) -> str:
        return "" if self.settings.sms_gateway_url else "SMS channel off: no gateway URL configured"

    @staticmethod
    def text(message: Outgoing) -> str:
        return f"{message.subject} {message.link}".strip()

    def send(self, message: Outgoing) -> None:
        if self._client is None:
            headers = {}
            token = self.settings.sms_gateway_token.get_secret_value()
            if token:
                headers["Authorization"] = f"Bearer {token}"
            self._client = httpx.Client(headers=headers, timeout=self.settings.smtp_timeout)
        payload = {"to": message.address, "text": self.text(message), "id": message_token(message.dedupe_key)}
        try:
            response = self._client.post(self.settings.sms_gateway_url, json=payload)
        except httpx.HTTPError as error:
            raise SendFailed(f"SMS gateway unreachable ({type(error).__name__})") from None
        if not response.is_success:
            status = response.status_code
            permanent = status in (400, 422)  # the gateway refused this number or text
            raise SendFailed(f"SMS gateway answered HTTP {status}", permanent=permanent)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()


class Channels:
    """The external channels of one sending run (connections opened on first use)."""

    def __init__(self, settings: Settings) -> None:
        self.by_name: dict[str, Channel] = {EMAIL: EmailChannel(settings), SMS: SmsChannel(settings)}

    def get(self, name: str) -> Channel | None:
        return self.by_name.get(name)

    def close(self) -> None:
        for channel in self.by_name.values():
            channel.close()
