"""Delivery: SMTP (STARTTLS, implicit TLS or plain, with login) or .eml files.

Every failure becomes a `DeliveryError` that says whether retrying can help:
4xx replies, disconnects and timeouts are transient; 5xx replies are permanent and
keep the server's words. Connection and login problems are transient for the message
(they are the relay's or the config's fault, not the digest's) and end the batch.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Protocol

from pydantic import SecretStr

from monitor.secrets import SecretMissing, resolve_secret
from monitor.settings import Smtp

Refused = dict[str, tuple[int, bytes]]


class DeliveryError(Exception):
    """A message was not delivered; `permanent` says whether to stop trying."""

    def __init__(self, reply: str, *, permanent: bool, broken: bool = False) -> None:
        super().__init__(reply)
        self.reply = reply
        self.permanent = permanent
        self.broken = broken  # the connection is unusable: stop this batch


class Transport(Protocol):
    def __enter__(self) -> Transport: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def send(self, message: EmailMessage, name: str) -> Refused:
        """Deliver one message; returns the recipients refused while others were accepted."""
        ...


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(words.split())}"


def classify(exc: smtplib.SMTPException | OSError) -> DeliveryError:
    """Map smtplib's exceptions to transient or permanent, keeping the server's reply."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        replies = "; ".join(f"{rcpt}: {_reply(c, t)}" for rcpt, (c, t) in exc.recipients.items())
        return DeliveryError(f"refused {replies}", permanent=all(c >= 500 for c in codes))
    if isinstance(exc, smtplib.SMTPResponseException):
        return DeliveryError(_reply(exc.smtp_code, exc.smtp_error), permanent=exc.smtp_code >= 500)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return DeliveryError(f"disconnected: {exc}", permanent=False, broken=True)
    if isinstance(exc, TimeoutError):
        return DeliveryError("timed out", permanent=False, broken=True)
    return DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False, broken=True)


class SmtpTransport:
    """One SMTP session per batch, opened on the first message, closed on exit."""

    def __init__(self, config: Smtp, password: SecretStr | None = None) -> None:
        self.config = config
        self._password = password
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (smtplib.SMTPException, OSError):
                self._client.close()
            self._client = None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if cfg.security == "tls":
            client = smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=cfg.timeout_seconds, context=context
            )
        else:
            client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
        try:
            client.ehlo()
            if cfg.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if cfg.username:
                client.login(cfg.username, self._password_value())
        except BaseException:
            client.close()
            raise
        return client

    def _password_value(self) -> str:
        if self._password is None:
            try:
                self._password = resolve_secret(self.config.password_secret)
            except SecretMissing as exc:
                raise DeliveryError(str(exc), permanent=False, broken=True) from None
        return self._password.get_secret_value()

    def send(self, message: EmailMessage, name: str) -> Refused:
        try:
            if self._client is None:
                self._client = self._connect()
            return dict(self._client.send_message(message))
        except (smtplib.SMTPException, OSError) as exc:
            error = classify(exc)
            if isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPNotSupportedError):
                # Login or STARTTLS refused: a configuration problem, not this message's.
                error = DeliveryError(error.reply, permanent=False, broken=True)
            if error.broken:
                self._drop()
            raise error from None

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class FileTransport:
    """Without an SMTP host: each digest becomes `<name>.eml` in the outbox folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> FileTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def send(self, message: EmailMessage, name: str) -> Refused:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Written aside then renamed, so a reader never sees half a message.
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(message.as_bytes())
            os.replace(tmp, self.folder / f"{name}.eml")
        except OSError as exc:
            raise DeliveryError(
                f"cannot write to {self.folder}: {exc.strerror}", permanent=False, broken=True
            ) from None
        return {}


def transport_for(config: Smtp, outbox: Path) -> Transport:
    """SMTP when a host is configured, else the outbox folder."""
    return SmtpTransport(config) if config.host else FileTransport(outbox)
