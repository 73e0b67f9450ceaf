from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.duplicate_out_reasons_item import DuplicateOutReasonsItem, check_duplicate_out_reasons_item
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.lead_out import LeadOut


T = TypeVar("T", bound="DuplicateOut")


@_attrs_define
class DuplicateOut:
    """
    Attributes:
        lead (LeadOut):
        reasons (list[DuplicateOutReasonsItem]): Why: `email` (same address, any case), `phone` (same number after E.164
            normalisation), `name_company` (similar full name, by trigram similarity, at the same company or company_id).
        score (int): 0..100: 60 for the email, 50 for the phone, up to 50 for the name (50 x similarity), capped at 100.
        object_ (Literal['duplicate'] | Unset):  Default: 'duplicate'.
    """

    lead: LeadOut
    reasons: list[DuplicateOutReasonsItem]
    score: int
    object_: Literal["duplicate"] | Unset = "duplicate"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        lead = self.lead.to_dict()

        reasons = []
        for reasons_item_data in self.reasons:
            reasons_item: str = reasons_item_data
            reasons.append(reasons_item)

        score = self.score

        object_ = self.object_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "lead": lead,
                "reasons": reasons,
                "score": score,
            }
        )
        if object_ is not UNSET:
            field_dict["object"] = object_

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.lead_out import LeadOut  # noqa: PLC0415

        d = dict(src_dict)
        lead = LeadOut.from_dict(d.pop("lead"))

        reasons = []
        _reasons = d.pop("reasons")
        for reasons_item_data in _reasons:
            reasons_item = check_duplicate_out_reasons_item(reasons_item_data)

            reasons.append(reasons_item)

        score = d.pop("score")

        object_ = cast(Literal["duplicate"] | Unset, d.pop("object", UNSET))
        if object_ != "duplicate" and not isinstance(object_, Unset):
            raise ValueError(f"object must match const 'duplicate', got '{object_}'")

        duplicate_out = cls(
            lead=lead,
            reasons=reasons,
            score=score,
            object_=object_,
        )

        duplicate_out.additional_properties = d
        return duplicate_out

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
