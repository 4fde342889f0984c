"""Receipt files: checked, then copied under the data directory's receipts folder.

A receipt is a PNG, JPEG, GIF or PDF of at most 10 MB whose contents match its extension.
It is copied to ``<receipts_dir>/<yyyy>/<mm>/<expense id><ext>`` (the year and month of the
expense's date); the expense stores that path relative to the receipts folder, the original
file name, the content type and the size. The folders are made 0700 and the copy 0600: only
the workspace's owner may read a receipt.

The copy is written before the transaction commits (to a temporary name, then renamed into
place). When the transaction then fails, the copied file stays behind as an orphan nobody
references; it is harmless, and never overwrites another expense's receipt because the name
is the new expense's id. Replacing or deleting an expense's receipt likewise leaves the old
file in place rather than deleting it before the change is committed.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from keito_core.errors import KeitoError, validation
from keito_core.platform.private_files import PRIVATE_FILE, private_dir, tighten

MAX_RECEIPT_BYTES = 10 * 1024 * 1024
#: Accepted extensions and the content type each one stores.
CONTENT_TYPES: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".pdf": "application/pdf",
}
_PDF_HEADER_WINDOW = 1024
_HINT = "attach a PNG, JPG, JPEG, GIF or PDF file of at most 10 MB"


@dataclass(frozen=True)
class ReceiptFile:
    """A checked receipt file, ready to be copied."""

    source: Path
    name: str
    extension: str
    content_type: str
    size: int


def _matches(extension: str, head: bytes) -> bool:
    """Whether the file's first bytes are those of its extension's format."""
    if extension == ".png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in (".jpg", ".jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if extension == ".gif":
        return head.startswith((b"GIF87a", b"GIF89a"))
    return b"%PDF-" in head[:_PDF_HEADER_WINDOW]


def check_receipt(path: Path | str) -> ReceiptFile:
    """The receipt at `path` once it exists and is an accepted kind and size."""
    source = Path(path).expanduser()
    extension = source.suffix.lower()
    if extension not in CONTENT_TYPES:
        raise validation(f"receipts must be PNG, JPG, JPEG, GIF or PDF, not {source.name!r}",
                         field="receipt", hint=_HINT)
    if not source.is_file():
        raise validation(f"no receipt file at {str(source)!r}", field="receipt",
                         hint="check the path")
    try:
        size = source.stat().st_size
        with source.open("rb") as handle:
            head = handle.read(_PDF_HEADER_WINDOW)
    except OSError as exc:
        raise validation(f"cannot read the receipt: {exc.strerror or exc}",
                         field="receipt") from None
    if size == 0:
        raise validation(f"the receipt {source.name!r} is empty", field="receipt")
    if size > MAX_RECEIPT_BYTES:
        raise validation(f"the receipt is {size / 1024 / 1024:.1f} MB; the limit is 10 MB",
                         field="receipt", hint=_HINT)
    if not _matches(extension, head):
        kind = CONTENT_TYPES[extension].split("/")[1].upper()
        raise validation(f"{source.name!r} is not a {kind} file", field="receipt", hint=_HINT)
    return ReceiptFile(source=source, name=source.name[:255], extension=extension,
                       content_type=CONTENT_TYPES[extension], size=size)


def receipt_relative_path(expense_id: str, spent_date: date, extension: str) -> str:
    """Where an expense's receipt lives, relative to the receipts folder (POSIX form)."""
    return str(PurePosixPath(f"{spent_date:%Y}", f"{spent_date:%m}", expense_id + extension))


def store_receipt(receipt: ReceiptFile, *, receipts_dir: Path, expense_id: str,
                  spent_date: date) -> str:
    """Copy the receipt into the receipts folder; returns its relative path."""
    relative = receipt_relative_path(expense_id, spent_date, receipt.extension)
    target = receipts_dir / relative
    partial = target.with_name(target.name + ".part")
    try:
        private_dir(target.parent)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        with receipt.source.open("rb") as source, os.fdopen(fd, "wb") as copy:
            shutil.copyfileobj(source, copy)
        tighten(partial)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise KeitoError("validation_error", f"cannot store the receipt: {exc.strerror or exc}",
                         field="receipt", hint=f"check that {receipts_dir} is writable") from None
    return relative


def receipt_file(receipts_dir: Path, relative: str) -> Path:
    """The absolute path of a stored receipt."""
    return receipts_dir.joinpath(*PurePosixPath(relative).parts)
