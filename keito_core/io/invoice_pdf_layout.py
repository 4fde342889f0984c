"""An invoice's PDF laid out with reportlab's platypus (imported only when a PDF is rendered).

Page one opens with the logo (or the company's name) and INVOICE with its number in the
accent colour, the company's address, the client's block and the invoice's facts; the lines
follow in a table whose header row repeats on every page; the totals are kept together on one
page; then the payments and the notes. Every page has the footer, "Page n of m" and, for a
draft, paid or closed invoice, its state written across it; later pages repeat the number.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    LongTable,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from keito_core.io import invoice_labels, pdf_fonts
from keito_core.io.invoice_document import DocumentLine, InvoiceDocument
from keito_core.io.money_text import DocumentText

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
TOP = 16 * mm
#: Later pages start below the running header (company, invoice number).
TOP_LATER = 24 * mm
FOOTER_BASE = 14 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
#: Table columns: description, quantity, unit price, amount.
NUMBER_COLUMNS = (20 * mm, 30 * mm, 32 * mm)
DESCRIPTION_WIDTH = CONTENT_WIDTH - sum(NUMBER_COLUMNS)
TOTALS_WIDTH = 100 * mm
LOGO_BOX = (60 * mm, 22 * mm)
#: A footer taller than this goes after the notes instead of on every page.
MAX_PAGE_FOOTER = 40 * mm
INK = colors.HexColor("#1f2937")
MUTED = colors.HexColor("#6b7280")
RULE = colors.HexColor("#e5e7eb")
#: The colour of the state written across each page.
MARK_COLOURS = {"draft": "#9ca3af", "paid": "#15803d", "closed": "#9ca3af"}


def document_texts(doc: InvoiceDocument) -> Iterator[str]:
    """Every text `doc` prints that the user typed (what its fonts must cover)."""
    for party in (doc.company, doc.client):
        yield from (party.name, *party.address_lines, party.phone or "", party.contact or "")
    yield from (doc.number, doc.payment_terms, doc.subject or "", doc.purchase_order or "",
                doc.notes or "", doc.footer or "", doc.tax_label or "", doc.tax2_label or "")
    for line in doc.lines:
        yield from (line.description, line.project_name or "", line.project_code or "")
    for payment in doc.payments:
        yield from (payment.notes or "", payment.transaction_id or "")


def read_logo(path: str | None) -> tuple[bytes, int, int] | None:
    """The logo's bytes and pixel size; None when there is none or it is not an image."""
    if not path:
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        width, height = ImageReader(io.BytesIO(data)).getSize()
    except OSError:
        return None
    return (data, width, height) if width > 0 and height > 0 else None


