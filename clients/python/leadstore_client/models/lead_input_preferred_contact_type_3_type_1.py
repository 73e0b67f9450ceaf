from typing import Literal

LeadInputPreferredContactType3Type1 = Literal["any", "email", "phone", "sms"]

LEAD_INPUT_PREFERRED_CONTACT_TYPE_3_TYPE_1_VALUES: set[LeadInputPreferredContactType3Type1] = {
    "any",
    "email",
    "phone",
    "sms",
}


def check_lead_input_preferred_contact_type_3_type_1(value: str) -> LeadInputPreferredContactType3Type1:
    if value in LEAD_INPUT_PREFERRED_CONTACT_TYPE_3_TYPE_1_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {LEAD_INPUT_PREFERRED_CONTACT_TYPE_3_TYPE_1_VALUES!r}"
    )
