from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.task_status import TaskStatus

T = TypeVar("T", bound="WebhookPayload")


@_attrs_define
class WebhookPayload:
    """The body of a webhook delivery (the task, without the `data` wrapper).

    Attributes:
        task_id (UUID):  Example: 046b6c7f-0b8a-43b9-b35d-6489e6daee91.
        status (TaskStatus): Status of a task. `CREATED` and `IN_PROGRESS` are not terminal; `COMPLETED` and `FAILED`
            are. Clients must tolerate values added later.
             Example: IN_PROGRESS.
        generated (list[str]):
    """

    task_id: UUID
    status: TaskStatus
    generated: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        task_id = str(self.task_id)

        status = self.status.value

        generated = self.generated

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "task_id": task_id,
                "status": status,
                "generated": generated,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        task_id = UUID(d.pop("task_id"))

        status = TaskStatus(d.pop("status"))

        generated = cast(list[str], d.pop("generated"))

        webhook_payload = cls(
            task_id=task_id,
            status=status,
            generated=generated,
        )

        webhook_payload.additional_properties = d
        return webhook_payload

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
