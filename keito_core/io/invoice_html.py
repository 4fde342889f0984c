"""An invoice as one self-contained HTML page: the client portal, as a file to send or host.

Everything is inside the file: the styles inline, the logo as a `data:` URI, no script, no web
font and no link to fetch (a Content-Security-Policy says so to the browser too). Every text
the user typed is escaped. The figures and wording are the PDF's (`invoice_labels`), so the
page and the PDF always agree; the browser's own fonts print any script.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from keito_core.io import invoice_labels
from keito_core.io.invoice_document import DocumentLine, InvoiceDocument
from keito_core.io.money_text import DocumentText
from keito_core.platform.private_files import write_private_text

#: The image types a logo may be, by the bytes a file of each starts with.
_IMAGE_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_CSS = """
:root { --accent: %(accent)s; --ink: #1f2937; --muted: #6b7280; --rule: #e5e7eb; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f4f6; color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Fira Sans",
  "Helvetica Neue", Arial, sans-serif; }
.invoice { max-width: 880px; margin: 32px auto; background: #fff; padding: 48px 56px;
  border-radius: 10px; box-shadow: 0 1px 3px rgba(0, 0, 0, .08); }
.top { display: flex; justify-content: space-between; align-items: flex-start; gap: 24px; }
.logo { max-width: 240px; max-height: 88px; }
.company-name { font-size: 26px; font-weight: 700; margin: 0; }
.title { text-align: right; }
.title h1 { color: var(--accent); font-size: 34px; letter-spacing: .04em; margin: 0;
  line-height: 1.1; }
.number { font-size: 17px; }
.state { display: inline-block; margin-top: 6px; padding: 2px 10px; border-radius: 999px;
  font-size: 12px; font-weight: 700; letter-spacing: .08em; }
