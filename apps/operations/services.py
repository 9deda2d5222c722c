"""Writes of operations: start, claim, finish, cancel, retry, reap; events and progress.

Every status change goes through `transition()`: an UPDATE guarded by the expected current status, so two
workers, the reaper and a person can never move one operation twice. PostgreSQL is the truth; Celery only carries
ids, and a lost message is re-sent by the reaper.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import partial

from django.db import IntegrityError, connection, transaction
from django.db.models import Model, Q
from django.utils import timezone

from apps.accounts.permissions import Action, require
from apps.audit.services import record, scrub
from apps.core.errors import Conflict

from . import conf
from .models import ACTIVE, TRANSITIONS, Level, Operation, OperationEvent, OperationLock, Status
from .runners import known
from .signals import operation_finished

logger = logging.getLogger(__name__)

MAX_MESSAGE = 4000
MAX_EXPLANATION = 4000


class IllegalTransition(ValueError):
    pass


# ------------------------------------------------------------------------------------------------ transitions
def transition(op: Operation, to: str, *, frm: str | Sequence[str], where: Q | None = None, **fields) -> bool:
    """Move `op` from one of `frm` to `to`; False when the row was not in `frm` any more (someone else moved it).

    Refuses (IllegalTransition) a move that TRANSITIONS does not allow.
    """
    sources = [frm] if isinstance(frm, str) else list(frm)
    for source in sources:
        if to not in TRANSITIONS[source]:
            raise IllegalTransition(f"an operation cannot go from {source} to {to}")
    queryset = Operation.objects.filter(pk=op.pk, status__in=sources)
    if where is not None:
        queryset = queryset.filter(where)
    changed = queryset.update(status=to, **fields)
    if changed:
        op.status = to
        for name, value in fields.items():
            setattr(op, name, value)
    return bool(changed)


# ------------------------------------------------------------------------------------------------ events
def event_append(
    op: Operation | int, message: str, level: str = Level.INFO, data: dict | None = None
) -> OperationEvent:
    """Append one event with the next sequence number (taken atomically from the operation row)."""
    op_id = op.pk if isinstance(op, Operation) else op
    if level not in Level.values:
        raise ValueError(f"unknown event level {level!r}")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE operations_operation SET event_seq = event_seq + 1 WHERE id = %s RETURNING event_seq", [op_id]
            )
            row = cursor.fetchone()
        if row is None:
            raise Operation.DoesNotExist(f"operation {op_id} does not exist")
        event = OperationEvent.objects.create(
            operation_id=op_id, seq=row[0], level=level, message=str(message)[:MAX_MESSAGE], data=scrub(data or {})
        )
    if isinstance(op, Operation):
        op.event_seq = row[0]
    return event


def progress_set(op: Operation, value: float) -> None:
    value = max(0, min(100, int(value)))
    Operation.objects.filter(pk=op.pk, status=Status.RUNNING).update(progress=value)
    op.progress = value


def operation_heartbeat(op: Operation) -> bool:
    """Write the heartbeat; False when the operation is no longer running on this worker (reaped, finished)."""
    return bool(
        Operation.objects.filter(pk=op.pk, status=Status.RUNNING, worker=op.worker).update(heartbeat=timezone.now())
    )


# ------------------------------------------------------------------------------------------------ start
def _target(target) -> tuple[str, str, str]:
    if isinstance(target, Model):
        return target._meta.model_name, str(target.pk), str(target)[:200]
    if isinstance(target, tuple | list) and len(target) == 3:
        return str(target[0])[:64], str(target[1])[:64], str(target[2])[:200]
    if target is None:
        return "", "", ""
    raise TypeError("target must be a model instance or a (type, id, text) tuple")


def _lock_keys(lock_key: str | Iterable[str] | None) -> list[str]:
    if not lock_key:
        return []
    keys = [lock_key] if isinstance(lock_key, str) else list(lock_key)
    seen: list[str] = []
    for key in keys:
        if not key or not isinstance(key, str) or len(key) > 200:
            raise ValueError(f"invalid lock key {key!r}")
        if key not in seen:
            seen.append(key)
    return seen


def _check_params(params: dict) -> None:
    try:
        json.dumps(params)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"operation parameters must be JSON: {exc}") from None
    secrets = params.get("secrets")
    if isinstance(secrets, dict):
        for name, body in secrets.items():
            if isinstance(body, dict) and body.get("Data"):
                raise ValueError(f"the data of secret {name} belongs in `sealed`, never in the parameters")


def operation_start(
    actor,
    *,
    kind: str,
    team,
    target,
    cluster=None,
    params: dict | None = None,
    sealed: dict | None = None,
    lock_key: str | Iterable[str] | None = None,
    summary: dict | None = None,
    required_action: Action = Action.OPERATE,
    retry_of: Operation | None = None,
) -> Operation:
    """Write a pending Operation, its first event and its audit entry in one transaction; hand its id to Celery
    once that commits. Permission checks are the caller's job (it knows which action this work needs)."""
    if not known(kind):
        raise ValueError(f"no runner is registered for operations of kind {kind!r}")
    params = dict(params or {})
    _check_params(params)
    keys = _lock_keys(lock_key)
    target_type, target_id, target_repr = _target(target)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    with transaction.atomic():
        op = Operation.objects.create(
            kind=kind,
            team=team,
            created_by=actor if is_user else None,
            target_type=target_type,
            target_id=target_id,
            target_repr=target_repr,
            cluster=cluster,
            params=params,
            sealed=json.dumps(sealed) if sealed else "",
            required_action=int(required_action),
            lock_key=keys[0] if keys else None,
            lock_keys=keys,
            retry_of=retry_of,
        )
        who = actor.get_username() if is_user else "the system"
        note = f"Queued by {who}" + (f" as a retry of operation {retry_of.pk}" if retry_of else "")
        event_append(op, note, data={"retry_of": retry_of.pk} if retry_of else None)
        record(
            actor,
            "operation.start",
            (target_type or "operation", target_id or op.pk, target_repr or str(op)),
            team=team,
            summary={"operation": op.pk, "kind": kind, **(summary or {})},
        )
        transaction.on_commit(partial(dispatch, op.pk), robust=True)
    return op