def _tight(*commands: tuple[Any, ...]) -> TableStyle:
    """A table style in the body font without cell padding, plus `commands`."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), pdf_fonts.FAMILY),
                       ("LEFTPADDING", (0, 0), (-1, -1), 0),
                       ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                       ("TOPPADDING", (0, 0), (-1, -1), 0),
                       ("BOTTOMPADDING", (0, 0), (-1, -1), 0), *commands])


class InvoiceLayout:
    """The flowables and page decorations of one invoice's PDF."""

    def __init__(self, doc: InvoiceDocument) -> None:
        self.doc = doc
        self.fonts = pdf_fonts.DocumentFonts(document_texts(doc))
        self.accent_hex = invoice_labels.accent(doc)
        self.accent = colors.HexColor(self.accent_hex)
        symbol = DocumentText.of(doc).currency_symbol
        self.fmt = DocumentText.of(doc, symbol=symbol is None or self.fonts.can_print(symbol))
        family, bold = pdf_fonts.FAMILY, pdf_fonts.BOLD
        self.body = ParagraphStyle("body", fontName=family, fontSize=9, leading=12,
                                   textColor=INK)
        self.bold = ParagraphStyle("bold", parent=self.body, fontName=bold)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8, leading=10.5,
                                    textColor=MUTED)
        self.small_right = ParagraphStyle("small_right", parent=self.small, alignment=TA_RIGHT)
        self.label = ParagraphStyle("label", parent=self.small, fontName=bold, fontSize=7.5,
                                    leading=10)
        self.heading = ParagraphStyle("heading", parent=self.body, fontName=bold, fontSize=10,
                                      leading=14, spaceAfter=3)
        self.right = ParagraphStyle("right", parent=self.body, alignment=TA_RIGHT)
        self.right_bold = ParagraphStyle("right_bold", parent=self.right, fontName=bold)

    def text(self, value: str) -> str:
        """User-typed `value` as paragraph markup in the embedded fonts."""
        return self.fonts.markup(value)

    def para(self, value: str, style: ParagraphStyle) -> Paragraph:
        """A paragraph of user-typed `value`."""
        return Paragraph(self.text(value), style)

    # --- page one's head ---------------------------------------------------------------

    def _logo(self) -> Image | None:
        logo = read_logo(self.doc.logo_path)
        if logo is None:
            return None
        data, width, height = logo
        scale = min(LOGO_BOX[0] / width, LOGO_BOX[1] / height)
        image = Image(io.BytesIO(data), width=width * scale, height=height * scale)
        image.hAlign = "LEFT"
        return image

    def _address(self, name: str | None, lines: tuple[str, ...], *extra: str | None
                 ) -> list[Flowable]:
        """An address block: the name in bold (when given), then each line."""
        flow: list[Flowable] = []
        if name:
            flow.append(Paragraph(f"<b>{self.text(name)}</b>", self.body))
        flow += [self.para(line, self.body) for line in (*lines, *extra) if line]
        return flow

    def header(self) -> list[Flowable]:
        """Logo or name, INVOICE and its number, the company's address, bill-to and facts."""
        doc = self.doc
        title = ParagraphStyle("title", parent=self.body, fontName=pdf_fonts.BOLD, fontSize=26,
                               leading=30, textColor=self.accent, alignment=TA_RIGHT)
        number = ParagraphStyle("number", parent=self.right, fontSize=11, leading=14)
        company = ParagraphStyle("company", parent=self.bold, fontSize=16, leading=20)
        logo = self._logo()
        left: list[Flowable] = [logo] if logo else [self.para(doc.company.name, company)]
        right: list[Flowable] = [Paragraph("INVOICE", title), self.para(doc.number, number)]
        if doc.state in invoice_labels.STATE_MARKS:
            word, colour = invoice_labels.STATE_MARKS[doc.state], MARK_COLOURS[doc.state]
            right.append(Paragraph(f'<font color="{colour}"><b>{word}</b></font>', self.right))
        top = Table([[left, right]], colWidths=[CONTENT_WIDTH * 0.6, CONTENT_WIDTH * 0.4])
        top.setStyle(_tight(("VALIGN", (0, 0), (-1, -1), "TOP")))

        sender = self._address(doc.company.name if logo else None, doc.company.address_lines,
                               doc.company.phone)
        client = [Paragraph("BILL TO", self.label),
                  *self._address(doc.client.name, doc.client.address_lines, doc.client.phone,
                                 doc.client.contact)]
        middle = Table([[client, self._facts()]],
                       colWidths=[CONTENT_WIDTH * 0.55, CONTENT_WIDTH * 0.45])
        middle.setStyle(_tight(("VALIGN", (0, 0), (-1, -1), "TOP")))

        flow: list[Flowable] = [top, Spacer(1, 3 * mm), *sender, Spacer(1, 9 * mm), middle]
        if doc.subject:
            flow += [Spacer(1, 7 * mm), Paragraph(f"<b>{self.text(doc.subject)}</b>",
                                                  ParagraphStyle("s", parent=self.body,
                                                                 fontSize=10, leading=13))]
        flow.append(Spacer(1, 5 * mm))
        return flow

    def _facts(self) -> Table:
        """Issue and due dates, terms, PO, period and currency, labels left, values right."""
        width = CONTENT_WIDTH * 0.45
        table = Table([[Paragraph(label.upper(), self.label), self.para(value, self.right)]
                       for label, value in invoice_labels.facts(self.doc, self.fmt)],
                      colWidths=[24 * mm, width - 24 * mm])
        table.setStyle(_tight(("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                              ("BOTTOMPADDING", (0, 0), (-1, -1), 2)))
        return table

    # --- the lines ---------------------------------------------------------------------

    def _meta(self, line: DocumentLine, show_taxes: bool) -> str:
        """A description's second, small line: agent label, project (and code), taxes."""
        parts = [self.text(part) for part in (
            invoice_labels.line_project(line, self.doc),
            ", ".join(invoice_labels.line_taxes(line, self.doc)) if show_taxes else None)
            if part]
        if line.agent:
            parts.insert(0, f'<font color="{self.accent_hex}"><b>AGENT</b></font>')
        if not parts:
            return ""
        return f'<br/><font size="7.5" color="#6b7280">{" · ".join(parts)}</font>'

    def lines_table(self) -> LongTable:
        """The line items; the header row repeats on every page the table runs over."""
        doc, fmt = self.doc, self.fmt
        show_taxes = invoice_labels.taxes_vary(doc)
        rows: list[list[Any]] = [["Description", "Qty", "Unit price", "Amount"]]
        for line in doc.lines:
            description = self.text(line.description) + self._meta(line, show_taxes)
            rows.append([Paragraph(description, self.body), fmt.quantity(line.quantity),
                         fmt.unit_price(line.unit_price), fmt.amount(line.amount)])
        table = LongTable(rows, colWidths=[DESCRIPTION_WIDTH, *NUMBER_COLUMNS], repeatRows=1,
                          splitInRow=1)
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), pdf_fonts.FAMILY),
            ("FONTNAME", (0, 0), (-1, 0), pdf_fonts.BOLD),
            ("FONTSIZE", (0, 0), (-1, 0), 8),
            ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
            ("LINEBELOW", (0, 0), (-1, 0), 1, self.accent),
            ("FONTSIZE", (1, 1), (-1, -1), 9),
            ("TEXTCOLOR", (1, 1), (-1, -1), INK),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
            ("LEFTPADDING", (0, 0), (0, -1), 0),
            ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]))
        return table

    # --- after the lines ---------------------------------------------------------------

    def totals(self) -> Flowable:
        """Subtotal, discount, taxes, total, paid and amount due, never split over pages."""
        rows = invoice_labels.totals(self.doc, self.fmt)
        due = ParagraphStyle("due", parent=self.bold, fontSize=12, leading=16,
                             textColor=self.accent)
        due_right = ParagraphStyle("due_right", parent=due, alignment=TA_RIGHT)
        styles = {"": (self.body, self.right), "total": (self.bold, self.right_bold),
                  "due": (due, due_right)}
        data = [[self.para(row.label, styles[row.kind][0]),
                 self.para(row.value, styles[row.kind][1])] for row in rows]
        value_width = NUMBER_COLUMNS[2] + 12 * mm
        table = Table(data, colWidths=[TOTALS_WIDTH - value_width, value_width],
                      hAlign="RIGHT")
        total_row = [row.kind for row in rows].index("total")
        table.setStyle(_tight(
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LINEABOVE", (0, total_row), (-1, total_row), 0.75, INK),
            ("LINEABOVE", (0, -1), (-1, -1), 1.25, self.accent),
            ("TOPPADDING", (0, -1), (-1, -1), 6),
        ))
        return KeepTogether([Spacer(1, 4 * mm), table])

    def payments(self) -> list[Flowable]:
        """The payments received: date, transaction ID, notes and amount."""
        if not self.doc.payments:
            return []
        fmt = self.fmt
        rows: list[list[Any]] = [["Date", "Transaction ID", "Notes", "Amount"]]
        for payment in self.doc.payments:
            rows.append([fmt.date(payment.paid_on), self.para(payment.transaction_id or "",
                                                              self.body),
                         self.para(payment.notes or "", self.body),
                         self.para(fmt.money(payment.amount), self.right)])
        table = Table(rows, colWidths=[26 * mm, 44 * mm, CONTENT_WIDTH - 102 * mm, 32 * mm],
                      repeatRows=1)
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), pdf_fonts.FAMILY),
            ("FONTNAME", (0, 0), (-1, 0), pdf_fonts.BOLD),
            ("FONTSIZE", (0, 0), (-1, 0), 8),
            ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
            ("FONTSIZE", (0, 1), (0, -1), 9),
            ("TEXTCOLOR", (0, 1), (0, -1), INK),
            ("LINEBELOW", (0, 0), (-1, 0), 0.5, MUTED),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
            ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (0, -1), 0),
            ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
        ]))
        return [Spacer(1, 9 * mm), KeepTogether([Paragraph("Payments", self.heading), table])]

    def notes(self) -> list[Flowable]:
        """The invoice's notes, line breaks kept."""
        if not self.doc.notes:
            return []
        return [Spacer(1, 9 * mm), Paragraph("Notes", self.heading),
                self.para(self.doc.notes, self.body)]

    # --- every page --------------------------------------------------------------------

    def mark(self, canvas: Canvas) -> None:
        """DRAFT, PAID or CLOSED written faintly across the page, behind the content."""
        if self.doc.state not in invoice_labels.STATE_MARKS:
            return
        word, colour = invoice_labels.STATE_MARKS[self.doc.state], MARK_COLOURS[self.doc.state]
        canvas.saveState()
        canvas.setFillColor(colors.HexColor(colour))
        canvas.setFillAlpha(0.12)
        canvas.setFont(pdf_fonts.BOLD, 110)
        canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
        canvas.rotate(35)
        canvas.drawCentredString(0, -40, word)
        canvas.restoreState()

    def running_header(self, canvas: Canvas) -> None:
        """Later pages' top line: the company's name and the invoice's number."""
        top = PAGE_HEIGHT - 12 * mm
        for value, style, x, width in (
                (self.text(self.doc.company.name), self.small, MARGIN, CONTENT_WIDTH * 0.6),
                (f"Invoice {self.text(self.doc.number)}", self.small_right,
                 MARGIN + CONTENT_WIDTH * 0.6, CONTENT_WIDTH * 0.4)):
            paragraph = Paragraph(value, style)
            _, height = paragraph.wrapOn(canvas, width, 20 * mm)
            paragraph.drawOn(canvas, x, top - height)
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, top - 14, PAGE_WIDTH - MARGIN, top - 14)
        canvas.restoreState()


