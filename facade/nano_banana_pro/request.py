"""Checking a create request in full, then building the generated model that is sent.

Everything is checked before anything is sent: a create is billed, so a request the service
would refuse should fail here, with a message that names the field and what it accepts. The
declared options (`CreateOptions`) with checks of their own are checked here; any other field of
the spec's schema is checked against the schema itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, Unpack

from nano_banana_pro_api import models as api

from ._reference_image import ReferenceImage, ReferenceImageLike, image_json
from ._schema_check import problems
from ._spec import CREATE_IMAGE_REQUEST
from ._url_checks import check_encodable, checked_webhook_url
from .enums import parse_aspect_ratio, parse_resolution
from .errors import InvalidRequestError
from .options import OPTION_NAMES, CreateOptions

__all__ = [
    "MAX_REFERENCE_IMAGES",
    "PROMPT_MAX_LENGTH",
    "PROMPT_MIN_LENGTH",
    "REQUEST_FIELDS",
    "ReferenceImage",
    "ReferenceImageLike",
    "build_create_request",
]

#: The fields of the create request, in the spec's order, with their schemas.
REQUEST_FIELDS: Mapping[str, Mapping[str, Any]] = CREATE_IMAGE_REQUEST["properties"]
#: The shortest prompt the spec allows, in characters.
PROMPT_MIN_LENGTH: int = REQUEST_FIELDS["prompt"]["minLength"]
#: The longest prompt the spec allows, in characters.
PROMPT_MAX_LENGTH: int = REQUEST_FIELDS["prompt"]["maxLength"]
#: The most reference images one request may carry.
MAX_REFERENCE_IMAGES: int = REQUEST_FIELDS["reference_images"]["maxItems"]

#: A check's answer for an option to leave out of the body.
_OMITTED: Any = object()


def build_create_request(
    *,
    prompt: str,
    extra_body: Mapping[str, Any] | None = None,
    **options: Unpack[CreateOptions],
) -> api.CreateImageRequest:
    """Check every parameter of a create request and build the body that is sent.

    Options with a default in the spec (`aspect_ratio`, `resolution`) are always sent, so that
    the documented defaults hold even if the service changes its own; the others are left out
    when None (or an empty list of reference images).

    Args:
        prompt: What to draw: `PROMPT_MIN_LENGTH` to `PROMPT_MAX_LENGTH` characters, not only
            whitespace.
        extra_body: Fields sent as they are, for a field the service has shipped before this
            client's spec has it; never one of the declared parameters.
        **options: The `CreateOptions`.

    Raises:
        InvalidRequestError: A parameter is refused; the error names it and says what it accepts.
    """
    given: Mapping[str, object] = options
    unknown = sorted(set(given) - set(OPTION_NAMES).intersection(REQUEST_FIELDS))
    if unknown:
        raise InvalidRequestError(
            unknown[0], "is not a parameter of a create request", allowed=OPTION_NAMES
        )
    body: dict[str, Any] = {}
    for name, schema in REQUEST_FIELDS.items():  # the first refused field in body order is reported
        value = prompt if name == "prompt" else given.get(name, schema.get("default"))
        checked = _CHECKS.get(name, _schema_checked)(value, name=name, schema=schema)
        if checked is not _OMITTED:
            body[name] = checked
    body.update(_extra_fields(extra_body))
    return api.CreateImageRequest.from_dict(body)


# Each check takes the value given (or the spec's default), and answers the JSON to send, or
# _OMITTED to leave the field out.


def _checked_prompt(prompt: object, **_: object) -> str:
    if not isinstance(prompt, str):
        raise InvalidRequestError("prompt", f"must be a string, got {type(prompt).__name__}")
    check_encodable(prompt, field="prompt")
    if not PROMPT_MIN_LENGTH <= len(prompt) <= PROMPT_MAX_LENGTH:
        raise InvalidRequestError(
            "prompt",
            f"must be {PROMPT_MIN_LENGTH} to {PROMPT_MAX_LENGTH} characters, got {len(prompt)}",
        )
    if not prompt.strip():
        raise InvalidRequestError("prompt", "must not be only whitespace; describe the image")
    return prompt


def _checked_webhook_url(webhook_url: object, **_: object) -> Any:
    return _OMITTED if webhook_url is None else checked_webhook_url(webhook_url)


def _checked_reference_images(reference_images: object, **_: object) -> Any:
    if reference_images is None:
        return _OMITTED
    # A lone URL is a Sequence too: without this check it would be read as one image per letter.
    if isinstance(reference_images, str | bytes) or not isinstance(reference_images, Sequence):
        raise InvalidRequestError(
            "reference_images",
            f"must be a list of images, got {type(reference_images).__name__}; "
            "wrap a single image in a list",
        )
    if not reference_images:
        return _OMITTED
    if len(reference_images) > MAX_REFERENCE_IMAGES:
        raise InvalidRequestError(
            "reference_images",
            f"at most {MAX_REFERENCE_IMAGES} images, got {len(reference_images)}",
        )
    return [
        image_json(ReferenceImage.of(value, index=index))
        for index, value in enumerate(reference_images)
    ]


def _checked_aspect_ratio(value: Any, **_: object) -> str:
    return parse_aspect_ratio(value).value


def _checked_resolution(value: Any, **_: object) -> str:
    return parse_resolution(value).value


def _schema_checked(value: object, *, name: str, schema: Mapping[str, Any]) -> Any:
    """A field without a check of its own: None leaves it out, else the spec's schema judges."""
    if value is None:
        return _OMITTED
    found = problems(value, schema, name=name)
    if found:
        raise InvalidRequestError(
            found[0]["name"], found[0]["reason"], allowed=[str(v) for v in schema.get("enum", ())]
        )
    return value


def _extra_fields(extra_body: object) -> dict[str, Any]:
    """The `extra_body` fields, as a JSON copy, when none would overwrite a declared field."""
    if extra_body is None:
        return {}
    if not isinstance(extra_body, Mapping):
        raise InvalidRequestError(
            "extra_body", f"must be a dict of extra JSON fields, got {type(extra_body).__name__}"
        )
    for key in extra_body:
        if not isinstance(key, str):
            raise InvalidRequestError("extra_body", f"field names are strings, got {key!r}")
        if key in REQUEST_FIELDS:
            raise InvalidRequestError(
                f"extra_body.{key}",
                f"is a declared parameter: pass {key}=... instead (extra_body is for fields "
                "the spec does not have yet)",
            )
    try:
        encoded = json.dumps(extra_body, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as error:
        raise InvalidRequestError(
            "extra_body", f"must hold JSON values only (strings, numbers, lists, dicts): {error}"
        ) from None
    copy: dict[str, Any] = json.loads(encoded)
    return copy


class _Check(Protocol):
    def __call__(self, value: Any, /, *, name: str, schema: Mapping[str, Any]) -> Any: ...


#: The options with checks of their own; every other field is checked against its schema.
_CHECKS: dict[str, _Check] = {
    "prompt": _checked_prompt,
    "webhook_url": _checked_webhook_url,
    "reference_images": _checked_reference_images,
    "aspect_ratio": _checked_aspect_ratio,
    "resolution": _checked_resolution,
}
