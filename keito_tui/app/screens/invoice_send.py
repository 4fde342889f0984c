"""Sending an invoice by email and writing its PDF, from the invoice editor.

The send dialog opens prefilled by `sending.compose_message` (To from the client's contacts,
CC me, the template's subject and body, the PDF attached) and sends through
`sending.send_invoice`; changing the message kind (the invoice, a reminder, a thank-you)
composes it again. The PDF dialog asks where to write the file (the current directory by
default)."""

from __future__ import annotations

import os
from email.utils import formataddr, getaddresses
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from keito_core.errors import KeitoError
from keito_core.reports.invoice_views import InvoiceEditorView
from keito_tui.app.screens.invoice_saving import Change, Saved, SavingDialog
from keito_tui.app.values import ErrorInfo
from keito_tui.app.widgets.form_field import FormField

if TYPE_CHECKING:
    from keito_core.platform.runtime import Runtime
    from keito_core.services.billing.sending import Draft

MESSAGE_KINDS = (("The invoice", "send"), ("A payment reminder", "reminder"),
                 ("A thank-you", "thank_you"))


def compose(runtime: Runtime, invoice_id: str, kind: str) -> Draft:
    """The message `send_invoice` would send: raises as sending would (no SMTP server…)."""
    from keito_core.services.billing.sending import compose_message

    with runtime.session(readonly=True) as session:
        return compose_message(session, actor=runtime.actor(session), ref=invoice_id,
                               kind=kind, now=runtime.clock())


def first_kind(invoice: InvoiceEditorView) -> str:
    """The message an invoice most likely needs: a thank-you once paid, a reminder when
    overdue, else the invoice itself."""
    if invoice.state == "paid":
        return "thank_you"
    if invoice.state == "open" and invoice.days_past_due > 0:
        return "reminder"
    return "send"


def recipients(text: str) -> list[str]:
    """`Ada <ada@x.test>, bob@y.test` as the addresses send_invoice takes."""
    return [formataddr((name, address)) if name else address
            for name, address in getaddresses([text]) if address]


class SendDialog(SavingDialog):
    """The email: To, CC me, subject, body and the PDF attached; Send sends it."""

    FIELD_OF: ClassVar[dict[str, str]] = {"recipients": "to", "smtp.host": "to"}

    class Composed(Message):
        def __init__(self, draft: Draft | None, error: ErrorInfo | None, kind: str) -> None:
            super().__init__()
            self.draft = draft
            self.error = error
            self.kind = kind

    def __init__(self, runtime: Runtime, invoice: InvoiceEditorView, draft: Draft) -> None:
        super().__init__(runtime)
        self.invoice = invoice
        self.draft = draft

    def compose(self) -> ComposeResult:
        draft = self.draft
        cc = ", ".join(draft.cc)
        with Vertical(classes="dialog invoice-dialog", id="send-dialog"):
            yield Static(f"Send {self.invoice.number} to {self.invoice.client}",
                         classes="dialog--title", markup=False)
            yield FormField("Message", Select(MESSAGE_KINDS, value=draft.kind,
                                              allow_blank=False, id="kind", compact=True),
                            field="kind")
            yield FormField("To", Input(", ".join(draft.to), id="to", compact=True,
                                        placeholder="Name <email>, another@example.com"),
                            field="to")
            with Horizontal(id="send-options"):
                yield Checkbox(f"CC me ({cc})" if cc else "CC me (you have no email)",
                               bool(cc), id="cc_me", compact=True, disabled=not cc)
                yield Checkbox(f"Attach {draft.attachment_name}", True, id="attach_pdf",
                               compact=True)
            yield FormField("Subject", Input(draft.subject, id="subject", compact=True),
                            field="subject")
            yield TextArea(draft.body, id="body", compact=True, soft_wrap=True)
            yield Static("", classes="dialog--error", id="form-error", markup=False)
            with Horizontal(classes="dialog--buttons"):
                yield Button("Cancel", id="form-cancel", compact=True)
                yield Button("Send", id="form-save", variant="primary", compact=True)

    def on_mount(self) -> None:
        for box in self.query(Input):
            box.select_on_focus = False
        self.query_one("#to", Input).focus()

    @on(Select.Changed, "#kind")
    def kind_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.draft.kind:
            self.query_one("#form-error", Static).update("Composing…")
            self.recompose_message(event.value)

    @work(thread=True, exclusive=True, group="invoice-compose")
    def recompose_message(self, kind: str) -> None:
        try:
            draft = compose(self.runtime, self.invoice.id, kind)
        except KeitoError as exc:
            self.post_message(self.Composed(None, ErrorInfo.of(exc), kind))
            return
        self.post_message(self.Composed(draft, None, kind))

    def on_send_dialog_composed(self, message: Composed) -> None:
        if message.draft is None:
            self.show_error(message.error)
            return
        self.draft = draft = message.draft
        self.query_one("#to", Input).value = ", ".join(draft.to)
        self.query_one("#subject", Input).value = draft.subject
        self.query_one("#body", TextArea).text = draft.body
        self.query_one("#form-error", Static).update("")

    def change(self) -> Change | None:
        invoice, number = self.invoice.id, self.invoice.number
        kind = str(self.query_one("#kind", Select).value)
        to = recipients(self.query_one("#to", Input).value)
        if not to:
            self.show_error(ErrorInfo("validation_error", "give at least one address",
                                      field="to"))
            return None
        values: dict[str, Any] = {
            "kind": kind, "recipients": to, "cc_me": self.query_one("#cc_me", Checkbox).value,
            "subject": self.query_one("#subject", Input).value,
            "body": self.query_one("#body", TextArea).text,
            "attach_pdf": self.query_one("#attach_pdf", Checkbox).value,
        }
        self.query_one("#form-error", Static).update("Sending…")

        def save(session: Any, actor: Any, now: Any) -> Saved:
            from keito_core.services.billing.sending import send_invoice

            send_invoice(session, actor=actor, ref=invoice, env=dict(os.environ), now=now,
                         **values)
            what = dict((v, k) for k, v in MESSAGE_KINDS)[kind].lower()
            return Saved(f"Sent {what} for {number} to {', '.join(to)}.")

        return save