def _numbered_canvas() -> type[Canvas]:
    """A canvas that holds its pages until the end, to write "Page n of m" on each."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            count = len(self._held)
            for state in self._held:
                self.__dict__.update(state)
                self.setFont(pdf_fonts.FAMILY, 8)
                self.setFillColor(MUTED)
                self.drawRightString(PAGE_WIDTH - MARGIN, 9 * mm,
                                     f"Page {self._pageNumber} of {count}")
                super().showPage()
            super().save()

    return NumberedCanvas


def build(doc: InvoiceDocument) -> bytes:
    """The invoice as PDF bytes."""
    layout = InvoiceLayout(doc)
    footer: Paragraph | None = None
    footer_height = 0.0
    tail: list[Flowable] = []
    if doc.footer:
        footer = layout.para(doc.footer, layout.small)
        _, footer_height = footer.wrap(CONTENT_WIDTH, PAGE_HEIGHT)
        if footer_height > MAX_PAGE_FOOTER:
            tail = [Spacer(1, 9 * mm), footer]
            footer, footer_height = None, 0.0
    bottom = FOOTER_BASE + footer_height + 6 * mm

    def first_page(canvas: Canvas, _doc: BaseDocTemplate) -> None:
        layout.mark(canvas)
        if footer is not None:
            footer.drawOn(canvas, MARGIN, FOOTER_BASE)

    def later_page(canvas: Canvas, doc_template: BaseDocTemplate) -> None:
        first_page(canvas, doc_template)
        layout.running_header(canvas)

    output = io.BytesIO()
    template = BaseDocTemplate(
        output, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=TOP,
        bottomMargin=bottom, title=f"Invoice {doc.number}", author=doc.company.name,
        subject=doc.subject or "", creator="Keito", invariant=1, pageCompression=1,
        initialFontName=pdf_fonts.FAMILY)
    template.addPageTemplates([
        PageTemplate("first", [Frame(MARGIN, bottom, CONTENT_WIDTH, PAGE_HEIGHT - TOP - bottom,
                                     0, 0, 0, 0)], onPage=first_page,
                     autoNextPageTemplate="later"),
        PageTemplate("later", [Frame(MARGIN, bottom, CONTENT_WIDTH,
                                     PAGE_HEIGHT - TOP_LATER - bottom, 0, 0, 0, 0)],
                     onPage=later_page),
    ])
    story: list[Flowable] = [*layout.header(), layout.lines_table(), layout.totals(),
                             *layout.payments(), *layout.notes(), *tail]
    template.build(story, canvasmaker=_numbered_canvas())
    return output.getvalue()
