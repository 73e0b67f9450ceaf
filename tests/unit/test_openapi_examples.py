"""The OpenAPI document's examples and conventions, built without a server: each example is a valid body of
its Struct, and Litestar's own error shape never reaches the document."""

from __future__ import annotations

import json

import msgspec
import pytest

from leadstore.http.app import openapi_document
from leadstore.http.examples import EXAMPLES


@pytest.mark.parametrize("cls", list(EXAMPLES), ids=lambda cls: cls.__name__)
def test_each_example_is_a_body_of_its_struct(cls: type[msgspec.Struct]) -> None:
    example = EXAMPLES[cls]
    value = msgspec.convert(example, cls)
    # every member of the example is a field (an example of a field that was renamed or removed would pass
    # `convert` on a Struct that ignores unknown fields)
    assert set(example) <= {field.encode_name for field in msgspec.structs.fields(cls)}, cls.__name__
    assert msgspec.to_builtins(value) is not None


def test_the_document_is_built_without_a_database_and_has_no_framework_error_shape() -> None:
    text = json.dumps(openapi_document())
    assert '"status_code"' not in text and '"extra"' not in text
    assert '"operationId": "createLead"' in text


def test_responses_sent_whole_require_every_member_and_requests_keep_defaults_optional() -> None:
    schemas = openapi_document()["components"]["schemas"]
    for name in ("LeadOut", "LeadPage", "EventPage", "WebhookWithSecret", "StatusList"):
        assert sorted(schemas[name]["required"]) == sorted(schemas[name]["properties"]), name
    for name in ("LeadInput", "LeadPatch", "StatusInput"):
        assert not {"score", "do_not_call", "kind"} & set(schemas[name].get("required", [])), name
    assert "email" not in schemas["UserOut"]["required"]  # sent to admins only (UNSET to the other roles)