def dispatch(op: Operation | int) -> bool:
    """Hand the id to Celery (never raises: if the broker is down, the reaper hands it over again later)."""
    op_id = op.pk if isinstance(op, Operation) else op
    Operation.objects.filter(pk=op_id, status=Status.PENDING).update(dispatched=timezone.now())
    return _send(op_id)


def _send(op_id: int) -> bool:
    try:
        from .tasks import run

        run.apply_async(
            args=[op_id],
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1.0},
        )
    except Exception as exc:
        logger.warning("could not hand operation %s to Celery (%s); the reaper will hand it over again", op_id, exc)
        return False
    return True


def dispatch_waiting(keys: Iterable[str]) -> list[int]:
    """Dispatch the pending operations that wait on any of these lock keys (oldest first)."""
    keys = list(keys)
    if not keys:
        return []
    waiting = list(
        Operation.objects.filter(status=Status.PENDING, lock_keys__overlap=keys)
        .order_by("created", "id")
        .values_list("pk", flat=True)
    )
    for op_id in waiting:
        dispatch(op_id)
    return waiting


# ------------------------------------------------------------------------------------------------ claim/finish
def _blocker(op: Operation) -> Operation | None:
    """The operation `op` must wait for: a holder of one of its locks, else an older pending one (first come,
    first served)."""
    held = OperationLock.objects.filter(key__in=op.lock_keys).exclude(operation_id=op.pk).first()
    if held is not None:
        return Operation.objects.filter(pk=held.operation_id).first()
    return (
        Operation.objects.filter(status=Status.PENDING, lock_keys__overlap=op.lock_keys)
        .filter(Q(created__lt=op.created) | Q(created=op.created, pk__lt=op.pk))
        .order_by("created", "id")
        .first()
    )


