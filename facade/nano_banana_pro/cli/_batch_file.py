"""A batch's input: one prompt per line, or one JSON object of parameters per line."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ..errors import InvalidRequestError
from ._failures import CliError, ExitCode

__all__ = ["Item", "read_items"]

#: What a line's own error names (its number is beside it).
_LINE = "this line"


@attrs.frozen(kw_only=True)
class Item:
    """One line of the batch file that asks for an image.

    Attributes:
        index: Its position among the file's items, from 0 (blank and `#` lines do not count).
        line: Its line number in the file, from 1.
        parameters: Its `create()` parameters as written (a plain line is `{"prompt": line}`;
            a line that cannot be read has none).
        error: Why the line cannot be read (JSON that does not parse, or is not an object of
            parameters), or None: such an item is reported invalid and nothing is sent for it.
    """

    index: int
    line: int
    parameters: Mapping[str, Any]
    error: InvalidRequestError | None = None


def read_items(path: Path) -> list[Item]:
    """The file's items: one prompt per line, or one JSON object of parameters per line.

    Blank lines and lines starting with `#` are skipped; a line starting with `{` is JSON, and
    so is one starting with `[` or `"` when it parses (a JSON string is a prompt).

    Raises:
        CliError: the file cannot be read, or there is no item.
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
            try:
                parameters, problem = _parameters(line), None
            except InvalidRequestError as refused:
                parameters, problem = {}, refused
            items.append(Item(index=len(items), line=number, parameters=parameters, error=problem))
    if not items:
        raise CliError(
            f"{path} holds no prompts: write one prompt per line, or one JSON object per line "
            '(`{"prompt": "...", "aspect_ratio": "16:9"}`)',
            exit_code=ExitCode.BAD_INPUT,
        )
    return items


def _parameters(line: str) -> Mapping[str, Any]:
    """A line's parameters; what they hold is checked later, per item.

    Raises:
        InvalidRequestError: a JSON line does not parse, or is neither an object nor a string.
    """
    if not line.startswith(("{", "[", '"')):
        return {"prompt": line}
    try:
        parameters: object = json.loads(line)
    except (ValueError, RecursionError) as error:
        if not line.startswith("{"):  # a prompt that starts with a quotation or a [tag]
            return {"prompt": line}
        reason = (
            f"{error.msg}, column {error.colno}"
            if isinstance(error, json.JSONDecodeError)
            else "nested too deeply"
        )
        raise InvalidRequestError(_LINE, f"not valid JSON ({reason}): fix it") from None
    if isinstance(parameters, str):
        return {"prompt": parameters}
    if not isinstance(parameters, dict):
        raise InvalidRequestError(
            _LINE,
            f"a JSON line is an object of parameters, got {type(parameters).__name__}: write "
            '{"prompt": "...", ...}, or the prompt as plain text',
        )
    return parameters
