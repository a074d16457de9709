"""The ledger's SQLite file: its tables, opening and checking it, its transactions, its lock."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import LedgerError

#: The version of the ledger's tables; a newer ledger is refused, never changed.
SCHEMA_VERSION = 1
MEMORY = ":memory:"
_SCHEMA = """
CREATE TABLE items (
    key TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    task_id TEXT,
    status TEXT,
    files TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    error_type TEXT,
    history TEXT NOT NULL DEFAULT '[]',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE completion_times (
    kind TEXT NOT NULL,
    after REAL NOT NULL,
    before REAL NOT NULL,
    recorded_at REAL NOT NULL
);
"""
_TABLES = frozenset({"items", "completion_times"})


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection to a ledger: created when new, checked when not; never overwritten.

    Raises:
        LedgerError: not a ledger or damaged (left as it is), newer, or cannot be opened.
    """
    try:
        connection = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=30
        )
    except sqlite3.Error as error:
        raise LedgerError(f"cannot open the ledger {path} ({error}): pass another path") from None
    try:
        connection.execute("BEGIN IMMEDIATE")  # one process at a time creates a new ledger
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
        if version == 0 and not tables:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            version, tables = SCHEMA_VERSION, set(_TABLES)
        connection.execute("COMMIT")
        if version > SCHEMA_VERSION:
            raise LedgerError(
                f"the ledger {path} was written by a newer magnific-nano-banana-pro (schema "
                f"{version}, this one reads {SCHEMA_VERSION}): upgrade, or pass another ledger"
            )
        if version == 0 and tables:
            raise LedgerError(f"{path} is an SQLite file but not a task ledger: pass another path")
        if version != 0 and not tables >= _TABLES:
            raise sqlite3.DatabaseError(f"tables missing: {sorted(_TABLES - tables)}")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
    except sqlite3.DatabaseError as error:
        connection.close()
        raise damaged(path, error) from None
    except LedgerError:
        connection.close()
        raise
    return connection


def damaged(path: str | Path, error: BaseException) -> LedgerError:
    """The error for a ledger that is not one, or is damaged: left as it is."""
    return LedgerError(
        f"{path} is not a task ledger, or it is damaged ({error}); it was left as it is: "
        "move it away, or pass another ledger"
    )


@contextlib.contextmanager
def exclusive(path: str | Path) -> Iterator[None]:
    """Hold `<path>.lock` exclusively (nothing to hold for a ledger in memory).

    Hand-written rather than taken from `filelock`: the runtime dependencies are httpx and attrs
    only, and one non-blocking lock call per platform is all it takes.

    Raises:
        LedgerError: another process holds it.
    """
    if path == MEMORY:
        yield
        return
    lock_path = Path(f"{path}.lock")
    try:
        handle = lock_path.open("ab")
    except OSError as error:
        raise LedgerError(f"cannot lock the ledger {path} ({error.strerror})") from None
    with handle:
        try:
            _lock_file(handle)
        except OSError:
            raise LedgerError(
                f"the ledger {path} is in use by another run (another batch on the same file, "
                "or generate_many in another process): wait for it to finish, or pass another "
                "ledger"
            ) from None
        yield  # closing the file releases the lock, as the system does for a killed process


def _lock_file(handle: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
