"""What a request brings to a command: who acts and the decoded body (the audit metadata is `audit_record`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from leadstore.bootstrap import Container
from leadstore.domain.errors import FieldError, ValidationFailed
from leadstore.domain.field_checks import Problems, characters
from leadstore.domain.state import Lead
from leadstore.http.duplicate_keys import refuse_duplicate_keys
from leadstore.http.errors import MalformedBody, UnsupportedMediaType
from leadstore.store.accounts import Principal

S = TypeVar("S", bound=msgspec.Struct)
AnyRequest = Request[Any, Any, State]
# What handlers are given through Provide("services"): the pool, the write lane, settings and caches.
Services = NamedDependency[Container]

PRINCIPAL_KEY = "leadstore.principal"

_decoder = msgspec.json.Decoder()


def principal_of(request: AnyRequest) -> Principal:
    """The principal the authentication guard put on the request."""
    principal = request.scope["state"].get(PRINCIPAL_KEY)
    assert isinstance(principal, Principal), "authentication guard missing on this route"
    return principal


def member_can_see(principal: Principal) -> Callable[[Lead], bool]:
    """The visibility rule of the principal's role: members see the leads assigned to or created by them."""
    me = principal.actor.user_id
    if principal.actor.role != "member":
        return lambda lead: True
    return lambda lead: lead.assigned_to == me or lead.created_by == me


def visible_to(principal: Principal, lead: Lead) -> bool:
    return bool(lead.account_id == principal.account_id and member_can_see(principal)(lead))


def decode_object(raw: bytes, *, optional: bool = False) -> dict[str, Any]:
    """A request body that must be a JSON object (an empty body is `{}` where the body is optional)."""
    if optional and not raw.strip():
        return {}
    try:
        value = _decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise MalformedBody(str(exc)) from None
    except RecursionError:
        raise MalformedBody("JSON is nested too deeply") from None
    if not isinstance(value, dict):
        raise ValidationFailed([FieldError("body", "invalid_type", "must be a JSON object")])
    refuse_duplicate_keys(raw, value)
    return value


def convert_body(raw: dict[str, Any], cls: type[S], checks: dict[str, Callable[[Any], Any]] | None = None) -> S:
    """`raw` as the request struct `cls`, listing every unknown, missing or bad field at once.

    Every text member is checked as a single line (see `leadstore.domain.characters`), but those the struct
    names in a `MULTI_LINE` class variable. `checks` are further checks of single fields (InvalidValueError
    when bad), applied after their type's.
    """
    fields = {field.encode_name: field for field in msgspec.structs.fields(cls)}
    multiline: frozenset[str] = getattr(cls, "MULTI_LINE", frozenset())
    problems = Problems()
    for key in raw.keys() - fields.keys():
        problems.add(key, "unknown_field", "is not a field of this request")
    for name, field in fields.items():
        if name not in raw:
            if field.required:
                problems.add(name, "required", "is required")
            continue
        if not _characters_allowed(name, raw[name], name in multiline, problems):
            continue
        try:
            value = msgspec.convert(raw[name], field.type)
        except msgspec.ValidationError as exc:
            problems.add(name, "invalid", str(exc))
            continue
        if checks and name in checks:
            problems.run(name, checks[name], value)
    if problems.errors:
        raise ValidationFailed(problems.errors)
    return msgspec.convert(raw, cls)


def _characters_allowed(name: str, value: Any, multiline: bool, problems: Problems) -> bool:
    """Whether a text member (or each text item of a list) has only characters a text field may hold."""
    texts = [(name, value)] if isinstance(value, str) else []
    if isinstance(value, list):
        texts = [(f"{name}[{i}]", item) for i, item in enumerate(value) if isinstance(item, str)]
    before = len(problems.errors)
    for path, text in texts:
        problems.run(path, characters, text, multiline=multiline)
    return len(problems.errors) == before


async def body_object(request: AnyRequest, *, optional: bool = False) -> dict[str, Any]:
    """The request's body as a JSON object; a body that does not say it is JSON is 415 (where the body is
    optional, an empty one needs no type)."""
    raw = await request.body()
    if not (optional and not raw.strip()):
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != "application/json" and not media_type.endswith("+json"):
            raise UnsupportedMediaType("send the body as JSON, with Content-Type: application/json")
    return decode_object(raw, optional=optional)
