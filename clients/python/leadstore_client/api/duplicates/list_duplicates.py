from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.duplicate_pair_page import DuplicatePairPage
from ...models.problem_out import ProblemOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    x_account_id: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_account_id, Unset):
        headers["X-Account-Id"] = x_account_id

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/duplicates",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> DuplicatePairPage | ProblemOut | None:
    if response.status_code == 200:
        response_200 = DuplicatePairPage.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ProblemOut.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ProblemOut.from_dict(response.json())

        return response_403

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
) -> Response[DuplicatePairPage | ProblemOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    x_account_id: None | str | Unset = UNSET,
) -> Response[DuplicatePairPage | ProblemOut]:
    """The account's duplicate pairs

    Args:
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset): The `next_cursor` of the previous page.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DuplicatePairPage | ProblemOut]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        x_account_id=x_account_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    x_account_id: None | str | Unset = UNSET,
) -> DuplicatePairPage | ProblemOut | None:
    """The account's duplicate pairs

    Args:
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset): The `next_cursor` of the previous page.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DuplicatePairPage | ProblemOut
    """

    return sync_detailed(
        client=client,
        limit=limit,
        cursor=cursor,
        x_account_id=x_account_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    x_account_id: None | str | Unset = UNSET,
) -> Response[DuplicatePairPage | ProblemOut]:
    """The account's duplicate pairs

    Args:
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset): The `next_cursor` of the previous page.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DuplicatePairPage | ProblemOut]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        x_account_id=x_account_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    x_account_id: None | str | Unset = UNSET,
) -> DuplicatePairPage | ProblemOut | None:
    """The account's duplicate pairs

    Args:
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset): The `next_cursor` of the previous page.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DuplicatePairPage | ProblemOut
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            cursor=cursor,
            x_account_id=x_account_id,
        )
    ).parsed