def _waiting_note(op: Operation, blocker: Operation | None) -> None:
    if blocker is None:
        text = "Waiting for another operation on the same object to finish"
    else:
        what = " ".join(part for part in (blocker.kind, blocker.target_repr) if part)
        text = f"Waiting for operation {blocker.pk} ({what}) to finish"
    if op.explanation != text:
        Operation.objects.filter(pk=op.pk, status=Status.PENDING).update(explanation=text)
        op.explanation = text
        event_append(op, text, data={"waiting_for": blocker.pk if blocker else None})


def operation_claim(op_id: int, worker: str) -> Operation | None:
    """pending -> running for `worker` when its locks are free; None when it is not ours to run (already
    claimed, finished, unknown) or must wait (then it stays pending with "Waiting for operation N")."""
    with transaction.atomic():
        op = Operation.objects.select_for_update().defer("sealed").filter(pk=op_id).first()
        if op is None or op.status != Status.PENDING:
            return None
        if op.lock_keys:
            blocker = _blocker(op)
            if blocker is None:
                try:
                    with transaction.atomic():
                        OperationLock.objects.bulk_create([OperationLock(key=k, operation=op) for k in op.lock_keys])
                except IntegrityError:
                    blocker = _blocker(op)
                    _waiting_note(op, blocker)
                    return None
            else:
                _waiting_note(op, blocker)
                return None
        now = timezone.now()
        try:
            with transaction.atomic():
                moved = transition(
                    op,
                    Status.RUNNING,
                    frm=Status.PENDING,
                    worker=worker[:255],
                    started=now,
                    heartbeat=now,
                    explanation="",
                )
        except IntegrityError:  # the partial unique index on lock_key: another running holder
            _waiting_note(op, Operation.objects.filter(lock_key=op.lock_key, status=Status.RUNNING).first())
            OperationLock.objects.filter(operation=op).delete()
            return None
        if not moved:
            return None
        event_append(op, f"Started on {worker}", data={"worker": worker})
    return op


FINAL_WORDS = {Status.SUCCEEDED: "Succeeded", Status.FAILED: "Failed", Status.CANCELLED: "Cancelled"}


def operation_finish(
    op: Operation,
    status: str,
    explanation: str = "",
    result: dict | None = None,
    *,
    frm: str | Sequence[str] = Status.RUNNING,
    where: Q | None = None,
) -> bool:
    """End the operation (guarded), release its locks and dispatch whatever waited on them. False if it had
    already been moved by someone else."""
    explanation = (explanation or "").strip()[:MAX_EXPLANATION]
    fields: dict = {"finished": timezone.now(), "explanation": explanation}
    if result is not None:
        fields["result"] = result
    if status == Status.SUCCEEDED:
        fields["progress"] = 100
    with transaction.atomic():
        if not transition(op, status, frm=frm, where=where, **fields):
            return False
        held = list(OperationLock.objects.filter(operation_id=op.pk).values_list("key", flat=True))
        OperationLock.objects.filter(operation_id=op.pk).delete()
        level = {Status.SUCCEEDED: Level.INFO, Status.FAILED: Level.ERROR}.get(status, Level.WARNING)
        message = FINAL_WORDS.get(status, status) + (f": {explanation}" if explanation else "")
        event_append(op, message, level=level, data={"status": status})
        _announce(op, status, explanation, result)
        released = set(held) | set(op.lock_keys or [])
        if released:
            transaction.on_commit(partial(dispatch_waiting, sorted(released)), robust=True)
    return True


def _announce(op: Operation, status: str, explanation: str, result: dict | None) -> None:
    """operation_finished, inside the finishing transaction; receivers run in a savepoint (see signals.py)."""
    try:
        with transaction.atomic():
            operation_finished.send(
                sender=Operation, operation=op, status=status, explanation=explanation, result=result
            )
    except Exception:
        logger.exception("a receiver of operation_finished failed for operation %s; its change was undone", op.pk)


