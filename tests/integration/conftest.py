"""Fixtures shared by the HTTP tests: the API served over a real socket, once per module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from leadstore.bootstrap import Container
from leadstore.http.testing import serve


@pytest.fixture(scope="module")
async def api(container: Container) -> AsyncIterator[str]:
    """The API's base URL (a module may define its own `api`, such as one with the projector running)."""
    async with serve(container) as url:
        yield url
