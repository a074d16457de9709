from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.task_status import TaskStatus

T = TypeVar("T", bound="Task")


@_attrs_define
class Task:
    """A task as the list operation shows it.

    Attributes:
        task_id (UUID): ID of the task. Example: 046b6c7f-0b8a-43b9-b35d-6489e6daee91.
        status (TaskStatus): Status of a task. `CREATED` and `IN_PROGRESS` are not terminal; `COMPLETED` and `FAILED`
            are. Clients must tolerate values added later.
             Example: IN_PROGRESS.
    """

    task_id: UUID
    status: TaskStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        task_id = str(self.task_id)

        status = self.status.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "task_id": task_id,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        task_id = UUID(d.pop("task_id"))

        status = TaskStatus(d.pop("status"))

        task = cls(
            task_id=task_id,
            status=status,
        )

        task.additional_properties = d
        return task

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
