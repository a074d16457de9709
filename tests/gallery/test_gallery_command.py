"""`nano-banana-pro gallery DIR`: rebuilds DIR/index.html from the sidecars, or says why not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nano_banana_pro.cli import ExitCode, main
from nano_banana_pro.sidecar import SIDECAR_FORMAT
from tests.gallery.conftest import HOSTILE_PROMPTS, MakeImages
from tests.gallery.page import GalleryPage


def test_it_writes_the_page_and_prints_its_path(
    tmp_path: Path, make_images: MakeImages, capsys: pytest.CaptureFixture[str]
) -> None:
    make_images(tmp_path)

    assert main(["gallery", str(tmp_path), "--title", "Raccoons & co"]) == ExitCode.OK

    out, err = capsys.readouterr()
    assert out == f"{tmp_path / 'index.html'}\n"
    assert err == "4 task(s), 4 image(s)\n"
    page = GalleryPage((tmp_path / "index.html").read_text(encoding="utf-8"))
    assert page.title == "Raccoons & co"
    assert [card.prompt for card in page.cards] == list(HOSTILE_PROMPTS)


def test_the_default_title_names_the_folder(tmp_path: Path, make_images: MakeImages) -> None:
    folder = tmp_path / "out"
    make_images(folder, prompts=HOSTILE_PROMPTS[:1])

    assert main(["gallery", str(folder)]) == ExitCode.OK

    assert GalleryPage((folder / "index.html").read_text(encoding="utf-8")).title == (
        "nano-banana-pro gallery: out"
    )


@pytest.mark.parametrize("make", ["missing", "file"])
def test_dir_must_be_a_folder(
    tmp_path: Path, make: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "target"
    if make == "file":
        target.write_text("not a folder", encoding="utf-8")

    assert main(["gallery", str(target)]) == ExitCode.BAD_INPUT

    assert f"error: {target} is not a folder" in capsys.readouterr().err


def test_a_folder_without_sidecars_is_said_so_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "photo.png").write_bytes(b"image")

    assert main(["gallery", str(tmp_path)]) == ExitCode.BAD_INPUT

    assert "holds no image with a sidecar" in capsys.readouterr().err
    assert not (tmp_path / "index.html").exists()


def test_a_sidecar_from_a_newer_version_is_refused_naming_it(
    tmp_path: Path, make_images: MakeImages, capsys: pytest.CaptureFixture[str]
) -> None:
    (image,) = make_images(tmp_path, prompts=HOSTILE_PROMPTS[:1])
    sidecar = image.with_name(image.name + ".json")
    sidecar.write_text(json.dumps({"format": SIDECAR_FORMAT, "schema_version": 9}), "utf-8")

    assert main(["gallery", str(tmp_path)]) == ExitCode.BAD_INPUT

    err = capsys.readouterr().err
    assert f"{sidecar} has sidecar schema version 9" in err
    assert "upgrade" in err
    assert not (tmp_path / "index.html").exists()
