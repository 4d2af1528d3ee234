"""Fixtures for the bench tests: `tool(name)` skips without an external tool, fails under CI."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests_support import require_tool


@pytest.fixture(scope="session")
def tool() -> Callable[[str], str]:
    return require_tool
