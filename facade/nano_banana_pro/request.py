"""Checking a create request in full, then building the generated model that is sent.

Everything is checked before anything is sent: a create is billed, so a request the service
would refuse should fail here, with a message that names the field and what it accepts.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from urllib.parse import SplitResult, urlsplit

import attrs

from nano_banana_pro_api import models as api
from nano_banana_pro_api.types import UNSET, Unset

from .enums import (
    AspectRatio,
    MimeType,
    Resolution,
    parse_aspect_ratio,
    parse_mime_type,
    parse_resolution,
)
from .errors import InvalidRequestError

__all__ = [
    "MAX_REFERENCE_IMAGES",
    "PROMPT_MAX_LENGTH",
    "PROMPT_MIN_LENGTH",
    "ReferenceImage",
    "ReferenceImageLike",
    "build_create_request",
    "check_encodable",
]

PROMPT_MIN_LENGTH = 2
PROMPT_MAX_LENGTH = 3000
MAX_REFERENCE_IMAGES = 14

_MIME_TYPES_BY_EXTENSION = {
    ".png": MimeType.PNG,
    ".jpg": MimeType.JPEG,
    ".jpeg": MimeType.JPEG,
    ".webp": MimeType.WEBP,
}
_REFERENCE_IMAGE_KEYS = ("image", "mime_type", "text")
#: What an RFC 3986 URI may hold: unreserved and reserved characters, and %XX escapes.
_URI_CHARACTERS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")


@attrs.frozen(init=False)
class ReferenceImage:
    """One reference image for guided generation.

    Attributes:
        image: A publicly reachable http(s) URL of the image, or a GCS path
            (`gs://bucket/object`).
        mime_type: Its media type (PNG, JPEG or WebP).
        text: An optional caption saying how to use the image.
    """

    image: str
    mime_type: MimeType
    text: str | None = None

    def __init__(
        self,
        image: str,
        *,
        mime_type: MimeType | str | None = None,
        text: str | None = None,
    ) -> None:
        """Check and store one reference image.

        Args:
            image: An absolute http(s) URL with a host, or `gs://bucket/object`.
            mime_type: The media type; when None, inferred from the extension of the URL's
                path (`.png`, `.jpg`, `.jpeg`, `.webp`, in any case; the query is ignored).
            text: An optional caption.

        Raises:
            InvalidRequestError: `image` is not such a URL, `mime_type` is not accepted by the
                API or cannot be inferred, or `text` is not a string.
        """
        self.__attrs_init__(*_checked_parts(image, mime_type, text, field="reference_image"))

    @classmethod
    def of(cls, value: ReferenceImageLike, *, index: int) -> ReferenceImage:
        """Coerce one item of `reference_images` to a `ReferenceImage`.

        Args:
            value: A `ReferenceImage`, a URL (its media type inferred from its extension), or a
                mapping with the keys `image` and optionally `mime_type` and `text`.
            index: The item's position in `reference_images`, to name it in errors.

        Raises:
            InvalidRequestError: `value` is none of the above, or one of its parts is refused
                (the error names it, for example `reference_images[2].mime_type`).
        """
        if isinstance(value, ReferenceImage):
            return value
        field = f"reference_images[{index}]"
        instance = cls.__new__(cls)
        instance.__attrs_init__(*_checked_parts(*_unpacked(value, field=field), field=field))
        return instance


ReferenceImageLike = ReferenceImage | str | Mapping[str, str]
"""What `reference_images` accepts for each image: see `ReferenceImage.of`."""


def build_create_request(
    *,
    prompt: str,
    aspect_ratio: AspectRatio | str,
    resolution: Resolution | str,
    reference_images: Sequence[ReferenceImageLike] | None,
    webhook_url: str | None,
) -> api.CreateImageRequest:
    """Check every parameter of a create request and build the body that is sent.

    `aspect_ratio` and `resolution` are always sent, so that the caller's defaults
    (`DEFAULT_ASPECT_RATIO`, `DEFAULT_RESOLUTION`) hold even if the service changes its own.
    `reference_images` and `webhook_url` are left out when None or empty.

    Args:
        prompt: What to draw: `PROMPT_MIN_LENGTH` to `PROMPT_MAX_LENGTH` characters, not only
            whitespace.
        aspect_ratio: One of `AspectRatio`, as the enum or its value.
        resolution: One of `Resolution`, as the enum or its value.
        reference_images: At most `MAX_REFERENCE_IMAGES` images (see `ReferenceImage.of`).
        webhook_url: An absolute http(s) URL to notify on each status change.

    Raises:
        InvalidRequestError: A parameter is refused; the error names it and says what it accepts.
    """
    # Keyword arguments are evaluated in order: the first refused field, in body order, is reported.
    return api.CreateImageRequest(
        prompt=_checked_prompt(prompt),
        aspect_ratio=api.AspectRatio(parse_aspect_ratio(aspect_ratio).value),
        resolution=api.Resolution(parse_resolution(resolution).value),
        reference_images=_api_reference_images(reference_images),
        webhook_url=UNSET if webhook_url is None else _checked_webhook_url(webhook_url),
    )


def check_encodable(text: str, *, field: str) -> str:
    """`text` itself, once checked to be valid Unicode (it is sent as UTF-8).

    Raises:
        InvalidRequestError: it holds a lone surrogate (text decoded badly somewhere).
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidRequestError(
            field, f"is not valid Unicode (a lone surrogate at position {error.start})"
        ) from None
    return text


