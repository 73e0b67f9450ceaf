from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.custom_field_input_type import CustomFieldInputType, check_custom_field_input_type
from ..types import UNSET, Unset

T = TypeVar("T", bound="CustomFieldInput")


@_attrs_define
class CustomFieldInput:
    """
    Attributes:
        key (str): Lower-case letters, digits, _; immutable.
        label (str): 1-255 characters on one line: no control or bidi control characters, not only invisible ones.
        type_ (CustomFieldInputType):
        choices (list[str] | Unset): The allowed values of choice and multi_choice.
        required (bool | Unset): New leads must set it. Default: False.
    """

    key: str
    label: str
    type_: CustomFieldInputType
    choices: list[str] | Unset = UNSET
    required: bool | Unset = False
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        label = self.label

        type_: str = self.type_

        choices: list[str] | Unset = UNSET
        if not isinstance(self.choices, Unset):
            choices = self.choices

        required = self.required

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "key": key,
                "label": label,
                "type": type_,
            }
        )
        if choices is not UNSET:
            field_dict["choices"] = choices
        if required is not UNSET:
            field_dict["required"] = required

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        key = d.pop("key")

        label = d.pop("label")

        type_ = check_custom_field_input_type(d.pop("type"))

        choices = cast(list[str], d.pop("choices", UNSET))

        required = d.pop("required", UNSET)

        custom_field_input = cls(
            key=key,
            label=label,
            type_=type_,
            choices=choices,
            required=required,
        )

        custom_field_input.additional_properties = d
        return custom_field_input

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
