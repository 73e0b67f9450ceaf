from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.request_out_headers_type_0 import RequestOutHeadersType0


T = TypeVar("T", bound="RequestOut")


@_attrs_define
class RequestOut:
    """
    Attributes:
        method (str):
        path (str):
        headers (RequestOutHeadersType0 | Unset): Request headers, lower-cased; Authorization, Cookie, X-Api-Key and any
            header named like token, secret, password, key, auth, session or credential are recorded as ***.
        id (str | Unset): The request id (X-Request-Id).
        ip (None | str | Unset):
        query (str | Unset): The query string, the values of secret-like parameters masked.
        user_agent (None | str | Unset):
    """

    method: str
    path: str
    headers: RequestOutHeadersType0 | Unset = UNSET
    id: str | Unset = UNSET
    ip: None | str | Unset = UNSET
    query: str | Unset = UNSET
    user_agent: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        method = self.method

        path = self.path

        headers: dict[str, Any] | Unset
        if isinstance(self.headers, Unset):
            headers = UNSET
        else:
            headers = self.headers.to_dict()

        id: str | Unset
        if isinstance(self.id, Unset):
            id = UNSET
        else:
            id = self.id

        ip: None | str | Unset
        if isinstance(self.ip, Unset):
            ip = UNSET
        else:
            ip = self.ip

        query: str | Unset
        if isinstance(self.query, Unset):
            query = UNSET
        else:
            query = self.query

        user_agent: None | str | Unset
        if isinstance(self.user_agent, Unset):
            user_agent = UNSET
        else:
            user_agent = self.user_agent

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "method": method,
                "path": path,
            }
        )
        if headers is not UNSET:
            field_dict["headers"] = headers
        if id is not UNSET:
            field_dict["id"] = id
        if ip is not UNSET:
            field_dict["ip"] = ip
        if query is not UNSET:
            field_dict["query"] = query
        if user_agent is not UNSET:
            field_dict["user_agent"] = user_agent

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.request_out_headers_type_0 import RequestOutHeadersType0  # noqa: PLC0415

        d = dict(src_dict)
        method = d.pop("method")

        path = d.pop("path")

        def _parse_headers(data: object) -> RequestOutHeadersType0 | Unset:
            if isinstance(data, Unset):
                return data
            if not isinstance(data, dict):
                raise TypeError()
            headers_type_0 = RequestOutHeadersType0.from_dict(data)

            return headers_type_0

        headers = _parse_headers(d.pop("headers", UNSET))

        def _parse_id(data: object) -> str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(str | Unset, data)

        id = _parse_id(d.pop("id", UNSET))

        def _parse_ip(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ip = _parse_ip(d.pop("ip", UNSET))

        def _parse_query(data: object) -> str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(str | Unset, data)

        query = _parse_query(d.pop("query", UNSET))

        def _parse_user_agent(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_agent = _parse_user_agent(d.pop("user_agent", UNSET))

        request_out = cls(
            method=method,
            path=path,
            headers=headers,
            id=id,
            ip=ip,
            query=query,
            user_agent=user_agent,
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
