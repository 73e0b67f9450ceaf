from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.status_input_kind import StatusInputKind, check_status_input_kind
from ..types import UNSET, Unset

T = TypeVar("T", bound="StatusInput")


@_attrs_define
class StatusInput:
    """
    Attributes:
        key (str): Lower-case letters, digits, _; immutable.
        label (str): 1-255 characters on one line: no control or bidi control characters, not only invisible ones.
        color (None | str | Unset): #rrggbb.
        kind (StatusInputKind | Unset):  Default: 'open'.
    """

    key: str
    label: str
    color: None | str | Unset = UNSET
    kind: StatusInputKind | Unset = "open"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        label = self.label

        color: None | str | Unset
        if isinstance(self.color, Unset):
            color = UNSET
        else:
            color = self.color

        kind: str | Unset = UNSET
        if not isinstance(self.kind, Unset):
            kind = self.kind

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "key": key,
                "label": label,
            }
        )
        if color is not UNSET:
            field_dict["color"] = color
        if kind is not UNSET:
            field_dict["kind"] = kind

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        key = d.pop("key")

        label = d.pop("label")

        def _parse_color(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        color = _parse_color(d.pop("color", UNSET))

        _kind = d.pop("kind", UNSET)
        kind: StatusInputKind | Unset
        if isinstance(_kind, Unset):
            kind = UNSET
        else:
            kind = check_status_input_kind(_kind)

        status_input = cls(
            key=key,
            label=label,
            color=color,
            kind=kind,
        )

        status_input.additional_properties = d
        return status_input

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
