"""GET /v1/signing-key: the public key that verifies published events, for anyone (no API key)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import get
from litestar.datastructures import State
from msgspec import Meta

from leadstore.bootstrap import Container
from leadstore.http.openapi import REQUEST_ID, public_problems
from leadstore.http.params import refuse_query_parameters
from leadstore.publishing.signature import ALGORITHM, b64

DESCRIPTION = """\
Every event published to NATS carries `Leadstore-Signature: ed25519=<base64 signature of the message body>`
(and `Leadstore-Hash`, the event's hash-chain link). Verify the signature with this key over the body's exact
bytes and drop what does not verify. Fetch it over TLS once and pin it; it changes only when the operator
replaces it."""


class SigningKeyOut(msgspec.Struct, kw_only=True):
    algorithm: Literal["ed25519"]
    public_key: Annotated[str, Meta(description="Base64 of the 32 raw bytes of the Ed25519 public key.")]


@get(
    "/v1/signing-key",
    operation_id="getSigningKey",
    tags=["Events"],
    summary="The public key of published events",
    description=DESCRIPTION,
    security=[{}],
    responses=public_problems(422),
    before_request=refuse_query_parameters,
    response_headers=[REQUEST_ID],
)
async def signing_key(state: State) -> SigningKeyOut:
    """The Ed25519 public key that verifies the signature of every event published to NATS."""
    container: Container = state.container
    async with container.pool.acquire() as conn:
        signer = await container.keys.signer(conn)
    return SigningKeyOut(algorithm=ALGORITHM, public_key=b64(signer.public_key))