# ------------------------------------------------------------------------------------------------ people
def operation_cancel(actor, op: Operation) -> Operation:
    """pending -> cancelled at once; running -> cancel requested (the runner stops at its next step)."""
    require(actor, op.team_id, Action(op.required_action), "this operation")
    who = actor.get_username() if actor is not None and actor.is_authenticated else "the system"
    with transaction.atomic():
        require(actor, op.team_id, Action(op.required_action), "this operation")
        locked = Operation.objects.select_for_update().defer("sealed").get(pk=op.pk)
        if locked.status == Status.PENDING:
            operation_finish(locked, Status.CANCELLED, f"Cancelled by {who} before it started.", frm=Status.PENDING)
        elif locked.status == Status.RUNNING:
            if not locked.cancel_requested:
                Operation.objects.filter(pk=locked.pk).update(cancel_requested=True)
                locked.cancel_requested = True
                event_append(
                    locked, f"Cancel requested by {who}; the operation stops at its next step", level=Level.WARNING
                )
        else:
            raise Conflict(f"Operation {locked.pk} has already {locked.status}; there is nothing to cancel.")
        record(
            actor,
            "operation.cancel",
            locked,
            team=locked.team,
            summary={"operation": locked.pk, "status": locked.status},
        )
    return locked


def operation_retry(actor, op: Operation) -> Operation:
    """A new operation with the same kind, target, parameters, secrets and locks, linked by retry_of."""
    require(actor, op.team_id, Action(op.required_action), "this operation")
    with transaction.atomic():
        require(actor, op.team_id, Action(op.required_action), "this operation")
        source = Operation.objects.select_for_update().get(pk=op.pk)
        if source.status in ACTIVE:
            raise Conflict(
                f"Operation {source.pk} is still {source.status}; wait for it to end or cancel it before retrying."
            )
        return operation_start(
            actor,
            kind=source.kind,
            team=source.team,
            target=(source.target_type, source.target_id, source.target_repr),
            cluster=source.cluster,
            params=source.params,
            sealed=source.sealed_dict() or None,
            lock_key=source.lock_keys or None,
            summary={"retry_of": source.pk},
            required_action=Action(source.required_action),
            retry_of=source,
        )


# ------------------------------------------------------------------------------------------------ reaper
def operations_reap(now=None) -> dict:
    """Beat task `operations.reap`: fail operations whose worker stopped (their locks are released and the
    next waiting operation is dispatched), and hand over again pending operations whose message vanished."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=conf.stale_seconds())
    reaped = []
    orphans = Operation.objects.filter(status=Status.RUNNING).filter(
        Q(heartbeat__lt=stale) | Q(heartbeat__isnull=True, started__lt=stale)
    )
    for op in orphans.defer("sealed"):
        seen = op.heartbeat or op.started or now
        age = int((now - seen).total_seconds())
        worker = op.worker or "an unknown worker"
        explanation = (
            f"The worker running this operation stopped ({worker}, last heard from {age} s ago); its lock is "
            f"released. Retry the operation to run it again."
        )
        guard = Q(heartbeat__lt=stale) | Q(heartbeat__isnull=True)
        if operation_finish(op, Status.FAILED, explanation, where=guard):
            logger.warning("reaped operation %s: %s", op.pk, explanation)
            reaped.append(op.pk)

    cutoff = now - timedelta(seconds=conf.redispatch_seconds())
    redispatched = []
    lost = Operation.objects.filter(status=Status.PENDING).filter(
        Q(dispatched__lt=cutoff) | Q(dispatched__isnull=True, created__lt=cutoff)
    )
    for op in lost.order_by("created", "id").defer("sealed"):
        if op.lock_keys and OperationLock.objects.filter(key__in=op.lock_keys).exists():
            continue  # it waits for a running operation, which dispatches it when it ends
        waited = int((now - (op.dispatched or op.created)).total_seconds())
        event_append(op, f"No worker took it within {waited} s (its message may have been lost); handed over again")
        dispatch(op.pk)
        redispatched.append(op.pk)
    if redispatched:
        logger.info("handed pending operations %s to Celery again", redispatched)
    return {"reaped": reaped, "redispatched": redispatched}
