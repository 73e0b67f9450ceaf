from typing import Literal

DeliveryOutState = Literal["delivered", "failed", "pending"]

DELIVERY_OUT_STATE_VALUES: set[DeliveryOutState] = {
    "delivered",
    "failed",
    "pending",
}


def check_delivery_out_state(value: str) -> DeliveryOutState:
    if value in DELIVERY_OUT_STATE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {DELIVERY_OUT_STATE_VALUES!r}")