def _checked_prompt(prompt: object) -> str:
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


def _api_reference_images(
    reference_images: Sequence[ReferenceImageLike] | None,
) -> list[api.ReferenceImage] | Unset:
    if reference_images is None:
        return UNSET
    # A lone URL is a Sequence too: without this check it would be read as one image per letter.
    if isinstance(reference_images, str | bytes) or not isinstance(reference_images, Sequence):
        raise InvalidRequestError(
            "reference_images",
            f"must be a list of images, got {type(reference_images).__name__}; "
            "wrap a single image in a list",
        )
    if not reference_images:
        return UNSET
    if len(reference_images) > MAX_REFERENCE_IMAGES:
        raise InvalidRequestError(
            "reference_images",
            f"at most {MAX_REFERENCE_IMAGES} images, got {len(reference_images)}",
        )
    return [
        _to_api(ReferenceImage.of(value, index=index))
        for index, value in enumerate(reference_images)
    ]


def _unpacked(value: object, *, field: str) -> tuple[object, object, object]:
    """`(image, mime_type, text)` from a URL or a mapping."""
    if isinstance(value, str):
        return value, None, None
    if not isinstance(value, Mapping):
        raise InvalidRequestError(
            field,
            f"must be a URL, a mapping or a ReferenceImage, got {type(value).__name__}",
        )
    unknown = sorted(str(key) for key in value if key not in _REFERENCE_IMAGE_KEYS)
    if unknown:
        raise InvalidRequestError(
            field, f"unknown keys {', '.join(unknown)}", allowed=_REFERENCE_IMAGE_KEYS
        )
    if "image" not in value:
        raise InvalidRequestError(field, "the key 'image' (the image's URL) is missing")
    return value["image"], value.get("mime_type"), value.get("text")


def _checked_parts(
    image: object, mime_type: object, text: object, *, field: str
) -> tuple[str, MimeType, str | None]:
    """The checked `(image, mime_type, text)` of a reference image named `field` in errors."""
    url = _checked_image_url(image, field=f"{field}.image")
    if text is not None and not isinstance(text, str):
        raise InvalidRequestError(f"{field}.text", f"must be a string, got {type(text).__name__}")
    if text is not None:
        check_encodable(text, field=f"{field}.text")
    mime_field = f"{field}.mime_type"
    if mime_type is None:
        return url, _inferred_mime_type(url, field=mime_field), text
    if not isinstance(mime_type, str):
        raise InvalidRequestError(
            mime_field,
            f"must be a string, got {type(mime_type).__name__}",
            allowed=[member.value for member in MimeType],
        )
    return url, parse_mime_type(mime_type, field=mime_field), text


def _inferred_mime_type(url: str, *, field: str) -> MimeType:
    extension = posixpath.splitext(urlsplit(url).path)[1].lower()
    try:
        return _MIME_TYPES_BY_EXTENSION[extension]
    except KeyError:
        raise InvalidRequestError(
            field,
            f"cannot infer the media type of {url!r} from its extension; pass mime_type explicitly",
            allowed=[member.value for member in MimeType],
        ) from None


def _checked_image_url(image: object, *, field: str) -> str:
    url, parts = _split_url(image, field=field)
    is_gcs_path = parts.scheme == "gs" and bool(parts.netloc) and bool(parts.path.strip("/"))
    if not (is_gcs_path or _is_http_url(parts)):
        raise InvalidRequestError(
            field,
            f"must be an absolute http(s) URL with a host, or gs://bucket/object, got {url!r}",
        )
    return url


def _checked_webhook_url(webhook_url: object) -> str:
    url, parts = _split_url(webhook_url, field="webhook_url")
    if not _is_http_url(parts):
        raise InvalidRequestError(
            "webhook_url", f"must be an absolute http(s) URL with a host, got {url!r}"
        )
    if not _URI_CHARACTERS.fullmatch(url):
        raise InvalidRequestError(
            "webhook_url",
            f"holds characters a URI cannot (RFC 3986): percent-encode them, and write an "
            f"international host name in its xn-- form; got {url!r}",
        )
    return url


def _is_http_url(parts: SplitResult) -> bool:
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _split_url(url: object, *, field: str) -> tuple[str, SplitResult]:
    if not isinstance(url, str):
        raise InvalidRequestError(field, f"must be a URL string, got {type(url).__name__}")
    check_encodable(url, field=field)
    if any(character.isspace() for character in url):
        raise InvalidRequestError(field, f"a URL has no whitespace (encode spaces as %20): {url!r}")
    try:
        return url, urlsplit(url)
    except ValueError as error:
        raise InvalidRequestError(field, f"is not a valid URL ({error}): {url!r}") from None


def _to_api(image: ReferenceImage) -> api.ReferenceImage:
    return api.ReferenceImage(
        image=image.image,
        mime_type=image.mime_type,
        text=UNSET if image.text is None else image.text,
    )
