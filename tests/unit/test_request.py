"""Checking and building the create request, held to the spec."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import pytest
from openapi_schema_validator import OAS31Validator

import nano_banana_pro_api.models as api
from nano_banana_pro.enums import (
    DEFAULT_ASPECT_RATIO,
    DEFAULT_RESOLUTION,
    AspectRatio,
    MimeType,
    Resolution,
)
from nano_banana_pro.errors import InvalidRequestError
from nano_banana_pro.request import (
    MAX_REFERENCE_IMAGES,
    PROMPT_MAX_LENGTH,
    PROMPT_MIN_LENGTH,
    ReferenceImage,
    ReferenceImageLike,
    build_create_request,
)

PNG_URL = "https://example.com/reference.png"
ALL_MIME_TYPES = {"image/png", "image/jpeg", "image/webp"}


def build(**overrides: Any) -> api.CreateImageRequest:
    """`build_create_request` with valid defaults, overridden one field at a time."""
    arguments: dict[str, Any] = {
        "prompt": "A suited raccoon smoking a pipe",
        "aspect_ratio": DEFAULT_ASPECT_RATIO,
        "resolution": DEFAULT_RESOLUTION,
        "reference_images": None,
        "webhook_url": None,
    }
    arguments.update(overrides)
    return build_create_request(**arguments)


def refused(**overrides: Any) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as caught:
        build(**overrides)
    return caught.value


@pytest.fixture(scope="module")
def body_validator(spec: dict[str, Any]) -> OAS31Validator:
    """Validates a request body against the spec's `CreateImageRequest` schema."""
    return OAS31Validator(
        {"$ref": "#/components/schemas/CreateImageRequest", "components": spec["components"]}
    )


# --- drift: the limits and the body against the spec ----------------------------------------


def test_limits_match_the_spec(spec: dict[str, Any]) -> None:
    properties = spec["components"]["schemas"]["CreateImageRequest"]["properties"]
    assert properties["prompt"]["minLength"] == PROMPT_MIN_LENGTH == 2
    assert properties["prompt"]["maxLength"] == PROMPT_MAX_LENGTH == 3000
    assert properties["reference_images"]["maxItems"] == MAX_REFERENCE_IMAGES == 14


def test_a_full_request_becomes_the_body_the_api_expects(
    body_validator: OAS31Validator,
) -> None:
    request = build_create_request(
        prompt="A suited raccoon smoking a pipe in a vintage study room",
        aspect_ratio="16:9",
        resolution=Resolution.RES_2K,
        reference_images=[
            PNG_URL,
            {"image": "gs://bucket/style.jpg", "text": "Reference style"},
            ReferenceImage("https://example.com/photo", mime_type="image/webp"),
        ],
        webhook_url="https://www.example.com/webhook",
    )
    body = request.to_dict()
    assert body == {
        "prompt": "A suited raccoon smoking a pipe in a vintage study room",
        "aspect_ratio": "16:9",
        "resolution": "2K",
        "reference_images": [
            {"image": PNG_URL, "mime_type": "image/png"},
            {
                "image": "gs://bucket/style.jpg",
                "mime_type": "image/jpeg",
                "text": "Reference style",
            },
            {"image": "https://example.com/photo", "mime_type": "image/webp"},
        ],
        "webhook_url": "https://www.example.com/webhook",
    }
    body_validator.validate(body)


def test_a_minimal_request_sends_the_defaults_explicitly_and_omits_the_rest(
    body_validator: OAS31Validator,
) -> None:
    body = build(prompt="ok").to_dict()
    assert body == {"prompt": "ok", "aspect_ratio": "1:1", "resolution": "2K"}
    body_validator.validate(body)


@pytest.mark.parametrize(
    "overrides",
    [
        {"prompt": "x" * PROMPT_MAX_LENGTH},
        {"aspect_ratio": "21:9", "resolution": "low"},
        {"reference_images": [PNG_URL] * MAX_REFERENCE_IMAGES},
        {"webhook_url": "http://127.0.0.1:8080/hook?source=nano"},
    ],
)
def test_accepted_requests_are_valid_under_the_spec(
    body_validator: OAS31Validator, overrides: dict[str, Any]
) -> None:
    body_validator.validate(build(**overrides).to_dict())


def test_enums_are_converted_to_the_generated_enums() -> None:
    request = build(aspect_ratio=AspectRatio.RATIO_9_16, resolution="4k")
    assert type(request.aspect_ratio) is api.AspectRatio
    assert request.aspect_ratio is api.AspectRatio.RATIO_9_16
    assert type(request.resolution) is api.Resolution
    assert request.resolution is api.Resolution.RES_4K


def test_reference_images_become_generated_models() -> None:
    request = build(reference_images=[PNG_URL])
    assert isinstance(request.reference_images, list)
    (image,) = request.reference_images
    assert isinstance(image, api.ReferenceImage)
    assert image.mime_type is api.MimeType.PNG


@pytest.mark.parametrize("empty", [None, [], ()])
def test_no_reference_images_are_left_out_of_the_body(empty: Sequence[str] | None) -> None:
    assert "reference_images" not in build(reference_images=empty).to_dict()


