from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.invalid_param import InvalidParam
    from ..models.problem import Problem


T = TypeVar("T", bound="ProblemDetails")


@_attrs_define
class ProblemDetails:
    """A 400 in `application/problem+json`. The official schema nests the details under
    `problem`; its own example puts `message` and `invalid_params` at the top level, so both
    shapes are accepted.

        Attributes:
            problem (Problem | Unset): Details of a rejected request (`message` not required, as in the official schema).
            message (str | Unset):
            invalid_params (list[InvalidParam] | Unset):
    """

    problem: Problem | Unset = UNSET
    message: str | Unset = UNSET
    invalid_params: list[InvalidParam] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        problem: dict[str, Any] | Unset = UNSET
        if not isinstance(self.problem, Unset):
            problem = self.problem.to_dict()

        message = self.message

        invalid_params: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.invalid_params, Unset):
            invalid_params = []
            for invalid_params_item_data in self.invalid_params:
                invalid_params_item = invalid_params_item_data.to_dict()
                invalid_params.append(invalid_params_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if problem is not UNSET:
            field_dict["problem"] = problem
        if message is not UNSET:
            field_dict["message"] = message
        if invalid_params is not UNSET:
            field_dict["invalid_params"] = invalid_params

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.invalid_param import InvalidParam
        from ..models.problem import Problem

        d = dict(src_dict)
        _problem = d.pop("problem", UNSET)
        problem: Problem | Unset
        if isinstance(_problem, Unset):
            problem = UNSET
        else:
            problem = Problem.from_dict(_problem)

        message = d.pop("message", UNSET)

        _invalid_params = d.pop("invalid_params", UNSET)
        invalid_params: list[InvalidParam] | Unset = UNSET
        if _invalid_params is not UNSET:
            invalid_params = []
            for invalid_params_item_data in _invalid_params:
                invalid_params_item = InvalidParam.from_dict(invalid_params_item_data)

                invalid_params.append(invalid_params_item)

        problem_details = cls(
            problem=problem,
            message=message,
            invalid_params=invalid_params,
        )

        problem_details.additional_properties = d
        return problem_details

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
