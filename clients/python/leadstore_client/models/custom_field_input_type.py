from typing import Literal

CustomFieldInputType = Literal["boolean", "choice", "date", "datetime", "multi_choice", "number", "text"]

CUSTOM_FIELD_INPUT_TYPE_VALUES: set[CustomFieldInputType] = {
    "boolean",
    "choice",
    "date",
    "datetime",
    "multi_choice",
    "number",
    "text",
}


def check_custom_field_input_type(value: str) -> CustomFieldInputType:
    if value in CUSTOM_FIELD_INPUT_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CUSTOM_FIELD_INPUT_TYPE_VALUES!r}")
