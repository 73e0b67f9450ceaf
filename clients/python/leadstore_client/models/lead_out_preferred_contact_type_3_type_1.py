from typing import Literal

LeadOutPreferredContactType3Type1 = Literal["any", "email", "phone", "sms"]

LEAD_OUT_PREFERRED_CONTACT_TYPE_3_TYPE_1_VALUES: set[LeadOutPreferredContactType3Type1] = {
    "any",
    "email",
    "phone",
    "sms",
}


def check_lead_out_preferred_contact_type_3_type_1(value: str) -> LeadOutPreferredContactType3Type1:
    if value in LEAD_OUT_PREFERRED_CONTACT_TYPE_3_TYPE_1_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LEAD_OUT_PREFERRED_CONTACT_TYPE_3_TYPE_1_VALUES!r}")
