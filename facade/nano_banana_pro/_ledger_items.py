"""What the ledger records of one batch item, and how an item is written to and read from a row."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import attrs

__all__ = ["ItemState", "LedgerItem", "error_columns", "item_from_row", "item_key", "storable"]


class ItemState(StrEnum):
    """Where an item of a batch stands."""

    PENDING = "pending"
    CREATING = "creating"
    CREATED = "created"
    COMPLETED = "completed"
    FAILED = "failed"
    AMBIGUOUS = "ambiguous"


@attrs.frozen(kw_only=True)
class LedgerItem:
    """One item as the ledger holds it.

    Attributes:
        key: Its content key (`item_key`).
        body: The create body it asks for (normalised: defaults filled in).
        state: Where it stands.
        task_id: Its task, once created.
        status: The task's last status seen.
        files: The images saved for it.
        error: Why it did not complete, the last time it did not (no API key in it).
        error_type: The class of that error.
        history: `(what, unix time)` of each step: its states and its task's statuses.
        created_at: When it was first recorded (unix time).
        updated_at: When it last changed (unix time).
    """

    key: str
    body: Mapping[str, Any]
    state: ItemState
    task_id: str | None
    status: str | None
    files: tuple[str, ...]
    error: str | None
    error_type: str | None
    history: tuple[tuple[str, float], ...]
    created_at: float
    updated_at: float


def item_key(body: Mapping[str, Any], occurrence: int) -> str:
    """The key of the `occurrence`-th item (from 0) asking for `body`: content, not position."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{digest}-{occurrence}"


def storable(value: Any) -> Any:
    """`value` as SQLite can store it: a lone surrogate kept as its backslash escape.

    SQLite's text is UTF-8; the service may send a lone surrogate in a message or a status.
    """
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def error_columns(error: BaseException) -> dict[str, str]:
    """The `error` and `error_type` columns for `error`, on one line."""
    return {
        "error": " ".join(str(error).split()) or type(error).__name__,
        "error_type": type(error).__name__,
    }


def item_from_row(row: tuple[Any, ...]) -> LedgerItem:
    """The item an `items` row holds.

    Raises:
        ValueError: the row is damaged (or TypeError): the ledger reports which file.
    """
    key, body, state, task_id, status, files, error, error_type, history, created, updated = row
    return LedgerItem(
        key=key,
        body=json.loads(body),
        state=ItemState(state),
        task_id=task_id,
        status=status,
        files=tuple(json.loads(files)),
        error=error,
        error_type=error_type,
        history=tuple((str(what), float(at)) for what, at in json.loads(history)),
        created_at=created,
        updated_at=updated,
    )
