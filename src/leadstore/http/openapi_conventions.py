"""What every operation of the OpenAPI document follows, applied where Litestar builds each one.

Litestar documents a 400 in its own `{status_code, detail, extra}` shape on every route that takes a parameter
(its ValidationException), and on routes that name framework exceptions in `raises`. This service never sends
that body: `errors.handle_exception` answers every error as a problem document, a parameter Litestar refuses
as 422 `validation_failed`, and each route documents its problems with `openapi.problems`. Generators that
meet the framework's shape drop the response or reject the schema, so it is left out. Each JSON body also
gets its example from `leadstore.http.examples`, under the media type's `examples`.

Litestar has no setting for either (its error responses are built by a private function), so the app's
`OpenAPIConventions` plugin gives every route handler, as the app receives it, the `LeadstoreOperation`
class: Litestar's documented hook for customising an operation (`operation_class`).

A response Struct that says `SENT_WHOLE = True` (every member is in every response: msgspec encodes each
field, and the lead document has every key) documents each member as required, defaults included, so that
generated clients type `is_converted` as `bool`, not as "maybe absent". Request Structs keep their defaults
optional. UNSET members (sent to some callers only) stay optional everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import Example, OpenAPIMediaType, OpenAPIResponse, Reference, RequestBody, Schema
from litestar.openapi.spec.operation import Operation
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute
from litestar.typing import FieldDefinition

from leadstore.http.examples import BY_SCHEMA_KEY

FRAMEWORK_ERROR_FIELDS = {"status_code", "detail", "extra"}  # Litestar's default body of an HTTPException
COMPONENTS = "#/components/schemas/"


@dataclass
class LeadstoreOperation(Operation):
    """An operation without the framework's error shapes, with an example next to each JSON body."""

    def __post_init__(self) -> None:
        if self.responses:
            self.responses = {
                status: response
                for status, response in self.responses.items()
                if not (int(status) >= 400 and _framework_error(response))
            }
            for response in self.responses.values():
                if isinstance(response, OpenAPIResponse):
                    _add_examples(response.content)
        if isinstance(self.request_body, RequestBody):
            _add_examples(self.request_body.content)


def _framework_error(response: OpenAPIResponse | Reference) -> bool:
    """Whether a response is documented in Litestar's default error shape."""
    if not isinstance(response, OpenAPIResponse):
        return False
    for media in (response.content or {}).values():
        schemas = [media.schema] if isinstance(media.schema, Schema) else []
        while schemas:
            schema = schemas.pop()
            if set(schema.properties or {}) == FRAMEWORK_ERROR_FIELDS:
                return True
            schemas += [option for option in schema.one_of or [] if isinstance(option, Schema)]
    return False


def _add_examples(content: dict[str, OpenAPIMediaType] | None) -> None:
    for media in (content or {}).values():
        if media.examples or media.example is not None or not isinstance(media.schema, Reference):
            continue
        found = BY_SCHEMA_KEY.get(media.schema.ref.removeprefix(COMPONENTS))
        if found is not None:
            name, value = found
            media.examples = {name: Example(summary=f"A {name}", value=value)}


class OpenAPIConventions(ReceiveRoutePlugin):
    """Gives every HTTP route handler the operation class above, as the app receives its routes."""

    def receive_route(self, route: BaseRoute) -> None:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                if isinstance(handler, HTTPRouteHandler):
                    handler.operation_class = LeadstoreOperation


class WholeResponses(StructSchemaPlugin):
    """Litestar's schema of a Struct, with every member required when the Struct is `SENT_WHOLE`."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return super().is_plugin_supported_field(field_definition) and bool(
            getattr(field_definition.type_, "SENT_WHOLE", False)
        )

    @staticmethod
    def _is_field_required(field: msgspec.inspect.Field) -> bool:
        return field.default is not msgspec.UNSET
