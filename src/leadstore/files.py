"""Files that hold secrets (keys, passwords): readable by their owner only, from before anything is in them."""

from __future__ import annotations

from pathlib import Path


def private_file(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by its owner only (made so before the secret is written)."""
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text)
