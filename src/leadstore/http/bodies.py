"""Request bodies in the OpenAPI document, for handlers that decode their bodies themselves.

Handlers read bodies with msgspec (malformed JSON is a 400 and every bad field is listed at once), so none
has a `data` parameter; Litestar documents the `data` parameter of a route's dependencies instead. This
module does not postpone its annotations, so `data: body` is the body's class itself, evaluated when the
dependency is made: nothing has to rewrite `__annotations__`.
"""

from typing import Annotated, Any

from litestar.di import Provide
from litestar.openapi.spec import Example
from litestar.params import Body


def documented_body(body: type[Any]) -> dict[str, Provide]:
    """Route dependencies that make OpenAPI document `body` as the request body. No handler asks for this
    dependency, so it never runs."""

    def request_body(data: body) -> None:  # type: ignore[valid-type]  # a class held in a variable, as above
        return None

    return {"documented_body": Provide(request_body, sync_to_thread=False)}


def documented_text_body(media_type: str, description: str, examples: list[Example]) -> dict[str, Provide]:
    """Route dependencies that make OpenAPI document a body of `media_type` (a file: text, not JSON)."""

    def request_body(
        data: Annotated[str, Body(media_type=media_type, description=description, examples=examples)],
    ) -> None:
        return None

    return {"documented_body": Provide(request_body, sync_to_thread=False)}
