import pytest

from tests.support.throttle import clear_throttles


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """DRF keeps throttle counters in Redis, outside the test's transaction: start each test from zero."""
    clear_throttles()
