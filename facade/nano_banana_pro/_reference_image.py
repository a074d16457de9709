"""`ReferenceImage`: one reference image of a create request, checked when it is made."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from urllib.parse import urlsplit

import attrs

from ._spec import CREATE_IMAGE_REQUEST
from ._url_checks import check_encodable, checked_image_url
from .enums import MimeType, parse_mime_type
from .errors import InvalidRequestError

__all__ = ["ReferenceImage", "ReferenceImageLike", "image_json"]

_MIME_TYPES_BY_EXTENSION = {
    ".png": MimeType.PNG,
    ".jpg": MimeType.JPEG,
    ".jpeg": MimeType.JPEG,
    ".webp": MimeType.WEBP,
}
_REFERENCE_IMAGE_KEYS = tuple(
    CREATE_IMAGE_REQUEST["properties"]["reference_images"]["items"]["properties"]
)


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
    url = checked_image_url(image, field=f"{field}.image")
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


def image_json(image: ReferenceImage) -> dict[str, str]:
    """The image as the request's JSON sends it."""
    fields = {"image": image.image, "mime_type": image.mime_type.value}
    if image.text is not None:
        fields["text"] = image.text
    return fields
