"""Outgoing mail over the workspace's SMTP server, and the delivery of pending notifications.

Connection rules: port 465 speaks TLS from the first byte (SMTP over SSL); any other port
starts in plain text and upgrades with STARTTLS when `smtp.starttls` is on (the default).
The password is never stored in the database: it is read from KEITO_SMTP_PASSWORD, else
from the OS keyring (service "keito", user name "smtp:USER@HOST").

A notification is emailed at most once: `emailed_at` is set only after the server accepted
the message. When sending fails the notification stays pending (emailed_at NULL), stays in
the inbox, and the error is reported; the next run tries again.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import UserStatus, UserType
from keito_core.errors import KeitoError
from keito_core.models import Notification, User, Workspace

PASSWORD_ENV = "KEITO_SMTP_PASSWORD"
KEYRING_SERVICE = "keito"
#: Notifications older than this are not emailed any more (the inbox still has them).
DEFAULT_MAX_AGE = timedelta(days=7)
#: Users without a real mailbox (agents made without an email) have addresses here.
NO_MAILBOX_DOMAIN = "agents.keito.local"
_SMTP_ERRORS = (smtplib.SMTPException, OSError, ssl.SSLError)


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the workspace's mail server."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    timeout: float = 20.0

    @property
    def implicit_tls(self) -> bool:
        return self.port == 465


def keyring_user(settings_username: str | None, host: str) -> str:
    """The keyring user name under which the SMTP password is kept."""
    return f"smtp:{settings_username or ''}@{host}"


def smtp_password(
    *, env: Mapping[str, str], host: str, username: str | None
) -> str | None:
    """The SMTP password: KEITO_SMTP_PASSWORD, else the OS keyring, else None."""
    if env.get(PASSWORD_ENV):
        return env[PASSWORD_ENV]
    if not username:
        return None
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, keyring_user(username, host))
    except Exception:  # no usable backend: a headless server without a keyring
        return None


def smtp_sender(workspace: Workspace) -> str:
    """The From address: smtp.from, else the SMTP user name when it is an address."""
    username = (workspace.smtp_username or "").strip()
    sender = (workspace.smtp_from or "").strip() or (username if "@" in username else "")
    if not sender:
        raise KeitoError(
            "config_error",
            "the workspace has an SMTP server but no From address",
            field="smtp.from",
            hint="`keito settings set smtp.from keito@example.com`",
        )
    return sender


def smtp_settings(workspace: Workspace, *, env: Mapping[str, str]) -> SmtpSettings | None:
    """The workspace's SMTP settings, or None when no server is configured (in-app only)."""
    host = (workspace.smtp_host or "").strip()
    if not host:
        return None
    username = (workspace.smtp_username or "").strip() or None
    sender = smtp_sender(workspace)
    return SmtpSettings(
        host=host,
        port=workspace.smtp_port,
        sender=sender,
        username=username,
        password=smtp_password(env=env, host=host, username=username),
        starttls=workspace.smtp_starttls,
    )


