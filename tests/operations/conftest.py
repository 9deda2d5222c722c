"""Fixtures of the operations tests."""

from __future__ import annotations

import pytest

from apps.operations import services


@pytest.fixture
def sent(monkeypatch) -> list[int]:
    """Operation ids handed to Celery, captured instead of sent (tests that run operations in-process)."""
    captured: list[int] = []

    def capture(op_id: int) -> bool:
        captured.append(op_id)
        return True

    monkeypatch.setattr(services, "_send", capture)
    return captured
