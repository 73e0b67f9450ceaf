from typing import Literal

CustomFieldOutType = Literal["boolean", "choice", "date", "datetime", "multi_choice", "number", "text"]

CUSTOM_FIELD_OUT_TYPE_VALUES: set[CustomFieldOutType] = {
    "boolean",
    "choice",
    "date",
    "datetime",
    "multi_choice",
    "number",
    "text",
}


def check_custom_field_out_type(value: str) -> CustomFieldOutType:
    if value in CUSTOM_FIELD_OUT_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CUSTOM_FIELD_OUT_TYPE_VALUES!r}")
