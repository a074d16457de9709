"""The flags of `generate` for the create options: one per `CreateOptions` field, from the spec.

A field's flag, type, choices, default and help come from its schema in the spec, so a field
declared in `CreateOptions` has its flag with no change here (`seed` -> `--seed N`). Only the
reference images have a flag of their own shape (`--reference URL[,MIME[,TEXT]]`, repeated).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from typing import Any

from ..enums import matching_value
from ..options import OPTION_NAMES
from ..request import MAX_REFERENCE_IMAGES, REQUEST_FIELDS
from ._numbers import INTEGER, NUMBER

__all__ = ["add_create_options", "add_sidecar_option", "create_options", "flag_of"]

_REFERENCES = "reference_images"


def flag_of(option: str) -> str:
    """The command-line flag of an option (`aspect_ratio` -> `--aspect-ratio`)."""
    return "--reference" if option == _REFERENCES else "--" + option.replace("_", "-")


def add_create_options(parser: argparse.ArgumentParser) -> None:
    """A flag for each declared option, and `--extra-body`."""
    for option in OPTION_NAMES:
        parser.add_argument(
            flag_of(option), dest=option, **_argument(option, REQUEST_FIELDS[option])
        )
    parser.add_argument(
        "--extra-body",
        type=_json_object,
        metavar="JSON",
        help="extra fields sent as they are, for a field the service has that this client "
        """does not know yet: '{"seed": 42}'""",
    )


def add_sidecar_option(parser: argparse.ArgumentParser) -> None:
    """`--no-sidecar`: no provenance `<image>.json` beside each image."""
    parser.add_argument(
        "--no-sidecar",
        dest="sidecar",
        action="store_false",
        help="do not write each image's provenance (<image>.json) beside it",
    )


def create_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options given on the command line, for `create(**options)`."""
    return {
        option: getattr(args, option)
        for option in OPTION_NAMES
        if getattr(args, option, None) is not None
    }


def _argument(option: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """`add_argument` keywords for one option, from its schema."""
    summary = schema.get("description", "").split(". ")[0].rstrip(".")
    if option == _REFERENCES:
        return {
            "action": "append",
            "type": _reference,
            "metavar": "URL[,MIME[,TEXT]]",
            "help": f"a reference image (repeat for up to {MAX_REFERENCE_IMAGES}): its URL, media "
            "type (inferred from the extension when left out) and a caption",
        }
    keywords: dict[str, Any] = {"help": summary}
    if "enum" in schema:  # the choices say what it is: the help gives the default only
        allowed = [str(value) for value in schema["enum"]]
        keywords.update(type=_enum_value(option, allowed), choices=allowed, help="")
    elif schema.get("type") == "boolean":
        keywords["action"] = argparse.BooleanOptionalAction
    else:
        keywords["type"] = _CONVERTERS.get(schema.get("type", "string"), _json_value)
    if "default" in schema:
        keywords["help"] = "; ".join(
            filter(None, [keywords["help"], f"default: {schema['default']}"])
        )
    return keywords


def _enum_value(option: str, allowed: list[str]) -> Callable[[str], str]:
    """An argparse `type`: the allowed value equal to the argument, in any case."""

    def convert(value: str) -> str:
        found = matching_value(value, allowed)
        if found is None:
            raise argparse.ArgumentTypeError(
                f"unknown {option.replace('_', ' ')} {value!r} (choose from {', '.join(allowed)})"
            )
        return found

    return convert


def _reference(value: str) -> dict[str, str]:
    """`URL[,MIME[,TEXT]]` as the mapping `reference_images` accepts; the client checks it."""
    image, _, rest = value.partition(",")
    mime_type, _, text = rest.partition(",")
    reference = {"image": image.strip()}
    if mime_type.strip():
        reference["mime_type"] = mime_type.strip()
    if text:
        reference["text"] = text
    return reference


def _json_value(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not valid JSON: {value!r}") from None


def _json_object(value: str) -> dict[str, Any]:
    parsed = _json_value(value)
    if not isinstance(parsed, dict):
        raise argparse.ArgumentTypeError(f"must be a JSON object ({{...}}), got {value!r}")
    return parsed


_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "string": str,
    "integer": INTEGER,
    "number": NUMBER,
}
