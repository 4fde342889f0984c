"""The invoice's HTML page: the PDF's figures, escaped text, and nothing fetched from outside."""

from __future__ import annotations

import base64
import html
import io
import os
import re
import stat
from html.parser import HTMLParser
from pathlib import Path

from invoice_samples import CLIENT, document, line, replace, standard, tiny_png
from pypdf import PdfReader

from keito_core.io import invoice_labels
from keito_core.io.invoice_html import render_html, write_html
from keito_core.io.invoice_pdf import render_pdf
from keito_core.io.money_text import DocumentText


class _Page(HTMLParser):
    """The page's visible text and every tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


def visible(page: str) -> str:
    """The page's text as a reader sees it, white space runs made single spaces."""
    return " ".join(" ".join(parse(page).text).split())


def test_the_page_shows_every_figure_the_pdf_shows() -> None:
    doc = standard()
    page = visible(render_html(doc))
    pdf = " ".join(" ".join(p.extract_text().split())
                   for p in PdfReader(io.BytesIO(render_pdf(doc))).pages)
    fmt = DocumentText.of(doc)

    assert "INVOICE" in page and "INV-2026-0042" in page
    for item in doc.lines:
        figures = [fmt.quantity(item.quantity), fmt.unit_price(item.unit_price),
                   fmt.amount(item.amount)]
        assert item.description in page and " ".join(figures) in page
        assert " ".join(figures) in pdf
    for row in invoice_labels.totals(doc, fmt):
        assert f"{row.label} {row.value}" in page and f"{row.label} {row.value}" in pdf
    assert "Subtotal $2,135.14 Discount (10%) -$213.51 VAT (20%) $384.30" in page
    assert "Total $2,348.12 Paid -$500.00 Amount due $1,848.12" in page
    assert "Amount due $1,848.12 Due date 2026-12-31" in page  # the box at the top
    assert "2026-12-10 TX-7781 First half $500.00" in page
    for fact in ("Issue date 2026-12-01", "Terms Net 30", "PO number PO-1234",
                 "Period 2026-11-01 – 2026-11-30", "Website redesign, November",
                 "Ada Lovelace <ada@acme.example>", "Thank you for your business.",
                 "IBAN FR76"):
        assert fact in page, fact


def test_unicode_and_currency_symbols_print_as_typed() -> None:
    client = replace(CLIENT, name="Ωmega — 東京支社 김민수")
    doc = document([line("Жюль Верн, 山田太郎さん", "1.00", "1500.00", "INR")],
                   currency="INR", client=client)
    page = visible(render_html(doc))
    assert "Ωmega — 東京支社 김민수" in page and "Жюль Верн, 山田太郎さん" in page
    assert "Amount due ₹1,500.00" in page
    peso = document([line("Design", "2.00", "500.00", "PHP")], currency="PHP")
    assert "Amount due ₱1,000.00" in visible(render_html(peso))  # browsers have ₱
    assert '<meta charset="utf-8">' in render_html(doc)


def test_everything_typed_is_escaped() -> None:
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    doc = document([line(attack, "1.00", "10.00", project_name=attack, project_code="A&B")],
                   client=replace(CLIENT, name=attack, contact=attack), notes=attack,
                   footer=attack, subject=attack, purchase_order=attack, number="INV-<1>",
                   tax="10", tax_label=attack, show_project_codes=True,
                   company=replace(CLIENT, name=attack, address_lines=(attack,)))
    page = render_html(doc)
    tags = [tag for tag, _ in parse(page).tags]
    assert "script" not in tags
    assert [attrs for tag, attrs in parse(page).tags if tag == "img"] == []
    assert "onerror" not in page.replace("onerror=alert(1)&gt;", "")
    assert page.count(html.escape(attack)) >= 10
    assert "[A&amp;B]" in page and "INV-&lt;1&gt;" in page


def test_nothing_is_fetched_from_outside(tmp_path: Path) -> None:
    doc = replace(standard(), logo_path=str(tiny_png(tmp_path / "logo.png")))
    page = render_html(doc)
    assert not re.search(r"https?:|ftp:|//", page, re.IGNORECASE)
    assert "url(" not in page and "@import" not in page and "<link" not in page
    for _, attrs in parse(page).tags:
        for name in ("src", "href", "action"):
            value = attrs.get(name)
            assert value is None or value.startswith("data:"), (name, value)
    csp = [attrs["content"] for tag, attrs in parse(page).tags
           if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    assert csp == ["default-src 'none'; img-src data:; style-src 'unsafe-inline'"]


def test_the_logo_is_inlined_as_a_data_uri(tmp_path: Path) -> None:
    logo = tiny_png(tmp_path / "logo.png")
    page = render_html(replace(standard(), logo_path=str(logo)))
    [img] = [attrs for tag, attrs in parse(page).tags if tag == "img"]
    src = img["src"] or ""
    assert src.startswith("data:image/png;base64,")
    assert base64.b64decode(src.removeprefix("data:image/png;base64,")) == logo.read_bytes()
    assert img["alt"] == "Ångström & Söhne Consulting"

    not_an_image = tmp_path / "logo.svg"
    not_an_image.write_text("<svg/>")
    for path in (str(not_an_image), str(tmp_path / "missing.png"), None):
        page = render_html(replace(standard(), logo_path=path))
        assert [tag for tag, _ in parse(page).tags if tag == "img"] == []
        assert '<p class="company-name">Ångström &amp; Söhne Consulting</p>' in page


def test_the_accent_colour_styles_the_page_and_cannot_escape_the_css() -> None:
    assert "--accent: #0f766e;" in render_html(replace(standard(), accent_color="#0f766e"))
    hostile = render_html(replace(standard(), accent_color="red;}</style><script>x</script>"))
    assert "--accent: #5b21b6;" in hostile and "<script>" not in hostile


def test_project_codes_agents_and_states() -> None:
    shown = visible(render_html(standard()))
    hidden = visible(render_html(replace(standard(), show_project_codes=False)))
    assert "[ACME-WEB] Website" in shown and "ACME-WEB" not in hidden
    assert "Code review by review-bot-01 AGENT · [ACME-WEB] Website · VAT" in shown
    assert shown.count("AGENT") == 1
    for state, mark in (("draft", "DRAFT"), ("paid", "PAID"), ("closed", "CLOSED")):
        page = render_html(replace(standard(), state=state))
        assert f'<span class="state state-{state}">{mark}</span>' in page
    assert not re.search(r"DRAFT|PAID|CLOSED", visible(render_html(standard())))


def test_write_html_writes_a_private_file(tmp_path: Path) -> None:
    target = write_html(standard(), tmp_path / "INV-2026-0042.html")
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    if os.name != "nt":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