# --- prompt ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt", ["ab", "x" * PROMPT_MAX_LENGTH, "🍌🍌", "  a cat  ", "é" * PROMPT_MAX_LENGTH]
)
def test_prompt_lengths_within_the_limits_are_sent_unchanged(prompt: str) -> None:
    assert build(prompt=prompt).prompt == prompt


@pytest.mark.parametrize(
    ("prompt", "length"), [("", 0), ("a", 1), ("x" * (PROMPT_MAX_LENGTH + 1), 3001)]
)
def test_prompt_lengths_outside_the_limits_are_refused(prompt: str, length: int) -> None:
    error = refused(prompt=prompt)
    assert error.field == "prompt"
    assert str(error) == f"prompt: must be 2 to 3000 characters, got {length}"


@pytest.mark.parametrize("prompt", ["  ", "\n\t", " " * 50])
def test_a_whitespace_only_prompt_is_refused(prompt: str) -> None:
    error = refused(prompt=prompt)
    assert error.field == "prompt"
    assert "whitespace" in str(error)


@pytest.mark.parametrize("prompt", [None, 42, b"bytes prompt", ["a", "list"]])
def test_a_prompt_that_is_not_a_string_is_refused(prompt: object) -> None:
    error = refused(prompt=prompt)
    assert error.field == "prompt"
    assert "must be a string" in str(error)


# --- aspect_ratio and resolution -------------------------------------------------------------


def test_an_unknown_aspect_ratio_is_refused_with_every_allowed_value() -> None:
    error = refused(aspect_ratio="7:5")
    assert error.field == "aspect_ratio"
    assert error.allowed == tuple(m.value for m in AspectRatio)


def test_an_unknown_resolution_is_refused_with_every_allowed_value() -> None:
    error = refused(resolution="8K")
    assert error.field == "resolution"
    assert error.allowed == tuple(m.value for m in Resolution)


def test_the_first_refused_field_in_body_order_is_reported() -> None:
    error = refused(prompt="a", aspect_ratio="7:5", reference_images="oops", webhook_url="x")
    assert error.field == "prompt"


# --- reference_images ------------------------------------------------------------------------


def test_more_than_the_maximum_of_reference_images_is_refused() -> None:
    error = refused(reference_images=[PNG_URL] * (MAX_REFERENCE_IMAGES + 1))
    assert error.field == "reference_images"
    assert str(error) == "reference_images: at most 14 images, got 15"


@pytest.mark.parametrize("not_a_list", [PNG_URL, {"image": PNG_URL}, 7])
def test_reference_images_must_be_a_list(not_a_list: object) -> None:
    error = refused(reference_images=not_a_list)
    assert error.field == "reference_images"
    assert "must be a list of images" in str(error)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a.png", MimeType.PNG),
        ("https://example.com/a.PNG", MimeType.PNG),
        ("https://example.com/a.jpg", MimeType.JPEG),
        ("https://example.com/dir.v2/a.JPEG", MimeType.JPEG),
        ("http://example.com/a.webp", MimeType.WEBP),
        ("https://example.com/a.WebP?w=10&format=.gif", MimeType.WEBP),
        ("https://example.com/a.png#section.gif", MimeType.PNG),
        ("https://example.com/a.tar.jpeg", MimeType.JPEG),
        ("gs://bucket/folder/object.png", MimeType.PNG),
    ],
)
def test_mime_type_is_inferred_from_the_path_extension(url: str, expected: MimeType) -> None:
    image = ReferenceImage(url)
    assert image.mime_type is expected
    assert image.image == url


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a.gif",
        "https://example.com/image",
        "https://example.com/a.png/",
        "https://example.com/download?file=a.png",
        "https://example.com/dir.png/file",
        "https://example.com/",
        "https://example.com",
    ],
)
def test_a_mime_type_that_cannot_be_inferred_is_refused_naming_the_item(url: str) -> None:
    error = refused(reference_images=[PNG_URL, PNG_URL, url])
    assert error.field == "reference_images[2].mime_type"
    assert set(error.allowed) == ALL_MIME_TYPES
    assert "pass mime_type" in str(error)


def test_an_explicit_mime_type_wins_over_the_extension() -> None:
    image = ReferenceImage("https://example.com/a.png", mime_type="image/jpeg")
    assert image.mime_type is MimeType.JPEG


@pytest.mark.parametrize("mime_type", [MimeType.WEBP, "image/webp", "IMAGE/WEBP"])
def test_mime_type_may_be_given_as_the_enum_or_a_string(mime_type: MimeType | str) -> None:
    image = ReferenceImage("https://example.com/download?id=1", mime_type=mime_type)
    assert image.mime_type is MimeType.WEBP


