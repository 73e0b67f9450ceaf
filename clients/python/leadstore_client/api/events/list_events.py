from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.event_page import EventPage
from ...models.problem_out import ProblemOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    after: None | str | Unset = UNSET,
    limit: int | Unset = 100,
    x_account_id: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_account_id, Unset):
        headers["X-Account-Id"] = x_account_id

    params: dict[str, Any] = {}

    json_after: None | str | Unset
    if isinstance(after, Unset):
        json_after = UNSET
    else:
        json_after = after
    params["after"] = json_after

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/events",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> EventPage | ProblemOut | None:
    if response.status_code == 200:
        response_200 = EventPage.from_dict(response.json())

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
) -> Response[EventPage | ProblemOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    after: None | str | Unset = UNSET,
    limit: int | Unset = 100,
    x_account_id: None | str | Unset = UNSET,
) -> Response[EventPage | ProblemOut]:
    """The account's event feed

    Args:
        after (None | str | Unset): A position token (an event's `position`, or the previous
            page's `next_cursor`); default: the start.
        limit (int | Unset):  Default: 100.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventPage | ProblemOut]
    """

    kwargs = _get_kwargs(
        after=after,
        limit=limit,
        x_account_id=x_account_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    after: None | str | Unset = UNSET,
    limit: int | Unset = 100,
    x_account_id: None | str | Unset = UNSET,
) -> EventPage | ProblemOut | None:
    """The account's event feed

    Args:
        after (None | str | Unset): A position token (an event's `position`, or the previous
            page's `next_cursor`); default: the start.
        limit (int | Unset):  Default: 100.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventPage | ProblemOut
    """

    return sync_detailed(
        client=client,
        after=after,
        limit=limit,
        x_account_id=x_account_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    after: None | str | Unset = UNSET,
    limit: int | Unset = 100,
    x_account_id: None | str | Unset = UNSET,
) -> Response[EventPage | ProblemOut]:
    """The account's event feed

    Args:
        after (None | str | Unset): A position token (an event's `position`, or the previous
            page's `next_cursor`); default: the start.
        limit (int | Unset):  Default: 100.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventPage | ProblemOut]
    """

    kwargs = _get_kwargs(
        after=after,
        limit=limit,
        x_account_id=x_account_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    after: None | str | Unset = UNSET,
    limit: int | Unset = 100,
    x_account_id: None | str | Unset = UNSET,
) -> EventPage | ProblemOut | None:
    """The account's event feed

    Args:
        after (None | str | Unset): A position token (an event's `position`, or the previous
            page's `next_cursor`); default: the start.
        limit (int | Unset):  Default: 100.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventPage | ProblemOut
    """

    return (
        await asyncio_detailed(
            client=client,
            after=after,
            limit=limit,
            x_account_id=x_account_id,
        )
    ).parsed
