"""Runs one operation in a worker: claim, heartbeat, the kind's runner with a Context, finish.

A runner is `run(ctx) -> dict | None` (see apps.operations.runners). It raises OperationFailed(sentence) for a
failure a person can act on and Cancelled when it stopped on request; a SwarmError ends the operation failed with
its sentence; anything else ends it failed with "Internal error: <class>" (the traceback goes only to the log).
"""

from __future__ import annotations

import json
import logging
import threading
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.db import close_old_connections, connection

from apps.swarm.errors import SwarmError

from . import conf
from .models import Level, Operation, Status
from .runners import UnknownKind, resolve
from .services import event_append, operation_claim, operation_finish, operation_heartbeat, progress_set

logger = logging.getLogger(__name__)


class OperationFailed(Exception):
    """A clean failure: the message is what the person reads."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Cancelled(Exception):
    def __init__(self, message: str = "Cancelled on request."):
        super().__init__(message)
        self.message = message


class Abandoned(Exception):
    """The operation is no longer running on this worker (reaped or finished elsewhere): stop quietly."""


class Heartbeat:
    """Writes the operation's heartbeat from a background thread (its own database connection)."""

    def __init__(self, op: Operation, interval: float | None = None):
        self.op = op
        self.interval = interval or conf.heartbeat_seconds()
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{op.pk}", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    if not operation_heartbeat(self.op):
                        self.lost.set()
                        return
                except Exception:
                    logger.exception("heartbeat of operation %s failed", self.op.pk)
                    close_old_connections()
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


class Context:
    """What a runner gets: the operation, its parameters and secrets, the swarm client, and ways to report."""

    def __init__(self, operation: Operation, heartbeat: Heartbeat | None = None):
        self.operation = operation
        self.params: dict = operation.params or {}
        self.result: dict = {}
        self.summary: str = ""
        self._heartbeat = heartbeat
        self._sealed: dict | None = None
        self._client = None
        self._last_check = 0.0

    # secrets, decrypted only when a runner asks for them -------------------------------------------------
    @property
    def sealed(self) -> dict:
        if self._sealed is None:
            raw = Operation.objects.filter(pk=self.operation.pk).values_list("sealed", flat=True).first()
            self._sealed = json.loads(raw) if raw else {}
        return self._sealed

    # the swarm -------------------------------------------------------------------------------------------
    @property
    def client(self):
        if self._client is None:
            from apps.swarm.client import client_for

            cluster = self.operation.cluster
            if cluster is None:
                raise OperationFailed("This operation has no cluster (it was removed); there is nothing to work on.")
            self._client = client_for(cluster.endpoint)
        return self._client

    @client.setter
    def client(self, value) -> None:
        self._client = value

    # reporting -------------------------------------------------------------------------------------------
    def event(self, message: str, level: str = Level.INFO, data: dict | None = None):
        return event_append(self.operation, message, level=level, data=data)

    def progress(self, value: float) -> None:
        value = max(0, min(100, int(value)))
        if value != self.operation.progress:
            progress_set(self.operation, value)

    # cancel ----------------------------------------------------------------------------------------------
    def cancel_requested(self, max_age: float = 0.0) -> bool:
        """True when a person asked to cancel; raises Abandoned when the operation is not ours any more."""
        if self._heartbeat is not None and self._heartbeat.lost.is_set():
            raise Abandoned()
        now = time.monotonic()
        if max_age and now - self._last_check < max_age and not self.operation.cancel_requested:
            return False
        self._last_check = now
        row = Operation.objects.filter(pk=self.operation.pk).values_list("status", "cancel_requested").first()
        if row is None or row[0] != Status.RUNNING:
            raise Abandoned()
        self.operation.cancel_requested = row[1]
        return row[1]

    def check_cancel(self, max_age: float = 0.0) -> None:
        """Call between steps: raises Cancelled when a cancel was requested."""
        if self.cancel_requested(max_age):
            raise Cancelled("Cancelled on request.")


def execute(op_id: int, worker: str) -> str | None:
    """Claim and run one operation; returns its final status, or None when it was not ours to run."""
    op = operation_claim(op_id, worker)
    if op is None:
        return None
    heartbeat = Heartbeat(op).start()
    ctx = Context(op, heartbeat)
    status, explanation, result = Status.FAILED, "", None
    try:
        runner = resolve(op.kind)
        returned = runner(ctx)
        result = returned if isinstance(returned, dict) else ctx.result
        status, explanation = Status.SUCCEEDED, ctx.summary or "Done."
    except Abandoned:
        logger.warning("operation %s is no longer running on %s; stopped", op.pk, worker)
        return None
    except Cancelled as exc:
        status, explanation, result = Status.CANCELLED, exc.message, ctx.result
    except OperationFailed as exc:
        status, explanation, result = Status.FAILED, exc.message, ctx.result
    except SwarmError as exc:
        status, explanation, result = Status.FAILED, exc.message, ctx.result
    except UnknownKind as exc:
        status, explanation, result = Status.FAILED, f"This worker cannot run it: {exc}.", ctx.result
    except SoftTimeLimitExceeded:
        status, explanation, result = (
            Status.FAILED,
            "The operation ran longer than the worker's time limit and was stopped.",
            ctx.result,
        )
    except Exception as exc:
        logger.exception("operation %s (%s) failed with an internal error", op.pk, op.kind)
        status, explanation, result = Status.FAILED, f"Internal error: {exc.__class__.__name__}", ctx.result
    finally:
        heartbeat.stop()
    try:
        operation_finish(op, status, explanation, result)
    except Exception:
        logger.exception("could not record the end of operation %s", op.pk)
        close_old_connections()
        operation_finish(op, status, explanation, result)
    return status