def default_pdf_path(number: str) -> Path:
    """`INV-2026-0001.pdf` in the current directory."""
    from keito_core.services.billing.sending import file_stem

    return Path.cwd() / f"{file_stem(number)}.pdf"


class PdfDialog(SavingDialog):
    """Where to write the invoice's PDF (the current directory by default)."""

    FIELD_OF: ClassVar[dict[str, str]] = {"path": "path", "output": "path"}

    def __init__(self, runtime: Runtime, invoice: InvoiceEditorView) -> None:
        super().__init__(runtime)
        self.invoice = invoice

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog invoice-dialog", id="pdf-dialog"):
            yield Static(f"Write {self.invoice.number} as a PDF", classes="dialog--title",
                         markup=False)
            yield Label("File (a folder writes the invoice's own name into it):")
            yield FormField("Path", Input(str(default_pdf_path(self.invoice.number)),
                                          id="path", compact=True), field="path")
            yield Static("", classes="dialog--error", id="form-error", markup=False)
            with Horizontal(classes="dialog--buttons"):
                yield Button("Cancel", id="form-cancel", compact=True)
                yield Button("Write", id="form-save", variant="primary", compact=True)

    def on_mount(self) -> None:
        box = self.query_one("#path", Input)
        box.select_on_focus = False
        box.focus()

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_save()

    def change(self) -> Change | None:
        typed = self.query_one("#path", Input).value.strip()
        if not typed:
            self.show_error(ErrorInfo("validation_error", "give a file name", field="path"))
            return None
        path = Path(typed).expanduser()
        if path.is_dir():
            path = path / default_pdf_path(self.invoice.number).name
        invoice = self.invoice.id
        self.query_one("#form-error", Static).update("Writing…")

        def save(session: Any, actor: Any, now: Any) -> Saved:
            from keito_core.io.invoice_pdf import write_pdf
            from keito_core.reports.invoices import invoice_document

            try:
                written = write_pdf(invoice_document(session, actor=actor, ref=invoice, now=now),
                                    path)
            except OSError as exc:
                raise KeitoError("validation_error", f"cannot write {path}: {exc.strerror}",
                                 field="path") from None
            return Saved(f"PDF written to {written.resolve()}")

        return save
