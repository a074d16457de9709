"""The options of a create request besides the prompt, declared once: `CreateOptions`.

`create()`, `generate()` and the items of `generate_many()` take these as keyword arguments;
the CLI makes a flag of each (`--aspect-ratio`) and a batch's JSON lines may hold each key. Their
values, limits and defaults come from the spec; tests hold this declaration to the spec's
`CreateImageRequest`, so a field the spec gains and this lacks fails them. To follow a new
optional field: change the spec, `make generate`, then declare the field here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from .enums import AspectRatio, Resolution
    from .request import ReferenceImageLike

__all__ = ["OPTION_NAMES", "CreateOptions"]


class CreateOptions(TypedDict, total=False):
    """What a create request may set besides the prompt; each one left out takes its default.

    Attributes:
        webhook_url: An absolute http(s) URL the service notifies on each status change.
        reference_images: Up to 14 images: URLs (`https://...`, `gs://...`), dicts with
            `image`, `mime_type`, `text`, or `ReferenceImage`s.
        aspect_ratio: An `AspectRatio` or its value (`"16:9"`); default `1:1`.
        resolution: A `Resolution` or its value (`"4K"`, any case); default `2K`.
    """

    webhook_url: str | None
    reference_images: Sequence[ReferenceImageLike] | None
    aspect_ratio: AspectRatio | str
    resolution: Resolution | str


#: The declared options, in the spec's body order.
OPTION_NAMES: tuple[str, ...] = tuple(CreateOptions.__annotations__)