@pytest.mark.parametrize("mime_type", ["image/gif", "png", MimeType("image/gif"), 3])
def test_an_unlisted_mime_type_is_refused(mime_type: Any) -> None:
    error = refused(reference_images=[{"image": PNG_URL, "mime_type": mime_type}])
    assert error.field == "reference_images[0].mime_type"
    assert set(error.allowed) == ALL_MIME_TYPES


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a.png",
        "http://127.0.0.1:8080/a.png",
        "HTTPS://Example.com/a.png",
        "https://user@example.com/a%20b.png",
        "gs://bucket/object.png",
        "gs://bucket/deep/path/object.png",
    ],
)
def test_image_urls_that_are_accepted(url: str) -> None:
    assert ReferenceImage(url).image == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "a.png",
        "/relative/a.png",
        "//example.com/a.png",
        "ftp://example.com/a.png",
        "file:///tmp/a.png",
        "data:image/png;base64,AAAA",
        "https:///a.png",
        "https://exa mple.com/a.png",
        " https://example.com/a.png",
        "https://[::1/a.png",
        "gs://bucket",
        "gs://bucket/",
        "gs:///object.png",
    ],
)
def test_image_urls_that_are_refused_name_the_item(url: str) -> None:
    error = refused(reference_images=[PNG_URL, url])
    assert error.field == "reference_images[1].image"
    assert repr(url) in str(error) or "valid URL" in str(error)


def test_an_image_that_is_not_a_string_is_refused() -> None:
    error = refused(reference_images=[{"image": 12}])
    assert error.field == "reference_images[0].image"


def test_a_mapping_becomes_a_reference_image() -> None:
    value = {"image": "https://example.com/x", "mime_type": "image/jpeg", "text": "the style"}
    assert ReferenceImage.of(value, index=0) == ReferenceImage(
        "https://example.com/x", mime_type=MimeType.JPEG, text="the style"
    )


def test_a_url_becomes_a_reference_image() -> None:
    assert ReferenceImage.of(PNG_URL, index=0) == ReferenceImage(PNG_URL, mime_type="image/png")


def test_a_reference_image_is_kept_as_it_is() -> None:
    image = ReferenceImage(PNG_URL, text="keep")
    assert ReferenceImage.of(image, index=5) is image


@pytest.mark.parametrize(
    ("value", "field", "words"),
    [
        ({"mime_type": "image/png"}, "reference_images[3]", "'image'"),
        ({"image": PNG_URL, "caption": "x"}, "reference_images[3]", "unknown keys caption"),
        ({"image": PNG_URL, "text": 5}, "reference_images[3].text", "must be a string"),
        (42, "reference_images[3]", "got int"),
        (None, "reference_images[3]", "got NoneType"),
    ],
)
def test_of_refuses_what_it_cannot_coerce(value: Any, field: str, words: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        ReferenceImage.of(value, index=3)
    assert caught.value.field == field
    assert words in str(caught.value)


def test_unknown_keys_list_the_allowed_ones() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        ReferenceImage.of({"image": PNG_URL, "url": "x"}, index=0)
    assert caught.value.allowed == ("image", "mime_type", "text")


def test_a_reference_image_built_directly_names_its_own_fields() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        ReferenceImage("ftp://example.com/a.png")
    assert caught.value.field == "reference_image.image"
    with pytest.raises(InvalidRequestError) as caught:
        ReferenceImage("https://example.com/a.bmp")
    assert caught.value.field == "reference_image.mime_type"


def test_reference_image_is_frozen_and_its_options_are_keyword_only() -> None:
    image = ReferenceImage(PNG_URL)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        image.image = "https://example.com/other.png"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ReferenceImage(PNG_URL, "image/png")  # type: ignore[call-arg]
    assert image == ReferenceImage(PNG_URL)
    assert hash(image) == hash(ReferenceImage(PNG_URL))
    assert image.text is None


def test_the_text_is_sent_only_when_given() -> None:
    body = build(
        reference_images=[ReferenceImage(PNG_URL), ReferenceImage(PNG_URL, text="mood")]
    ).to_dict()
    assert body["reference_images"] == [
        {"image": PNG_URL, "mime_type": "image/png"},
        {"image": PNG_URL, "mime_type": "image/png", "text": "mood"},
    ]


def test_reference_image_like_covers_each_accepted_form() -> None:
    forms: list[ReferenceImageLike] = [
        PNG_URL,
        {"image": PNG_URL},
        ReferenceImage(PNG_URL),
    ]
    images = [ReferenceImage.of(form, index=i) for i, form in enumerate(forms)]
    assert len(set(images)) == 1


# --- webhook_url -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["https://www.example.com/webhook", "http://127.0.0.1:9000/hook?token=abc"]
)
def test_a_webhook_url_is_sent(url: str) -> None:
    assert build(webhook_url=url).to_dict()["webhook_url"] == url


def test_no_webhook_url_is_left_out_of_the_body() -> None:
    assert "webhook_url" not in build(webhook_url=None).to_dict()


@pytest.mark.parametrize(
    "url",
    [
        "",
        "example.com/hook",
        "/hook",
        "gs://bucket/hook",
        "ftp://example.com/hook",
        "https://",
        "https://exa mple.com/hook",
        42,
    ],
)
def test_a_webhook_url_that_is_not_absolute_http_is_refused(url: object) -> None:
    error = refused(webhook_url=url)
    assert error.field == "webhook_url"


def test_a_refused_request_can_be_caught_as_a_value_error() -> None:
    with pytest.raises(ValueError, match="prompt"):
        build(prompt="a")
