from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.status_out_kind import StatusOutKind, check_status_out_kind

T = TypeVar("T", bound="StatusOut")


@_attrs_define
class StatusOut:
    """
    Attributes:
        color (None | str):
        key (str):
        kind (StatusOutKind):
        label (str):
        position (int): Pipeline order, from 0; new leads get the first status.
    """

    color: None | str
    key: str
    kind: StatusOutKind
    label: str
    position: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        color: None | str
        color = self.color

        key = self.key

        kind: str = self.kind

        label = self.label

        position = self.position

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "color": color,
                "key": key,
                "kind": kind,
                "label": label,
                "position": position,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_color(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        color = _parse_color(d.pop("color"))

        key = d.pop("key")

        kind = check_status_out_kind(d.pop("kind"))

        label = d.pop("label")

        position = d.pop("position")

        status_out = cls(
            color=color,
            key=key,
            kind=kind,
            label=label,
            position=position,
        )

        status_out.additional_properties = d
        return status_out

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
