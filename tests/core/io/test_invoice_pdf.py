"""The invoice PDF: every figure, Unicode text in embedded fonts, pages, marks and the logo.

The PDF's text is read back with pypdf, page by page, so the tests see what a reader sees.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import stat
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from invoice_samples import CLIENT, document, line, numbered, replace, standard, tiny_png
from pypdf import PdfReader

from keito_core.io import invoice_labels, pdf_fonts
from keito_core.io.invoice_document import DocumentPayment, Party
from keito_core.io.invoice_pdf import render_pdf, write_pdf
from keito_core.io.money_text import DocumentText

HEADER_CELLS = ("Description", "Qty", "Unit price", "Amount")


def pages_text(data: bytes) -> list[str]:
    """Each page's text with its runs of white space made single spaces."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def sized_runs(data: bytes) -> list[tuple[str, float]]:
    """Page one's pieces of text with the font size each is drawn at."""
    runs: list[tuple[str, float]] = []
    PdfReader(io.BytesIO(data)).pages[0].extract_text(
        visitor_text=lambda text, _cm, _tm, _font, size: runs.append((text.strip(), size)))
    return [(text, size) for text, size in runs if text]


def fonts(data: bytes) -> dict[str, Any]:
    """Every font the pages use, by its base name (subset prefix removed)."""
    found: dict[str, Any] = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            font = ref.get_object()
            found[str(font["/BaseFont"]).split("+", 1)[-1]] = font
    return found


def test_number_lines_and_totals_print_as_stored() -> None:
    doc = standard()
    data = render_pdf(doc)
    text = "\n".join(pages_text(data))
    fmt = DocumentText.of(doc)

    assert set(fonts(data)) == {"FiraSans-Regular", "FiraSans-Bold"}  # no CJK font cut
    assert "INVOICE" in text and "INV-2026-0042" in text
    for item in doc.lines:
        assert item.description in text
        row = f"{fmt.quantity(item.quantity)} {fmt.unit_price(item.unit_price)} " \
              f"{fmt.amount(item.amount)}"
        assert row in text, row
    assert "12.50 150.00 1,875.00" in text
    assert "45.50 0.003 0.14" in text  # a price keeps its 3 decimals, the amount has 2
    for row in invoice_labels.totals(doc, fmt):
        assert f"{row.label} {row.value}" in text, row
    assert "Subtotal $2,135.14 Discount (10%) -$213.51 VAT (20%) $384.30" in text
    assert "State tax (2.5%) $42.19 Total $2,348.12 Paid -$500.00 Amount due $1,848.12" in text
    for fact in ("Issue date", "2026-12-01", "2026-12-31", "Net 30", "PO-1234",
                 "2026-11-01 – 2026-11-30", "Website redesign, November",
                 "Ada Lovelace <ada@acme.example>", "75004 Paris", "+33 1 23 45 67 89",
                 "Thank you for your business.", "IBAN FR76"):
        assert fact.upper() in text.upper(), fact


def test_unicode_prints_in_embedded_fonts_and_reads_back() -> None:
    client = Party("Ωmega Λtd — 東京支社", ("Жуковского 5", "Москва"), contact="김민수")
    inr = document([line("Δοκιμή: Jürgen Großmann, Łódź", "2.00", "1500.00", "INR"),
                    line("山田太郎さんのレビュー", "1.00", "2000.00", "INR")],
                   currency="INR", client=client)
    data = render_pdf(inr)
    text = "\n".join(pages_text(data))

    for typed in ("Ωmega Λtd — 東京支社", "Жуковского 5", "김민수", "Δοκιμή: Jürgen Großmann, Łódź",
                  "山田太郎さんのレビュー", "₹5,000.00"):
        assert typed in text, typed
    used = fonts(data)
    assert {"FiraSans-Regular", "FiraSans-Bold", "NotoSansJP-Regular",
            "NotoSansKR-Regular"} <= set(used)
    for name, font in used.items():
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, f"{name} is not embedded"

    krw = document([line("Consulting", "10.00", "150000", "KRW")], currency="KRW")
    assert "₩1,500,000" in "\n".join(pages_text(render_pdf(krw)))


