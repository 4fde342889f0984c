"""Invoices by email: the invoice itself, a payment reminder, a thank-you (reference: Sending
Invoices).

The workspace's templates are filled with the invoice's values: {number}, {company},
{client}, {amount}, {due_amount} (alias {balance}), {paid_amount}, {payment} (the latest
payment), {issue_date}, {due_date}, {subject}, {purchase_order}, {footer} and {portal} (the
name of the attached HTML page, the client portal as a file). A placeholder it does not know
is left as typed. Below the template's body come a line naming the HTML page and the footer;
a body given for one send is sent as given. To is the client's contacts with an email unless
given; a copy goes to the sender when asked. The PDF is attached unless turned off; the HTML
page always is.

The message is sent before anything is recorded: the history entry (InvoiceMessage) and the
audit event are written only once the server accepted it. A draft moves to open before the
documents are rendered (so they do not say DRAFT), in a savepoint that a failure to send
rolls back, so the invoice stays a draft even for a caller that goes on to commit.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.utils import getaddresses, parseaddr

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import InvoiceState
from keito_core.errors import KeitoError, conflict, validation
from keito_core.io.email import (
    NO_MAILBOX_DOMAIN,
    Attachment,
    build_mail,
    send_one,
    smtp_sender,
    smtp_settings,
)
from keito_core.models import Client, Contact, Invoice, InvoiceMessage, Payment, User, Workspace
from keito_core.platform import audit
from keito_core.platform.identity import get_workspace
from keito_core.platform.lookup import find_invoice
from keito_core.platform.notices import warn
from keito_core.rules.money import format_money
from keito_core.rules.permissions import Action, Actor
from keito_core.rules.text import validate_email
from keito_core.services.billing.invoices import open_invoice, record_event, require_invoice

KINDS = ("send", "reminder", "thank_you")
#: The most people one message goes to.
MAX_RECIPIENTS = 50
MAX_SUBJECT = 500
MAX_BODY = 50_000
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")
_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_SPECIALS = set('()<>[]:;@\\,."')
NO_SMTP_HINT = ("set the workspace's mail server: `keito settings set smtp.host HOST` "
                "(and smtp.port, smtp.username, smtp.from; the password in "
                "KEITO_SMTP_PASSWORD or the keyring)")


@dataclass(frozen=True)
class Draft:
    """A message as it would go out: what a send dialog shows before sending."""

    #: The client's contacts with an email, "Name <email>".
    to: list[str]
    #: The sender's own address, where a copy goes when asked ("CC me").
    cc: list[str]
    subject: str
    body: str
    #: The PDF's file name (INV-2026-0001.pdf).
    attachment_name: str
    kind: str = "send"
    #: The HTML page's file name (INV-2026-0001.html), always attached.
    portal_name: str = ""
    #: The From address: the workspace's SMTP sender.
    sender: str = ""


def display_address(name: str | None, email: str) -> str:
    """`Ada Lovelace <ada@example.com>`, quoting a name that needs it; the bare address when
    there is no name."""
    if not name:
        return email
    if any(ch in _SPECIALS for ch in name):
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{email}>'
    return f"{name} <{email}>"


def _kind(value: str) -> str:
    word = (value or "").strip().lower().replace("-", "_")
    word = {"thanks": "thank_you", "thankyou": "thank_you", "invoice": "send"}.get(word, word)
    if word not in KINDS:
        raise validation(f"kind must be one of: {', '.join(KINDS)}", field="kind")
    return word


def _check_state(invoice: Invoice, kind: str) -> None:
    """Refuse a message that does not fit the invoice's state."""
    state = invoice.state
    if state is InvoiceState.CLOSED:
        raise conflict(f"invoice {invoice.number} is closed", hint="reopen it first")
    if kind == "send" and state is InvoiceState.PAID:
        raise conflict(f"invoice {invoice.number} is paid",
                       hint="send a thank-you instead (kind thank_you)")
    if kind == "reminder" and state is not InvoiceState.OPEN:
        raise conflict(f"invoice {invoice.number} is {state.value}: reminders are for open "
                       "invoices", hint="send the invoice first" if state is InvoiceState.DRAFT
                       else "it is paid in full")
    if kind == "thank_you" and invoice.amount_paid <= 0:
        raise conflict(f"invoice {invoice.number} has no payment recorded",
                       hint="record the payment first: a thank-you confirms it")


