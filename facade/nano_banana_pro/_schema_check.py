"""Checking a JSON value against the spec's schemas (the subset the spec uses).

Hand-written rather than taken from a JSON Schema library (jsonschema, fastjsonschema): the
runtime dependencies are httpx and attrs only, and the fake must word each problem the way the
service does (its zod messages, nested names such as `reference_images[3].mime_type`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["InvalidParam", "json_type", "problems"]

InvalidParam = dict[str, str]
"""`{"name": field, "reason": why}`, as in the service's problem+json body."""

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_FORMATS = {"uri": (_URI, "Invalid url"), "uuid": (_UUID, "Invalid uuid")}


def problems(value: Any, schema: Mapping[str, Any], *, name: str) -> list[InvalidParam]:
    """Every problem of `value` against `schema`, in the schema's order; empty when it is valid.

    Args:
        value: A JSON value (as `json.loads` gives it).
        schema: The schema, references resolved (`_spec.py`).
        name: How the value is named in problems (`body`, `prompt`, `reference_images[2]`).
    """
    if "enum" in schema:
        return [] if _in_enum(value, schema["enum"]) else [_enum_problem(name, value, schema)]
    kind = schema.get("type")
    if kind is not None and not _is_type(value, kind):
        return [_param(name, f"Expected {kind}, received {json_type(value)}")]
    if isinstance(value, str):
        return _string_problems(value, schema, name=name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number_problems(value, schema, name=name)
    if isinstance(value, list):
        return _array_problems(value, schema, name=name)
    if isinstance(value, dict):
        return _object_problems(value, schema, name=name)
    return []


def json_type(value: object) -> str:
    """The JSON type of a value, as zod names it (`null`, `boolean`, `number`...)."""
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
    return "string" if isinstance(value, str) else type(value).__name__


def _is_type(value: object, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    return json_type(value) == kind


def _string_problems(value: str, schema: Mapping[str, Any], *, name: str) -> list[InvalidParam]:
    if len(value) < schema.get("minLength", 0):
        return [_param(name, f"String must contain at least {schema['minLength']} character(s)")]
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return [_param(name, f"String must contain at most {schema['maxLength']} character(s)")]
    pattern, reason = _FORMATS.get(schema.get("format", ""), (None, ""))
    if pattern is not None and not pattern.fullmatch(value):
        return [_param(name, reason)]
    return []


def _number_problems(value: float, schema: Mapping[str, Any], *, name: str) -> list[InvalidParam]:
    if "minimum" in schema and value < schema["minimum"]:
        return [_param(name, f"Number must be greater than or equal to {schema['minimum']}")]
    if "maximum" in schema and value > schema["maximum"]:
        return [_param(name, f"Number must be less than or equal to {schema['maximum']}")]
    return []


def _array_problems(
    value: list[Any], schema: Mapping[str, Any], *, name: str
) -> list[InvalidParam]:
    if len(value) < schema.get("minItems", 0):
        return [_param(name, f"Array must contain at least {schema['minItems']} element(s)")]
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        return [_param(name, f"Array must contain at most {schema['maxItems']} element(s)")]
    items = schema.get("items", {})
    found: list[InvalidParam] = []
    for index, item in enumerate(value):
        found += problems(item, items, name=f"{name}[{index}]")
    return found


def _object_problems(
    value: dict[str, Any], schema: Mapping[str, Any], *, name: str
) -> list[InvalidParam]:
    required = set(schema.get("required", ()))
    found: list[InvalidParam] = []
    for key, property_schema in schema.get("properties", {}).items():
        member = f"{name}.{key}" if name else key
        if key in value:
            found += problems(value[key], property_schema, name=member)
        elif key in required:
            found.append(_param(member, "Required"))
    return found


def _in_enum(value: object, allowed: list[Any]) -> bool:
    return any(type(value) is type(option) and value == option for option in allowed)


def _enum_problem(name: str, value: object, schema: Mapping[str, Any]) -> InvalidParam:
    expected = " | ".join(f"'{option}'" for option in schema["enum"])
    received = f"'{value}'" if isinstance(value, str) else json_type(value)
    return _param(name, f"Invalid enum value. Expected {expected}, received {received}")


def _param(name: str, reason: str) -> InvalidParam:
    return {"name": name, "reason": reason}
