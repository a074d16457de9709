"""The values the create request accepts, their defaults, and the parsers that check them.

Member names and values mirror the spec's `enum` and `x-enum-varnames`; a unit test fails when
they drift apart. Unlike the generated enums, these do not accept unknown values: a request is
checked here before it is sent, so a typo fails fast instead of costing a billed call.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import TypeVar

from nano_banana_pro_api.models import MimeType

from .errors import InvalidRequestError

__all__ = [
    "DEFAULT_ASPECT_RATIO",
    "DEFAULT_RESOLUTION",
    "AspectRatio",
    "MimeType",
    "Resolution",
    "parse_aspect_ratio",
    "parse_mime_type",
    "parse_resolution",
]

_Member = TypeVar("_Member", bound=StrEnum)


class AspectRatio(StrEnum):
    """Aspect ratio of the generated image, written `width:height`."""

    RATIO_1_1 = "1:1"
    RATIO_2_3 = "2:3"
    RATIO_3_2 = "3:2"
    RATIO_4_3 = "4:3"
    RATIO_3_4 = "3:4"
    RATIO_5_4 = "5:4"
    RATIO_4_5 = "4:5"
    RATIO_16_9 = "16:9"
    RATIO_9_16 = "9:16"
    RATIO_21_9 = "21:9"

    @property
    def width(self) -> int:
        """The width part of the ratio (16 for `16:9`)."""
        return int(self.value.partition(":")[0])

    @property
    def height(self) -> int:
        """The height part of the ratio (9 for `16:9`)."""
        return int(self.value.partition(":")[2])

    @property
    def ratio(self) -> float:
        """Width divided by height (1.777... for `16:9`)."""
        return self.width / self.height

    @classmethod
    def closest(cls, width: float, height: float) -> AspectRatio:
        """The ratio nearest to a size in pixels: `closest(1920, 1080)` is `16:9`.

        Ratios are compared on a logarithmic scale, so that a portrait size and its landscape
        twin are equally far from their nearest ratios.

        Raises:
            InvalidRequestError: `width` or `height` is not a positive, finite number.
        """
        _check_positive(width, field="width")
        _check_positive(height, field="height")
        target = math.log(width / height)
        return min(cls, key=lambda member: abs(math.log(member.ratio) - target))


class Resolution(StrEnum):
    """Resolution of the generated image."""

    RES_1K = "1K"
    RES_2K = "2K"
    RES_4K = "4K"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def description(self) -> str:
        """What the resolution means, as the upstream documentation explains it."""
        text = _RESOLUTION_DESCRIPTIONS[self]
        return f"{text} (default)" if self is DEFAULT_RESOLUTION else text


_RESOLUTION_DESCRIPTIONS = {
    Resolution.RES_1K: "lower resolution, faster generation",
    Resolution.RES_2K: "standard resolution, balanced quality and speed",
    Resolution.RES_4K: "high resolution, best quality",
    Resolution.LOW: "accepted by the API but not explained upstream",
    Resolution.MEDIUM: "accepted by the API but not explained upstream",
    Resolution.HIGH: "accepted by the API but not explained upstream",
}

DEFAULT_ASPECT_RATIO = AspectRatio.RATIO_1_1
DEFAULT_RESOLUTION = Resolution.RES_2K


def parse_aspect_ratio(value: AspectRatio | str, *, field: str = "aspect_ratio") -> AspectRatio:
    """Check an aspect ratio given as the enum or its value (`"16:9"`).

    Args:
        value: The aspect ratio.
        field: How an error names the parameter.

    Raises:
        InvalidRequestError: `value` is not one of the ratios the API accepts.
    """
    return _parse_member(
        AspectRatio,
        value,
        field=field,
        hint="AspectRatio.closest(width, height) picks the nearest one for a size in pixels",
    )


def parse_resolution(value: Resolution | str, *, field: str = "resolution") -> Resolution:
    """Check a resolution given as the enum or its value, in any case (`"2K"`, `"2k"`).

    Args:
        value: The resolution.
        field: How an error names the parameter.

    Raises:
        InvalidRequestError: `value` is not one of the resolutions the API accepts.
    """
    return _parse_member(Resolution, value, field=field)


def parse_mime_type(value: MimeType | str, *, field: str = "mime_type") -> MimeType:
    """Check a reference image's media type, in any case (`"image/png"`, `"IMAGE/PNG"`).

    Args:
        value: The media type.
        field: How an error names the parameter (`reference_images[2].mime_type`).

    Raises:
        InvalidRequestError: `value` is not one of the media types the API accepts, including
            a value the generated `MimeType` keeps as an unlisted pseudo-member.
    """
    return _parse_member(MimeType, value, field=field)


def _parse_member(
    enum_type: type[_Member], value: object, *, field: str, hint: str = ""
) -> _Member:
    """The listed member whose value is `value`, or else the only one equal to it ignoring case.

    Membership is checked against the listed values, never with `isinstance`: a generated
    enum's pseudo-member for an unknown value is an instance too.
    """
    members = list(enum_type)
    if isinstance(value, str):
        for member in members:
            if member.value == value:
                return member
        folded = [member for member in members if member.value.casefold() == value.casefold()]
        if len(folded) == 1:
            return folded[0]
    message = f"unknown value {value!r}"
    if hint:
        message += f"; {hint}"
    raise InvalidRequestError(field, message, allowed=[member.value for member in members])


def _check_positive(size: float, *, field: str) -> None:
    """Refuse a size that is zero, negative, infinite or not a number."""
    if not (math.isfinite(size) and size > 0):
        raise InvalidRequestError(field, f"must be a positive number of pixels, got {size!r}")
