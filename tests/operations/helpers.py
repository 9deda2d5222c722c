"""Helpers of the operations tests: run an operation in-process, switch the Celery broker, read events."""

from __future__ import annotations

import contextlib
import threading

from apps.operations.runner import execute


def run_now(op, worker: str = "pytest"):
    """Run an operation in this process, as a worker would (claim, heartbeat, runner, finish)."""
    execute(op.pk, worker)
    op.refresh_from_db()
    return op


def run_in_thread(op, worker: str = "pytest-thread") -> threading.Thread:
    from django.db import connection

    def target():
        try:
            execute(op.pk, worker)
        finally:
            connection.close()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


@contextlib.contextmanager
def celery_broker(url: str):
    """Send this process's Celery messages to another broker (a private Redis) for the duration."""
    from portal.celery import app

    def reset():  # forget the pools bound to the current broker (kombu keeps them per URL; never close them)
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    reset()
    app.conf.broker_url = url
    try:
        yield app
    finally:
        reset()
        app.conf.broker_url = previous


def messages(op) -> list[str]:
    return list(op.events.order_by("seq").values_list("message", flat=True))


def start_apply(actor, cluster, namespace: str, services: list[dict], *, sealed=None, **params):
    """Start an `apply` of `services` into stack `namespace` (locked per stack, as the projects app does)."""
    from apps.operations.services import operation_start

    return operation_start(
        actor,
        kind="apply",
        team=cluster.team,
        target=("stack", namespace, namespace),
        cluster=cluster,
        params={"namespace": namespace, "services": services, **params},
        sealed=sealed,
        lock_key=f"stack:{cluster.pk}:{namespace}",
    )
