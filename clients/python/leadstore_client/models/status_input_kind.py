from typing import Literal

StatusInputKind = Literal["lost", "open", "won"]

STATUS_INPUT_KIND_VALUES: set[StatusInputKind] = {
    "lost",
    "open",
    "won",
}


def check_status_input_kind(value: str) -> StatusInputKind:
    if value in STATUS_INPUT_KIND_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STATUS_INPUT_KIND_VALUES!r}")
