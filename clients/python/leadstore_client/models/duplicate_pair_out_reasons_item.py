from typing import Literal

DuplicatePairOutReasonsItem = Literal["email", "name_company", "phone"]

DUPLICATE_PAIR_OUT_REASONS_ITEM_VALUES: set[DuplicatePairOutReasonsItem] = {
    "email",
    "name_company",
    "phone",
}


def check_duplicate_pair_out_reasons_item(value: str) -> DuplicatePairOutReasonsItem:
    if value in DUPLICATE_PAIR_OUT_REASONS_ITEM_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {DUPLICATE_PAIR_OUT_REASONS_ITEM_VALUES!r}")
