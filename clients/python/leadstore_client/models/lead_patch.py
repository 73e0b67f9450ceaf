from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.lead_patch_preferred_contact_type_1 import (
    LeadPatchPreferredContactType1,
    check_lead_patch_preferred_contact_type_1,
)
from ..models.lead_patch_preferred_contact_type_2_type_1 import (
    LeadPatchPreferredContactType2Type1,
    check_lead_patch_preferred_contact_type_2_type_1,
)
from ..models.lead_patch_preferred_contact_type_3_type_1 import (
    LeadPatchPreferredContactType3Type1,
    check_lead_patch_preferred_contact_type_3_type_1,
)
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.lead_patch_custom import LeadPatchCustom
    from ..models.mailing_address_io import MailingAddressIO


T = TypeVar("T", bound="LeadPatch")


@_attrs_define
class LeadPatch:
    """
    Attributes:
        assigned_to (None | Unset | UUID): An active user of the account; absent: the team's rotation picks one, if it
            rotates.
        company (None | str | Unset): Company name.
        company_id (None | str | Unset): External company reference.
        country (None | str | Unset): ISO 3166-1 alpha-2 code, any case; stored upper-case.
        custom (LeadPatchCustom | Unset): Values keyed by custom-field key, each checked against its field's type.
        customer_id (None | str | Unset): With a won `status` only: the customer.
        department (None | str | Unset): Department or division.
        description (None | str | Unset): At most 10,000 characters.
        do_not_call (bool | None | Unset): null resets it to false.
        email (None | str | Unset): A valid address, unique per account (any case).
        email_opt_out (bool | None | Unset): null resets it to false.
        first_name (None | str | Unset): Given name, at most 255 characters.
        last_name (None | str | Unset): Family name, at most 255 characters.
        mailing_address (MailingAddressIO | None | Unset):
        marketing_attribution (list[str] | Unset): At most 50 items.
        message (None | str | Unset): At most 10,000 characters.
        notes (None | str | Unset): At most 10,000 characters.
        phone (None | str | Unset): Stored in E.164 (+1-555-234-5678 becomes +15552345678); without a leading + it is
            read as national to the lead's country.
        preferred_contact (LeadPatchPreferredContactType1 | LeadPatchPreferredContactType2Type1 |
            LeadPatchPreferredContactType3Type1 | None | Unset): How the lead prefers to be contacted.
        score (int | None | Unset): 0..100; null resets it to 0.
        source (None | str | Unset): Key of one of the account's lead sources (GET /v1/sources).
        source_page_url (None | str | Unset): Absolute http(s) URL the lead came from.
        status (None | str | Unset): Key of one of the account's open statuses; default the account's first status.
        team_id (None | Unset | UUID): A team of the account; required when the account has teams.
        title (None | str | Unset): Job title.
    """

    assigned_to: None | Unset | UUID = UNSET
    company: None | str | Unset = UNSET
    company_id: None | str | Unset = UNSET
    country: None | str | Unset = UNSET
    custom: LeadPatchCustom | Unset = UNSET
    customer_id: None | str | Unset = UNSET
    department: None | str | Unset = UNSET
    description: None | str | Unset = UNSET
    do_not_call: bool | None | Unset = UNSET
    email: None | str | Unset = UNSET
    email_opt_out: bool | None | Unset = UNSET
    first_name: None | str | Unset = UNSET
    last_name: None | str | Unset = UNSET
    mailing_address: MailingAddressIO | None | Unset = UNSET
    marketing_attribution: list[str] | Unset = UNSET
    message: None | str | Unset = UNSET
    notes: None | str | Unset = UNSET
    phone: None | str | Unset = UNSET
    preferred_contact: (
        LeadPatchPreferredContactType1
        | LeadPatchPreferredContactType2Type1
        | LeadPatchPreferredContactType3Type1
        | None
        | Unset
    ) = UNSET
    score: int | None | Unset = UNSET
    source: None | str | Unset = UNSET
    source_page_url: None | str | Unset = UNSET
    status: None | str | Unset = UNSET
    team_id: None | Unset | UUID = UNSET
    title: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.mailing_address_io import MailingAddressIO  # noqa: PLC0415

        assigned_to: None | str | Unset
        if isinstance(self.assigned_to, Unset):
            assigned_to = UNSET
        elif isinstance(self.assigned_to, UUID):
            assigned_to = str(self.assigned_to)
        else:
            assigned_to = self.assigned_to

        company: None | str | Unset
        if isinstance(self.company, Unset):
            company = UNSET
        else:
            company = self.company

        company_id: None | str | Unset
        if isinstance(self.company_id, Unset):
            company_id = UNSET
        else:
            company_id = self.company_id

        country: None | str | Unset
        if isinstance(self.country, Unset):
            country = UNSET
        else:
            country = self.country

        custom: dict[str, Any] | Unset = UNSET
        if not isinstance(self.custom, Unset):
            custom = self.custom.to_dict()

        customer_id: None | str | Unset
        if isinstance(self.customer_id, Unset):
            customer_id = UNSET
        else:
            customer_id = self.customer_id

        department: None | str | Unset
        if isinstance(self.department, Unset):
            department = UNSET
        else:
            department = self.department

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        do_not_call: bool | None | Unset
        if isinstance(self.do_not_call, Unset):
            do_not_call = UNSET
        else:
            do_not_call = self.do_not_call

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        email_opt_out: bool | None | Unset
        if isinstance(self.email_opt_out, Unset):
            email_opt_out = UNSET
        else:
            email_opt_out = self.email_opt_out

        first_name: None | str | Unset
        if isinstance(self.first_name, Unset):
            first_name = UNSET
        else:
            first_name = self.first_name

        last_name: None | str | Unset
        if isinstance(self.last_name, Unset):
            last_name = UNSET
        else:
            last_name = self.last_name

        mailing_address: dict[str, Any] | None | Unset
        if isinstance(self.mailing_address, Unset):
            mailing_address = UNSET
        elif isinstance(self.mailing_address, MailingAddressIO):
            mailing_address = self.mailing_address.to_dict()
        else:
            mailing_address = self.mailing_address

        marketing_attribution: list[str] | Unset = UNSET
        if not isinstance(self.marketing_attribution, Unset):
            marketing_attribution = self.marketing_attribution

        message: None | str | Unset
        if isinstance(self.message, Unset):
            message = UNSET
        else:
            message = self.message

        notes: None | str | Unset
        if isinstance(self.notes, Unset):
            notes = UNSET
        else:
            notes = self.notes

        phone: None | str | Unset
        if isinstance(self.phone, Unset):
            phone = UNSET
        else:
            phone = self.phone

        preferred_contact: None | str | Unset
        if isinstance(self.preferred_contact, Unset):
            preferred_contact = UNSET
        elif isinstance(self.preferred_contact, str):
            preferred_contact = self.preferred_contact
        elif isinstance(self.preferred_contact, str):
            preferred_contact = self.preferred_contact
        elif isinstance(self.preferred_contact, str):
            preferred_contact = self.preferred_contact
        else:
            preferred_contact = self.preferred_contact

        score: int | None | Unset
        if isinstance(self.score, Unset):
            score = UNSET
        else:
            score = self.score

        source: None | str | Unset
        if isinstance(self.source, Unset):
            source = UNSET
        else:
            source = self.source

        source_page_url: None | str | Unset
        if isinstance(self.source_page_url, Unset):
            source_page_url = UNSET
        else:
            source_page_url = self.source_page_url

        status: None | str | Unset
        if isinstance(self.status, Unset):
            status = UNSET
        else:
            status = self.status

        team_id: None | str | Unset
        if isinstance(self.team_id, Unset):
            team_id = UNSET
        elif isinstance(self.team_id, UUID):
            team_id = str(self.team_id)
        else:
            team_id = self.team_id

        title: None | str | Unset
        if isinstance(self.title, Unset):
            title = UNSET
        else:
            title = self.title

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if assigned_to is not UNSET:
            field_dict["assigned_to"] = assigned_to
        if company is not UNSET:
            field_dict["company"] = company
        if company_id is not UNSET:
            field_dict["company_id"] = company_id
        if country is not UNSET:
            field_dict["country"] = country
        if custom is not UNSET:
            field_dict["custom"] = custom
        if customer_id is not UNSET:
            field_dict["customer_id"] = customer_id
        if department is not UNSET:
            field_dict["department"] = department
        if description is not UNSET:
            field_dict["description"] = description
        if do_not_call is not UNSET:
            field_dict["do_not_call"] = do_not_call
        if email is not UNSET:
            field_dict["email"] = email
        if email_opt_out is not UNSET:
            field_dict["email_opt_out"] = email_opt_out
        if first_name is not UNSET:
            field_dict["first_name"] = first_name
        if last_name is not UNSET:
            field_dict["last_name"] = last_name
        if mailing_address is not UNSET:
            field_dict["mailing_address"] = mailing_address
        if marketing_attribution is not UNSET:
            field_dict["marketing_attribution"] = marketing_attribution
        if message is not UNSET:
            field_dict["message"] = message
        if notes is not UNSET:
            field_dict["notes"] = notes
        if phone is not UNSET:
            field_dict["phone"] = phone
        if preferred_contact is not UNSET:
            field_dict["preferred_contact"] = preferred_contact
        if score is not UNSET:
            field_dict["score"] = score
        if source is not UNSET:
            field_dict["source"] = source
        if source_page_url is not UNSET:
            field_dict["source_page_url"] = source_page_url
        if status is not UNSET:
            field_dict["status"] = status
        if team_id is not UNSET:
            field_dict["team_id"] = team_id
        if title is not UNSET:
            field_dict["title"] = title

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.lead_patch_custom import LeadPatchCustom  # noqa: PLC0415
        from ..models.mailing_address_io import MailingAddressIO  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_assigned_to(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                assigned_to_type_0 = UUID(data)

                return assigned_to_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        assigned_to = _parse_assigned_to(d.pop("assigned_to", UNSET))

        def _parse_company(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        company = _parse_company(d.pop("company", UNSET))

        def _parse_company_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        company_id = _parse_company_id(d.pop("company_id", UNSET))

        def _parse_country(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        country = _parse_country(d.pop("country", UNSET))

        _custom = d.pop("custom", UNSET)
        custom: LeadPatchCustom | Unset
        if isinstance(_custom, Unset):
            custom = UNSET
        else:
            custom = LeadPatchCustom.from_dict(_custom)

        def _parse_customer_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        customer_id = _parse_customer_id(d.pop("customer_id", UNSET))

        def _parse_department(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        department = _parse_department(d.pop("department", UNSET))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_do_not_call(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        do_not_call = _parse_do_not_call(d.pop("do_not_call", UNSET))

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        def _parse_email_opt_out(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        email_opt_out = _parse_email_opt_out(d.pop("email_opt_out", UNSET))

        def _parse_first_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        first_name = _parse_first_name(d.pop("first_name", UNSET))

        def _parse_last_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_name = _parse_last_name(d.pop("last_name", UNSET))

        def _parse_mailing_address(data: object) -> MailingAddressIO | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                mailing_address_type_0 = MailingAddressIO.from_dict(data)

                return mailing_address_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MailingAddressIO | None | Unset, data)

        mailing_address = _parse_mailing_address(d.pop("mailing_address", UNSET))

        marketing_attribution = cast(list[str], d.pop("marketing_attribution", UNSET))

        def _parse_message(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        message = _parse_message(d.pop("message", UNSET))

        def _parse_notes(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        notes = _parse_notes(d.pop("notes", UNSET))

        def _parse_phone(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        phone = _parse_phone(d.pop("phone", UNSET))

        def _parse_preferred_contact(
            data: object,
        ) -> (
            LeadPatchPreferredContactType1
            | LeadPatchPreferredContactType2Type1
            | LeadPatchPreferredContactType3Type1
            | None
            | Unset
        ):
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                preferred_contact_type_1 = check_lead_patch_preferred_contact_type_1(data)

                return preferred_contact_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                preferred_contact_type_2_type_1 = check_lead_patch_preferred_contact_type_2_type_1(data)

                return preferred_contact_type_2_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                preferred_contact_type_3_type_1 = check_lead_patch_preferred_contact_type_3_type_1(data)

                return preferred_contact_type_3_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(
                LeadPatchPreferredContactType1
                | LeadPatchPreferredContactType2Type1
                | LeadPatchPreferredContactType3Type1
                | None
                | Unset,
                data,
            )

        preferred_contact = _parse_preferred_contact(d.pop("preferred_contact", UNSET))

        def _parse_score(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        score = _parse_score(d.pop("score", UNSET))

        def _parse_source(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        source = _parse_source(d.pop("source", UNSET))

        def _parse_source_page_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        source_page_url = _parse_source_page_url(d.pop("source_page_url", UNSET))

        def _parse_status(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        status = _parse_status(d.pop("status", UNSET))

        def _parse_team_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                team_id_type_0 = UUID(data)

                return team_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        team_id = _parse_team_id(d.pop("team_id", UNSET))

        def _parse_title(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        title = _parse_title(d.pop("title", UNSET))

        lead_patch = cls(
            assigned_to=assigned_to,
            company=company,
            company_id=company_id,
            country=country,
            custom=custom,
            customer_id=customer_id,
            department=department,
            description=description,
            do_not_call=do_not_call,
            email=email,
            email_opt_out=email_opt_out,
            first_name=first_name,
            last_name=last_name,
            mailing_address=mailing_address,
            marketing_attribution=marketing_attribution,
            message=message,
            notes=notes,
            phone=phone,
            preferred_contact=preferred_contact,
            score=score,
            source=source,
            source_page_url=source_page_url,
            status=status,
            team_id=team_id,
            title=title,
        )

        lead_patch.additional_properties = d
        return lead_patch

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
