"""How long tasks took, per kind: learned by a client, kept between runs.

A wait's schedule sleeps through the time when completion is unlikely and polls densely where it
is likely; for that it needs durations seen before. A client learns them from its own tasks, and
keeps them in stores that outlive it: a small file in the user's cache folder (every process,
every CLI run; `MAGNIFIC_CACHE_DIR` moves it, an empty value turns it off) and a batch's ledger.
So a fresh process polls well from its first poll.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import statistics
import sys
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ._config import ENV_CACHE_DIR
from ._files import write_atomically

if TYPE_CHECKING:
    from ._polling import PollSchedule

__all__ = ["CacheFile", "CompletionHistory", "HistoryStore", "default_cache_file"]

logger = logging.getLogger("nano_banana_pro")
#: Durations kept per kind, in memory and in each store: the latest ones.
KEEP = 64
_CACHE_NAME = "completion-times.json"
_CACHE_VERSION = 1


class HistoryStore(Protocol):
    """Where durations outlive a client (`TaskLedger` is one; `CacheFile` another)."""

    def record_completion_time(self, kind: str, *, after: float, before: float) -> None:
        """Keep one duration."""

    def completion_times(self, *, keep: int) -> list[tuple[str, float, float]]:
        """The latest `keep` durations of each kind: `(kind, after, before)`, oldest first."""


class CompletionHistory:
    """How long tasks took to complete, per kind (resolution); thread-safe.

    Each duration is a pair `(after, before)`: the task completed between those ages.
    """

    def __init__(self, *, keep: int = KEEP, cache: HistoryStore | None = None) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._durations: dict[str, deque[tuple[float, float]]] = {}
        # Each wait asks for its window at every poll; it changes only with the durations.
        self._windows: dict[tuple[str, PollSchedule], tuple[float, float] | None] = {}
        self._generation = 0
        self._stores: list[HistoryStore] = []
        self._unloaded = cache  # read at first use: constructing a client reads no file

    def record(self, kind: str, *, after: float, before: float) -> None:
        """Remember that a task of `kind` completed between ages `after` and `before`."""
        self._load()
        with self._lock:
            self._durations.setdefault(kind, deque(maxlen=self._keep)).append((after, before))
            self._windows.clear()
            self._generation += 1
            stores = list(self._stores)
        for store in stores:
            with _failure_ignored("keep a completion time"):
                store.record_completion_time(kind, after=after, before=before)

    def window(self, kind: str, schedule: PollSchedule) -> tuple[float, float] | None:
        """When tasks of `kind` complete (opens, closes), or None while too few are known.

        Durations are roughly log-normal: the window opens `spread` standard deviations of
        their logarithm before the mean, and closes at the latest completion seen.
        """
        self._load()
        with self._lock:
            if (kind, schedule) in self._windows:
                return self._windows[kind, schedule]
            known = list(self._durations.get(kind, ()))
            generation = self._generation
        window = None
        if schedule.learn and len(known) >= schedule.min_samples:
            logs = [math.log(max((after + before) / 2, 1e-3)) for after, before in known]
            opens = math.exp(statistics.fmean(logs) - schedule.spread * statistics.pstdev(logs))
            closes = max(before for _, before in known)
            window = min(opens, closes), closes
        with self._lock:
            if generation == self._generation:  # no duration came meanwhile
                self._windows[kind, schedule] = window
        return window

    @contextlib.contextmanager
    def kept_in(self, store: HistoryStore) -> Iterator[None]:
        """While inside: learn what `store` knows, and keep every new duration there too."""
        self._add(store)
        try:
            yield
        finally:
            with self._lock:
                self._stores.remove(store)

    def _load(self) -> None:
        with self._lock:
            store, self._unloaded = self._unloaded, None
        if store is not None:
            self._add(store)

    def _add(self, store: HistoryStore) -> None:
        known: list[tuple[str, float, float]] = []
        with _failure_ignored("read completion times"):
            known = store.completion_times(keep=self._keep)
        with self._lock:
            for kind, after, before in known:
                self._durations.setdefault(kind, deque(maxlen=self._keep)).append((after, before))
            self._windows.clear()
            self._generation += 1
            self._stores.append(store)


class CacheFile:
    """Durations in one small JSON file, rewritten whole; shared by every process of the user.

    Two processes writing at once may lose a duration or two: it is a cache.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def completion_times(self, *, keep: int) -> list[tuple[str, float, float]]:
        """The durations in the file (none when it is missing or unreadable)."""
        return [
            (kind, after, before)
            for kind, pairs in self._read().items()
            for after, before in pairs[-keep:]
        ]

    def record_completion_time(self, kind: str, *, after: float, before: float) -> None:
        """Add one duration to the file (its latest `KEEP` per kind are kept).

        Raises:
            OSError: the file cannot be written.
        """
        with self._lock:
            samples = self._read()
            samples[kind] = [*samples.get(kind, []), [after, before]][-KEEP:]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            document = {"schema_version": _CACHE_VERSION, "samples": samples}
            write_atomically(self.path, json.dumps(document).encode("utf-8"))

    def _read(self) -> dict[str, list[list[float]]]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict) or document.get("schema_version") != _CACHE_VERSION:
            return {}
        samples = document.get("samples")
        if not isinstance(samples, dict):
            return {}
        return {
            str(kind): [
                [float(pair[0]), float(pair[1])]
                for pair in pairs
                if isinstance(pair, list)
                and len(pair) == 2
                and all(isinstance(x, int | float) and math.isfinite(x) for x in pair)
            ]
            for kind, pairs in samples.items()
            if isinstance(pairs, list)
        }


def default_cache_file() -> CacheFile | None:
    """The cache file: in `MAGNIFIC_CACHE_DIR`, else the platform's cache folder; None if off.

    None too when the platform's folder cannot be known (no home folder, as in some containers).
    """
    folder = os.environ.get(ENV_CACHE_DIR)
    if folder is not None:
        return CacheFile(Path(folder) / _CACHE_NAME) if folder.strip() else None
    try:
        platform_folder = _platform_cache_folder()
    except RuntimeError as error:  # Path.home(): no HOME, and the user has no passwd entry
        logger.debug("no cache folder: %s", error)
        return None
    return CacheFile(platform_folder / "magnific-nano-banana-pro" / _CACHE_NAME)


def _platform_cache_folder() -> Path:
    """Where the system keeps a user's caches (hand-written: platformdirs is not a dependency).

    Raises:
        RuntimeError: it lies under the home folder, which cannot be found.
    """
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


@contextlib.contextmanager
def _failure_ignored(what: str) -> Iterator[None]:
    """A store that fails costs the schedule some knowledge, never a wait."""
    try:
        yield
    except Exception as error:
        logger.debug("could not %s: %s", what, error)
