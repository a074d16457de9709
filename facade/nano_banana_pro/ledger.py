"""`TaskLedger`: the durable record of a batch's billed tasks, so that none is made twice or lost.

One SQLite file (the standard library's `sqlite3`, WAL mode, every commit synced). Each item is a
row keyed by its content: the normalised create body, plus its occurrence among identical bodies
(the same prompt on two lines is two items). An item moves `pending` -> `creating` -> `created`
(with its task id) -> `completed` (with its files), or to `failed` or `ambiguous`. The intent
(`creating`) is committed before the billed POST and the task id right after its answer, so a
crash at any instant leaves either nothing billed or a recorded id, but for one window: a create
whose answer never came back. That item is `ambiguous`, and is not created again unless asked.

One run at a time: a run holds an exclusive lock on `<ledger>.lock` while it works, released by
the system even when the process is killed; a second run is refused with `LedgerError`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ._ledger_file import MEMORY, SCHEMA_VERSION, connect, damaged, exclusive
from ._ledger_items import (
    ItemState,
    LedgerItem,
    error_columns,
    item_from_row,
    item_key,
    storable,
)
from ._sqlite import transaction
from .errors import LedgerError

__all__ = ["SCHEMA_VERSION", "ItemState", "LedgerItem", "TaskLedger", "item_key"]


class TaskLedger:
    """The ledger in one SQLite file (or in memory); safe to share between threads.

    Args:
        path: The ledger file, created when missing; `":memory:"` keeps it in memory only
            (what `generate_many` uses when given no ledger).

    Raises:
        LedgerError: the file is not a ledger or is damaged (left untouched), was written by a
            newer version of this package, or cannot be opened.
    """

    def __init__(self, path: str | os.PathLike[str] = MEMORY) -> None:
        #: The ledger file, or `":memory:"`.
        self.path = path if path == MEMORY else Path(path)
        self._lock = threading.Lock()
        self._connection = connect(self.path)
        self._runs = 0  # runs of this object now: run() is reentrant

    # -- a run ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def run(self) -> Iterator[Self]:
        """Hold the ledger for one run: no other run may use it meanwhile.

        An item still `creating` when the run starts was cut off by a crash mid-create: its
        answer never came, so it becomes `ambiguous`.

        Raises:
            LedgerError: another run holds the ledger.
        """
        if self._runs:  # held already, by this object
            self._runs += 1
            try:
                yield self
            finally:
                self._runs -= 1
            return
        with exclusive(self.path):
            cut_off = self._query("SELECT key FROM items WHERE state = ?", (ItemState.CREATING,))
            for (key,) in cut_off:
                self._update(
                    key,
                    state=ItemState.AMBIGUOUS,
                    error="an earlier run stopped while creating this task: it may exist",
                    error_type="AmbiguousCreateError",
                )
            self._runs = 1
            try:
                yield self
            finally:
                self._runs = 0

    def register(self, items: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """Record `(key, body)` items not seen before as `pending`, in one transaction.

        Raises:
            LedgerError: the file could not be written (this and every method below).
        """
        now = time.time()
        rows = [(key, json.dumps(body), ItemState.PENDING, now, now) for key, body in items]
        with self._using(), transaction(self._connection):
            self._connection.executemany(
                "INSERT OR IGNORE INTO items (key, body, state, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    # -- reading -------------------------------------------------------------------------------

    def get(self, key: str) -> LedgerItem | None:
        """The item with this key, if recorded."""
        rows = self._query("SELECT * FROM items WHERE key = ?", (key,))
        return self._items(rows)[0] if rows else None

    def items(self) -> list[LedgerItem]:
        """Every item, oldest first."""
        return self._items(self._query("SELECT * FROM items ORDER BY rowid", ()))

    # -- transitions: each one committed (and synced) before it returns --------------------------

    def mark_creating(self, key: str) -> None:
        """The intent: the billed POST is about to be sent."""
        self._update(key, state=ItemState.CREATING, error=None, error_type=None)

    def mark_pending(self, key: str) -> None:
        """The attempt certainly made no task (refused, or never sent): nothing was billed."""
        self._update(key, state=ItemState.PENDING)

    def mark_created(self, key: str, *, task_id: str, status: str) -> None:
        """The POST answered: the task exists."""
        self._update(key, state=ItemState.CREATED, task_id=task_id, status=status)

    def mark_ambiguous(self, key: str, error: BaseException) -> None:
        """The POST was sent and its answer lost: a task may exist, its id unknown."""
        self._update(key, state=ItemState.AMBIGUOUS, **error_columns(error))

    def mark_refused(self, key: str, error: BaseException) -> None:
        """The create certainly made no task (refused, or never sent): nothing was billed."""
        self._update(key, state=ItemState.FAILED, task_id=None, status=None, **error_columns(error))

    def mark_failed(self, key: str, *, task_id: str, status: str, error: BaseException) -> None:
        """The task ended without images (FAILED, or another final status)."""
        self._update(
            key, state=ItemState.FAILED, task_id=task_id, status=status, **error_columns(error)
        )

    def mark_completed(self, key: str, *, task_id: str, files: Sequence[str]) -> None:
        """The task COMPLETED and its images are saved (when asked)."""
        self._update(
            key,
            state=ItemState.COMPLETED,
            task_id=task_id,
            status="COMPLETED",
            files=json.dumps(list(files)),
            error=None,
            error_type=None,
        )

    def note(self, key: str, *, status: str | None = None, error: BaseException | None) -> None:
        """A status seen, or an error that leaves the item where it stands (a wait cut short)."""
        changes: dict[str, Any] = {} if status is None else {"status": status}
        if error is not None:
            changes.update(error_columns(error))
        self._update(key, **changes)

    # -- learned completion times (for the poll schedule) ----------------------------------------

    def record_completion_time(self, kind: str, *, after: float, before: float) -> None:
        """A task of `kind` completed between ages `after` and `before` (seconds)."""
        self._execute(
            "INSERT INTO completion_times (kind, after, before, recorded_at) VALUES (?, ?, ?, ?)",
            (kind, after, before, time.time()),
        )

    def completion_times(self, *, keep: int) -> list[tuple[str, float, float]]:
        """The latest `keep` completion times of each kind, oldest first."""
        rows = self._query(
            "SELECT kind, after, before FROM (SELECT *, ROW_NUMBER() OVER "
            "(PARTITION BY kind ORDER BY rowid DESC) AS newest FROM completion_times) "
            "WHERE newest <= ? ORDER BY rowid",
            (keep,),
        )
        return [(str(kind), float(after), float(before)) for kind, after, before in rows]

    # -- plumbing ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the file."""
        with self._using():
            self._connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TaskLedger({str(self.path)!r})"

    def _update(self, key: str, **changes: Any) -> None:
        now = time.time()
        step = changes.get("state") or changes.get("status")
        values = {column: storable(value) for column, value in changes.items()}
        with self._using(), transaction(self._connection):
            if step is not None:
                (history,) = self._connection.execute(
                    "SELECT history FROM items WHERE key = ?", (key,)
                ).fetchone()
                values["history"] = json.dumps([*self._loaded(history), [str(step), now]])
            assignments = ", ".join(f"{column} = ?" for column in values)
            self._connection.execute(
                f"UPDATE items SET {assignments}, updated_at = ? WHERE key = ?",  # noqa: S608 - column names are ours
                (*values.values(), now, key),
            )

    def _items(self, rows: list[Any]) -> list[LedgerItem]:
        """The rows as items.

        Raises:
            LedgerError: a row is damaged (the file is left as it is).
        """
        try:
            return [item_from_row(row) for row in rows]
        except (ValueError, TypeError) as error:
            raise damaged(self.path, error) from None

    def _loaded(self, text: str) -> Any:
        """One JSON column.

        Raises:
            LedgerError: it is damaged.
        """
        try:
            return json.loads(text)
        except (ValueError, TypeError) as error:
            raise damaged(self.path, error) from None

    def _execute(self, sql: str, parameters: Sequence[Any]) -> None:
        with self._using():
            self._connection.execute(sql, parameters)

    def _query(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        with self._using():
            return self._connection.execute(sql, parameters).fetchall()

    @contextlib.contextmanager
    def _using(self) -> Iterator[None]:
        """The connection, one thread at a time; SQLite's failures become `LedgerError`s.

        Raises:
            LedgerError: the file could not be read or written (a full disk, a read-only file).
        """
        with self._lock:
            try:
                yield
            except sqlite3.Error as error:
                raise LedgerError(
                    f"the ledger {self.path} could not be written or read ({error}): free some "
                    "disk space or make it writable, then run again; what it recorded before "
                    "stays (check `nano-banana-pro list` for tasks made since)"
                ) from None
