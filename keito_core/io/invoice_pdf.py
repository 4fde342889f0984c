"""An invoice as a PDF a person would send: `render_pdf(doc)` and `write_pdf(doc, path)`.

Importing this module is cheap: reportlab and the fonts load when a PDF is rendered, so a
command that never renders one never imports them. The layout is in `invoice_pdf_layout`,
the fonts in `pdf_fonts`; the figures are the document's, formatted, never computed.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from keito_core.io.invoice_document import InvoiceDocument
from keito_core.platform.private_files import PRIVATE_FILE, private_dir, tighten


def render_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice `doc` as PDF bytes (A4, fonts embedded)."""
    from keito_core.io.invoice_pdf_layout import build

    return build(doc)


def write_pdf(doc: InvoiceDocument, path: Path | str) -> Path:
    """Render `doc` into `path`, readable by its owner only (0600); the path written.

    The file is written beside its final name and moved into place, so a failed render
    leaves no half-written PDF behind. A missing directory is created 0700.
    """
    target = Path(path)
    data = render_pdf(doc)
    if not target.parent.exists():
        private_dir(target.parent)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        tighten(temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return target
