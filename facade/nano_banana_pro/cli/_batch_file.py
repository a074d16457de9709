"""A batch's input: one prompt per line, or one JSON object of parameters per line."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ._failures import CliError, ExitCode

__all__ = ["Item", "read_items"]


@attrs.frozen(kw_only=True)
class Item:
    """One line of the batch file that asks for an image.

    Attributes:
        index: Its position among the file's items, from 0 (blank and `#` lines do not count).
        line: Its line number in the file, from 1.
        parameters: Its `create()` parameters as written (a plain line is `{"prompt": line}`).
    """

    index: int
    line: int
    parameters: Mapping[str, Any]


def read_items(path: Path) -> list[Item]:
    """The file's items: one prompt per line, or one JSON object of parameters per line.

    Blank lines and lines starting with `#` are skipped; a line starting with `{` is JSON.

    Raises:
        CliError: the file cannot be read, a JSON line does not parse, or there is no item.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise CliError(
            f"cannot read {path} ({reason}): pass a text file with one prompt per line",
            exit_code=ExitCode.BAD_INPUT,
        ) from None
    items: list[Item] = []
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if line and not line.startswith("#"):
            parameters = _parameters(line, where=f"{path}, line {number}")
            items.append(Item(index=len(items), line=number, parameters=parameters))
    if not items:
        raise CliError(
            f"{path} holds no prompts: write one prompt per line, or one JSON object per line "
            '(`{"prompt": "...", "aspect_ratio": "16:9"}`)',
            exit_code=ExitCode.BAD_INPUT,
        )
    return items


def _parameters(line: str, *, where: str) -> Mapping[str, Any]:
    """A line's parameters; what they hold is checked later, per item.

    Raises:
        CliError: a JSON line does not parse (nothing is sent for any item).
    """
    if not line.startswith("{"):
        return {"prompt": line}
    try:
        parameters: dict[str, Any] = json.loads(line)
    except (ValueError, RecursionError) as error:
        reason = (
            f"{error.msg}, column {error.colno}"
            if isinstance(error, json.JSONDecodeError)
            else "nested too deeply"
        )
        raise CliError(
            f"{where}: not valid JSON ({reason}); fix it and run again (nothing was sent)",
            exit_code=ExitCode.BAD_INPUT,
        ) from None
    return parameters