.state-draft, .state-closed { background: #f3f4f6; color: #6b7280; }
.state-paid { background: #dcfce7; color: #15803d; }
.address { margin: 0; font-style: normal; }
.address .name { font-weight: 700; }
.sender { margin-top: 12px; }
.parties { display: flex; justify-content: space-between; gap: 32px; margin-top: 32px; }
.label { color: var(--muted); font-size: 11px; font-weight: 700; letter-spacing: .08em;
  text-transform: uppercase; }
.facts { display: grid; grid-template-columns: auto auto; gap: 2px 24px; margin: 0;
  align-content: start; }
.facts dt { color: var(--muted); font-size: 11px; font-weight: 700; letter-spacing: .08em;
  text-transform: uppercase; align-self: center; }
.facts dd { margin: 0; text-align: right; }
.due-box { display: flex; justify-content: space-between; align-items: baseline;
  margin-top: 32px; padding: 16px 20px; border-left: 4px solid var(--accent);
  background: #f9fafb; }
.due-box .amount { color: var(--accent); font-size: 26px; font-weight: 700; }
.subject { font-size: 17px; font-weight: 700; margin: 32px 0 0; }
table { width: 100%%; border-collapse: collapse; }
.lines { margin-top: 16px; }
.lines th { color: var(--muted); font-size: 12px; font-weight: 700; text-align: left;
  border-bottom: 2px solid var(--accent); padding: 6px 0; }
.lines td { border-bottom: 1px solid var(--rule); padding: 8px 0; vertical-align: top; }
.lines .num, .payments .num { text-align: right; white-space: nowrap; padding-left: 16px; }
.meta { color: var(--muted); font-size: 12px; }
.agent { color: var(--accent); font-weight: 700; letter-spacing: .06em; }
.totals { width: auto; min-width: 340px; margin: 20px 0 0 auto; }
.totals td { padding: 4px 0; }
.totals td.num { text-align: right; padding-left: 32px; white-space: nowrap; }
.totals .total td { border-top: 1px solid var(--ink); font-weight: 700; }
.totals .due td { border-top: 2px solid var(--accent); color: var(--accent); font-weight: 700;
  font-size: 18px; padding-top: 8px; }
h2 { font-size: 15px; margin: 36px 0 8px; }
.payments th { color: var(--muted); font-size: 12px; text-align: left; padding: 4px 0;
  border-bottom: 1px solid var(--muted); }
.payments td { padding: 6px 8px 6px 0; border-bottom: 1px solid var(--rule); }
.notes, .footer { white-space: pre-line; }
.footer { margin-top: 40px; padding-top: 12px; border-top: 1px solid var(--rule);
  color: var(--muted); font-size: 12px; }
@media (max-width: 640px) {
  .invoice { margin: 0; padding: 24px 16px; border-radius: 0; }
  .top, .parties { flex-direction: column; }
  .title { text-align: left; }
}
@media print {
  body { background: #fff; }
  .invoice { margin: 0; padding: 0; box-shadow: none; max-width: none; }
  .lines thead { display: table-header-group; }
  .totals, .due-box { break-inside: avoid; }
}
"""


def _e(value: str | None) -> str:
    """`value` escaped for HTML text and attributes."""
    return escape(value or "", quote=True)


def logo_data_uri(path: str | None) -> str | None:
    """The logo file as a `data:` URI; None when there is none or it is not a PNG or JPEG."""
    if not path:
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    mime = next((kind for signature, kind in _IMAGE_SIGNATURES if data.startswith(signature)),
                None)
    if mime is None:
        return None
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _address(name: str | None, lines: tuple[str, ...], *extra: str | None) -> str:
    rows = [f'<span class="name">{_e(name)}</span>'] if name else []
    rows += [_e(line) for line in (*lines, *extra) if line]
    return f'<address class="address">{"<br>".join(rows)}</address>'


def _header(doc: InvoiceDocument) -> str:
    logo = logo_data_uri(doc.logo_path)
    brand = (f'<img class="logo" src="{logo}" alt="{_e(doc.company.name)}">' if logo
             else f'<p class="company-name">{_e(doc.company.name)}</p>')
    state = ""
    if doc.state in invoice_labels.STATE_MARKS:
        state = (f'<br><span class="state state-{doc.state}">'
                 f'{invoice_labels.STATE_MARKS[doc.state]}</span>')
    sender = _address(doc.company.name if logo else None, doc.company.address_lines,
                      doc.company.phone)
    return (f'<header class="top"><div>{brand}<div class="sender">{sender}</div></div>'
            f'<div class="title"><h1>INVOICE</h1><div class="number">{_e(doc.number)}</div>'
            f"{state}</div></header>")


def _parties(doc: InvoiceDocument, fmt: DocumentText) -> str:
    client = _address(doc.client.name, doc.client.address_lines, doc.client.phone,
                      doc.client.contact)
    facts = "".join(f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>"
                    for label, value in invoice_labels.facts(doc, fmt))
    return (f'<section class="parties"><div><div class="label">Bill to</div>{client}</div>'
            f'<dl class="facts">{facts}</dl></section>')


def _due_box(doc: InvoiceDocument, fmt: DocumentText) -> str:
    return (f'<section class="due-box"><div><div class="label">Amount due</div>'
            f'<span class="amount">{_e(fmt.money(doc.due_amount))}</span></div>'
            f'<div><div class="label">Due date</div>{_e(fmt.date(doc.due_date))}</div></section>')


def _line(line: DocumentLine, doc: InvoiceDocument, fmt: DocumentText, show_taxes: bool) -> str:
    meta = [_e(part) for part in (
        invoice_labels.line_project(line, doc),
        ", ".join(invoice_labels.line_taxes(line, doc)) if show_taxes else None) if part]
    if line.agent:
        meta.insert(0, '<span class="agent">AGENT</span>')
    second = f'<div class="meta">{" · ".join(meta)}</div>' if meta else ""
    return (f'<tr><td><div class="description">{_e(line.description)}</div>{second}</td>'
            f'<td class="num">{_e(fmt.quantity(line.quantity))}</td>'
            f'<td class="num">{_e(fmt.unit_price(line.unit_price))}</td>'
            f'<td class="num">{_e(fmt.amount(line.amount))}</td></tr>')


def _lines(doc: InvoiceDocument, fmt: DocumentText) -> str:
    show_taxes = invoice_labels.taxes_vary(doc)
    body = "\n".join(_line(line, doc, fmt, show_taxes) for line in doc.lines)
    return ('<table class="lines"><thead><tr><th>Description</th><th class="num">Qty</th>'
            '<th class="num">Unit price</th><th class="num">Amount</th></tr></thead>'
            f"<tbody>\n{body}\n</tbody></table>")


def _totals(doc: InvoiceDocument, fmt: DocumentText) -> str:
    rows = "".join(f'<tr class="{row.kind}"><td>{_e(row.label)}</td>'
                   f'<td class="num">{_e(row.value)}</td></tr>'
                   for row in invoice_labels.totals(doc, fmt))
    return f'<table class="totals">{rows}</table>'


def _payments(doc: InvoiceDocument, fmt: DocumentText) -> str:
    if not doc.payments:
        return ""
    rows = "".join(f"<tr><td>{_e(fmt.date(p.paid_on))}</td><td>{_e(p.transaction_id)}</td>"
                   f'<td>{_e(p.notes)}</td><td class="num">{_e(fmt.money(p.amount))}</td></tr>'
                   for p in doc.payments)
    return ('<section><h2>Payments</h2><table class="payments"><thead><tr><th>Date</th>'
            '<th>Transaction ID</th><th>Notes</th><th class="num">Amount</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></section>")


def render_html(doc: InvoiceDocument) -> str:
    """The invoice `doc` as one self-contained HTML page."""
    fmt = DocumentText.of(doc)
    title = f"Invoice {doc.number} \N{MIDDLE DOT} {doc.company.name}"
    parts = [_header(doc), _parties(doc, fmt), _due_box(doc, fmt)]
    if doc.subject:
        parts.append(f'<p class="subject">{_e(doc.subject)}</p>')
    parts += [_lines(doc, fmt), _totals(doc, fmt), _payments(doc, fmt)]
    if doc.notes:
        parts.append(f'<section><h2>Notes</h2><div class="notes">{_e(doc.notes)}</div></section>')
    if doc.footer:
        parts.append(f'<footer class="footer">{_e(doc.footer)}</footer>')
    body = "\n".join(part for part in parts if part)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="referrer" content="no-referrer">
<title>{_e(title)}</title>
<style>{_CSS % {"accent": invoice_labels.accent(doc)}}</style>
</head>
<body>
<main class="invoice">
{body}
</main>
</body>
</html>
"""


def write_html(doc: InvoiceDocument, path: Path | str) -> Path:
    """Write the page for `doc` to `path`, readable by its owner only (0600); the path."""
    target = Path(path)
    write_private_text(target, render_html(doc))
    return target
