from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.merge_input_fields import MergeInputFields


T = TypeVar("T", bound="MergeInput")


@_attrs_define
class MergeInput:
    """
    Attributes:
        from_ (list[UUID]): 1 to 10 distinct lead ids, not this lead's.
        fields (MergeInputFields | Unset): Per lead field, the lead whose value the survivor takes: this lead's id or
            one of `from`. Fields not named keep the survivor's value (its assignee and team too: name `assigned_to` or
            `team_id` to take another lead's). Any field of a lead but `status` may be named.
    """

    from_: list[UUID]
    fields: MergeInputFields | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from_ = []
        for from_item_data in self.from_:
            from_item = str(from_item_data)
            from_.append(from_item)

        fields: dict[str, Any] | Unset = UNSET
        if not isinstance(self.fields, Unset):
            fields = self.fields.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "from": from_,
            }
        )
        if fields is not UNSET:
            field_dict["fields"] = fields

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.merge_input_fields import MergeInputFields  # noqa: PLC0415

        d = dict(src_dict)
        from_ = []
        _from_ = d.pop("from")
        for from_item_data in _from_:
            from_item = UUID(from_item_data)

            from_.append(from_item)

        _fields = d.pop("fields", UNSET)
        fields: MergeInputFields | Unset
        if isinstance(_fields, Unset):
            fields = UNSET
        else:
            fields = MergeInputFields.from_dict(_fields)

        merge_input = cls(
            from_=from_,
            fields=fields,
        )

        merge_input.additional_properties = d
        return merge_input

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