def _require_smtp(workspace: Workspace) -> str:
    """The From address of the workspace's mail server; config_error when none is set."""
    if not (workspace.smtp_host or "").strip():
        raise KeitoError("config_error", "no SMTP server is set for this workspace: "
                         "invoices cannot be emailed", field="smtp.host", hint=NO_SMTP_HINT)
    return smtp_sender(workspace)


def file_stem(number: str) -> str:
    """The invoice's number as a file name stem (anything unsafe in a file name as '-')."""
    return _UNSAFE_FILE_CHARS.sub("-", number).strip("-.") or "invoice"


def _mailbox(user: User | None) -> str | None:
    """The user's email when it reaches a person (agents made without one have none)."""
    if user is None or not user.email:
        return None
    if user.email.lower().endswith("@" + NO_MAILBOX_DOMAIN):
        return None
    return user.email


def _contacts(session: Session, client: Client) -> list[tuple[str, str]]:
    rows = session.exec(select(Contact).where(col(Contact.client_id) == client.id,
                                              col(Contact.email).is_not(None))
                        .order_by(col(Contact.first_name), col(Contact.id))).all()
    out: list[tuple[str, str]] = []
    for contact in rows:
        email = (contact.email or "").strip()
        if email:
            name = " ".join(x for x in (contact.first_name, contact.last_name) if x)
            out.append((name, email))
    return _unique(out)


