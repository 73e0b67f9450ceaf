from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.custom_field_out import CustomFieldOut
from ...models.custom_field_patch import CustomFieldPatch
from ...models.problem_out import ProblemOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    key: str,
    *,
    body: CustomFieldPatch,
    x_account_id: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_account_id, Unset):
        headers["X-Account-Id"] = x_account_id

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/v1/custom-fields/{key}".format(
            key=quote(str(key), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CustomFieldOut | ProblemOut | None:
    if response.status_code == 200:
        response_200 = CustomFieldOut.from_dict(response.json())

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
) -> Response[CustomFieldOut | ProblemOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    key: str,
    *,
    client: AuthenticatedClient | Client,
    body: CustomFieldPatch,
    x_account_id: None | str | Unset = UNSET,
) -> Response[CustomFieldOut | ProblemOut]:
    """Change a custom field

    Args:
        key (str): The key.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.
        body (CustomFieldPatch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CustomFieldOut | ProblemOut]
    """

    kwargs = _get_kwargs(
        key=key,
        body=body,
        x_account_id=x_account_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    key: str,
    *,
    client: AuthenticatedClient | Client,
    body: CustomFieldPatch,
    x_account_id: None | str | Unset = UNSET,
) -> CustomFieldOut | ProblemOut | None:
    """Change a custom field

    Args:
        key (str): The key.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.
        body (CustomFieldPatch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CustomFieldOut | ProblemOut
    """

    return sync_detailed(
        key=key,
        client=client,
        body=body,
        x_account_id=x_account_id,
    ).parsed


async def asyncio_detailed(
    key: str,
    *,
    client: AuthenticatedClient | Client,
    body: CustomFieldPatch,
    x_account_id: None | str | Unset = UNSET,
) -> Response[CustomFieldOut | ProblemOut]:
    """Change a custom field

    Args:
        key (str): The key.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.
        body (CustomFieldPatch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CustomFieldOut | ProblemOut]
    """

    kwargs = _get_kwargs(
        key=key,
        body=body,
        x_account_id=x_account_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    key: str,
    *,
    client: AuthenticatedClient | Client,
    body: CustomFieldPatch,
    x_account_id: None | str | Unset = UNSET,
) -> CustomFieldOut | ProblemOut | None:
    """Change a custom field

    Args:
        key (str): The key.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.
        body (CustomFieldPatch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CustomFieldOut | ProblemOut
    """

    return (
        await asyncio_detailed(
            key=key,
            client=client,
            body=body,
            x_account_id=x_account_id,
        )
    ).parsed
