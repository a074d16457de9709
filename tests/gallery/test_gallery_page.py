"""The gallery, read by an HTML parser: a card per item, every text escaped, nothing remote."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nano_banana_pro import InvalidRequestError
from nano_banana_pro.gallery import (
    GalleryCard,
    GalleryImage,
    cards_from_records,
    cards_from_sidecars,
    render_gallery,
    write_gallery,
)
from nano_banana_pro.sidecar import sidecar_for_download, write_sidecar
from nano_banana_pro.testing._png import image_size, png_bytes
from tests.gallery.conftest import HOSTILE_PROMPTS, RATIOS, MakeImages
from tests.gallery.page import GalleryPage

TITLE = 'Batch <prompts.txt> & "friends"'


def check_self_contained(page: GalleryPage) -> None:
    """No script, no remote or absolute URL, no event handler: whatever the prompts held."""
    for tag, attributes in page.tags:
        assert tag not in ("script", "iframe", "object", "embed", "link", "base"), tag
        for name, value in attributes.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("src", "href") and value is not None:
                assert "://" not in value
                assert not value.startswith(("/", "data:", "javascript:"))


def test_a_card_per_sidecar_in_batch_order_with_each_prompt_intact(
    tmp_path: Path, make_images: MakeImages
) -> None:
    images = make_images(tmp_path)

    page = GalleryPage(
        write_gallery(tmp_path, cards_from_sidecars(tmp_path), title=TITLE).read_text(
            encoding="utf-8"
        )
    )

    assert page.title == TITLE
    assert [card.prompt for card in page.cards] == list(HOSTILE_PROMPTS)
    check_self_contained(page)
    for card, image, ratio in zip(page.cards, images, RATIOS, strict=True):
        assert "completed" in card.classes
        (img,) = card.images
        assert img["src"] == image.name  # relative to the page
        assert img["alt"] == card.prompt  # the quotes in the prompt did not end the attribute
        width, height = image_size(ratio, "1K", scale=1 / 4)
        assert (img["width"], img["height"]) == (str(width), str(height))
        assert card.facts["aspect_ratio"] == ratio
        assert card.facts["resolution"] == "1K"
        assert card.facts["task"] == image.name.removesuffix("_0.png")
        assert [step.split()[0] for step in card.history] == ["created", "COMPLETED", "downloaded"]
    assert page.summary == "4 completed, 0 failed, 0 pending"


def test_markup_in_a_prompt_is_text_not_markup() -> None:
    cards = [
        GalleryCard(
            state="completed",
            prompt=prompt,
            parameters={"note": prompt},
            images=[GalleryImage(src="a.png", width=1, height=1)],
        )
        for prompt in HOSTILE_PROMPTS
    ]

    text = render_gallery(cards, title="<script>alert(1)</script>")

    assert "<script" not in text.lower()
    assert "<b>" not in text
    page = GalleryPage(text)
    assert [card.prompt for card in page.cards] == list(HOSTILE_PROMPTS)
    assert [card.facts["note"] for card in page.cards] == list(HOSTILE_PROMPTS)
    assert [img["alt"] for card in page.cards for img in card.images] == list(HOSTILE_PROMPTS)
    assert sum(tag == "img" for tag, _ in page.tags) == len(cards)  # none injected
    check_self_contained(page)


def test_the_page_forbids_scripts_and_remote_resources() -> None:
    page = GalleryPage(render_gallery([], title="empty"))

    (policy,) = [
        attributes["content"]
        for tag, attributes in page.tags
        if tag == "meta" and attributes.get("http-equiv") == "Content-Security-Policy"
    ]
    assert policy is not None
    assert "default-src 'none'" in policy
    assert "script-src" not in policy  # so default-src 'none' holds for scripts
    assert page.cards == []


def records(folder: Path) -> list[dict[str, object]]:
    """What `batch` writes to its results file, one item of each kind, in file order."""
    done = folder / "task-a_0.png"
    done.write_bytes(png_bytes(32, 18))
    base = {"key": "k", "status": None, "files": [], "error": None, "error_type": None}
    return [
        {
            **base,
            "line": 1,
            "index": 0,
            "input": {"prompt": "A done <one>", "aspect_ratio": "16:9"},
            "state": "completed",
            "task_id": "task-a",
            "status": "COMPLETED",
            "files": [str(done)],
        },
        {
            **base,
            "line": 3,
            "index": 1,
            "input": {"prompt": "A failed one"},
            "state": "failed",
            "task_id": "task-b",
            "status": "FAILED",
            "error": "task task-b FAILED; the service...",
        },
        {
            **base,
            "line": 4,
            "index": 2,
            "input": {"prompt": "An ambiguous one"},
            "state": "ambiguous",
            "error": "the create was sent but its answer lost",
        },
        {
            **base,
            "line": 5,
            "index": 3,
            "input": {"prompt": "x", "resolution": "8K"},
            "state": "invalid",
            "key": None,
            "error": "resolution: unknown resolution '8K'",
        },
        {
            **base,
            "line": 6,
            "index": 4,
            "input": {"prompt": "A pending one"},
            "state": "created",
            "task_id": "task-e",
            "status": "IN_PROGRESS",
        },
        {**base, "line": 7, "index": 5, "input": {"task_id": "task-f"}, "state": "pending"},
        {
            **base,
            "line": 8,
            "index": 6,
            "input": {"prompt": "Its image was deleted"},
            "state": "completed",
            "task_id": "task-g",
            "files": [str(folder / "gone_0.png")],
        },
    ]


def test_a_batch_s_records_give_a_card_per_item_in_file_order(tmp_path: Path) -> None:
    cards = cards_from_records(records(tmp_path), folder=tmp_path)

    page = GalleryPage(
        write_gallery(tmp_path, cards, title="b", elapsed=75.4).read_text(encoding="utf-8")
    )

    assert [card.facts["line"] for card in page.cards] == ["1", "3", "4", "5", "6", "7", "8"]
    assert [card.facts["state"] for card in page.cards] == [
        "completed",
        "failed",
        "ambiguous",
        "invalid",
        "created",
        "pending",
        "completed",
    ]
    assert page.cards[0].prompt == "A done <one>"
    assert page.cards[0].images == [
        {"src": "task-a_0.png", "width": "32", "height": "18", "alt": "A done <one>"}
    ]
    assert [card.error for card in page.cards[1:4]] == [
        "task task-b FAILED; the service...",
        "the create was sent but its answer lost",
        "resolution: unknown resolution '8K'",
    ]
    assert page.cards[3].facts["resolution"] == "8K"
    assert page.cards[5].prompt == "prompt unknown"
    assert page.cards[5].facts["task_id"] == "task-f"
    assert page.cards[6].images == []  # the file is gone: no broken image
    assert page.summary == (
        "2 completed, 1 failed, 2 pending, 1 ambiguous, 1 invalid; elapsed 1 min 15 s"
    )
    check_self_contained(page)


def test_image_paths_are_relative_to_the_page(tmp_path: Path) -> None:
    nested = tmp_path / "run 1"
    nested.mkdir()
    image = nested / "a b_0.png"
    image.write_bytes(png_bytes(4, 3))
    record = {
        "line": 1,
        "index": 0,
        "input": {"prompt": "p"},
        "state": "completed",
        "files": [os.path.relpath(image)],
    }

    (card,) = cards_from_records([record], folder=tmp_path)

    assert card.images == (GalleryImage(src="run%201/a%20b_0.png", width=4, height=3),)


def test_sidecar_cards_follow_the_batch_index_then_the_file_name(tmp_path: Path) -> None:
    for name, index in (("z", None), ("y", 1), ("x", 0), ("w", None)):
        image = tmp_path / f"{name}_0.png"
        image.write_bytes(png_bytes(2, 2))
        write_sidecar(
            image,
            sidecar_for_download(
                image,
                task_id=name,
                source_url="https://cdn.example.com/i.png",
                request={"prompt": f"prompt {name}"},
                batch_key=None if index is None else name,
                batch_index=index,
            ),
        )
    second = tmp_path / "y_1.png"  # a second image of task y: the same card
    second.write_bytes(png_bytes(2, 2))
    write_sidecar(
        second,
        sidecar_for_download(
            second,
            task_id="y",
            source_url="https://cdn.example.com/j.png",
            request={"prompt": "prompt y"},
            batch_key="y",
            batch_index=1,
        ),
    )

    cards = cards_from_sidecars(tmp_path)

    assert [card.task_id for card in cards] == ["x", "y", "w", "z"]
    assert [image.src for image in cards[1].images] == ["y_0.png", "y_1.png"]


def test_elapsed_reads_in_the_unit_that_fits() -> None:
    def summary(elapsed: float) -> str:
        return GalleryPage(render_gallery([], title="t", elapsed=elapsed)).summary

    assert summary(12.34).endswith("elapsed 12.3 s")
    assert summary(3725).endswith("elapsed 1 h 02 min")


def test_an_unwritable_folder_is_an_invalid_request_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match=r"cannot write .*gone.*index\.html"):
        write_gallery(tmp_path / "gone", [], title="t")

    assert list(tmp_path.iterdir()) == []


def test_a_rewrite_replaces_the_page_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = write_gallery(tmp_path, [], title="first")
    before = page.read_bytes()

    def refuse(source: str, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(InvalidRequestError):
        write_gallery(tmp_path, [GalleryCard(state="completed", prompt="new")], title="second")

    assert page.read_bytes() == before
    assert [path.name for path in tmp_path.iterdir()] == ["index.html"]


def test_parameters_that_are_not_strings_are_shown_as_json() -> None:
    card = GalleryCard(
        state="pending",
        prompt="p",
        parameters={"extra_body": {"guidance_scale": 42}, "reference_images": ["a.png"]},
    )

    (parsed,) = GalleryPage(render_gallery([card], title="t")).cards

    assert json.loads(parsed.facts["extra_body"]) == {"guidance_scale": 42}
    assert json.loads(parsed.facts["reference_images"]) == ["a.png"]