def test_without_fonttools_cjk_prints_in_the_whole_variable_font(
        monkeypatch: pytest.MonkeyPatch) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(pdf_fonts.importlib.util, "find_spec",
                        lambda name, *args: None if name == "fontTools" else find_spec(name, *args))
    data = render_pdf(document([line("龍之介の請求", "1.00", "10.00")]))
    assert "龍之介の請求" in "\n".join(pages_text(data))
    assert "NotoSansJP-Thin" in fonts(data)  # its default instance, embedded as a subset


def test_a_symbol_no_font_has_prints_the_currency_code() -> None:
    doc = document([line("Design", "2.00", "500.00", "PHP")], currency="PHP")
    text = "\n".join(pages_text(render_pdf(doc)))
    assert "Amount due PHP 1,000.00" in text and "₱" not in text


def test_separators_and_minor_units_follow_the_workspace_and_currency() -> None:
    euro = document([line("Beratung", "1234.50", "100.00", "EUR")], currency="EUR",
                    decimal_separator=",", thousands_separator=".", date_format="%d.%m.%Y")
    text = "\n".join(pages_text(render_pdf(euro)))
    assert "1.234,50 100,00 123.450,00" in text and "Total €123.450,00" in text
    assert "01.12.2026" in text

    yen = document([line("Review", "2.50", "12345", "JPY")], currency="JPY")
    assert "2.50 12,345 30,863" in "\n".join(pages_text(render_pdf(yen)))


def test_500_lines_repeat_the_header_on_every_page() -> None:
    doc = numbered(500)
    pages = pages_text(render_pdf(doc))

    assert len(pages) > 5
    for number, page in enumerate(pages, start=1):
        assert " ".join(HEADER_CELLS) in page, f"no table header on page {number}"
        assert f"Page {number} of {len(pages)}" in page
    printed = re.findall(r"Line (\d{4})", "\n".join(pages))
    assert printed == [f"{n:04d}" for n in range(1, 501)]
    for later in pages[1:]:
        assert "Invoice INV-2026-0042" in later  # the running header


@pytest.mark.parametrize("count", range(14, 32))
def test_the_totals_are_never_split_across_pages(count: int) -> None:
    doc = numbered(count, discount="5", tax="20", tax2="1",
                   payments=(DocumentPayment(date(2026, 12, 2), Decimal("10.00")),))
    pages = pages_text(render_pdf(doc))
    labels = [row.label for row in invoice_labels.totals(doc, DocumentText.of(doc))]
    holding = {index for index, page in enumerate(pages) for label in labels if label in page}
    assert len(holding) == 1, f"{count} lines: totals on pages {sorted(holding)}"


def test_project_codes_show_only_when_the_setting_is_on() -> None:
    shown = "\n".join(pages_text(render_pdf(standard())))
    hidden = "\n".join(pages_text(render_pdf(replace(standard(), show_project_codes=False))))
    assert "[ACME-WEB] Website" in shown and "[ACME-APP] Mobile app" in shown
    assert "ACME-WEB" not in hidden and "ACME-APP" not in hidden
    assert "Website" in hidden and "Mobile app" in hidden


def test_agent_lines_are_labelled() -> None:
    text = "\n".join(pages_text(render_pdf(standard())))
    assert "Code review by review-bot-01 AGENT · [ACME-WEB] Website · VAT 3.25 80.00 260.00" \
        in text
    assert text.count("AGENT") == 1


def test_taxes_per_line_are_named_when_lines_differ() -> None:
    text = "\n".join(pages_text(render_pdf(standard())))
    assert "[ACME-WEB] Website · VAT, State tax" in text
    assert "[ACME-APP] Mobile app" in text and "Mobile app · " not in text
    same = document([line("One", "1.00", "10.00"), line("Two", "1.00", "10.00")], tax="20")
    assert "· VAT" not in "\n".join(pages_text(render_pdf(same)))


