from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.custom_field_out_type import CustomFieldOutType, check_custom_field_out_type

T = TypeVar("T", bound="CustomFieldOut")


@_attrs_define
class CustomFieldOut:
    """
    Attributes:
        choices (list[str]):
        key (str):
        label (str):
        required (bool):
        type_ (CustomFieldOutType):
    """

    choices: list[str]
    key: str
    label: str
    required: bool
    type_: CustomFieldOutType
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        choices = self.choices

        key = self.key

        label = self.label

        required = self.required

        type_: str = self.type_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "choices": choices,
                "key": key,
                "label": label,
                "required": required,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        choices = cast(list[str], d.pop("choices"))

        key = d.pop("key")

        label = d.pop("label")

        required = d.pop("required")

        type_ = check_custom_field_out_type(d.pop("type"))

        custom_field_out = cls(
            choices=choices,
            key=key,
            label=label,
            required=required,
            type_=type_,
        )

        custom_field_out.additional_properties = d
        return custom_field_out

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
