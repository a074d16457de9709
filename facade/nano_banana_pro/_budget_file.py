"""`BudgetFile`: the log of a budget shared by processes (turns, requests, cooldown), in SQLite.

Each step of a governor (a turn, a send, an answer, a cooldown) is one `BEGIN IMMEDIATE`
transaction (the standard library's `sqlite3`, WAL mode, `synchronous=NORMAL`: it is a budget,
not money), so the steps of all processes happen one at a time, and together they keep every
window.

What the file assumes: its times are the clients' `clock.monotonic()`, which must be one clock
for all of them: `time.monotonic()` (the default clock) is system-wide on Linux, macOS and
Windows, so the file serves the processes of one host, on a local disk (WAL needs shared
memory, which network file systems do not give). The system's monotonic clock starts again at
boot: a file whose times are ahead of the clock and that was written under an earlier boot is
cleared when opened, instead of holding every request back until the old times come round. A
process that dies with requests in flight leaves them counted until their deadline.

Tables (`PRAGMA user_version` 1): `times(log, seq, at)`, in order, the turns handed out
(`log` = `turns`) and the answers received (`answers`), the last `keep` of each (the largest
window of any sharing process); `in_flight(owner, sent, expires)`, the requests sent and not
answered yet, by governor; `settings(name, value)`: `keep`, `longest` (the longest window, in
seconds), `cooldown_until`, `boot` (the wall-clock time of the boot that wrote the file).
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import Literal, Self

from ._sqlite import transaction
from .clock import Clock
from .errors import BudgetFileError

__all__ = ["SCHEMA_VERSION", "BudgetFile"]

#: The version of the file's tables; a newer file is refused, never changed.
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE times (
    log TEXT NOT NULL, seq INTEGER NOT NULL, at REAL NOT NULL, PRIMARY KEY (log, seq)
) WITHOUT ROWID;
CREATE INDEX times_by_time ON times (log, at);
CREATE TABLE in_flight (owner TEXT NOT NULL, sent REAL NOT NULL, expires REAL NOT NULL);
CREATE INDEX in_flight_by_owner ON in_flight (owner, sent);
CREATE TABLE settings (name TEXT PRIMARY KEY, value REAL NOT NULL);
"""
_TABLES = frozenset({"times", "in_flight", "settings"})
_Log = Literal["turns", "answers"]
#: How long a step waits for another process's transaction (they take microseconds).
_LOCK_TIMEOUT = 10.0
#: Two boot times estimated further apart than this (wall clock minus monotonic) are two boots.
_SAME_BOOT = 60.0
#: A request with no deadline of its own, in flight when its process died, counts this long.
_UNBOUNDED_REQUEST = 600.0


