from typing import Literal

StatusOutKind = Literal["lost", "open", "won"]

STATUS_OUT_KIND_VALUES: set[StatusOutKind] = {
    "lost",
    "open",
    "won",
}


def check_status_out_kind(value: str) -> StatusOutKind:
    if value in STATUS_OUT_KIND_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STATUS_OUT_KIND_VALUES!r}")
