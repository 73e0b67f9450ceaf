from typing import Literal

LeadPatchPreferredContactType2Type1 = Literal["any", "email", "phone", "sms"]

LEAD_PATCH_PREFERRED_CONTACT_TYPE_2_TYPE_1_VALUES: set[LeadPatchPreferredContactType2Type1] = {
    "any",
    "email",
    "phone",
    "sms",
}


def check_lead_patch_preferred_contact_type_2_type_1(value: str) -> LeadPatchPreferredContactType2Type1:
    if value in LEAD_PATCH_PREFERRED_CONTACT_TYPE_2_TYPE_1_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {LEAD_PATCH_PREFERRED_CONTACT_TYPE_2_TYPE_1_VALUES!r}"
    )