def build_message(
    *, sender: str, to: str, to_name: str | None, subject: str, body: str, now: datetime
) -> EmailMessage:
    """A plain-text message with the headers a mail server expects."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((to_name or "", to))
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    domain = sender.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body)
    return message


class Mailer:
    """One connection to the SMTP server: `with Mailer(settings) as mail: mail.send(msg)`."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        s = self.settings
        if s.implicit_tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            smtp.ehlo()
            if s.starttls and not s.implicit_tls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.username and s.password:
                smtp.login(s.username, s.password)
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return self

    def send(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        """Send `message`; the recipients the server refused (when it accepted others)."""
        assert self._smtp is not None, "use Mailer as a context manager"
        return self._smtp.send_message(message)

    def __exit__(self, *exc: Any) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except _SMTP_ERRORS:
                self._smtp.close()
            self._smtp = None


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message."""

    filename: str
    content: bytes
    mime_type: str  # "application/pdf"


def build_mail(
    *,
    sender: str,
    to: Sequence[tuple[str, str]],
    subject: str,
    body: str,
    now: datetime,
    cc: Sequence[tuple[str, str]] = (),
    reply_to: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """A plain-text message to several (name, address) pairs, with files attached."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = [Address(display_name=name, addr_spec=address) for name, address in to]
    if cc:
        message["Cc"] = [Address(display_name=name, addr_spec=address) for name, address in cc]
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message.set_content(body)
    for attachment in attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(attachment.content, maintype=maintype, subtype=subtype,
                               filename=attachment.filename)
    return message


def send_one(smtp: SmtpSettings, message: EmailMessage) -> dict[str, str]:
    """Send one message over its own connection; the recipients refused while others were
    accepted, each with the server's reason.

    Raises `network_error` when the server cannot be reached or drops the connection,
    `config_error` when it refuses the login or the TLS asked of it, `remote_error` when it
    refuses the message or every recipient.
    """
    where = f"the SMTP server {smtp.host}:{smtp.port}"
    try:
        with Mailer(smtp) as mailer:
            refused = mailer.send(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise KeitoError(
            "config_error", f"{where} refused the login of {smtp.username}: {_describe(exc)}",
            field="smtp.username",
            hint=f"check the password in {PASSWORD_ENV} or the keyring "
                 f"({keyring_user(smtp.username, smtp.host)})") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise KeitoError(
            "config_error", f"{where}: {_describe(exc)}", field="smtp.starttls",
            hint="use port 465 for TLS from the start, or `keito settings set smtp.starttls "
                 "off` for a server without TLS") from None
    except smtplib.SMTPRecipientsRefused as exc:
        reasons = ", ".join(f"{address} ({_reason(code, text)})"
                            for address, (code, text) in exc.recipients.items())
        raise KeitoError("remote_error", f"{where} refused every recipient: {reasons}",
                         field="to") from None
    except smtplib.SMTPServerDisconnected as exc:
        raise KeitoError("network_error", f"{where} closed the connection: {_describe(exc)}",
                         hint="try again; if it persists, check smtp.host and smtp.port"
                         ) from None
    except smtplib.SMTPException as exc:
        hint = None
        if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 530 \
                and not smtp.password:
            hint = f"the server asks for a login: set smtp.username and {PASSWORD_ENV}"
        raise KeitoError("remote_error", f"{where} refused the message: {_describe(exc)}",
                         hint=hint) from None
    except OSError as exc:
        raise KeitoError("network_error", f"could not reach {where}: {_describe(exc)}",
                         hint="check smtp.host, smtp.port and the network") from None
    return {address: _reason(code, text) for address, (code, text) in refused.items()}


def _reason(code: int, text: bytes | str) -> str:
    detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {detail}"


@dataclass
class Delivery:
    """What one run of `send_pending` did."""

    sent: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"sent": len(self.sent), "failed": self.failed, "error": self.error}


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(
            exc.smtp_error, bytes) else str(exc.smtp_error)
        text = f"{exc.smtp_code} {detail}"
    return f"{exc.__class__.__name__}: {text}"


def pending_query(*, now: datetime, max_age: timedelta, ids: Iterable[str] | None) -> Any:
    """Notifications still to email, with their recipients: active humans who want email."""
    query = (
        select(Notification, User)
        .join(User, col(User.id) == Notification.user_id)
        .where(
            col(Notification.emailed_at).is_(None),
            col(Notification.created_at) >= now - max_age,
            User.status == UserStatus.ACTIVE,
            User.user_type == UserType.HUMAN,
            col(User.notify_email).is_(True),
            ~sa.func.lower(User.email).like(f"%@{NO_MAILBOX_DOMAIN}"),
        )
    )
    if ids is not None:
        query = query.where(col(Notification.id).in_(list(ids)))
    return query.order_by(col(Notification.created_at), col(Notification.id))


def _body(notification: Notification, company: str) -> str:
    text = notification.body or notification.title
    return f"{text}\n\n--\n{company} on Keito. See your inbox with `keito notifications`.\n"


def send_pending(
    session: Session,
    *,
    smtp: SmtpSettings,
    company: str,
    now: datetime,
    ids: Iterable[str] | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
    limit: int = 500,
) -> Delivery:
    """Email pending notifications (all, or `ids`), marking each one emailed once accepted.

    Failures never raise: a server that cannot be reached fails the whole run, a refused
    recipient fails one message; both leave emailed_at NULL and are in the Delivery.
    """
    query = pending_query(now=now, max_age=max_age, ids=ids).limit(limit)
    rows = list(session.exec(query).all())
    delivery = Delivery()
    if not rows:
        return delivery
    try:
        with Mailer(smtp) as mailer:
            for notification, user in rows:
                message = build_message(
                    sender=smtp.sender,
                    to=user.email,
                    to_name=user.name,
                    subject=notification.title,
                    body=_body(notification, company),
                    now=now,
                )
                try:
                    mailer.send(message)
                except _SMTP_ERRORS as exc:
                    delivery.failed.append({"id": notification.id, "error": _describe(exc)})
                    if isinstance(exc, smtplib.SMTPServerDisconnected):
                        raise
                    continue
                notification.emailed_at = now
                session.add(notification)
                delivery.sent.append(notification.id)
    except _SMTP_ERRORS as exc:
        delivery.error = f"{smtp.host}:{smtp.port}: {_describe(exc)}"
        done = set(delivery.sent) | {f["id"] for f in delivery.failed}
        delivery.failed.extend(
            {"id": n.id, "error": delivery.error} for n, _ in rows if n.id not in done
        )
    session.flush()
    return delivery
