"""`gallery`: rebuild a folder's `index.html` from the sidecars of its images."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from ..gallery import GALLERY_FILE, cards_from_sidecars, write_gallery
from ..sidecar import SIDECAR_SUFFIX
from ._failures import PROG, CliError, ExitCode
from ._output import print_files

__all__ = ["add_command", "run"]

_NOTES = f"""\
DIR/{GALLERY_FILE}: one card per task, its images beside its prompt, parameters and history,
  read from each image's sidecar (<image>{SIDECAR_SUFFIX}, written by every download unless
  --no-sidecar). Batch items come first, in their batch's order, then the others by name.
  The page is one file: inline CSS, no JavaScript, nothing from the network; prints its path.
"""


def add_command(command: Callable[..., argparse.ArgumentParser]) -> None:
    """The `gallery` command and its options."""
    gallery = command(
        "gallery",
        f"Rebuild DIR/{GALLERY_FILE}, a page of DIR's images beside what made them.",
        f"{PROG} gallery out/",
        uses_api=False,
        notes=_NOTES,
    )
    gallery.add_argument("dir", metavar="DIR", help="a folder of downloaded images")
    gallery.add_argument("--title", help="the page's title (default: the folder's name)")
    gallery.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the gallery of DIR; print its path.

    Raises:
        CliError: DIR is not a folder, or holds no sidecars (nothing is written).
        SidecarError: a sidecar is damaged or from a newer version.
        InvalidRequestError: DIR cannot be written.
    """
    folder = Path(args.dir)
    if not folder.is_dir():
        raise CliError(
            f"{folder} is not a folder: pass the folder the images were downloaded to",
            exit_code=ExitCode.BAD_INPUT,
        )
    cards = cards_from_sidecars(folder)
    if not cards:
        raise CliError(
            f"{folder} holds no image with a sidecar (<image>{SIDECAR_SUFFIX}): images are "
            "downloaded with one unless --no-sidecar was given; nothing written",
            exit_code=ExitCode.BAD_INPUT,
        )
    title = args.title or f"{PROG} gallery: {folder.resolve().name}"
    page = write_gallery(folder, cards, title=title)
    print_files([page])
    images = sum(len(card.images) for card in cards)
    sys.stderr.write(f"{len(cards)} task(s), {images} image(s)\n")
    return ExitCode.OK
