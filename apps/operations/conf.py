"""Timings of the operations machinery: Django settings when set, else environment variables, else defaults."""

from __future__ import annotations

import os

from django.conf import settings

DEFAULTS = {
    # a running operation whose worker has not written a heartbeat for this long is reaped (failed)
    "DAVIT_OPERATION_STALE_SECONDS": 75.0,
    # how often a running operation's worker writes its heartbeat
    "DAVIT_OPERATION_HEARTBEAT_SECONDS": 5.0,
    # a pending operation not claimed this long after it was handed to Celery is handed over again
    "DAVIT_OPERATION_REDISPATCH_SECONDS": 60.0,
    # the default time limit of a rollout watch
    "DAVIT_ROLLOUT_TIMEOUT_SECONDS": 600.0,
}


def value(name: str) -> float:
    configured = getattr(settings, name, None)
    if configured is not None:
        return float(configured)
    return float(os.environ.get(name, DEFAULTS[name]))


def stale_seconds() -> float:
    return value("DAVIT_OPERATION_STALE_SECONDS")


def heartbeat_seconds() -> float:
    return value("DAVIT_OPERATION_HEARTBEAT_SECONDS")


def redispatch_seconds() -> float:
    return value("DAVIT_OPERATION_REDISPATCH_SECONDS")


def rollout_timeout_seconds() -> float:
    return value("DAVIT_ROLLOUT_TIMEOUT_SECONDS")