def _unique(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out = []
    for name, email in pairs:
        if email.lower() not in seen:
            seen.add(email.lower())
            out.append((name, email))
    return out


def _decoded(name: str) -> str:
    """A display name with any RFC 2047 encoded words (`=?utf-8?b?...?=`) decoded."""
    if "=?" not in name:
        return name
    try:
        return str(make_header(decode_header(name)))
    except (HeaderParseError, LookupError, UnicodeDecodeError):
        return name


def parse_recipients(values: Sequence[str], *, field: str = "to") -> list[tuple[str, str]]:
    """(name, email) pairs from "Name <email>" or bare addresses (several to an item,
    separated by commas), each checked; a duplicate address is kept once."""
    if isinstance(values, str):
        values = [values]
    pairs: list[tuple[str, str]] = []
    for value in values:
        if not isinstance(value, str):
            raise validation(f"a recipient must be text, not {value!r}", field=field)
        if not value.strip():
            continue
        if any(unicodedata.category(ch) == "Cc" for ch in value):
            raise validation(f"a recipient cannot hold line breaks or control characters: "
                             f"{value.strip()!r}", field=field)
        for name, address in getaddresses([value]):
            if not address:
                raise validation(f"not an email address: {value.strip()!r}", field=field,
                                 hint='give "Name <name@example.com>" or name@example.com')
            pairs.append((_decoded(name).strip(), validate_email(address, field=field)))
    pairs = _unique(pairs)
    if len(pairs) > MAX_RECIPIENTS:
        raise validation(f"a message goes to at most {MAX_RECIPIENTS} people", field=field)
    return pairs


def _fill(template: str, values: Mapping[str, str]) -> str:
    """The template with each known {placeholder} replaced; anything else kept as typed."""
    def replace(match: re.Match[str]) -> str:
        return values.get(match.group(1).lower(), match.group(0))

    return _PLACEHOLDER.sub(replace, template)


def _values(session: Session, invoice: Invoice, client: Client,
            workspace: Workspace) -> dict[str, str]:
    """What each placeholder stands for, formatted as the invoice prints it."""
    def money(amount: Decimal) -> str:
        return format_money(amount, invoice.currency,
                            decimal_separator=workspace.decimal_separator,
                            thousands_separator=workspace.thousands_separator)

    latest = session.execute(
        sa.select(col(Payment.amount)).where(col(Payment.invoice_id) == invoice.id)
        .order_by(col(Payment.paid_on).desc(), col(Payment.created_at).desc(),
                  col(Payment.id).desc()).limit(1)).scalar()
    due = money(invoice.total - invoice.amount_paid)
    return {
        "number": invoice.number,
        "company": workspace.name,
        "client": client.name,
        "amount": money(invoice.total),
        "due_amount": due,
        "balance": due,
        "paid_amount": money(invoice.amount_paid),
        "payment": money(latest if latest is not None else Decimal(0)),
        "issue_date": invoice.issue_date.strftime(workspace.date_format),
        "due_date": invoice.due_date.strftime(workspace.date_format),
        "subject": invoice.subject or "",
        "purchase_order": invoice.purchase_order or "",
        "portal": f"{file_stem(invoice.number)}.html",
        "footer": (workspace.email_footer or "").strip(),
    }


def _templates(workspace: Workspace, kind: str) -> tuple[str, str]:
    return {
        "send": (workspace.email_invoice_subject, workspace.email_invoice_body),
        "reminder": (workspace.email_reminder_subject, workspace.email_reminder_body),
        "thank_you": (workspace.email_thanks_subject, workspace.email_thanks_body),
    }[kind]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _default_body(template: str, values: Mapping[str, str], footer: str | None) -> str:
    """The template filled, then below a `--` line the HTML page named (when the template
    does not name it) and the footer."""
    body = _fill(template, values).rstrip()
    notes = []
    if "{portal}" not in template.lower():
        notes.append(f"{values['portal']}, attached, shows this invoice in any web browser.")
    if footer and footer.strip() and "{footer}" not in template.lower():
        notes.append(footer.strip())
    if notes:
        body += "\n\n--\n" + "\n\n".join(notes)
    return body + "\n"


def _from_header(sender: str, company: str) -> str:
    """`Acme Consulting <billing@acme.test>` when the configured sender has no name."""
    name, address = parseaddr(sender)
    return sender if name or not address else display_address(company, address)


def compose_message(session: Session, *, actor: Actor, ref: str, kind: str = "send",
                    now: datetime) -> Draft:
    """The message `send_invoice` would send with no overrides: to prefill a send dialog.

    Raises as sending would: an unknown invoice, a kind that does not fit its state, a user
    who may not send it, no SMTP server set (`config_error`)."""
    word = _kind(kind)
    invoice = find_invoice(session, ref)
    client = require_invoice(session, actor, Action.INVOICE_SEND, invoice)
    _check_state(invoice, word)
    workspace = get_workspace(session)
    sender = _require_smtp(workspace)
    values = _values(session, invoice, client, workspace)
    subject, body = _templates(workspace, word)
    user = session.get(User, actor.user_id)
    me = _mailbox(user)
    return Draft(
        to=[display_address(name, email) for name, email in _contacts(session, client)],
        cc=[display_address(user.name if user else None, me)] if me else [],
        subject=_one_line(_fill(subject, values)),
        body=_default_body(body, values, workspace.email_footer),
        attachment_name=f"{file_stem(invoice.number)}.pdf",
        kind=word,
        portal_name=values["portal"],
        sender=_from_header(sender, workspace.name),
    )


def _subject(given: str | None, template: str, values: Mapping[str, str]) -> str:
    if given is None:
        text = _one_line(_fill(template, values))
    else:
        if any(ch in given for ch in "\r\n"):
            raise validation("the subject must be one line", field="subject")
        text = _fill(given, values).strip()
    if not text:
        raise validation("the subject is empty", field="subject")
    if len(text) > MAX_SUBJECT:
        raise validation(f"the subject is longer than {MAX_SUBJECT} characters",
                         field="subject")
    return text


def _body(given: str | None, template: str, values: Mapping[str, str],
          footer: str | None) -> str:
    text = _default_body(template, values, footer) if given is None else _fill(given, values)
    if not text.strip():
        raise validation("the message is empty", field="body")
    if len(text) > MAX_BODY:
        raise validation(f"the message is longer than {MAX_BODY:,} characters", field="body")
    return text


def _documents(session: Session, *, actor: Actor, invoice: Invoice, attach_pdf: bool,
               now: datetime) -> list[Attachment]:
    """The invoice as a PDF (when asked) and as its HTML page, as they stand now."""
    from keito_core.io.invoice_html import render_html
    from keito_core.io.invoice_pdf import render_pdf
    from keito_core.reports.invoices import invoice_document

    session.flush()
    doc = invoice_document(session, actor=actor, ref=invoice.id, now=now)
    stem = file_stem(invoice.number)
    files = [Attachment(f"{stem}.pdf", render_pdf(doc), "application/pdf")] if attach_pdf else []
    files.append(Attachment(f"{stem}.html", render_html(doc).encode("utf-8"), "text/html"))
    return files


def send_invoice(
    session: Session,
    *,
    actor: Actor,
    ref: str,
    kind: str = "send",
    recipients: Sequence[str] | None = None,
    cc_me: bool = False,
    subject: str | None = None,
    body: str | None = None,
    attach_pdf: bool = True,
    env: Mapping[str, str],
    now: datetime,
) -> InvoiceMessage:
    """Email an invoice (kind send), a payment reminder or a thank-you, and record it in the
    invoice's history once the server accepted it; the first send moves a draft to open.

    `recipients` ("Name <email>" or emails) default to the client's contacts with an email;
    `subject` and `body` default to the workspace's templates, and placeholders in given ones
    are filled too. A server that cannot be reached, refuses the login or the message raises
    (network_error, config_error, remote_error) and nothing is recorded.
    """
    word = _kind(kind)
    invoice = find_invoice(session, ref)
    client = require_invoice(session, actor, Action.INVOICE_SEND, invoice)
    _check_state(invoice, word)
    workspace = get_workspace(session)
    _require_smtp(workspace)
    smtp = smtp_settings(workspace, env=env)
    assert smtp is not None  # a host is set
    to = parse_recipients(recipients) if recipients is not None else _contacts(session, client)
    if not to:
        raise validation(
            f"{client.name} has no contact with an email address", field="to",
            hint="give the recipients (--to name@example.com), or add an email to one of "
                 f"{client.name}'s contacts")
    user = session.get(User, actor.user_id)
    me = _mailbox(user)
    if cc_me and me is None:
        raise validation("you have no mailbox to send a copy to", field="cc_me",
                         hint="send without a copy to yourself")
    cc = [(user.name if user else "", me)] if cc_me and me else []
    values = _values(session, invoice, client, workspace)
    subject_template, body_template = _templates(workspace, word)
    subject_text = _subject(subject, subject_template, values)
    body_text = _body(body, body_template, values, workspace.email_footer)
    before = invoice.state
    savepoint = session.begin_nested()
    try:
        if word == "send":
            open_invoice(session, invoice, now=now)
        message = build_mail(
            sender=_from_header(smtp.sender, workspace.name), to=to, cc=cc, reply_to=me,
            subject=subject_text, body=body_text, now=now,
            attachments=_documents(session, actor=actor, invoice=invoice,
                                   attach_pdf=attach_pdf, now=now))
        refused = send_one(smtp, message)
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    delivered = [(name, email) for name, email in to if email not in refused]
    for email, reason in refused.items():
        warn(session, f"the mail server refused {email}: {reason}")
    sent_from = me or parseaddr(smtp.sender)[1]
    entry = record_message(session, invoice, actor, word, now=now, recipients=delivered,
                           subject=subject_text, body=body_text, attach_pdf=attach_pdf,
                           cc_me=bool(cc) and me not in refused, sent_from=sent_from)
    changes: dict[str, object] = {
        "message_id": entry.id, "to": [email for _, email in delivered],
        "cc": [email for _, email in cc], "subject": subject_text, "attach_pdf": attach_pdf}
    if refused:
        changes["refused"] = sorted(refused)
    if invoice.state is not before:
        changes["state"] = [before, invoice.state]
    audit.record(session, actor_id=actor.user_id, action=f"invoice.{word}", entity=invoice,
                 changes=changes, now=now)
    session.flush()
    return entry


def record_message(session: Session, invoice: Invoice, actor: Actor, kind: str, *,
                   now: datetime, recipients: Sequence[tuple[str, str]], subject: str,
                   body: str, attach_pdf: bool, cc_me: bool, sent_from: str) -> InvoiceMessage:
    """The history entry of an email the server accepted."""
    return record_event(
        session, invoice, actor, kind, now=now,
        recipients=[{"name": name, "email": email} for name, email in recipients],
        subject=subject, body=body, attach_pdf=attach_pdf, send_me_a_copy=cc_me,
        sent_from_email=sent_from)
