from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="EventOutData")


@_attrs_define
class EventOutData:
    """By type: LeadCreated: the lead's fields; LeadUpdated: {changes: {field: {from, to}}}; LeadStatusChanged: from, to,
    reason; LeadAssigned: from, to, by_rotation; LeadConverted: customer_id, converted_at, status, from_status;
    LeadArchived, LeadRestored: reason. LeadMerged: merged (lead ids), fields ({field: lead id}), changes ({field:
    {from, to}}); LeadMergedInto: into, merge_event_id; LeadUnmerged: merge_event_id, changes (on the survivor: the
    values restored), kept (fields changed since the merge, left as they are). LeadErased: reason (the lead's personal
    values then read as null in every event of its stream).

    """

    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        event_out_data = cls()

        event_out_data.additional_properties = d
        return event_out_data

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
