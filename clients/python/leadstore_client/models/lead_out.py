from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.lead_out_preferred_contact_type_1 import (
    LeadOutPreferredContactType1,
    check_lead_out_preferred_contact_type_1,
)
from ..models.lead_out_preferred_contact_type_2_type_1 import (
    LeadOutPreferredContactType2Type1,
    check_lead_out_preferred_contact_type_2_type_1,
)
from ..models.lead_out_preferred_contact_type_3_type_1 import (
    LeadOutPreferredContactType3Type1,
    check_lead_out_preferred_contact_type_3_type_1,
)

if TYPE_CHECKING:
    from ..models.lead_out_custom import LeadOutCustom
    from ..models.mailing_address_io import MailingAddressIO


T = TypeVar("T", bound="LeadOut")


@_attrs_define
class LeadOut:
    """
    Attributes:
        account_id (UUID):
        archived (bool):  Default: False.
        assigned_to (None | UUID): An active user of the account; absent: the team's rotation picks one, if it rotates.
        company (None | str): Company name.
        company_id (None | str): External company reference.
        converted_at (datetime.datetime | None):
        country (None | str): ISO 3166-1 alpha-2 code, any case; stored upper-case.
        created_at (datetime.datetime):
        created_by (UUID): The user whose API key created the lead.
        custom (LeadOutCustom): Values keyed by custom-field key, each checked against its field's type.
        customer_id (None | str): Set by conversion.
        department (None | str): Department or division.
        description (None | str): At most 10,000 characters.
        do_not_call (bool):  Default: False.
        email (None | str): A valid address, unique per account (any case).
        email_opt_out (bool):  Default: False.
        erased (bool): True once the person behind the lead was erased: its personal fields are then null. Default:
            False.
        first_name (None | str): Given name, at most 255 characters.
        full_name (str): first_name and last_name joined by a space; empty when both are null.
        id (UUID):
        is_converted (bool):  Default: False.
        last_name (None | str): Family name, at most 255 characters.
        mailing_address (MailingAddressIO | None):
        marketing_attribution (list[str]): At most 50 items.
        merged_into (None | UUID): Set while this lead is merged into that lead: it is closed to writes (409
            `lead_merged`).
        message (None | str): At most 10,000 characters.
        notes (None | str): At most 10,000 characters.
        object_ (Literal['lead']):  Default: 'lead'.
        phone (None | str): Stored in E.164 (+1-555-234-5678 becomes +15552345678); without a leading + it is read as
            national to the lead's country.
        preferred_contact (LeadOutPreferredContactType1 | LeadOutPreferredContactType2Type1 |
            LeadOutPreferredContactType3Type1 | None): How the lead prefers to be contacted.
        score (int): 0..100. Default: 0.
        source (None | str): Key of one of the account's lead sources (GET /v1/sources).
        source_page_url (None | str): Absolute http(s) URL the lead came from.
        status (str): Key of one of the account's statuses.
        team_id (None | UUID): A team of the account; required when the account has teams.
        title (None | str): Job title.
        updated_at (datetime.datetime):
        version (int): The lead's stream version: the number of events it has.
    """

    account_id: UUID
    assigned_to: None | UUID
    company: None | str
    company_id: None | str
    converted_at: datetime.datetime | None
    country: None | str
    created_at: datetime.datetime
    created_by: UUID
    custom: LeadOutCustom
    customer_id: None | str
    department: None | str
    description: None | str
    email: None | str
    first_name: None | str
    full_name: str
    id: UUID
    last_name: None | str
    mailing_address: MailingAddressIO | None
    marketing_attribution: list[str]
    merged_into: None | UUID
    message: None | str
    notes: None | str
    phone: None | str
    preferred_contact: (
        LeadOutPreferredContactType1 | LeadOutPreferredContactType2Type1 | LeadOutPreferredContactType3Type1 | None
    )
    source: None | str
    source_page_url: None | str
    status: str
    team_id: None | UUID
    title: None | str
    updated_at: datetime.datetime
    version: int
    archived: bool = False
    do_not_call: bool = False
    email_opt_out: bool = False
    erased: bool = False
    is_converted: bool = False
    object_: Literal["lead"] = "lead"
    score: int = 0
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.mailing_address_io import MailingAddressIO  # noqa: PLC0415

        account_id = str(self.account_id)

        archived = self.archived

        assigned_to: None | str
        if isinstance(self.assigned_to, UUID):
            assigned_to = str(self.assigned_to)
        else:
            assigned_to = self.assigned_to

        company: None | str
        company = self.company

        company_id: None | str
        company_id = self.company_id

        converted_at: None | str
        if isinstance(self.converted_at, datetime.datetime):
            converted_at = self.converted_at.isoformat()
        else:
            converted_at = self.converted_at

        country: None | str
        country = self.country

        created_at = self.created_at.isoformat()

        created_by = str(self.created_by)

        custom = self.custom.to_dict()

        customer_id: None | str
        customer_id = self.customer_id

        department: None | str
        department = self.department

        description: None | str
        description = self.description

        do_not_call = self.do_not_call

        email: None | str
        email = self.email

        email_opt_out = self.email_opt_out

        erased = self.erased

        first_name: None | str
        first_name = self.first_name

        full_name = self.full_name

        id = str(self.id)

        is_converted = self.is_converted

        last_name: None | str
        last_name = self.last_name

        mailing_address: dict[str, Any] | None
        if isinstance(self.mailing_address, MailingAddressIO):
            mailing_address = self.mailing_address.to_dict()
        else:
            mailing_address = self.mailing_address

        marketing_attribution = self.marketing_attribution

        merged_into: None | str
        if isinstance(self.merged_into, UUID):
            merged_into = str(self.merged_into)
        else:
            merged_into = self.merged_into

        message: None | str
        message = self.message

        notes: None | str
        notes = self.notes

        object_ = self.object_

        phone: None | str
        phone = self.phone

        preferred_contact: None | str
        if isinstance(self.preferred_contact, str):
            preferred_contact = self.preferred_contact
        elif isinstance(self.preferred_contact, str):
            preferred_contact = self.preferred_contact
        elif isinstance(self.preferred_contact, str):
            preferred_contact = self.preferred_contact
        else:
            preferred_contact = self.preferred_contact

        score = self.score

        source: None | str
        source = self.source

        source_page_url: None | str
        source_page_url = self.source_page_url

        status = self.status

        team_id: None | str
        if isinstance(self.team_id, UUID):
            team_id = str(self.team_id)
        else:
            team_id = self.team_id

        title: None | str
        title = self.title

        updated_at = self.updated_at.isoformat()

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "account_id": account_id,
                "archived": archived,
                "assigned_to": assigned_to,
                "company": company,
                "company_id": company_id,
                "converted_at": converted_at,
                "country": country,
                "created_at": created_at,
                "created_by": created_by,
                "custom": custom,
                "customer_id": customer_id,
                "department": department,
                "description": description,
                "do_not_call": do_not_call,
                "email": email,
                "email_opt_out": email_opt_out,
                "erased": erased,
                "first_name": first_name,
                "full_name": full_name,
                "id": id,
                "is_converted": is_converted,
                "last_name": last_name,
                "mailing_address": mailing_address,
                "marketing_attribution": marketing_attribution,
                "merged_into": merged_into,
                "message": message,
                "notes": notes,
                "object": object_,
                "phone": phone,
                "preferred_contact": preferred_contact,
                "score": score,
                "source": source,
                "source_page_url": source_page_url,
                "status": status,
                "team_id": team_id,
                "title": title,
                "updated_at": updated_at,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.lead_out_custom import LeadOutCustom  # noqa: PLC0415
        from ..models.mailing_address_io import MailingAddressIO  # noqa: PLC0415

        d = dict(src_dict)
        account_id = UUID(d.pop("account_id"))

        archived = d.pop("archived")

        def _parse_assigned_to(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                assigned_to_type_0 = UUID(data)

                return assigned_to_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        assigned_to = _parse_assigned_to(d.pop("assigned_to"))

        def _parse_company(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        company = _parse_company(d.pop("company"))

        def _parse_company_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        company_id = _parse_company_id(d.pop("company_id"))

        def _parse_converted_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                converted_at_type_0 = datetime.datetime.fromisoformat(data)

                return converted_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        converted_at = _parse_converted_at(d.pop("converted_at"))

        def _parse_country(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        country = _parse_country(d.pop("country"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        created_by = UUID(d.pop("created_by"))

        custom = LeadOutCustom.from_dict(d.pop("custom"))

        def _parse_customer_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        customer_id = _parse_customer_id(d.pop("customer_id"))

        def _parse_department(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        department = _parse_department(d.pop("department"))

        def _parse_description(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        description = _parse_description(d.pop("description"))

        do_not_call = d.pop("do_not_call")

        def _parse_email(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        email = _parse_email(d.pop("email"))

        email_opt_out = d.pop("email_opt_out")

        erased = d.pop("erased")

        def _parse_first_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        first_name = _parse_first_name(d.pop("first_name"))

        full_name = d.pop("full_name")

        id = UUID(d.pop("id"))

        is_converted = d.pop("is_converted")

        def _parse_last_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_name = _parse_last_name(d.pop("last_name"))

        def _parse_mailing_address(data: object) -> MailingAddressIO | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                mailing_address_type_0 = MailingAddressIO.from_dict(data)

                return mailing_address_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MailingAddressIO | None, data)

        mailing_address = _parse_mailing_address(d.pop("mailing_address"))

        marketing_attribution = cast(list[str], d.pop("marketing_attribution"))

        def _parse_merged_into(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                merged_into_type_0 = UUID(data)

                return merged_into_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        merged_into = _parse_merged_into(d.pop("merged_into"))

        def _parse_message(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        message = _parse_message(d.pop("message"))

        def _parse_notes(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        notes = _parse_notes(d.pop("notes"))

        object_ = cast(Literal["lead"], d.pop("object"))
        if object_ != "lead":
            raise ValueError(f"object must match const 'lead', got '{object_}'")

        def _parse_phone(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        phone = _parse_phone(d.pop("phone"))

        def _parse_preferred_contact(
            data: object,
        ) -> (
            LeadOutPreferredContactType1 | LeadOutPreferredContactType2Type1 | LeadOutPreferredContactType3Type1 | None
        ):
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                preferred_contact_type_1 = check_lead_out_preferred_contact_type_1(data)

                return preferred_contact_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                preferred_contact_type_2_type_1 = check_lead_out_preferred_contact_type_2_type_1(data)

                return preferred_contact_type_2_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                preferred_contact_type_3_type_1 = check_lead_out_preferred_contact_type_3_type_1(data)

                return preferred_contact_type_3_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(
                LeadOutPreferredContactType1
                | LeadOutPreferredContactType2Type1
                | LeadOutPreferredContactType3Type1
                | None,
                data,
            )

        preferred_contact = _parse_preferred_contact(d.pop("preferred_contact"))

        score = d.pop("score")

        def _parse_source(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        source = _parse_source(d.pop("source"))

        def _parse_source_page_url(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        source_page_url = _parse_source_page_url(d.pop("source_page_url"))

        status = d.pop("status")

        def _parse_team_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                team_id_type_0 = UUID(data)

                return team_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        team_id = _parse_team_id(d.pop("team_id"))

        def _parse_title(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        title = _parse_title(d.pop("title"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        version = d.pop("version")

        lead_out = cls(
            account_id=account_id,
            archived=archived,
            assigned_to=assigned_to,
            company=company,
            company_id=company_id,
            converted_at=converted_at,
            country=country,
            created_at=created_at,
            created_by=created_by,
            custom=custom,
            customer_id=customer_id,
            department=department,
            description=description,
            do_not_call=do_not_call,
            email=email,
            email_opt_out=email_opt_out,
            erased=erased,
            first_name=first_name,
            full_name=full_name,
            id=id,
            is_converted=is_converted,
            last_name=last_name,
            mailing_address=mailing_address,
            marketing_attribution=marketing_attribution,
            merged_into=merged_into,
            message=message,
            notes=notes,
            object_=object_,
            phone=phone,
            preferred_contact=preferred_contact,
            score=score,
            source=source,
            source_page_url=source_page_url,
            status=status,
            team_id=team_id,
            title=title,
            updated_at=updated_at,
            version=version,
        )

        lead_out.additional_properties = d
        return lead_out

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
