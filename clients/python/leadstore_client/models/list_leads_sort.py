from typing import Literal

ListLeadsSort = Literal["-created_at", "-score", "-updated_at", "created_at", "score", "updated_at"]

LIST_LEADS_SORT_VALUES: set[ListLeadsSort] = {
    "-created_at",
    "-score",
    "-updated_at",
    "created_at",
    "score",
    "updated_at",
}


def check_list_leads_sort(value: str) -> ListLeadsSort:
    if value in LIST_LEADS_SORT_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_LEADS_SORT_VALUES!r}")
