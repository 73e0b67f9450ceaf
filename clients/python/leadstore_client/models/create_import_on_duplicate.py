from typing import Literal

CreateImportOnDuplicate = Literal["skip", "update"]

CREATE_IMPORT_ON_DUPLICATE_VALUES: set[CreateImportOnDuplicate] = {
    "skip",
    "update",
}


def check_create_import_on_duplicate(value: str) -> CreateImportOnDuplicate:
    if value in CREATE_IMPORT_ON_DUPLICATE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_IMPORT_ON_DUPLICATE_VALUES!r}")