def test_payments_paid_and_amount_due_are_printed() -> None:
    doc = standard()
    text = "\n".join(pages_text(render_pdf(doc)))
    assert "Payments Date Transaction ID Notes Amount 2026-12-10 TX-7781 First half $500.00" \
        in text
    assert "Paid -$500.00 Amount due $1,848.12" in text and doc.due_amount == Decimal("1848.12")


def images(data: bytes) -> list[Any]:
    found = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"].get("/XObject", {}).values():
            if ref.get_object()["/Subtype"] == "/Image":
                found.append(ref.get_object())
    return found


def test_the_logo_is_embedded_in_place_of_the_name(tmp_path: Path) -> None:
    logo = tiny_png(tmp_path / "logo.png", 40, 10)
    with_logo = render_pdf(replace(standard(), logo_path=str(logo)))
    [image] = images(with_logo)
    assert (image["/Width"], image["/Height"]) == (40, 10)

    assert ("Ångström & Söhne Consulting", 9) in sized_runs(with_logo)  # above its address

    without = render_pdf(standard())
    assert images(without) == []
    assert ("Ångström & Söhne Consulting", 16) in sized_runs(without)  # the heading


def test_an_unreadable_logo_prints_the_company_name(tmp_path: Path) -> None:
    broken = tmp_path / "logo.png"
    broken.write_bytes(b"not an image")
    for path in (broken, tmp_path / "missing.png"):
        data = render_pdf(replace(standard(), logo_path=str(path)))
        assert images(data) == []
        assert ("Ångström & Söhne Consulting", 16) in sized_runs(data)


@pytest.mark.parametrize("state, mark", [("draft", "DRAFT"), ("paid", "PAID"),
                                         ("closed", "CLOSED"), ("open", None)])
def test_draft_paid_and_closed_invoices_are_marked(state: str, mark: str | None) -> None:
    data = render_pdf(replace(standard(), state=state))
    text = "\n".join(pages_text(data))
    for word in ("DRAFT", "PAID", "CLOSED"):
        assert (word in text) == (word == mark), word
    across = [text for text, size in sized_runs(data) if size == 110]  # across the page
    assert across == ([mark] if mark else [])


def test_typed_markup_prints_as_typed() -> None:
    doc = document([line("<b>not bold</b> & <font size=40>big</font>", "1.00", "10.00")],
                   client=replace(CLIENT, name="Tom & Jerry <Ltd>"), notes="a < b & c > d")
    text = "\n".join(pages_text(render_pdf(doc)))
    assert "<b>not bold</b> & <font size=40>big</font>" in text
    assert "Tom & Jerry <Ltd>" in text and "a < b & c > d" in text


def test_long_descriptions_and_notes_run_over_pages() -> None:
    long_text = " ".join(["A detailed entry note that goes on and on."] * 300)
    doc = document([line(long_text, "1.00", "10.00")], notes=long_text)
    pages = pages_text(render_pdf(doc))
    assert len(pages) >= 3
    assert "Amount due $10.00" in "\n".join(pages)


def test_write_pdf_writes_a_private_file(tmp_path: Path) -> None:
    target = write_pdf(standard(), tmp_path / "out" / "INV-2026-0042.pdf")
    assert target.read_bytes().startswith(b"%PDF")
    if os.name != "nt":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["INV-2026-0042.pdf"]


def test_the_same_document_gives_the_same_bytes() -> None:
    assert render_pdf(standard()) == render_pdf(standard())


def test_importing_the_renderers_loads_no_reportlab() -> None:
    code = ("import sys, keito_core.io.invoice_pdf, keito_core.io.invoice_html; "
            "print(sorted(m for m in sys.modules if m.startswith(('reportlab', 'fontTools'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
