from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.actor_out import ActorOut
    from ..models.event_out_data import EventOutData
    from ..models.request_out import RequestOut


T = TypeVar("T", bound="EventOut")


@_attrs_define
class EventOut:
    """
    Attributes:
        account_id (UUID):
        actor (ActorOut):
        data (EventOutData): By type: LeadCreated: the lead's fields; LeadUpdated: {changes: {field: {from, to}}};
            LeadStatusChanged: from, to, reason; LeadAssigned: from, to, by_rotation; LeadConverted: customer_id,
            converted_at, status, from_status; LeadArchived, LeadRestored: reason. LeadMerged: merged (lead ids), fields
            ({field: lead id}), changes ({field: {from, to}}); LeadMergedInto: into, merge_event_id; LeadUnmerged:
            merge_event_id, changes (on the survivor: the values restored), kept (fields changed since the merge, left as
            they are). LeadErased: reason (the lead's personal values then read as null in every event of its stream).
        id (UUID):
        lead_id (None | UUID): null for an administrative event (of the account's own stream).
        occurred_at (datetime.datetime):
        position (str): Opaque token of the event's place in the account's feed.
        request (RequestOut):
        type_ (str): A lead's events: LeadCreated, LeadUpdated, LeadStatusChanged, LeadAssigned, LeadConverted,
            LeadArchived, LeadRestored, LeadErased, LeadMerged, LeadMergedInto, LeadUnmerged. In the account's feed also
            administrative events (lead_id null) named for what changed: StatusCreated, ApiKeyRevoked, ... Types may be
            added: a reader skips those it does not know.
        version (int):
    """

    account_id: UUID
    actor: ActorOut
    data: EventOutData
    id: UUID
    lead_id: None | UUID
    occurred_at: datetime.datetime
    position: str
    request: RequestOut
    type_: str
    version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        account_id = str(self.account_id)

        actor = self.actor.to_dict()

        data = self.data.to_dict()

        id = str(self.id)

        lead_id: None | str
        if isinstance(self.lead_id, UUID):
            lead_id = str(self.lead_id)
        else:
            lead_id = self.lead_id

        occurred_at = self.occurred_at.isoformat()

        position = self.position

        request = self.request.to_dict()

        type_ = self.type_

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "actor": actor,
                "data": data,
                "id": id,
                "lead_id": lead_id,
                "occurred_at": occurred_at,
                "position": position,
                "request": request,
                "type": type_,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.actor_out import ActorOut  # noqa: PLC0415
        from ..models.event_out_data import EventOutData  # noqa: PLC0415
        from ..models.request_out import RequestOut  # noqa: PLC0415

        d = dict(src_dict)
        account_id = UUID(d.pop("account_id"))

        actor = ActorOut.from_dict(d.pop("actor"))

        data = EventOutData.from_dict(d.pop("data"))

        id = UUID(d.pop("id"))

        def _parse_lead_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                lead_id_type_0 = UUID(data)

                return lead_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        lead_id = _parse_lead_id(d.pop("lead_id"))

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurred_at"))

        position = d.pop("position")

        request = RequestOut.from_dict(d.pop("request"))

        type_ = d.pop("type")

        version = d.pop("version")

        event_out = cls(
            account_id=account_id,
            actor=actor,
            data=data,
            id=id,
            lead_id=lead_id,
            occurred_at=occurred_at,
            position=position,
            request=request,
            type_=type_,
            version=version,
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
