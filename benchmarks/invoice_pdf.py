"""Time the PDF of a 500-line invoice (issue 10's target: under 2 s).

    .venv/bin/python benchmarks/invoice_pdf.py                      # 500 lines, 5 cold, 20 warm
    .venv/bin/python benchmarks/invoice_pdf.py --lines 2000 --cold 3 --warm 5 --keep /tmp/big.pdf

Builds an invoice document of N lines as `keito invoice create --group-by detailed` would give
(a date, a person, a task and a note per line, project names and codes, agents' lines, two
taxes, a discount, a payment, notes and a footer) and times `render_pdf` on it, twice over:
once with Latin text only, once with the client's name and some notes in Japanese, Chinese
and Korean (the CJK fonts are cut for the document: the `cjk` extra).

- **cold**: a fresh process per render, timed from before `import keito_core.io.invoice_pdf`
  to the bytes, so it counts importing reportlab, registering the fonts and cutting the CJK
  ones: what `keito invoice pdf` pays. The target is judged on its median.
- **warm**: further renders in one process (the app writing a second PDF).

Prints the median, 90th percentile and maximum of each, the pages and the file's size.
Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

TARGET_SECONDS = 2.0
PEOPLE = ("Grace Hopper", "Ada Lovelace", "Alan Turing", "review-bot-01", "Margaret Hamilton")
TASKS = ("Development", "Design", "Code review", "Project Management", "Meetings")
PROJECTS = (("Website Redesign", "ACME-WEB"), ("Mobile App", "ACME-APP"),
            ("Data Platform", "ACME-DATA"))


def sample_document(lines: int, cjk: bool):  # noqa: ANN201 - the import is deferred
    """An invoice of `lines` detailed lines whose figures follow the money rule."""
    from keito_core.io.invoice_document import (
        DocumentLine,
        DocumentPayment,
        InvoiceDocument,
        Party,
    )
    from keito_core.rules.money import round_money

    items = []
    for n in range(lines):
        person, task = PEOPLE[n % len(PEOPLE)], TASKS[n % len(TASKS)]
        project, code = PROJECTS[n % len(PROJECTS)]
        day = date(2026, 11, 1) + timedelta(days=n % 30)
        quantity = Decimal(25 + n % 700) / 100
        price = Decimal("150.00") if person != "review-bot-01" else Decimal("0.003")
        note = f"{day:%Y-%m-%d} · {person} · {task}: ticket #{1000 + n}, review and follow-up"
        if cjk and n % 50 == 0:
            note += " (山田さんとの打ち合わせ, 김민수 검토)"
        items.append(DocumentLine("service", note, quantity, price,
                                  round_money(quantity * price, "USD"), taxed=True,
                                  taxed2=n % 4 == 0, project_name=project, project_code=code,
                                  agent=person == "review-bot-01"))
    subtotal = sum((item.amount for item in items), Decimal(0))
    discount = round_money(subtotal * Decimal("0.05"), "USD")
    tax = round_money(subtotal * Decimal("0.95") * Decimal("0.08"), "USD")
    taxed2 = sum((item.amount for item in items if item.taxed2), Decimal(0))
    tax2 = round_money(taxed2 * Decimal("0.95") * Decimal("0.01"), "USD")
    amount = subtotal - discount + tax + tax2
    paid = round_money(amount / 3, "USD")
    client = "Omega Labs, 東京支社 (오메가)" if cjk else "Omega Labs"
    return InvoiceDocument(
        number="INV-2026-0500", state="open", currency="USD", issue_date=date(2026, 12, 1),
        due_date=date(2026, 12, 31), payment_terms="Net 30",
        company=Party("Ångström & Söhne Consulting", ("12 Rue de l'Église", "75004 Paris"),
                      "+33 1 23 45 67 89"),
        client=Party(client, ("1 Market Street", "San Francisco, CA 94105"),
                     contact="Ada Lovelace <ada@omega.example>"),
        lines=tuple(items), subtotal=subtotal, discount=Decimal(5), discount_amount=discount,
        tax_label="Sales tax", tax=Decimal(8), tax_amount=tax, tax2_label="City tax",
        tax2=Decimal(1), tax2_amount=tax2, amount=amount, paid_amount=paid,
        due_amount=amount - paid,
        payments=(DocumentPayment(date(2026, 12, 10), paid, "First third", "TX-1"),),
        subject="November 2026", purchase_order="PO-7781",
        notes="Thank you for your business.\nPlease pay by bank transfer.",
        footer="IBAN FR76 3000 6000 0112 3456 7890 189 · BIC AGRIFRPP",
        period_start=date(2026, 11, 1), period_end=date(2026, 11, 30),
        show_project_codes=True)


def pages(data: bytes) -> int:
    """How many pages a reportlab PDF has (its page objects are not compressed)."""
    return data.count(b"/Type /Page\n") or data.count(b"/Type /Page ")


def render_once(lines: int, cjk: bool, keep: str | None) -> None:
    """One cold render, in this fresh process; prints its seconds, pages and size as JSON."""
    document = sample_document(lines, cjk)
    started = time.perf_counter()
    from keito_core.io.invoice_pdf import render_pdf

    data = render_pdf(document)
    seconds = time.perf_counter() - started
    if keep:
        Path(keep).write_bytes(data)
    print(json.dumps({"seconds": seconds, "pages": pages(data), "bytes": len(data)}))


def cold(lines: int, cjk: bool, rounds: int, keep: str | None) -> list[dict[str, float]]:
    results = []
    for round_no in range(rounds):
        command = [sys.executable, __file__, "--once", "--lines", str(lines)]
        if cjk:
            command.append("--cjk")
        if keep and round_no == 0:
            command += ["--keep", keep]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout))
    return results


def warm(lines: int, cjk: bool, rounds: int) -> list[float]:
    from keito_core.io.invoice_pdf import render_pdf

    document = sample_document(lines, cjk)
    render_pdf(document)
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        render_pdf(document)
        seconds.append(time.perf_counter() - started)
    return seconds


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=500, help="invoice lines (default 500)")
    parser.add_argument("--cold", type=int, default=5, help="fresh-process renders per case")
    parser.add_argument("--warm", type=int, default=20, help="in-process renders per case")
    parser.add_argument("--keep", help="write the first cold render's PDF here (the -cjk one "
                                       "gets -cjk before its suffix)")
    parser.add_argument("--once", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cjk", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.once:
        render_once(args.lines, args.cjk, args.keep)
        return

    load_before = os.getloadavg()[0]
    print(f"{args.lines} lines; {args.cold} cold renders (a process each) and {args.warm} "
          f"warm ones per case ...", flush=True)
    print(f"\n{'case':<12}{'cold median':>12}{'p90':>8}{'max':>8}{'warm median':>13}{'p90':>8}"
          f"{'pages':>7}{'size':>9}  under {TARGET_SECONDS:.0f} s")
    for cjk in (False, True):
        keep = None
        if args.keep:
            path = Path(args.keep)
            keep = str(path.with_name(f"{path.stem}-cjk{path.suffix}")) if cjk else str(path)
        runs = cold(args.lines, cjk, args.cold, keep)
        cold_seconds = [run["seconds"] for run in runs]
        warm_seconds = warm(args.lines, cjk, args.warm)
        median = statistics.median(cold_seconds)
        print(f"{'Latin + CJK' if cjk else 'Latin':<12}{median * 1000:>9.0f} ms"
              f"{p90(cold_seconds) * 1000:>8.0f}{max(cold_seconds) * 1000:>8.0f}"
              f"{statistics.median(warm_seconds) * 1000:>10.0f} ms"
              f"{p90(warm_seconds) * 1000:>8.0f}{runs[0]['pages']:>7.0f}"
              f"{runs[0]['bytes'] / 1024:>6.0f} kB  {'yes' if median < TARGET_SECONDS else 'NO'}")
    print(f"\nload average {load_before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} "
          f"CPUs; cold = from importing the renderer to the bytes, in a fresh process")


if __name__ == "__main__":
    main()
