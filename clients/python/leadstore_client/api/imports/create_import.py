from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_import_on_duplicate import CreateImportOnDuplicate
from ...models.import_progress import ImportProgress
from ...models.problem_out import ProblemOut
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    *,
    body: File,
    on_duplicate: CreateImportOnDuplicate | Unset = "skip",
    mapping: None | str | Unset = UNSET,
    skip_team_requirement: bool | Unset = False,
    x_account_id: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_account_id, Unset):
        headers["X-Account-Id"] = x_account_id

    params: dict[str, Any] = {}

    json_on_duplicate: str | Unset = UNSET
    if not isinstance(on_duplicate, Unset):
        json_on_duplicate = on_duplicate

    params["on_duplicate"] = json_on_duplicate

    json_mapping: None | str | Unset
    if isinstance(mapping, Unset):
        json_mapping = UNSET
    else:
        json_mapping = mapping
    params["mapping"] = json_mapping

    params["skip_team_requirement"] = skip_team_requirement

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/imports",
        "params": params,
    }

    _kwargs["content"] = body.payload
    headers["Content-Type"] = "text/csv"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ImportProgress | ProblemOut | None:
    if response.status_code == 202:
        response_202 = ImportProgress.from_dict(response.json())

        return response_202

    if response.status_code == 400:
        response_400 = ProblemOut.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ProblemOut.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ProblemOut.from_dict(response.json())

        return response_403

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
) -> Response[ImportProgress | ProblemOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: File,
    on_duplicate: CreateImportOnDuplicate | Unset = "skip",
    mapping: None | str | Unset = UNSET,
    skip_team_requirement: bool | Unset = False,
    x_account_id: None | str | Unset = UNSET,
) -> Response[ImportProgress | ProblemOut]:
    """Import leads from a CSV or NDJSON file

    Args:
        on_duplicate (CreateImportOnDuplicate | Unset): What a row whose email the account already
            has (in any case) does: `skip` it (the default), or `update` that lead with the row's non-
            empty cells (a member's import updates only leads the member can see; others fail with
            `duplicate_email`). `create_anyway` is refused: emails are unique per account. Default:
            'skip'.
        mapping (None | str | Unset): A JSON object of column name to lead field (`{"E-mail":
            "email", "Cust. no": "custom.customer_no", "Internal": null}`): a mapped column fills that
            field, one mapped to null is ignored. Columns left out are mapped by their spelling
            (snake_case, camelCase and the common CRM spellings: `firstName`, `leadSource`,
            `phone_number`, `assigned_user_id`, `custom.KEY`, ...). Any column that fills no field and
            is not mapped makes the upload 422, listing each such column, so that no data is silently
            dropped.
        skip_team_requirement (bool | Unset): Lift the team rule for every row: no team_id needed,
            and any of the account's sources allowed. Default: False.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.
        body (File): The file, up to 50 MiB and 100,000 lead rows (413 beyond, nothing stored).
            `text/csv`: a header row, then one lead a row; UTF-8 (a BOM is fine) unless `charset` says
            otherwise; `,`, `;` or tab separated; quoted cells may hold line breaks; empty cells are
            absent values; a list cell is `a;b` or a JSON array. `application/x-ndjson`: one JSON
            object a line, with the members of POST /v1/leads. Rows are numbered as a spreadsheet
            numbers them (the header is row 1) or, for NDJSON, by line.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ImportProgress | ProblemOut]
    """

    kwargs = _get_kwargs(
        body=body,
        on_duplicate=on_duplicate,
        mapping=mapping,
        skip_team_requirement=skip_team_requirement,
        x_account_id=x_account_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: File,
    on_duplicate: CreateImportOnDuplicate | Unset = "skip",
    mapping: None | str | Unset = UNSET,
    skip_team_requirement: bool | Unset = False,
    x_account_id: None | str | Unset = UNSET,
) -> ImportProgress | ProblemOut | None:
    """Import leads from a CSV or NDJSON file

    Args:
        on_duplicate (CreateImportOnDuplicate | Unset): What a row whose email the account already
            has (in any case) does: `skip` it (the default), or `update` that lead with the row's non-
            empty cells (a member's import updates only leads the member can see; others fail with
            `duplicate_email`). `create_anyway` is refused: emails are unique per account. Default:
            'skip'.
        mapping (None | str | Unset): A JSON object of column name to lead field (`{"E-mail":
            "email", "Cust. no": "custom.customer_no", "Internal": null}`): a mapped column fills that
            field, one mapped to null is ignored. Columns left out are mapped by their spelling
            (snake_case, camelCase and the common CRM spellings: `firstName`, `leadSource`,
            `phone_number`, `assigned_user_id`, `custom.KEY`, ...). Any column that fills no field and
            is not mapped makes the upload 422, listing each such column, so that no data is silently
            dropped.
        skip_team_requirement (bool | Unset): Lift the team rule for every row: no team_id needed,
            and any of the account's sources allowed. Default: False.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.
        body (File): The file, up to 50 MiB and 100,000 lead rows (413 beyond, nothing stored).
            `text/csv`: a header row, then one lead a row; UTF-8 (a BOM is fine) unless `charset` says
            otherwise; `,`, `;` or tab separated; quoted cells may hold line breaks; empty cells are
            absent values; a list cell is `a;b` or a JSON array. `application/x-ndjson`: one JSON
            object a line, with the members of POST /v1/leads. Rows are numbered as a spreadsheet
            numbers them (the header is row 1) or, for NDJSON, by line.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ImportProgress | ProblemOut
    """

    return sync_detailed(
        client=client,
        body=body,
        on_duplicate=on_duplicate,
        mapping=mapping,
        skip_team_requirement=skip_team_requirement,
        x_account_id=x_account_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: File,
    on_duplicate: CreateImportOnDuplicate | Unset = "skip",
    mapping: None | str | Unset = UNSET,
    skip_team_requirement: bool | Unset = False,
    x_account_id: None | str | Unset = UNSET,
) -> Response[ImportProgress | ProblemOut]:
    """Import leads from a CSV or NDJSON file

    Args:
        on_duplicate (CreateImportOnDuplicate | Unset): What a row whose email the account already
            has (in any case) does: `skip` it (the default), or `update` that lead with the row's non-
            empty cells (a member's import updates only leads the member can see; others fail with
            `duplicate_email`). `create_anyway` is refused: emails are unique per account. Default:
            'skip'.
        mapping (None | str | Unset): A JSON object of column name to lead field (`{"E-mail":
            "email", "Cust. no": "custom.customer_no", "Internal": null}`): a mapped column fills that
            field, one mapped to null is ignored. Columns left out are mapped by their spelling
            (snake_case, camelCase and the common CRM spellings: `firstName`, `leadSource`,
            `phone_number`, `assigned_user_id`, `custom.KEY`, ...). Any column that fills no field and
            is not mapped makes the upload 422, listing each such column, so that no data is silently
            dropped.
        skip_team_requirement (bool | Unset): Lift the team rule for every row: no team_id needed,
            and any of the account's sources allowed. Default: False.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.
        body (File): The file, up to 50 MiB and 100,000 lead rows (413 beyond, nothing stored).
            `text/csv`: a header row, then one lead a row; UTF-8 (a BOM is fine) unless `charset` says
            otherwise; `,`, `;` or tab separated; quoted cells may hold line breaks; empty cells are
            absent values; a list cell is `a;b` or a JSON array. `application/x-ndjson`: one JSON
            object a line, with the members of POST /v1/leads. Rows are numbered as a spreadsheet
            numbers them (the header is row 1) or, for NDJSON, by line.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ImportProgress | ProblemOut]
    """

    kwargs = _get_kwargs(
        body=body,
        on_duplicate=on_duplicate,
        mapping=mapping,
        skip_team_requirement=skip_team_requirement,
        x_account_id=x_account_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: File,
    on_duplicate: CreateImportOnDuplicate | Unset = "skip",
    mapping: None | str | Unset = UNSET,
    skip_team_requirement: bool | Unset = False,
    x_account_id: None | str | Unset = UNSET,
) -> ImportProgress | ProblemOut | None:
    """Import leads from a CSV or NDJSON file

    Args:
        on_duplicate (CreateImportOnDuplicate | Unset): What a row whose email the account already
            has (in any case) does: `skip` it (the default), or `update` that lead with the row's non-
            empty cells (a member's import updates only leads the member can see; others fail with
            `duplicate_email`). `create_anyway` is refused: emails are unique per account. Default:
            'skip'.
        mapping (None | str | Unset): A JSON object of column name to lead field (`{"E-mail":
            "email", "Cust. no": "custom.customer_no", "Internal": null}`): a mapped column fills that
            field, one mapped to null is ignored. Columns left out are mapped by their spelling
            (snake_case, camelCase and the common CRM spellings: `firstName`, `leadSource`,
            `phone_number`, `assigned_user_id`, `custom.KEY`, ...). Any column that fills no field and
            is not mapped makes the upload 422, listing each such column, so that no data is silently
            dropped.
        skip_team_requirement (bool | Unset): Lift the team rule for every row: no team_id needed,
            and any of the account's sources allowed. Default: False.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.
        body (File): The file, up to 50 MiB and 100,000 lead rows (413 beyond, nothing stored).
            `text/csv`: a header row, then one lead a row; UTF-8 (a BOM is fine) unless `charset` says
            otherwise; `,`, `;` or tab separated; quoted cells may hold line breaks; empty cells are
            absent values; a list cell is `a;b` or a JSON array. `application/x-ndjson`: one JSON
            object a line, with the members of POST /v1/leads. Rows are numbered as a spreadsheet
            numbers them (the header is row 1) or, for NDJSON, by line.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ImportProgress | ProblemOut
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            on_duplicate=on_duplicate,
            mapping=mapping,
            skip_team_requirement=skip_team_requirement,
            x_account_id=x_account_id,
        )
    ).parsed
