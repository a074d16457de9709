"""A gallery of generated images: one self-contained HTML page, a card per item beside its images.

`nano-banana-pro batch` keeps `OUT/index.html` up to date; `nano-banana-pro gallery DIR`
rebuilds it from the sidecars of any folder (`nano_banana_pro.sidecar`). The page is one file:
inline CSS, no JavaScript, nothing fetched from the network (its Content-Security-Policy forbids
scripts and remote resources), the images by relative path. Every text is HTML-escaped, since a
prompt is untrusted text. Each `<img>` carries its file's width and height, so the browser keeps
the aspect ratio before and after the image loads.

```python
from pathlib import Path

from nano_banana_pro.gallery import cards_from_sidecars, write_gallery

folder = Path("out")
folder.mkdir(exist_ok=True)
page = write_gallery(folder, cards_from_sidecars(folder), title="My raccoons")
print(page)  # out/index.html
```
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ._files import write_atomically
from ._gallery_html import card_html, duration, page_html
from ._image_size import image_size
from .errors import InvalidRequestError
from .sidecar import Sidecar, find_sidecars

__all__ = [
    "GALLERY_FILE",
    "GalleryCard",
    "GalleryImage",
    "cards_from_records",
    "cards_from_sidecars",
    "gallery_image",
    "render_gallery",
    "summary_counts",
    "write_gallery",
]

#: The gallery's file name inside its folder.
GALLERY_FILE = "index.html"
#: The states a card counts as, in the summary line, for each item state the ledger knows.
_CATEGORY = {
    "completed": "completed",
    "failed": "failed",
    "invalid": "invalid",
    "ambiguous": "ambiguous",
}
#: The summary's order; the first three always shown, the others when some item has them.
_CATEGORIES = ("completed", "failed", "pending", "ambiguous", "invalid")
_ALWAYS_SHOWN = frozenset({"completed", "failed", "pending"})


@attrs.frozen(kw_only=True)
class GalleryImage:
    """One image of a card.

    Attributes:
        src: Its path relative to the gallery's folder, as a URL path (`3f2c_0.png`).
        width: Its width in pixels, when its header could be read.
        height: Its height in pixels, likewise.
    """

    src: str
    width: int | None = None
    height: int | None = None


def _plain(value: Mapping[str, Any]) -> dict[str, Any]:
    return dict(value)


def _image_tuple(images: Iterable[GalleryImage]) -> tuple[GalleryImage, ...]:
    return tuple(images)


def _step_tuple(history: Iterable[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    return tuple(history)


@attrs.frozen(kw_only=True)
class GalleryCard:
    """One item of a gallery: what was asked, what became of it, its images.

    Attributes:
        state: Where the item stands: `completed`, `failed`, `ambiguous`, `invalid`, or
            anything else (`pending`, `creating`, `created`), which counts as pending.
        prompt: The prompt, when known.
        parameters: The other parameters (options, reference images, `extra_body`...).
        images: Its images, usually one; none until it completed.
        task_id: Its task, once one exists.
        status: Its task's last status seen (`COMPLETED`, `IN_PROGRESS`...).
        error: Why it did not complete, for failed, ambiguous and invalid items.
        line: Its line in the batch file, for a batch.
        index: Its position in the batch.
        history: `(what, unix time)` steps, from its sidecar.
    """

    state: str
    prompt: str | None = None
    parameters: Mapping[str, Any] = attrs.field(factory=dict, converter=_plain)
    images: tuple[GalleryImage, ...] = attrs.field(default=(), converter=_image_tuple)
    task_id: str | None = None
    status: str | None = None
    error: str | None = None
    line: int | None = None
    index: int | None = None
    history: tuple[tuple[str, float], ...] = attrs.field(default=(), converter=_step_tuple)

    @property
    def category(self) -> str:
        """What the summary counts it as: completed, failed, ambiguous, invalid or pending."""
        return _CATEGORY.get(self.state, "pending")


def gallery_image(path: str | os.PathLike[str], *, folder: str | os.PathLike[str]) -> GalleryImage:
    """An image as a gallery in `folder` shows it: relative path, size read from its header."""
    relative = os.path.relpath(Path(path).resolve(), Path(folder).resolve())
    size = image_size(Path(path))
    return GalleryImage(
        src=urllib.parse.quote(Path(relative).as_posix()),
        width=None if size is None else size[0],
        height=None if size is None else size[1],
    )


def cards_from_records(
    records: Iterable[Mapping[str, Any]], *, folder: str | os.PathLike[str]
) -> list[GalleryCard]:
    """A card per batch record, in their order: the results file's lines (`batch --results`).

    Each record holds `line`, `index`, `input` (the item's parameters as written), `state`,
    `task_id`, `status`, `files` and `error`; files that no longer exist are left out.

    Args:
        records: The batch's records, in file order.
        folder: The gallery's folder (image paths become relative to it).
    """
    cards = []
    for record in records:
        given = record.get("input")
        parameters = dict(given) if isinstance(given, Mapping) else {"input": given}
        prompt = parameters.pop("prompt", None)
        files = [Path(file) for file in record.get("files") or () if Path(file).is_file()]
        cards.append(
            GalleryCard(
                state=str(record.get("state") or "pending"),
                prompt=prompt if isinstance(prompt, str) else None,
                parameters=parameters,
                images=[gallery_image(file, folder=folder) for file in files],
                task_id=record.get("task_id"),
                status=record.get("status"),
                error=record.get("error"),
                line=record.get("line"),
                index=record.get("index"),
            )
        )
    return cards


def cards_from_sidecars(folder: str | os.PathLike[str]) -> list[GalleryCard]:
    """A card per task whose images have sidecars in `folder`, in batch order, then by name.

    Images of one task share its card. Cards of batch items come first, by their index in the
    batch; the others follow, by file name.

    Raises:
        SidecarError: a sidecar is damaged or from a newer schema version (its file named).
    """
    tasks: dict[str, list[tuple[Path, Sidecar]]] = {}
    for image, sidecar in find_sidecars(folder):
        tasks.setdefault(sidecar.task_id, []).append((image, sidecar))
    cards = []
    for found in tasks.values():
        sidecar = found[0][1]
        parameters = dict(sidecar.request or {})
        parameters.pop("prompt", None)
        cards.append(
            GalleryCard(
                state="completed",
                prompt=sidecar.prompt,
                parameters=parameters,
                images=[gallery_image(image, folder=folder) for image, _ in found],
                task_id=sidecar.task_id,
                status="COMPLETED",
                index=sidecar.batch_index,
                history=sidecar.history,
            )
        )
    return sorted(
        cards,
        key=lambda card: (card.index is None, card.index or 0, card.images[0].src),
    )


def summary_counts(cards: Iterable[GalleryCard]) -> dict[str, int]:
    """How many cards are completed, failed, pending, ambiguous and invalid."""
    counts = dict.fromkeys(_CATEGORIES, 0)
    for card in cards:
        counts[card.category] += 1
    return counts


def render_gallery(
    cards: Sequence[GalleryCard], *, title: str, elapsed: float | None = None
) -> str:
    """The gallery page: one self-contained HTML5 document.

    Args:
        cards: The cards, in the order to show them.
        title: The page's title and heading.
        elapsed: Seconds the batch has run, for the summary line (left out when None).
    """
    counts = summary_counts(cards)
    summary = ", ".join(
        f"{count} {category}"
        for category, count in counts.items()
        if count or category in _ALWAYS_SHOWN
    )
    if elapsed is not None:
        summary += f"; elapsed {duration(elapsed)}"
    return page_html(title=title, summary=summary, cards=[card_html(card) for card in cards])


def write_gallery(
    folder: str | os.PathLike[str],
    cards: Sequence[GalleryCard],
    *,
    title: str,
    elapsed: float | None = None,
) -> Path:
    """Write `folder/index.html`, whole or not at all (a browser never reads half a page).

    Args:
        folder: An existing folder; the image paths of `cards` are relative to it.
        cards: The cards, in the order to show them.
        title: The page's title and heading.
        elapsed: Seconds the batch has run, for the summary line.

    Raises:
        InvalidRequestError: the folder is not there or cannot be written (no temporary file
            is left).
    """
    target = Path(folder) / GALLERY_FILE
    page = render_gallery(cards, title=title, elapsed=elapsed).encode("utf-8", "replace")
    try:
        write_atomically(target, page)
    except OSError as error:
        raise InvalidRequestError(
            "folder", f"cannot write {target} ({error.strerror or error}): choose another folder"
        ) from error
    return target
