"""How many API processes `leadstore serve` runs."""

from __future__ import annotations

import pytest

from leadstore.cli.processes import default_processes, process_count
from leadstore.settings import Settings


def test_the_option_wins_then_the_setting_then_one_process_per_core() -> None:
    assert process_count(3, 2) == 3
    assert process_count(None, 2) == 2
    assert process_count(None, 0) == process_count(0, 5) == default_processes() >= 1
    assert Settings.from_env({"LEADSTORE_PROCESSES": "4"}).processes == 4


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(SystemExit, match="1 or more"):
        process_count(-1, 0)
