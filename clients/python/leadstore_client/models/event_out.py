from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.event_out_type import EventOutType, check_event_out_type

if TYPE_CHECKING:
    from ..models.actor_out import ActorOut
    from ..models.event_out_data import EventOutData
    from ..models.request_out import RequestOut


T = TypeVar("T", bound="EventOut")


@_attrs_define
class EventOut:
    """
    Attributes:
        id (UUID):
        type_ (EventOutType):
        lead_id (UUID):
        account_id (UUID):
        version (int):
        position (str): Opaque token of the event's place in the account's feed.
        occurred_at (datetime.datetime):
        data (EventOutData): By type: LeadCreated: the lead's fields; LeadUpdated: {changes: {field: {from, to}}};
            LeadStatusChanged: from, to, reason; LeadAssigned: from, to, by_rotation; LeadConverted: customer_id,
            converted_at, status, from_status; LeadArchived, LeadRestored: reason.
        actor (ActorOut):
        request (RequestOut):
    """

    id: UUID
    type_: EventOutType
    lead_id: UUID
    account_id: UUID
    version: int
    position: str
    occurred_at: datetime.datetime
    data: EventOutData
    actor: ActorOut
    request: RequestOut
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        type_: str = self.type_

        lead_id = str(self.lead_id)

        account_id = str(self.account_id)

        version = self.version

        position = self.position

        occurred_at = self.occurred_at.isoformat()

        data = self.data.to_dict()

        actor = self.actor.to_dict()

        request = self.request.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "type": type_,
                "lead_id": lead_id,
                "account_id": account_id,
                "version": version,
                "position": position,
                "occurred_at": occurred_at,
                "data": data,
                "actor": actor,
                "request": request,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.actor_out import ActorOut  # noqa: PLC0415
        from ..models.event_out_data import EventOutData  # noqa: PLC0415
        from ..models.request_out import RequestOut  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        type_ = check_event_out_type(d.pop("type"))

        lead_id = UUID(d.pop("lead_id"))

        account_id = UUID(d.pop("account_id"))

        version = d.pop("version")

        position = d.pop("position")

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurred_at"))

        data = EventOutData.from_dict(d.pop("data"))

        actor = ActorOut.from_dict(d.pop("actor"))

        request = RequestOut.from_dict(d.pop("request"))

        event_out = cls(
            id=id,
            type_=type_,
            lead_id=lead_id,
            account_id=account_id,
            version=version,
            position=position,
            occurred_at=occurred_at,
            data=data,
            actor=actor,
            request=request,
        )

        event_out.additional_properties = d
        return event_out

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
