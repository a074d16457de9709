"""What the facade's request enums can do beyond their values (their members come from the spec).

`_spec.py`, generated from the spec, declares `AspectRatio` and `Resolution` with these mixins.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Self, cast

from .errors import InvalidRequestError

__all__ = ["AspectRatioParts", "ResolutionParts"]

#: What is known of each resolution: the upstream docs explain 1K, 2K and 4K only.
_RESOLUTION_DESCRIPTIONS = {
    "1K": "lower resolution, faster generation",
    "2K": "standard resolution, balanced quality and speed",
    "4K": "high resolution, best quality",
    "low": "accepted by the API but not explained upstream (likely near 1K)",
    "medium": "accepted by the API but not explained upstream (likely near 2K)",
    "high": "accepted by the API but not explained upstream (likely near 4K)",
}
_DEFAULT_RESOLUTION = "2K"


class AspectRatioParts:
    """`width:height` arithmetic for `AspectRatio` members (each is its value as a string)."""

    @property
    def width(self) -> int:
        """The width part of the ratio (16 for `16:9`)."""
        return int(str(self).partition(":")[0])

    @property
    def height(self) -> int:
        """The height part of the ratio (9 for `16:9`)."""
        return int(str(self).partition(":")[2])

    @property
    def ratio(self) -> float:
        """Width divided by height (1.777... for `16:9`)."""
        return self.width / self.height

    @classmethod
    def closest(cls, width: float, height: float) -> Self:
        """The ratio nearest to a size in pixels: `closest(1920, 1080)` is `16:9`.

        Ratios are compared on a logarithmic scale, so that a portrait size and its landscape
        twin are equally far from their nearest ratios.

        Raises:
            InvalidRequestError: `width` or `height` is not a positive, finite number.
        """
        _check_positive(width, field="width")
        _check_positive(height, field="height")
        target = math.log(width / height)
        members = cast("Iterable[Self]", cls)  # the enum class this mixes into iterates members
        return min(members, key=lambda member: abs(math.log(member.ratio) - target))


class ResolutionParts:
    """What each `Resolution` member means, as far as the upstream documentation explains it."""

    @property
    def description(self) -> str:
        """What the resolution means; the default one says so."""
        text = _RESOLUTION_DESCRIPTIONS.get(str(self), "not explained upstream")
        return f"{text} (default)" if str(self) == _DEFAULT_RESOLUTION else text


def _check_positive(size: float, *, field: str) -> None:
    """Refuse a size that is zero, negative, infinite or not a number."""
    if not (math.isfinite(size) and size > 0):
        raise InvalidRequestError(field, f"must be a positive number of pixels, got {size!r}")
