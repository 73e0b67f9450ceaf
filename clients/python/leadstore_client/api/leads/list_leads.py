from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.lead_page import LeadPage
from ...models.list_leads_sort import ListLeadsSort
from ...models.problem_out import ProblemOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    status: None | str | Unset = UNSET,
    assigned_to: None | str | Unset = UNSET,
    team_id: None | str | Unset = UNSET,
    source: None | str | Unset = UNSET,
    company_id: None | str | Unset = UNSET,
    min_score: int | None | Unset = UNSET,
    max_score: int | None | Unset = UNSET,
    created_after: None | str | Unset = UNSET,
    created_before: None | str | Unset = UNSET,
    updated_after: None | str | Unset = UNSET,
    is_converted: bool | None | Unset = UNSET,
    archived: bool | Unset = False,
    merged: bool | Unset = False,
    email: None | str | Unset = UNSET,
    phone: None | str | Unset = UNSET,
    q: None | str | Unset = UNSET,
    sort: ListLeadsSort | Unset = "-created_at",
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    min_position: None | str | Unset = UNSET,
    x_account_id: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_account_id, Unset):
        headers["X-Account-Id"] = x_account_id

    params: dict[str, Any] = {}

    json_status: None | str | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    else:
        json_status = status
    params["status"] = json_status

    json_assigned_to: None | str | Unset
    if isinstance(assigned_to, Unset):
        json_assigned_to = UNSET
    else:
        json_assigned_to = assigned_to
    params["assigned_to"] = json_assigned_to

    json_team_id: None | str | Unset
    if isinstance(team_id, Unset):
        json_team_id = UNSET
    else:
        json_team_id = team_id
    params["team_id"] = json_team_id

    json_source: None | str | Unset
    if isinstance(source, Unset):
        json_source = UNSET
    else:
        json_source = source
    params["source"] = json_source

    json_company_id: None | str | Unset
    if isinstance(company_id, Unset):
        json_company_id = UNSET
    else:
        json_company_id = company_id
    params["company_id"] = json_company_id

    json_min_score: int | None | Unset
    if isinstance(min_score, Unset):
        json_min_score = UNSET
    else:
        json_min_score = min_score
    params["min_score"] = json_min_score

    json_max_score: int | None | Unset
    if isinstance(max_score, Unset):
        json_max_score = UNSET
    else:
        json_max_score = max_score
    params["max_score"] = json_max_score

    json_created_after: None | str | Unset
    if isinstance(created_after, Unset):
        json_created_after = UNSET
    else:
        json_created_after = created_after
    params["created_after"] = json_created_after

    json_created_before: None | str | Unset
    if isinstance(created_before, Unset):
        json_created_before = UNSET
    else:
        json_created_before = created_before
    params["created_before"] = json_created_before

    json_updated_after: None | str | Unset
    if isinstance(updated_after, Unset):
        json_updated_after = UNSET
    else:
        json_updated_after = updated_after
    params["updated_after"] = json_updated_after

    json_is_converted: bool | None | Unset
    if isinstance(is_converted, Unset):
        json_is_converted = UNSET
    else:
        json_is_converted = is_converted
    params["is_converted"] = json_is_converted

    params["archived"] = archived

    params["merged"] = merged

    json_email: None | str | Unset
    if isinstance(email, Unset):
        json_email = UNSET
    else:
        json_email = email
    params["email"] = json_email

    json_phone: None | str | Unset
    if isinstance(phone, Unset):
        json_phone = UNSET
    else:
        json_phone = phone
    params["phone"] = json_phone

    json_q: None | str | Unset
    if isinstance(q, Unset):
        json_q = UNSET
    else:
        json_q = q
    params["q"] = json_q

    json_sort: str | Unset = UNSET
    if not isinstance(sort, Unset):
        json_sort = sort

    params["sort"] = json_sort

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_min_position: None | str | Unset
    if isinstance(min_position, Unset):
        json_min_position = UNSET
    else:
        json_min_position = min_position
    params["min_position"] = json_min_position

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/leads",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> LeadPage | ProblemOut | None:
    if response.status_code == 200:
        response_200 = LeadPage.from_dict(response.json())

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
) -> Response[LeadPage | ProblemOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    status: None | str | Unset = UNSET,
    assigned_to: None | str | Unset = UNSET,
    team_id: None | str | Unset = UNSET,
    source: None | str | Unset = UNSET,
    company_id: None | str | Unset = UNSET,
    min_score: int | None | Unset = UNSET,
    max_score: int | None | Unset = UNSET,
    created_after: None | str | Unset = UNSET,
    created_before: None | str | Unset = UNSET,
    updated_after: None | str | Unset = UNSET,
    is_converted: bool | None | Unset = UNSET,
    archived: bool | Unset = False,
    merged: bool | Unset = False,
    email: None | str | Unset = UNSET,
    phone: None | str | Unset = UNSET,
    q: None | str | Unset = UNSET,
    sort: ListLeadsSort | Unset = "-created_at",
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    min_position: None | str | Unset = UNSET,
    x_account_id: None | str | Unset = UNSET,
) -> Response[LeadPage | ProblemOut]:
    """List leads

     Leads of the read model, newest first by default; walk `next_cursor` for the next page.

    Custom-field filters (one per field of the account, so they are not listed as parameters):
    - `custom.<key>=<value>`: leads whose value is `<value>`; for a `multi_choice` field, whose values
    include it.
      A `number` is written as in JSON, a `boolean` `true` or `false`, a `date` `YYYY-MM-DD`, a
    `datetime` as a
      date (midnight UTC) or an RFC 3339 timestamp (no offset: UTC). A `choice` value need not be one of
    the
      field's current choices, so leads holding a removed choice can be found.
    - `custom.<key>.min`, `custom.<key>.max` (`number`, `date` and `datetime` fields): at least, at most
    (inclusive).
    A key that is not one of the account's custom fields, `.min`/`.max` on another type, or a value that
    does not
    parse as the field's type is 422 naming the parameter.

    Args:
        status (None | str | Unset): Comma-separated status keys: `new,contacted`.
        assigned_to (None | str | Unset): A user id, or `none` for unassigned leads.
        team_id (None | str | Unset):
        source (None | str | Unset): A source key.
        company_id (None | str | Unset): Exact company_id.
        min_score (int | None | Unset):
        max_score (int | None | Unset):
        created_after (None | str | Unset): Date `YYYY-MM-DD` (midnight UTC) or RFC 3339
            timestamp; inclusive.
        created_before (None | str | Unset): Date `YYYY-MM-DD` (midnight UTC) or RFC 3339
            timestamp; exclusive.
        updated_after (None | str | Unset): Date `YYYY-MM-DD` (midnight UTC) or RFC 3339
            timestamp; inclusive.
        is_converted (bool | None | Unset):
        archived (bool | Unset): Archived leads instead of live ones. Default: False.
        merged (bool | Unset): Leads merged into another lead (`merged_into` set) instead of the
            others; merged leads stay readable by id. Default: False.
        email (None | str | Unset): Exact address, case-insensitive.
        phone (None | str | Unset): A phone number, normalised as leads' numbers are: with `+` and
            the country code, in any format (`+1 (555) 234-5678`), the leads with that number; without
            `+`, a national number (`(555) 234-5678`), the leads whose number it is in any country
            where it can be one.
        q (None | str | Unset): Search: the leads where every word of `q` (a run of letters, or of
            digits: `garcia77` is garcia and 77) is a word of the lead's full name, email
            (`maria.garcia@acme.com` is maria, garcia, acme and com), company, or a text or choice
            custom value, the last word of `q` as a prefix (`mar` finds Maria); case-insensitive.
            Phone-ish text (`+1 555 234`, `(555) 234-5678`, `5552345678`) also matches the start of a
            phone number's digits, international or national. A `q` with no letter or digit is 422.
            There is no bound on the matches: pages are full while `has_more` is true, and walking the
            cursors visits every match exactly once.
        sort (ListLeadsSort | Unset): Order; `-` is descending. Default: '-created_at'.
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset): The `next_cursor` of the previous page, with the same `sort`.
            A walk visits every lead matching throughout exactly once, even while leads are written;
            by `updated_at` or `score` it keeps the order the leads had when it began.
        min_position (None | str | Unset): A Leadstore-Position token: wait (bounded) until the
            list includes that write; else 503 `projection_lagging` with `Retry-After`. A position
            beyond the account's last write is 422 at once.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LeadPage | ProblemOut]
    """

    kwargs = _get_kwargs(
        status=status,
        assigned_to=assigned_to,
        team_id=team_id,
        source=source,
        company_id=company_id,
        min_score=min_score,
        max_score=max_score,
        created_after=created_after,
        created_before=created_before,
        updated_after=updated_after,
        is_converted=is_converted,
        archived=archived,
        merged=merged,
        email=email,
        phone=phone,
        q=q,
        sort=sort,
        limit=limit,
        cursor=cursor,
        min_position=min_position,
        x_account_id=x_account_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    status: None | str | Unset = UNSET,
    assigned_to: None | str | Unset = UNSET,
    team_id: None | str | Unset = UNSET,
    source: None | str | Unset = UNSET,
    company_id: None | str | Unset = UNSET,
    min_score: int | None | Unset = UNSET,
    max_score: int | None | Unset = UNSET,
    created_after: None | str | Unset = UNSET,
    created_before: None | str | Unset = UNSET,
    updated_after: None | str | Unset = UNSET,
    is_converted: bool | None | Unset = UNSET,
    archived: bool | Unset = False,
    merged: bool | Unset = False,
    email: None | str | Unset = UNSET,
    phone: None | str | Unset = UNSET,
    q: None | str | Unset = UNSET,
    sort: ListLeadsSort | Unset = "-created_at",
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    min_position: None | str | Unset = UNSET,
    x_account_id: None | str | Unset = UNSET,
) -> LeadPage | ProblemOut | None:
    """List leads

     Leads of the read model, newest first by default; walk `next_cursor` for the next page.

    Custom-field filters (one per field of the account, so they are not listed as parameters):
    - `custom.<key>=<value>`: leads whose value is `<value>`; for a `multi_choice` field, whose values
    include it.
      A `number` is written as in JSON, a `boolean` `true` or `false`, a `date` `YYYY-MM-DD`, a
    `datetime` as a
      date (midnight UTC) or an RFC 3339 timestamp (no offset: UTC). A `choice` value need not be one of
    the
      field's current choices, so leads holding a removed choice can be found.
    - `custom.<key>.min`, `custom.<key>.max` (`number`, `date` and `datetime` fields): at least, at most
    (inclusive).
    A key that is not one of the account's custom fields, `.min`/`.max` on another type, or a value that
    does not
    parse as the field's type is 422 naming the parameter.

    Args:
        status (None | str | Unset): Comma-separated status keys: `new,contacted`.
        assigned_to (None | str | Unset): A user id, or `none` for unassigned leads.
        team_id (None | str | Unset):
        source (None | str | Unset): A source key.
        company_id (None | str | Unset): Exact company_id.
        min_score (int | None | Unset):
        max_score (int | None | Unset):
        created_after (None | str | Unset): Date `YYYY-MM-DD` (midnight UTC) or RFC 3339
            timestamp; inclusive.
        created_before (None | str | Unset): Date `YYYY-MM-DD` (midnight UTC) or RFC 3339
            timestamp; exclusive.
        updated_after (None | str | Unset): Date `YYYY-MM-DD` (midnight UTC) or RFC 3339
            timestamp; inclusive.
        is_converted (bool | None | Unset):
        archived (bool | Unset): Archived leads instead of live ones. Default: False.
        merged (bool | Unset): Leads merged into another lead (`merged_into` set) instead of the
            others; merged leads stay readable by id. Default: False.
        email (None | str | Unset): Exact address, case-insensitive.
        phone (None | str | Unset): A phone number, normalised as leads' numbers are: with `+` and
            the country code, in any format (`+1 (555) 234-5678`), the leads with that number; without
            `+`, a national number (`(555) 234-5678`), the leads whose number it is in any country
            where it can be one.
        q (None | str | Unset): Search: the leads where every word of `q` (a run of letters, or of
            digits: `garcia77` is garcia and 77) is a word of the lead's full name, email
            (`maria.garcia@acme.com` is maria, garcia, acme and com), company, or a text or choice
            custom value, the last word of `q` as a prefix (`mar` finds Maria); case-insensitive.
            Phone-ish text (`+1 555 234`, `(555) 234-5678`, `5552345678`) also matches the start of a
            phone number's digits, international or national. A `q` with no letter or digit is 422.
            There is no bound on the matches: pages are full while `has_more` is true, and walking the
            cursors visits every match exactly once.
        sort (ListLeadsSort | Unset): Order; `-` is descending. Default: '-created_at'.
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset): The `next_cursor` of the previous page, with the same `sort`.
            A walk visits every lead matching throughout exactly once, even while leads are written;
            by `updated_at` or `score` it keeps the order the leads had when it began.
        min_position (None | str | Unset): A Leadstore-Position token: wait (bounded) until the
            list includes that write; else 503 `projection_lagging` with `Retry-After`. A position
            beyond the account's last write is 422 at once.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LeadPage | ProblemOut
    """

    return sync_detailed(
        client=client,
        status=status,
        assigned_to=assigned_to,
        team_id=team_id,
        source=source,
        company_id=company_id,
        min_score=min_score,
        max_score=max_score,
        created_after=created_after,
        created_before=created_before,
        updated_after=updated_after,
        is_converted=is_converted,
        archived=archived,
        merged=merged,
        email=email,
        phone=phone,
        q=q,
        sort=sort,
        limit=limit,
        cursor=cursor,
        min_position=min_position,
        x_account_id=x_account_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    status: None | str | Unset = UNSET,
    assigned_to: None | str | Unset = UNSET,
    team_id: None | str | Unset = UNSET,
    source: None | str | Unset = UNSET,
    company_id: None | str | Unset = UNSET,
    min_score: int | None | Unset = UNSET,
    max_score: int | None | Unset = UNSET,
    created_after: None | str | Unset = UNSET,
    created_before: None | str | Unset = UNSET,
    updated_after: None | str | Unset = UNSET,
    is_converted: bool | None | Unset = UNSET,
    archived: bool | Unset = False,
    merged: bool | Unset = False,
    email: None | str | Unset = UNSET,
    phone: None | str | Unset = UNSET,
    q: None | str | Unset = UNSET,
    sort: ListLeadsSort | Unset = "-created_at",
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    min_position: None | str | Unset = UNSET,
    x_account_id: None | str | Unset = UNSET,
) -> Response[LeadPage | ProblemOut]:
    """List leads

     Leads of the read model, newest first by default; walk `next_cursor` for the next page.

    Custom-field filters (one per field of the account, so they are not listed as parameters):
    - `custom.<key>=<value>`: leads whose value is `<value>`; for a `multi_choice` field, whose values
    include it.
      A `number` is written as in JSON, a `boolean` `true` or `false`, a `date` `YYYY-MM-DD`, a
    `datetime` as a
      date (midnight UTC) or an RFC 3339 timestamp (no offset: UTC). A `choice` value need not be one of
    the
      field's current choices, so leads holding a removed choice can be found.
    - `custom.<key>.min`, `custom.<key>.max` (`number`, `date` and `datetime` fields): at least, at most
    (inclusive).
    A key that is not one of the account's custom fields, `.min`/`.max` on another type, or a value that
    does not
    parse as the field's type is 422 naming the parameter.

    Args:
        status (None | str | Unset): Comma-separated status keys: `new,contacted`.
        assigned_to (None | str | Unset): A user id, or `none` for unassigned leads.
        team_id (None | str | Unset):
        source (None | str | Unset): A source key.
        company_id (None | str | Unset): Exact company_id.
        min_score (int | None | Unset):
        max_score (int | None | Unset):
        created_after (None | str | Unset): Date `YYYY-MM-DD` (midnight UTC) or RFC 3339
            timestamp; inclusive.
        created_before (None | str | Unset): Date `YYYY-MM-DD` (midnight UTC) or RFC 3339
            timestamp; exclusive.
        updated_after (None | str | Unset): Date `YYYY-MM-DD` (midnight UTC) or RFC 3339
            timestamp; inclusive.
        is_converted (bool | None | Unset):
        archived (bool | Unset): Archived leads instead of live ones. Default: False.
        merged (bool | Unset): Leads merged into another lead (`merged_into` set) instead of the
            others; merged leads stay readable by id. Default: False.
        email (None | str | Unset): Exact address, case-insensitive.
        phone (None | str | Unset): A phone number, normalised as leads' numbers are: with `+` and
            the country code, in any format (`+1 (555) 234-5678`), the leads with that number; without
            `+`, a national number (`(555) 234-5678`), the leads whose number it is in any country
            where it can be one.
        q (None | str | Unset): Search: the leads where every word of `q` (a run of letters, or of
            digits: `garcia77` is garcia and 77) is a word of the lead's full name, email
            (`maria.garcia@acme.com` is maria, garcia, acme and com), company, or a text or choice
            custom value, the last word of `q` as a prefix (`mar` finds Maria); case-insensitive.
            Phone-ish text (`+1 555 234`, `(555) 234-5678`, `5552345678`) also matches the start of a
            phone number's digits, international or national. A `q` with no letter or digit is 422.
            There is no bound on the matches: pages are full while `has_more` is true, and walking the
            cursors visits every match exactly once.
        sort (ListLeadsSort | Unset): Order; `-` is descending. Default: '-created_at'.
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset): The `next_cursor` of the previous page, with the same `sort`.
            A walk visits every lead matching throughout exactly once, even while leads are written;
            by `updated_at` or `score` it keeps the order the leads had when it began.
        min_position (None | str | Unset): A Leadstore-Position token: wait (bounded) until the
            list includes that write; else 503 `projection_lagging` with `Retry-After`. A position
            beyond the account's last write is 422 at once.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LeadPage | ProblemOut]
    """

    kwargs = _get_kwargs(
        status=status,
        assigned_to=assigned_to,
        team_id=team_id,
        source=source,
        company_id=company_id,
        min_score=min_score,
        max_score=max_score,
        created_after=created_after,
        created_before=created_before,
        updated_after=updated_after,
        is_converted=is_converted,
        archived=archived,
        merged=merged,
        email=email,
        phone=phone,
        q=q,
        sort=sort,
        limit=limit,
        cursor=cursor,
        min_position=min_position,
        x_account_id=x_account_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    status: None | str | Unset = UNSET,
    assigned_to: None | str | Unset = UNSET,
    team_id: None | str | Unset = UNSET,
    source: None | str | Unset = UNSET,
    company_id: None | str | Unset = UNSET,
    min_score: int | None | Unset = UNSET,
    max_score: int | None | Unset = UNSET,
    created_after: None | str | Unset = UNSET,
    created_before: None | str | Unset = UNSET,
    updated_after: None | str | Unset = UNSET,
    is_converted: bool | None | Unset = UNSET,
    archived: bool | Unset = False,
    merged: bool | Unset = False,
    email: None | str | Unset = UNSET,
    phone: None | str | Unset = UNSET,
    q: None | str | Unset = UNSET,
    sort: ListLeadsSort | Unset = "-created_at",
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    min_position: None | str | Unset = UNSET,
    x_account_id: None | str | Unset = UNSET,
) -> LeadPage | ProblemOut | None:
    """List leads

     Leads of the read model, newest first by default; walk `next_cursor` for the next page.

    Custom-field filters (one per field of the account, so they are not listed as parameters):
    - `custom.<key>=<value>`: leads whose value is `<value>`; for a `multi_choice` field, whose values
    include it.
      A `number` is written as in JSON, a `boolean` `true` or `false`, a `date` `YYYY-MM-DD`, a
    `datetime` as a
      date (midnight UTC) or an RFC 3339 timestamp (no offset: UTC). A `choice` value need not be one of
    the
      field's current choices, so leads holding a removed choice can be found.
    - `custom.<key>.min`, `custom.<key>.max` (`number`, `date` and `datetime` fields): at least, at most
    (inclusive).
    A key that is not one of the account's custom fields, `.min`/`.max` on another type, or a value that
    does not
    parse as the field's type is 422 naming the parameter.

    Args:
        status (None | str | Unset): Comma-separated status keys: `new,contacted`.
        assigned_to (None | str | Unset): A user id, or `none` for unassigned leads.
        team_id (None | str | Unset):
        source (None | str | Unset): A source key.
        company_id (None | str | Unset): Exact company_id.
        min_score (int | None | Unset):
        max_score (int | None | Unset):
        created_after (None | str | Unset): Date `YYYY-MM-DD` (midnight UTC) or RFC 3339
            timestamp; inclusive.
        created_before (None | str | Unset): Date `YYYY-MM-DD` (midnight UTC) or RFC 3339
            timestamp; exclusive.
        updated_after (None | str | Unset): Date `YYYY-MM-DD` (midnight UTC) or RFC 3339
            timestamp; inclusive.
        is_converted (bool | None | Unset):
        archived (bool | Unset): Archived leads instead of live ones. Default: False.
        merged (bool | Unset): Leads merged into another lead (`merged_into` set) instead of the
            others; merged leads stay readable by id. Default: False.
        email (None | str | Unset): Exact address, case-insensitive.
        phone (None | str | Unset): A phone number, normalised as leads' numbers are: with `+` and
            the country code, in any format (`+1 (555) 234-5678`), the leads with that number; without
            `+`, a national number (`(555) 234-5678`), the leads whose number it is in any country
            where it can be one.
        q (None | str | Unset): Search: the leads where every word of `q` (a run of letters, or of
            digits: `garcia77` is garcia and 77) is a word of the lead's full name, email
            (`maria.garcia@acme.com` is maria, garcia, acme and com), company, or a text or choice
            custom value, the last word of `q` as a prefix (`mar` finds Maria); case-insensitive.
            Phone-ish text (`+1 555 234`, `(555) 234-5678`, `5552345678`) also matches the start of a
            phone number's digits, international or national. A `q` with no letter or digit is 422.
            There is no bound on the matches: pages are full while `has_more` is true, and walking the
            cursors visits every match exactly once.
        sort (ListLeadsSort | Unset): Order; `-` is descending. Default: '-created_at'.
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset): The `next_cursor` of the previous page, with the same `sort`.
            A walk visits every lead matching throughout exactly once, even while leads are written;
            by `updated_at` or `score` it keeps the order the leads had when it began.
        min_position (None | str | Unset): A Leadstore-Position token: wait (bounded) until the
            list includes that write; else 503 `projection_lagging` with `Retry-After`. A position
            beyond the account's last write is 422 at once.
        x_account_id (None | str | Unset): Optional; must be the API key's account id.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LeadPage | ProblemOut
    """

    return (
        await asyncio_detailed(
            client=client,
            status=status,
            assigned_to=assigned_to,
            team_id=team_id,
            source=source,
            company_id=company_id,
            min_score=min_score,
            max_score=max_score,
            created_after=created_after,
            created_before=created_before,
            updated_after=updated_after,
            is_converted=is_converted,
            archived=archived,
            merged=merged,
            email=email,
            phone=phone,
            q=q,
            sort=sort,
            limit=limit,
            cursor=cursor,
            min_position=min_position,
            x_account_id=x_account_id,
        )
    ).parsed
