"""`leadstore accounts ...`: administration from the command line."""

from __future__ import annotations

import argparse
from typing import Any

from leadstore.cli.common import connect, print_json, require_db
from leadstore.domain import field_checks
from leadstore.settings import Settings
from leadstore.store.accounts import create_account


def register(sub: Any) -> None:
    accounts = sub.add_parser("accounts", help="manage accounts", description="Manage accounts (tenants).")
    accounts_sub = accounts.add_subparsers(dest="accounts_command", required=True, metavar="ACTION")
    create = accounts_sub.add_parser(
        "create",
        help="create an account and its first admin key",
        description="Create an account with the default statuses and sources, "
        "and an admin user whose API key is printed once.",
    )
    create.add_argument("name", help="the account's name")
    create.add_argument("--admin-email", required=True, help="email of the first admin user")
    create.add_argument("--json", action="store_true", help='print {"account_id", "user_id", "api_key"}')
    create.set_defaults(handler=run_create_account)


async def run_create_account(args: argparse.Namespace, settings: Settings) -> int:
    require_db(settings)
    try:
        if not field_checks.text(args.name, 255):
            raise field_checks.InvalidValueError("required", "must not be empty")
    except field_checks.InvalidValueError as exc:
        raise SystemExit(f"leadstore: the account name (1 to 255 characters, one line) {exc}") from None
    try:
        field_checks.email(args.admin_email)
    except field_checks.InvalidValueError as exc:
        raise SystemExit(f"leadstore: --admin-email is not a valid address: {exc}") from None
    async with connect(settings) as pool, pool.acquire() as conn:
        new = await create_account(conn, args.name, args.admin_email)
    if args.json:
        print_json({"account_id": str(new.account_id), "user_id": str(new.user_id), "api_key": new.api_key})
    else:
        print(f"account {new.account_id} created; admin user {new.user_id}")
        print(f"API key (shown once, keep it safe): {new.api_key}")
    return 0