class BudgetFile:
    """The shared log: one connection per governor, used by one thread at a time.

    Raises:
        BudgetFileError: on first use, when the file cannot be used.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        keep: int,
        longest: float,
        clock: Clock,
        request_seconds: float,
    ) -> None:
        self.path = os.fspath(path)
        self._keep = keep
        self._longest = longest
        self._clock = clock
        self._request_seconds = (
            request_seconds if math.isfinite(request_seconds) else _UNBOUNDED_REQUEST
        )
        self._owner = secrets.token_hex(8)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Self]:
        """This object, with the file to itself until the block ends.

        Raises:
            BudgetFileError: the file cannot be used, or stayed locked by another process.
        """
        with self._lock:
            connection = self._connection or self._open()
            with self._exclusive(connection):
                yield self

    def nth_last_turn(self, n: int) -> float | None:
        """The `n`-th last turn handed out (1: the last), or None when there were fewer."""
        return self._at("turns", self._last_seq("turns") - n + 1)

    def add_turn(self, at: float) -> None:
        """Hand out a turn, and forget those no sharing process needs any more."""
        self._append("turns", at)

    def occupying(self, since: float) -> int:
        """How many requests are in flight (anyone's), or were answered after `since`."""
        (flying,) = self._execute(
            "SELECT count(*) FROM in_flight WHERE expires > ?", (since,)
        ).fetchone()
        first = self._first_answer_after(since)
        answered = 0 if first is None else self._last_seq("answers") - first + 1
        return int(flying) + answered

    def nth_answer_after(self, since: float, n: int) -> float | None:
        """The `n`-th earliest answer after `since`, or None when fewer came (yet)."""
        first = self._first_answer_after(since)
        return None if first is None else self._at("answers", first + n - 1)

    def send(self, now: float) -> None:
        """One more request of this governor in flight, from `now`."""
        self._execute(
            "INSERT INTO in_flight (owner, sent, expires) VALUES (?, ?, ?)",
            (self._owner, now, now + self._request_seconds),
        )
        self._execute(  # those of processes that died, once no window needs them
            "DELETE FROM in_flight WHERE expires < ? - "
            "(SELECT value FROM settings WHERE name = 'longest')",
            (now,),
        )

    def answer(self, now: float) -> None:
        """The answer to one of this governor's requests came at `now`."""
        self._execute(
            "DELETE FROM in_flight WHERE rowid = "
            "(SELECT rowid FROM in_flight WHERE owner = ? ORDER BY sent LIMIT 1)",
            (self._owner,),
        )
        self._append("answers", now)

    def cooldown_until(self) -> float:
        """No request may be sent before this time."""
        return self._setting("cooldown_until")

    def extend_cooldown(self, until: float) -> None:
        """No request before `until` either."""
        self._execute(
            "UPDATE settings SET value = max(value, ?) WHERE name = 'cooldown_until'", (until,)
        )

    def close(self) -> None:
        """Close the connection (the next transaction opens it again)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _last_seq(self, log: _Log) -> int:
        (last,) = self._execute("SELECT max(seq) FROM times WHERE log = ?", (log,)).fetchone()
        return 0 if last is None else int(last)

    def _at(self, log: _Log, seq: int) -> float | None:
        row = self._execute("SELECT at FROM times WHERE log = ? AND seq = ?", (log, seq)).fetchone()
        return None if row is None else float(row[0])

    def _first_answer_after(self, since: float) -> int | None:
        row = self._execute(
            "SELECT seq FROM times WHERE log = 'answers' AND at > ? ORDER BY at LIMIT 1",
            (since,),
        ).fetchone()
        return None if row is None else int(row[0])

    def _append(self, log: _Log, at: float) -> None:
        seq = self._last_seq(log) + 1
        self._execute("INSERT INTO times (log, seq, at) VALUES (?, ?, ?)", (log, seq, at))
        self._execute(
            "DELETE FROM times WHERE log = ? "
            "AND seq <= ? - (SELECT value FROM settings WHERE name = 'keep')",
            (log, seq),
        )

    @contextlib.contextmanager
    def _exclusive(self, connection: sqlite3.Connection) -> Iterator[None]:
        try:
            with transaction(connection):
                yield
        except sqlite3.Error as error:  # BEGIN or COMMIT: the body's own are typed already
            raise self._error(error) from None

    def _open(self) -> sqlite3.Connection:
        """Connect, create the tables of a new file, check those of an old one.

        Raises:
            BudgetFileError: not a budget file, a newer one, or damaged (left as it is).
        """
        try:
            connection = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=_LOCK_TIMEOUT
            )
        except sqlite3.Error as error:
            raise self._error(error) from None
        self._connection = connection
        try:
            with self._exclusive(connection):  # one process at a time creates a new file
                self._prepare()
            self._execute("PRAGMA journal_mode = WAL")
            self._execute("PRAGMA synchronous = NORMAL")
        except BudgetFileError:
            self._connection = None
            connection.close()
            raise
        return connection

    def _prepare(self) -> None:
        (version,) = self._execute("PRAGMA user_version").fetchone()
        tables = {name for (name,) in self._execute("SELECT name FROM sqlite_master")}
        if version == 0 and not tables:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                self._execute(statement)
            self._execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._execute(
                "INSERT INTO settings (name, value) VALUES ('keep', 1), ('longest', 0), "
                "('cooldown_until', ?), ('boot', ?)",
                (-math.inf, _boot_time()),
            )
        elif version > SCHEMA_VERSION:
            raise BudgetFileError(
                f"the budget file {self.path} was written by a newer magnific-nano-banana-pro "
                f"(schema {version}, this one reads {SCHEMA_VERSION}): upgrade every process "
                "that shares it, or pass another file"
            )
        elif version != SCHEMA_VERSION or not tables >= _TABLES:
            raise BudgetFileError(
                f"{self.path} is not a budget file (an SQLite file of another kind): pass "
                "another path to RateLimit(shared=...)"
            )
        for name, value in (("keep", self._keep), ("longest", self._longest)):
            self._execute("UPDATE settings SET value = max(value, ?) WHERE name = ?", (value, name))
        self._forget_an_earlier_boot()

    def _forget_an_earlier_boot(self) -> None:
        boot = _boot_time()
        if abs(self._setting("boot") - boot) <= _SAME_BOOT:
            return
        (latest,) = self._execute("SELECT max(at) FROM times").fetchone()
        (flying,) = self._execute("SELECT max(sent) FROM in_flight").fetchone()
        ahead = [self.cooldown_until(), *(at for at in (latest, flying) if at is not None)]
        if max(ahead) > self._clock.monotonic():
            self._execute("DELETE FROM times")
            self._execute("DELETE FROM in_flight")
            self._execute(
                "UPDATE settings SET value = ? WHERE name = 'cooldown_until'", (-math.inf,)
            )
        self._execute("UPDATE settings SET value = ? WHERE name = 'boot'", (boot,))

    def _setting(self, name: str) -> float:
        row = self._execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise BudgetFileError(
                f"the budget file {self.path} is damaged (no {name!r} setting): remove it, or "
                "pass another file to RateLimit(shared=...)"
            )
        return float(row[0])

    def _execute(self, sql: str, parameters: tuple[object, ...] = ()) -> sqlite3.Cursor:
        assert self._connection is not None, "used outside a transaction"
        try:
            return self._connection.execute(sql, parameters)
        except sqlite3.Error as error:
            raise self._error(error) from None

    def _error(self, error: sqlite3.Error) -> BudgetFileError:
        if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
            return BudgetFileError(
                f"the budget file {self.path} stayed locked by another process for "
                f"{_LOCK_TIMEOUT:g} s ({error}): is a process that shares it stopped in a "
                "debugger? Otherwise pass another file to RateLimit(shared=...)"
            )
        return BudgetFileError(
            f"the budget file {self.path} cannot be used ({error}): it is damaged, not a "
            "budget file, or its folder is not writable; it was left as it is: pass another "
            "file to RateLimit(shared=...)"
        )

    def __repr__(self) -> str:
        return f"BudgetFile({self.path!r})"


def _boot_time() -> float:
    """When this system booted, by its wall clock: the same for every process of one boot."""
    return time.time() - time.monotonic()
