from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.mime_type import MimeType
from ..types import UNSET, Unset

T = TypeVar("T", bound="ReferenceImage")


@_attrs_define
class ReferenceImage:
    """One reference image.

    Attributes:
        image (str): A publicly reachable URL of the image, or a GCS path (`gs://bucket/object`). Example:
            https://example.com/reference.jpg.
        mime_type (MimeType): Media type of a reference image. Example: image/jpeg.
        text (str | Unset): An optional caption describing how to use the image. Example: Reference style.
    """

    image: str
    mime_type: MimeType
    text: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        image = self.image

        mime_type = self.mime_type.value

        text = self.text

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "image": image,
                "mime_type": mime_type,
            }
        )
        if text is not UNSET:
            field_dict["text"] = text

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        image = d.pop("image")

        mime_type = MimeType(d.pop("mime_type"))

        text = d.pop("text", UNSET)

        reference_image = cls(
            image=image,
            mime_type=mime_type,
            text=text,
        )

        reference_image.additional_properties = d
        return reference_image

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
