from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem_out import ProblemOut
from ...models.signing_key_out import SigningKeyOut
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/signing-key",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ProblemOut | SigningKeyOut | None:
    if response.status_code == 200:
        response_200 = SigningKeyOut.from_dict(response.json())

        return response_200

    if response.status_code == 422:
        response_422 = ProblemOut.from_dict(response.json())

        return response_422

    if response.status_code == 503:
        response_503 = ProblemOut.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ProblemOut | SigningKeyOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
) -> Response[ProblemOut | SigningKeyOut]:
    """The public key of published events

     Every event published to NATS carries `Leadstore-Signature: ed25519=<base64 signature of the message
    body>`
    (and `Leadstore-Hash`, the event's hash-chain link). Verify the signature with this key over the
    body's exact
    bytes and drop what does not verify. Fetch it over TLS once and pin it; it changes only when the
    operator
    replaces it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ProblemOut | SigningKeyOut]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
) -> ProblemOut | SigningKeyOut | None:
    """The public key of published events

     Every event published to NATS carries `Leadstore-Signature: ed25519=<base64 signature of the message
    body>`
    (and `Leadstore-Hash`, the event's hash-chain link). Verify the signature with this key over the
    body's exact
    bytes and drop what does not verify. Fetch it over TLS once and pin it; it changes only when the
    operator
    replaces it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ProblemOut | SigningKeyOut
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
) -> Response[ProblemOut | SigningKeyOut]:
    """The public key of published events

     Every event published to NATS carries `Leadstore-Signature: ed25519=<base64 signature of the message
    body>`
    (and `Leadstore-Hash`, the event's hash-chain link). Verify the signature with this key over the
    body's exact
    bytes and drop what does not verify. Fetch it over TLS once and pin it; it changes only when the
    operator
    replaces it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ProblemOut | SigningKeyOut]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
) -> ProblemOut | SigningKeyOut | None:
    """The public key of published events

     Every event published to NATS carries `Leadstore-Signature: ed25519=<base64 signature of the message
    body>`
    (and `Leadstore-Hash`, the event's hash-chain link). Verify the signature with this key over the
    body's exact
    bytes and drop what does not verify. Fetch it over TLS once and pin it; it changes only when the
    operator
    replaces it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ProblemOut | SigningKeyOut
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
