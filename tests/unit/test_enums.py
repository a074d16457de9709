"""The facade's enums, their defaults and parsers, held to the spec."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

import pytest

import nano_banana_pro_api.models as api
from nano_banana_pro.enums import (
    DEFAULT_ASPECT_RATIO,
    DEFAULT_RESOLUTION,
    AspectRatio,
    MimeType,
    Resolution,
    parse_aspect_ratio,
    parse_mime_type,
    parse_resolution,
)
from nano_banana_pro.errors import InvalidRequestError

ALL_RATIOS = ["1:1", "2:3", "3:2", "4:3", "3:4", "5:4", "4:5", "16:9", "9:16", "21:9"]
ALL_RESOLUTIONS = ["1K", "2K", "4K", "low", "medium", "high"]


def schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["schemas"][name]
    return found


# --- drift: the facade against the spec -------------------------------------------------------


@pytest.mark.parametrize(
    ("facade_enum", "schema_name"),
    [(AspectRatio, "AspectRatio"), (Resolution, "Resolution"), (MimeType, "MimeType")],
)
def test_enum_values_and_names_match_the_spec_in_order(
    spec: dict[str, Any], facade_enum: type[StrEnum], schema_name: str
) -> None:
    declared = schema(spec, schema_name)
    if facade_enum is MimeType:  # generated: members sorted by value, so compare as sets
        assert {m.value for m in facade_enum} == set(declared["enum"])
        assert {m.name for m in facade_enum} == set(declared["x-enum-varnames"])
        return
    assert [m.value for m in facade_enum] == declared["enum"]
    assert [m.name for m in facade_enum] == declared["x-enum-varnames"]


def test_the_spec_quotes_every_ratio_so_yaml_does_not_turn_them_into_integers(
    spec: dict[str, Any],
) -> None:
    assert all(isinstance(value, str) for value in schema(spec, "AspectRatio")["enum"])


def test_defaults_match_the_spec(spec: dict[str, Any]) -> None:
    assert schema(spec, "AspectRatio")["default"] == DEFAULT_ASPECT_RATIO.value == "1:1"
    assert schema(spec, "Resolution")["default"] == DEFAULT_RESOLUTION.value == "2K"
    assert DEFAULT_ASPECT_RATIO is AspectRatio.RATIO_1_1
    assert DEFAULT_RESOLUTION is Resolution.RES_2K


@pytest.mark.parametrize(
    ("facade_enum", "generated_enum"),
    [(AspectRatio, api.AspectRatio), (Resolution, api.Resolution)],
)
def test_facade_members_map_onto_generated_members_with_the_same_name(
    facade_enum: type[StrEnum], generated_enum: type[StrEnum]
) -> None:
    for member in facade_enum:
        assert generated_enum(member.value).name == member.name


def test_mime_type_is_the_generated_enum_re_exported() -> None:
    assert MimeType is api.MimeType


# --- AspectRatio -----------------------------------------------------------------------------


def test_members_are_exactly_the_ten_ratios() -> None:
    assert [m.value for m in AspectRatio] == ALL_RATIOS


@pytest.mark.parametrize(
    ("member", "width", "height"),
    [
        (AspectRatio.RATIO_1_1, 1, 1),
        (AspectRatio.RATIO_2_3, 2, 3),
        (AspectRatio.RATIO_16_9, 16, 9),
        (AspectRatio.RATIO_9_16, 9, 16),
        (AspectRatio.RATIO_21_9, 21, 9),
    ],
)
def test_width_height_and_ratio(member: AspectRatio, width: int, height: int) -> None:
    assert (member.width, member.height) == (width, height)
    assert isinstance(member.width, int)
    assert member.ratio == pytest.approx(width / height)


@pytest.mark.parametrize("member", list(AspectRatio))
def test_str_and_format_give_the_value(member: AspectRatio) -> None:
    assert str(member) == member.value
    assert f"{member}" == member.value
    assert str(member) == f"{member.width}:{member.height}"


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1920, 1080, AspectRatio.RATIO_16_9),
        (1080, 1920, AspectRatio.RATIO_9_16),
        (1000, 1000, AspectRatio.RATIO_1_1),
        (2560, 1080, AspectRatio.RATIO_21_9),
        (3440, 1440, AspectRatio.RATIO_21_9),
        (1024, 768, AspectRatio.RATIO_4_3),
        (768, 1024, AspectRatio.RATIO_3_4),
        (1280, 1024, AspectRatio.RATIO_5_4),
        (4000, 6000, AspectRatio.RATIO_2_3),
        (0.5, 0.75, AspectRatio.RATIO_2_3),
        (100_000, 1, AspectRatio.RATIO_21_9),
        (1, 100_000, AspectRatio.RATIO_9_16),
    ],
)
def test_closest_picks_the_nearest_ratio(
    width: float, height: float, expected: AspectRatio
) -> None:
    assert AspectRatio.closest(width, height) is expected


@pytest.mark.parametrize("member", list(AspectRatio))
@pytest.mark.parametrize("scale", [1, 7, 120, 0.01])
def test_closest_finds_every_ratio_from_its_own_size(member: AspectRatio, scale: float) -> None:
    assert AspectRatio.closest(member.width * scale, member.height * scale) is member


def test_closest_compares_on_a_log_scale() -> None:
    # 0.897 lies between 4:5 (0.8) and 1:1. Linearly it is nearer 4:5 (0.097 vs 0.103); on a
    # log scale it is nearer 1:1, as is its landscape twin 1.115 (between 1:1 and 5:4).
    assert AspectRatio.closest(897, 1000) is AspectRatio.RATIO_1_1
    assert AspectRatio.closest(1000, 897) is AspectRatio.RATIO_1_1


def test_closest_answers_mirror_images_for_portrait_and_landscape_sizes() -> None:
    # Up to 2:1 every nearest ratio has a portrait twin in the enum (21:9 has none).
    for width in range(1000, 2001, 3):
        landscape = AspectRatio.closest(width, 1000)
        portrait = AspectRatio.closest(1000, width)
        assert (portrait.width, portrait.height) == (landscape.height, landscape.width), width


@pytest.mark.parametrize(
    ("width", "height", "field"),
    [
        (0, 100, "width"),
        (-1920, 1080, "width"),
        (1920, 0, "height"),
        (1920, -5, "height"),
        (math.nan, 1080, "width"),
        (1920, math.inf, "height"),
    ],
)
def test_closest_refuses_sizes_that_are_not_positive(
    width: float, height: float, field: str
) -> None:
    with pytest.raises(InvalidRequestError, match="positive number of pixels") as caught:
        AspectRatio.closest(width, height)
    assert caught.value.field == field


# --- Resolution ------------------------------------------------------------------------------


def test_resolution_members() -> None:
    assert [m.value for m in Resolution] == ALL_RESOLUTIONS
    assert str(Resolution.RES_4K) == "4K"


@pytest.mark.parametrize(
    ("member", "words"),
    [
        (Resolution.RES_1K, ["lower resolution", "faster"]),
        (Resolution.RES_2K, ["standard resolution", "balanced", "(default)"]),
        (Resolution.RES_4K, ["high resolution", "best quality"]),
        (Resolution.LOW, ["accepted", "not explained"]),
        (Resolution.MEDIUM, ["accepted", "not explained"]),
        (Resolution.HIGH, ["accepted", "not explained"]),
    ],
)
def test_resolution_descriptions_follow_the_spec(member: Resolution, words: list[str]) -> None:
    for word in words:
        assert word in member.description


def test_only_the_default_resolution_says_it_is_the_default() -> None:
    flagged = [m for m in Resolution if "(default)" in m.description]
    assert flagged == [DEFAULT_RESOLUTION]


# --- parsers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ALL_RATIOS)
def test_parse_aspect_ratio_accepts_each_value_and_member(value: str) -> None:
    member = AspectRatio(value)
    assert parse_aspect_ratio(value) is member
    assert parse_aspect_ratio(member) is member
    assert parse_aspect_ratio(api.AspectRatio(value)) is member


@pytest.mark.parametrize("value", ["7:5", "16/9", "16:9 ", "", "RATIO_16_9", "1.78"])
def test_parse_aspect_ratio_refuses_unknown_values_listing_all_allowed(value: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_aspect_ratio(value)
    assert caught.value.field == "aspect_ratio"
    assert list(caught.value.allowed) == ALL_RATIOS
    assert repr(value) in str(caught.value)
    assert "AspectRatio.closest" in str(caught.value)


def test_parse_aspect_ratio_refuses_the_integer_a_yaml_loader_makes_of_16_9() -> None:
    with pytest.raises(InvalidRequestError, match="969"):
        parse_aspect_ratio(969)  # type: ignore[arg-type]


def test_parse_aspect_ratio_refuses_a_generated_pseudo_member() -> None:
    unlisted = api.AspectRatio("7:5")  # the generated enum keeps unknown values
    with pytest.raises(InvalidRequestError):
        parse_aspect_ratio(unlisted)


def test_parse_names_the_field_it_is_given() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_aspect_ratio("7:5", field="--aspect-ratio")
    assert caught.value.field == "--aspect-ratio"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2K", Resolution.RES_2K),
        ("2k", Resolution.RES_2K),
        ("4k", Resolution.RES_4K),
        ("low", Resolution.LOW),
        ("LOW", Resolution.LOW),
        ("Medium", Resolution.MEDIUM),
        ("HIGH", Resolution.HIGH),
        (Resolution.RES_1K, Resolution.RES_1K),
        (api.Resolution.HIGH, Resolution.HIGH),
    ],
)
def test_parse_resolution_accepts_values_in_any_case(
    value: Resolution | str, expected: Resolution
) -> None:
    assert parse_resolution(value) is expected


@pytest.mark.parametrize("value", ["8K", "2 K", "ultra", "", "RES_2K"])
def test_parse_resolution_refuses_unknown_values_listing_all_allowed(value: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_resolution(value)
    assert caught.value.field == "resolution"
    assert list(caught.value.allowed) == ALL_RESOLUTIONS
    assert "allowed: 1K, 2K, 4K, low, medium, high" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("image/png", MimeType.PNG),
        ("IMAGE/JPEG", MimeType.JPEG),
        (MimeType.WEBP, MimeType.WEBP),
    ],
)
def test_parse_mime_type(value: str, expected: MimeType) -> None:
    assert parse_mime_type(value) is expected


@pytest.mark.parametrize("value", ["image/gif", "png", "image/jpg", MimeType("image/gif")])
def test_parse_mime_type_refuses_unlisted_types_even_generated_pseudo_members(value: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_mime_type(value, field="reference_images[0].mime_type")
    assert caught.value.field == "reference_images[0].mime_type"
    assert set(caught.value.allowed) == {"image/png", "image/jpeg", "image/webp"}
