from typing import Literal

ImportProgressState = Literal["done", "failed", "queued", "running"]

IMPORT_PROGRESS_STATE_VALUES: set[ImportProgressState] = {
    "done",
    "failed",
    "queued",
    "running",
}


def check_import_progress_state(value: str) -> ImportProgressState:
    if value in IMPORT_PROGRESS_STATE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {IMPORT_PROGRESS_STATE_VALUES!r}")
