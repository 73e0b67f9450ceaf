from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.lead_out import LeadOut
from ...models.problem_out import ProblemOut
from ...models.unmerge_input import UnmergeInput
from ...types import UNSET, Response, Unset


def _get_kwargs(
    lead_id: UUID,
    *,
    body: UnmergeInput,
    x_account_id: None | str | Unset = UNSET,
    if_match: None | str | Unset = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_account_id, Unset):
        headers["X-Account-Id"] = x_account_id

    if not isinstance(if_match, Unset):
        headers["If-Match"] = if_match

    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/leads/{lead_id}/unmerge".format(
            lead_id=quote(str(lead_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> LeadOut | ProblemOut | None:
    if response.status_code == 200:
        response_200 = LeadOut.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ProblemOut.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ProblemOut.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ProblemOut.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ProblemOut.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = ProblemOut.from_dict(response.json())

        return response_409

    if response.status_code == 412:
        response_412 = ProblemOut.from_dict(response.json())

        return response_412

    if response.status_code == 413:
        response_413 = ProblemOut.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = ProblemOut.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = ProblemOut.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = ProblemOut.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = ProblemOut.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[LeadOut | ProblemOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    lead_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: UnmergeInput,
    x_account_id: None | str | Unset = UNSET,
    if_match: None | str | Unset = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[LeadOut | ProblemOut]:
    """Undo a merge into this lead

    Args:
        lead_id (UUID): The lead's id (a UUID); anything else is 404.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.
        if_match (None | str | Unset): The version the lead must be at, as sent in ETag (`"3"`);
            412 otherwise. Ignored on create.
        idempotency_key (None | str | Unset): Within 24 h, the same key with the same body returns
            the first response (`Idempotent-Replayed: true`) and writes nothing; with another body it
            is 422 `idempotency_conflict`.
        body (UnmergeInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LeadOut | ProblemOut]
    """

    kwargs = _get_kwargs(
        lead_id=lead_id,
        body=body,
        x_account_id=x_account_id,
        if_match=if_match,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    lead_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: UnmergeInput,
    x_account_id: None | str | Unset = UNSET,
    if_match: None | str | Unset = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> LeadOut | ProblemOut | None:
    """Undo a merge into this lead

    Args:
        lead_id (UUID): The lead's id (a UUID); anything else is 404.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.
        if_match (None | str | Unset): The version the lead must be at, as sent in ETag (`"3"`);
            412 otherwise. Ignored on create.
        idempotency_key (None | str | Unset): Within 24 h, the same key with the same body returns
            the first response (`Idempotent-Replayed: true`) and writes nothing; with another body it
            is 422 `idempotency_conflict`.
        body (UnmergeInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LeadOut | ProblemOut
    """

    return sync_detailed(
        lead_id=lead_id,
        client=client,
        body=body,
        x_account_id=x_account_id,
        if_match=if_match,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    lead_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: UnmergeInput,
    x_account_id: None | str | Unset = UNSET,
    if_match: None | str | Unset = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[LeadOut | ProblemOut]:
    """Undo a merge into this lead

    Args:
        lead_id (UUID): The lead's id (a UUID); anything else is 404.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.
        if_match (None | str | Unset): The version the lead must be at, as sent in ETag (`"3"`);
            412 otherwise. Ignored on create.
        idempotency_key (None | str | Unset): Within 24 h, the same key with the same body returns
            the first response (`Idempotent-Replayed: true`) and writes nothing; with another body it
            is 422 `idempotency_conflict`.
        body (UnmergeInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LeadOut | ProblemOut]
    """

    kwargs = _get_kwargs(
        lead_id=lead_id,
        body=body,
        x_account_id=x_account_id,
        if_match=if_match,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    lead_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: UnmergeInput,
    x_account_id: None | str | Unset = UNSET,
    if_match: None | str | Unset = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> LeadOut | ProblemOut | None:
    """Undo a merge into this lead

    Args:
        lead_id (UUID): The lead's id (a UUID); anything else is 404.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.
        if_match (None | str | Unset): The version the lead must be at, as sent in ETag (`"3"`);
            412 otherwise. Ignored on create.
        idempotency_key (None | str | Unset): Within 24 h, the same key with the same body returns
            the first response (`Idempotent-Replayed: true`) and writes nothing; with another body it
            is 422 `idempotency_conflict`.
        body (UnmergeInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LeadOut | ProblemOut
    """

    return (
        await asyncio_detailed(
            lead_id=lead_id,
            client=client,
            body=body,
            x_account_id=x_account_id,
            if_match=if_match,
            idempotency_key=idempotency_key,
        )
    ).parsed
