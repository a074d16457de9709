"""The checks the service makes on a create body, written by hand from the spec's schema.

`CreateImageRequest`: `prompt` (required string, 2..3000 characters), `webhook_url` (string,
format uri), `reference_images` (array of at most 14 `ReferenceImage`: required `image` string
and `mime_type` enum, optional `text` string), `aspect_ratio` and `resolution` (enums). The
schema does not set `additionalProperties`, so other fields are allowed. Reasons are worded like
the service's (zod) messages; nested names read `reference_images[3].mime_type`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = [
    "ASPECT_RATIOS",
    "DEFAULT_ASPECT_RATIO",
    "DEFAULT_RESOLUTION",
    "MIME_TYPES",
    "RESOLUTIONS",
    "InvalidParam",
    "invalid_params",
]

ASPECT_RATIOS = ("1:1", "2:3", "3:2", "4:3", "3:4", "5:4", "4:5", "16:9", "9:16", "21:9")
RESOLUTIONS = ("1K", "2K", "4K", "low", "medium", "high")
MIME_TYPES = ("image/png", "image/jpeg", "image/webp")
DEFAULT_ASPECT_RATIO = "1:1"
DEFAULT_RESOLUTION = "2K"
PROMPT_MIN_LENGTH = 2
PROMPT_MAX_LENGTH = 3000
MAX_REFERENCE_IMAGES = 14

InvalidParam = dict[str, str]
"""`{"name": field, "reason": why}`, as in the service's problem+json body."""

_URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")


def invalid_params(body: object) -> list[InvalidParam]:
    """Every problem with a create body, in the schema's field order; empty when it is valid."""
    if not isinstance(body, dict):
        return [_param("body", f"Expected object, received {_json_type(body)}")]
    problems = _check_string(
        body, "prompt", required=True, min_length=PROMPT_MIN_LENGTH, max_length=PROMPT_MAX_LENGTH
    )
    problems += _check_webhook_url(body)
    problems += _check_reference_images(body)
    problems += _check_enum(body, "aspect_ratio", ASPECT_RATIOS)
    problems += _check_enum(body, "resolution", RESOLUTIONS)
    return problems


def _check_webhook_url(body: dict[str, Any]) -> list[InvalidParam]:
    problems = _check_string(body, "webhook_url")
    if not problems and "webhook_url" in body and not _URI_SCHEME.fullmatch(body["webhook_url"]):
        problems.append(_param("webhook_url", "Invalid url"))
    return problems


def _check_reference_images(body: dict[str, Any]) -> list[InvalidParam]:
    if "reference_images" not in body:
        return []
    images = body["reference_images"]
    if not isinstance(images, list):
        return [_param("reference_images", _expected("array", images))]
    if len(images) > MAX_REFERENCE_IMAGES:
        return [
            _param(
                "reference_images",
                f"Array must contain at most {MAX_REFERENCE_IMAGES} element(s)",
            )
        ]
    problems: list[InvalidParam] = []
    for index, image in enumerate(images):
        prefix = f"reference_images[{index}]"
        if not isinstance(image, dict):
            problems.append(_param(prefix, _expected("object", image)))
            continue
        problems += _check_string(image, "image", required=True, prefix=prefix)
        problems += _check_enum(image, "mime_type", MIME_TYPES, required=True, prefix=prefix)
        problems += _check_string(image, "text", prefix=prefix)
    return problems


def _check_string(
    container: dict[str, Any],
    key: str,
    *,
    required: bool = False,
    min_length: int = 0,
    max_length: int | None = None,
    prefix: str = "",
) -> list[InvalidParam]:
    name = f"{prefix}.{key}" if prefix else key
    if key not in container:
        return [_param(name, "Required")] if required else []
    value = container[key]
    if not isinstance(value, str):
        return [_param(name, _expected("string", value))]
    if len(value) < min_length:
        return [_param(name, f"String must contain at least {min_length} character(s)")]
    if max_length is not None and len(value) > max_length:
        return [_param(name, f"String must contain at most {max_length} character(s)")]
    return []


def _check_enum(
    container: dict[str, Any],
    key: str,
    allowed: Sequence[str],
    *,
    required: bool = False,
    prefix: str = "",
) -> list[InvalidParam]:
    name = f"{prefix}.{key}" if prefix else key
    if key not in container:
        return [_param(name, "Required")] if required else []
    value = container[key]
    if isinstance(value, str) and value in allowed:
        return []
    expected = " | ".join(f"'{option}'" for option in allowed)
    received = f"'{value}'" if isinstance(value, str) else _json_type(value)
    return [_param(name, f"Invalid enum value. Expected {expected}, received {received}")]


def _expected(kind: str, value: object) -> str:
    return f"Expected {kind}, received {_json_type(value)}"


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def _param(name: str, reason: str) -> InvalidParam:
    return {"name": name, "reason": reason}
