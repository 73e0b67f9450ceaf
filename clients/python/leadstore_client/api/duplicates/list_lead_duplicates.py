from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.duplicate_list import DuplicateList
from ...models.problem_out import ProblemOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    lead_id: UUID,
    *,
    limit: int | Unset = 10,
    x_account_id: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_account_id, Unset):
        headers["X-Account-Id"] = x_account_id

    params: dict[str, Any] = {}

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/leads/{lead_id}/duplicates".format(
            lead_id=quote(str(lead_id), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> DuplicateList | ProblemOut | None:
    if response.status_code == 200:
        response_200 = DuplicateList.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ProblemOut.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ProblemOut.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ProblemOut.from_dict(response.json())

        return response_404

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
) -> Response[DuplicateList | ProblemOut]:
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
    limit: int | Unset = 10,
    x_account_id: None | str | Unset = UNSET,
) -> Response[DuplicateList | ProblemOut]:
    """A lead's duplicate candidates

    Args:
        lead_id (UUID): The lead's id (a UUID); anything else is 404.
        limit (int | Unset):  Default: 10.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DuplicateList | ProblemOut]
    """

    kwargs = _get_kwargs(
        lead_id=lead_id,
        limit=limit,
        x_account_id=x_account_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    lead_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = 10,
    x_account_id: None | str | Unset = UNSET,
) -> DuplicateList | ProblemOut | None:
    """A lead's duplicate candidates

    Args:
        lead_id (UUID): The lead's id (a UUID); anything else is 404.
        limit (int | Unset):  Default: 10.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DuplicateList | ProblemOut
    """

    return sync_detailed(
        lead_id=lead_id,
        client=client,
        limit=limit,
        x_account_id=x_account_id,
    ).parsed


async def asyncio_detailed(
    lead_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = 10,
    x_account_id: None | str | Unset = UNSET,
) -> Response[DuplicateList | ProblemOut]:
    """A lead's duplicate candidates

    Args:
        lead_id (UUID): The lead's id (a UUID); anything else is 404.
        limit (int | Unset):  Default: 10.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DuplicateList | ProblemOut]
    """

    kwargs = _get_kwargs(
        lead_id=lead_id,
        limit=limit,
        x_account_id=x_account_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    lead_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = 10,
    x_account_id: None | str | Unset = UNSET,
) -> DuplicateList | ProblemOut | None:
    """A lead's duplicate candidates

    Args:
        lead_id (UUID): The lead's id (a UUID); anything else is 404.
        limit (int | Unset):  Default: 10.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DuplicateList | ProblemOut
    """

    return (
        await asyncio_detailed(
            lead_id=lead_id,
            client=client,
            limit=limit,
            x_account_id=x_account_id,
        )
    ).parsed
