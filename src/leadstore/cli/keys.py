"""`leadstore rotate-kek`: rewrap every lead's data key under a new key-encryption key."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from leadstore.cli.common import connect
from leadstore.settings import Settings
from leadstore.store import encryption
from leadstore.store.encryption import KekMissing, KeyRing, read_kek
from leadstore.store.kek_rotation import remaining, rotate_kek

SWITCH_OVER = """How to switch to a new KEK with the service running:
  1. restart every process with LEADSTORE_KEK=<new> and LEADSTORE_KEK_PREVIOUS=<old>: new leads' keys are
     wrapped under the new KEK, the old rows still open with the previous one;
  2. run `leadstore rotate-kek` with the same settings: it rewraps every row still under another KEK (rerun
     it at will: it is idempotent and resumes where it stopped);
  3. when it reports 0 left, restart without LEADSTORE_KEK_PREVIOUS and retire the old KEK.
--new-kek-file FILE (or LEADSTORE_NEW_KEK) rewraps under FILE's KEK instead of LEADSTORE_KEK: only when every
process already opens with it (as LEADSTORE_KEK_PREVIOUS), or it can not read the rows rewrapped; then switch
as in 1 and run it again for the leads created meanwhile. Back up every KEK still named in lead_keys: losing
it loses those leads' personal data."""


def register(sub: Any) -> None:
    rotate = sub.add_parser(
        "rotate-kek",
        help="rewrap every lead's data key under a new key-encryption key",
        description="Rewrap every lead's data key (table lead_keys) under a new key-encryption key, in batches "
        "with progress on stderr, without touching the log. The target is --new-kek-file, else "
        "LEADSTORE_NEW_KEK(_FILE), else LEADSTORE_KEK; rows are opened with LEADSTORE_KEK and "
        "LEADSTORE_KEK_PREVIOUS(_FILE). Each row names the KEK that wrapped it, so a run is idempotent and "
        "an interrupted one resumes.",
        epilog=SWITCH_OVER,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rotate.add_argument("--new-kek-file", metavar="FILE", help="a file holding the new KEK (base64 of 32 bytes)")
    rotate.add_argument("--batch-size", type=int, default=1000, help="rows per transaction (default 1000)")
    rotate.set_defaults(handler=run_rotate_kek)


async def run_rotate_kek(args: argparse.Namespace, settings: Settings) -> int:
    opener = encryption.installed()
    if opener is None:
        raise SystemExit("leadstore: LEADSTORE_KEK is not set: rotate-kek opens the data keys with it")
    try:
        new = read_kek(settings.new_kek, args.new_kek_file or settings.new_kek_file, "LEADSTORE_NEW_KEK")
    except (ValueError, OSError) as exc:
        raise SystemExit(f"leadstore: {exc}") from None
    target = opener if new is None else KeyRing(new)
    if new is not None:  # rows already under the new KEK open too
        opener = opener.with_kek(new)

    def progress(done: int, total: int) -> None:
        print(f"rotate-kek: {done:,} of {total:,} data keys rewrapped", file=sys.stderr)

    async with connect(settings) as pool:
        try:
            done = await rotate_kek(pool, opener, target, batch_size=args.batch_size, progress=progress)
        except (KekMissing, ValueError) as exc:
            print(f"leadstore: {exc}; the rows rewrapped so far stay so, rerun once it opens", file=sys.stderr)
            return 1
        left = await remaining(pool, target)
    print(f"rotate-kek: rewrapped {done:,} data keys under {target.current_id}; {left:,} left under other KEKs")
    return 0 if left == 0 else 1
