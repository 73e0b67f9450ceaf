from typing import Literal

UserInputRole = Literal["admin", "manager", "member"]

USER_INPUT_ROLE_VALUES: set[UserInputRole] = {
    "admin",
    "manager",
    "member",
}


def check_user_input_role(value: str) -> UserInputRole:
    if value in USER_INPUT_ROLE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {USER_INPUT_ROLE_VALUES!r}")
