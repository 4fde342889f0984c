"""`keito invoice pdf`, `html` and `send`: the invoice as a file a person would send, and by
email over the workspace's SMTP settings.

reportlab loads only when a PDF is rendered (keito_core.io.invoice_pdf imports it inside
`render_pdf`), so the other invoice commands start without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from keito_tui.cli.invoice_render import InvoiceArg, state_text
from keito_tui.cli.state import cli_state

OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", help="File to write, or a directory (default: ./NUMBER.pdf or .html).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")]


def file_name(number: str, suffix: str) -> str:
    """`INV-2026-0001.pdf`: the name the email attaches it under."""
    from keito_core.services.billing.sending import file_stem

    return f"{file_stem(number)}.{suffix}"


def _target(output: Path | None, number: str, suffix: str, force: bool) -> Path:
    """Where the file goes; an existing file is refused unless `force`."""
    from keito_core.errors import conflict

    path = output if output is not None else Path(file_name(number, suffix))
    if path.is_dir():
        path = path / file_name(number, suffix)
    if path.exists() and not force:
        raise conflict(f"{path} already exists", field="output",
                       hint="pass --force to replace it, or -o to write elsewhere")
    return path


def _write(invoice: str, output: Path | None, force: bool, suffix: str) -> None:
    from keito_core.platform.lookup import find_invoice
    from keito_core.reports.invoices import invoice_document

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        doc = invoice_document(session, actor=actor, ref=invoice, now=state.runtime.clock())
        invoice_id = find_invoice(session, invoice).id
    path = _target(output, doc.number, suffix, force)
    if suffix == "pdf":
        from keito_core.io.invoice_pdf import write_pdf

        written = write_pdf(doc, path)
    else:
        from keito_core.io.invoice_html import write_html

        written = write_html(doc, path)
    size = written.stat().st_size
    out = state.output
    if out.quiet:
        out.stdout.write(f"{written.resolve()}\n")
        return
    data = {"id": invoice_id, "number": doc.number, "format": suffix,
            "path": str(written.resolve()), "bytes": size}
    out.message(f"Wrote {written} ({_size(size)}, {doc.state})", data=data)


def _size(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} bytes"


def pdf(invoice: InvoiceArg, output: OutputOpt = None, force: ForceOpt = False) -> None:
    """Write the invoice as a PDF (A4, fonts embedded) and print its path."""
    _write(invoice, output, force, "pdf")


def html(invoice: InvoiceArg, output: OutputOpt = None, force: ForceOpt = False) -> None:
    """Write the invoice as one self-contained HTML page and print its path."""
    _write(invoice, output, force, "html")


def _body(body: str | None, body_file: Path | None) -> str | None:
    from keito_core.errors import validation

    if body is not None and body_file is not None:
        raise validation("give --body or --body-file, not both", field="body")
    if body_file is None:
        return body
    if str(body_file) == "-":
        import sys

        return sys.stdin.read()
    try:
        return body_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise validation(f"cannot read {body_file}: {error}", field="body_file") from None


def send(
    invoice: InvoiceArg,
    to: Annotated[list[str] | None, typer.Option(
        "--to", help='Recipient, "Name <email>" or an email; repeat for several (default: '
        "the client's contacts with an email).")] = None,
    cc_me: Annotated[bool, typer.Option("--cc-me", help="Send yourself a copy.")] = False,
    subject: Annotated[str | None, typer.Option(
        "--subject", help="Subject for this email (default: the template's).")] = None,
    body: Annotated[str | None, typer.Option(
        "--body", help="Message for this email (default: the template's).")] = None,
    body_file: Annotated[Path | None, typer.Option(
        "--body-file", help="Read the message from this file (- for standard input).")] = None,
    no_pdf: Annotated[bool, typer.Option("--no-pdf", help="Do not attach the PDF.")] = False,
    reminder: Annotated[bool, typer.Option(
        "--reminder", help="Send the payment reminder template.")] = False,
    thank_you: Annotated[bool, typer.Option(
        "--thank-you", help="Send the thank-you template (for a paid invoice).")] = False,
) -> None:
    """Email the invoice with its PDF; a draft becomes open. Needs the SMTP settings."""
    import os

    from keito_core.errors import validation

    if reminder and thank_you:
        raise validation("give --reminder or --thank-you, not both", field="reminder")
    kind = "reminder" if reminder else "thank_you" if thank_you else "send"
    text = _body(body, body_file)
    from keito_core.services.billing.sending import send_invoice
    from keito_tui.cli.invoice_render import invoice_view, separators

    state = cli_state()
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        message = send_invoice(session, actor=actor, ref=invoice, kind=kind, recipients=to,
                               cc_me=cc_me, subject=subject, body=text,
                               attach_pdf=not no_pdf, env=os.environ, now=now)
        view = invoice_view(session, actor, message.invoice_id, now=now)
        seps = separators(session)
    sent = next((m for m in view["messages"] if m["id"] == message.id), None)
    data: dict[str, Any] = {**(sent or {"id": message.id}),
                            "invoice": {key: view[key] for key in (
                                "id", "number", "state", "currency", "amount", "due_amount")}}
    emails = ", ".join(r.get("email", "") if isinstance(r, dict) else str(r)
                       for r in (sent or {}).get("recipients") or [])
    what = {"send": "Sent", "reminder": "Sent a reminder for",
            "thank_you": "Sent a thank-you for"}[kind]
    attached = " with the PDF" if not no_pdf else ""
    due = seps.money(view["due_amount"], view["currency"])
    state.output.message(f"{what} {view['number']} to {emails or 'its recipients'}{attached};"
                         f" it is {state_text(view)}, {due} due", data=data)
    from keito_tui.cli.sync_push import push_after

    push_after(view["id"])


def register(app: typer.Typer) -> None:
    """Add the file and email commands to the `invoice` group."""
    app.command("pdf")(pdf)
    app.command("html")(html)
    app.command("send")(send)
