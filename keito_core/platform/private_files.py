"""Files only their owner may read: Keito's directories are 0700 and the files it writes 0600.

A workspace holds rates, costs, clients, notes, receipts and API key hashes. Under the usual
umask (022) a new directory would be 0755 and a new file 0644, readable by every user of a
shared machine, so Keito creates its own private, and opening a workspace takes group and
other access off what an older Keito left open (a few stat calls when nothing needs doing).
SQLite creates a database's -wal and -shm files with the database file's mode, so a database
file made 0600 before SQLite opens it keeps its companions private too.

Standard library only: the fast paths use it. On Windows, where POSIX modes do not apply,
every function only creates what is missing.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
#: The files SQLite keeps beside a database: the WAL, its index, a rollback journal.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
_POSIX = os.name != "nt"


def tighten(path: Path) -> None:
    """Take group and other permissions off `path`, if it exists and has any."""
    if not _POSIX:
        return
    try:
        mode = os.stat(path).st_mode
        if mode & 0o077:
            os.chmod(path, stat.S_IMODE(mode) & ~0o077)
    except OSError:  # missing, or someone else's file: nothing this user can do
        return


def private_dir(path: Path) -> Path:
    """`path` as a directory only its owner may enter, creating it and its missing parents
    that way (0700)."""
    missing = []
    ancestor = path
    while not ancestor.exists() and ancestor != ancestor.parent:
        missing.append(ancestor)
        ancestor = ancestor.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=PRIVATE_DIR)
    tighten(path)
    return path


def private_file(path: Path) -> Path:
    """`path` as a file only its owner may read (0600), created empty when missing."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    os.close(fd)
    tighten(path)
    return path


def write_private_text(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, readable and writable by the owner only (0600).

    A missing directory is created 0700; an existing one (a project's, for .keito.toml) is
    left as it is.
    """
    if not path.parent.exists():
        private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        tighten(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def secure_database_file(path: Path) -> None:
    """Make a SQLite database private before it is opened: its directory created 0700 when
    missing, the file created 0600 (so SQLite's companions are too), existing ones tightened."""
    if not path.parent.exists():
        private_dir(path.parent)
    if not path.exists():
        private_file(path)
    else:
        tighten(path)
    for suffix in SQLITE_COMPANIONS:
        tighten(path.with_name(path.name + suffix))


def tighten_all(*paths: Path) -> None:
    """Tighten those of `paths` that exist (Keito's directories and config file)."""
    for path in paths:
        tighten(path)
