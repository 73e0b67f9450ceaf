from typing import Literal

DuplicateOutReasonsItem = Literal["email", "name_company", "phone"]

DUPLICATE_OUT_REASONS_ITEM_VALUES: set[DuplicateOutReasonsItem] = {
    "email",
    "name_company",
    "phone",
}


def check_duplicate_out_reasons_item(value: str) -> DuplicateOutReasonsItem:
    if value in DUPLICATE_OUT_REASONS_ITEM_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {DUPLICATE_OUT_REASONS_ITEM_VALUES!r}")
