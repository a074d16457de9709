from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.aspect_ratio import AspectRatio
from ..models.resolution import Resolution
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.reference_image import ReferenceImage


T = TypeVar("T", bound="CreateImageRequest")


@_attrs_define
class CreateImageRequest:
    """The body of a create request.

    Attributes:
        prompt (str): Text prompt describing the image you want to generate. Example: A suited raccoon smoking a pipe in
            a vintage study room.
        webhook_url (str | Unset): Optional callback URL that receives a notification whenever the task changes status.
            The payload is the GET response without the `data` wrapper.
             Example: https://www.example.com/webhook.
        reference_images (list[ReferenceImage] | Unset): Optional reference images for guided generation (at most 14;
            PNG, JPEG or WebP;
            publicly reachable URLs or GCS `gs://bucket/object` paths).
        aspect_ratio (AspectRatio | Unset): Aspect ratio for the generated image: `1:1` square (default); `2:3`, `3:2`
            portrait/landscape; `4:3`, `3:4` standard; `5:4`, `4:5` photo print; `16:9`, `9:16`
            widescreen/social stories; `21:9` ultra-wide cinematic.
             Example: 1:1.
        resolution (Resolution | Unset): Resolution of the generated image: `1K` lower resolution, faster generation;
            `2K`
            standard resolution, balanced quality and speed (default); `4K` high resolution, best
            quality. `low`, `medium` and `high` are accepted but not explained upstream.
             Example: 2K.
    """

    prompt: str
    webhook_url: str | Unset = UNSET
    reference_images: list[ReferenceImage] | Unset = UNSET
    aspect_ratio: AspectRatio | Unset = UNSET
    resolution: Resolution | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        webhook_url = self.webhook_url

        reference_images: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.reference_images, Unset):
            reference_images = []
            for reference_images_item_data in self.reference_images:
                reference_images_item = reference_images_item_data.to_dict()
                reference_images.append(reference_images_item)

        aspect_ratio: str | Unset = UNSET
        if not isinstance(self.aspect_ratio, Unset):
            aspect_ratio = self.aspect_ratio.value

        resolution: str | Unset = UNSET
        if not isinstance(self.resolution, Unset):
            resolution = self.resolution.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prompt": prompt,
            }
        )
        if webhook_url is not UNSET:
            field_dict["webhook_url"] = webhook_url
        if reference_images is not UNSET:
            field_dict["reference_images"] = reference_images
        if aspect_ratio is not UNSET:
            field_dict["aspect_ratio"] = aspect_ratio
        if resolution is not UNSET:
            field_dict["resolution"] = resolution

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.reference_image import ReferenceImage

        d = dict(src_dict)
        prompt = d.pop("prompt")

        webhook_url = d.pop("webhook_url", UNSET)

        _reference_images = d.pop("reference_images", UNSET)
        reference_images: list[ReferenceImage] | Unset = UNSET
        if _reference_images is not UNSET:
            reference_images = []
            for reference_images_item_data in _reference_images:
                reference_images_item = ReferenceImage.from_dict(
                    reference_images_item_data
                )

                reference_images.append(reference_images_item)

        _aspect_ratio = d.pop("aspect_ratio", UNSET)
        aspect_ratio: AspectRatio | Unset
        if isinstance(_aspect_ratio, Unset):
            aspect_ratio = UNSET
        else:
            aspect_ratio = AspectRatio(_aspect_ratio)

        _resolution = d.pop("resolution", UNSET)
        resolution: Resolution | Unset
        if isinstance(_resolution, Unset):
            resolution = UNSET
        else:
            resolution = Resolution(_resolution)

        create_image_request = cls(
            prompt=prompt,
            webhook_url=webhook_url,
            reference_images=reference_images,
            aspect_ratio=aspect_ratio,
            resolution=resolution,
        )

        create_image_request.additional_properties = d
        return create_image_request

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
