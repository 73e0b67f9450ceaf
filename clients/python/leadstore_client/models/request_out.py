from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.request_out_headers import RequestOutHeaders


T = TypeVar("T", bound="RequestOut")


@_attrs_define
class RequestOut:
    """
    Attributes:
        id (str): The request id (X-Request-Id).
        method (str):
        path (str):
        ip (None | str):
        user_agent (None | str):
        headers (RequestOutHeaders): Request headers, lower-cased; Authorization, Cookie, X-Api-Key and any header named
            like token, secret, password, key, auth, session or credential are recorded as ***.
    """

    id: str
    method: str
    path: str
    ip: None | str
    user_agent: None | str
    headers: RequestOutHeaders
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        method = self.method

        path = self.path

        ip: None | str
        ip = self.ip

        user_agent: None | str
        user_agent = self.user_agent

        headers = self.headers.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "method": method,
                "path": path,
                "ip": ip,
                "user_agent": user_agent,
                "headers": headers,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.request_out_headers import RequestOutHeaders  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        method = d.pop("method")

        path = d.pop("path")

        def _parse_ip(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        ip = _parse_ip(d.pop("ip"))

        def _parse_user_agent(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        user_agent = _parse_user_agent(d.pop("user_agent"))

        headers = RequestOutHeaders.from_dict(d.pop("headers"))

        request_out = cls(
            id=id,
            method=method,
            path=path,
            ip=ip,
            user_agent=user_agent,
            headers=headers,
        )

        request_out.additional_properties = d
        return request_out

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
