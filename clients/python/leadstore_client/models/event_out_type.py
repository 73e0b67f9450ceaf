from typing import Literal

EventOutType = Literal[
    "LeadArchived", "LeadAssigned", "LeadConverted", "LeadCreated", "LeadRestored", "LeadStatusChanged", "LeadUpdated"
]

EVENT_OUT_TYPE_VALUES: set[EventOutType] = {
    "LeadArchived",
    "LeadAssigned",
    "LeadConverted",
    "LeadCreated",
    "LeadRestored",
    "LeadStatusChanged",
    "LeadUpdated",
}


def check_event_out_type(value: str) -> EventOutType:
    if value in EVENT_OUT_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {EVENT_OUT_TYPE_VALUES!r}")
