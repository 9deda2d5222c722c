"""Operation lifecycle in PostgreSQL: start, guarded transitions, locks, cancel, retry, reaper, events."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.core.errors import Conflict, Forbidden, NotFound
from apps.operations.models import Operation, OperationEvent, OperationLock, Status
from apps.operations.services import (
    IllegalTransition,
    event_append,
    operation_cancel,
    operation_claim,
    operation_finish,
    operation_retry,
    operation_start,
    operations_reap,
    transition,
)

from .helpers import messages

PARAMS = {"namespace": "demo", "services": []}


def start(actor, team, *, lock="project:1", **extra):
    return operation_start(
        actor, kind="apply", team=team, target=("project", "1", "demo"), params=PARAMS, lock_key=lock, **extra
    )


def test_start_writes_operation_event_and_audit_then_dispatches_on_commit(operator_user, team, sent):
    op = start(operator_user, team, summary={"revision": 3})
    op.refresh_from_db()
    assert op.status == Status.PENDING
    assert op.created_by == operator_user
    assert op.lock_key == "project:1"
    assert op.lock_keys == ["project:1"]
    assert messages(op) == [f"Queued by {operator_user.username}"]
    entry = AuditEntry.objects.get(action="operation.start")
    assert entry.summary == {"operation": op.pk, "kind": "apply", "revision": 3}
    assert (entry.target_type, entry.target_id, entry.team_id) == ("project", "1", team.pk)
    # the test runs inside a transaction that never commits: nothing was handed to Celery yet
    assert sent == []


@pytest.mark.django_db(transaction=True)
def test_dispatch_happens_only_after_commit_and_not_on_rollback(operator_user, team, sent):
    with transaction.atomic():
        op = start(operator_user, team)
        assert sent == []
    assert sent == [op.pk]
    assert Operation.objects.get(pk=op.pk).dispatched is not None

    class Boom(Exception):
        pass

    def start_then_fail():
        with transaction.atomic():
            start(operator_user, team, lock="project:2")
            raise Boom()

    with pytest.raises(Boom):
        start_then_fail()
    assert sent == [op.pk]
    assert Operation.objects.count() == 1
    assert AuditEntry.objects.filter(action="operation.start").count() == 1


def test_start_refuses_unknown_kinds_and_secret_data_in_params(operator_user, team, sent):
    with pytest.raises(ValueError, match="no runner"):
        operation_start(operator_user, kind="nonsense", team=team, target=None)
    with pytest.raises(ValueError, match="belongs in `sealed`"):
        operation_start(
            operator_user,
            kind="apply",
            team=team,
            target=None,
            params={"secrets": {"db": {"Name": "db", "Data": "c2VjcmV0"}}},
        )
    assert not Operation.objects.exists()


def test_sealed_secrets_are_encrypted_at_rest(operator_user, team, sent):
    op = start(operator_user, team, sealed={"registry_auths": {"r:5000": {"password": "hunter2-very-secret"}}})
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed, params::text FROM operations_operation WHERE id = %s", [op.pk])
        sealed, params = cursor.fetchone()
    assert "hunter2" not in sealed
    assert "hunter2" not in params
    assert Operation.objects.get(pk=op.pk).sealed_dict()["registry_auths"]["r:5000"]["password"] == (
        "hunter2-very-secret"
    )


def test_transitions_are_guarded(operator_user, team, sent):
    op = start(operator_user, team)
    with pytest.raises(IllegalTransition):
        transition(op, Status.SUCCEEDED, frm=Status.PENDING)
    assert transition(op, Status.RUNNING, frm=Status.PENDING, worker="w1")
    # a second mover that still believes it is pending loses
    assert not transition(op, Status.RUNNING, frm=Status.PENDING, worker="w2")
    assert Operation.objects.get(pk=op.pk).worker == "w1"
    assert operation_finish(op, Status.SUCCEEDED, "done")
    for final in (Status.FAILED, Status.CANCELLED):
        with pytest.raises(IllegalTransition):
            transition(op, Status.RUNNING, frm=final)
    assert not operation_finish(op, Status.FAILED, "too late")
    op.refresh_from_db()
    assert (op.status, op.progress, op.explanation) == (Status.SUCCEEDED, 100, "done")


def test_postgres_enforces_one_running_operation_per_lock(operator_user, team, sent):
    first, second = start(operator_user, team), start(operator_user, team)
    OperationLock.objects.create(key="project:1", operation=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        OperationLock.objects.create(key="project:1", operation=second)
    Operation.objects.filter(pk=first.pk).update(status=Status.RUNNING)
    with pytest.raises(IntegrityError), transaction.atomic():
        Operation.objects.filter(pk=second.pk).update(status=Status.RUNNING)


@pytest.mark.django_db(transaction=True)
def test_second_operation_waits_then_is_dispatched_when_the_first_ends(operator_user, team, sent):
    first, second = start(operator_user, team), start(operator_user, team)
    other = start(operator_user, team, lock="project:2")
    assert operation_claim(first.pk, "w1").status == Status.RUNNING
    assert operation_claim(second.pk, "w2") is None
    second.refresh_from_db()
    assert second.status == Status.PENDING
    assert second.explanation == f"Waiting for operation {first.pk} (apply demo) to finish"
    assert second.explanation in messages(second)
    # another lock is not blocked
    assert operation_claim(other.pk, "w2").status == Status.RUNNING
    sent.clear()
    assert operation_finish(first, Status.SUCCEEDED, "ok")
    assert not OperationLock.objects.filter(operation=first).exists()
    assert sent == [second.pk]  # handed to Celery once the finish committed
    assert operation_claim(second.pk, "w2").status == Status.RUNNING


def test_first_come_first_served_among_waiting_operations(operator_user, team, sent):
    first, second, third = (start(operator_user, team) for _ in range(3))
    assert operation_claim(first.pk, "w1")
    operation_finish(first, Status.SUCCEEDED)
    # the third's message arrives before the second's: it still waits for the older one
    assert operation_claim(third.pk, "w1") is None
    third.refresh_from_db()
    assert third.explanation.startswith(f"Waiting for operation {second.pk} ")
    assert operation_claim(second.pk, "w1")


def test_several_lock_keys_block_on_any(operator_user, team, sent):
    deploy = start(operator_user, team, lock=["project:1", "cluster:9"])
    join = start(operator_user, team, lock="cluster:9")
    assert operation_claim(deploy.pk, "w1")
    assert operation_claim(join.pk, "w1") is None
    assert set(OperationLock.objects.values_list("key", flat=True)) == {"project:1", "cluster:9"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_of_one_lock_let_exactly_one_run(operator_user, team, sent):
    ops = [start(operator_user, team) for _ in range(2)]
    Operation.objects.filter(pk=ops[1].pk).update(created=ops[0].created)  # no first-come order between them
    barrier = threading.Barrier(2)
    results: dict[int, object] = {}

    def claim(op):
        try:
            barrier.wait()
            results[op.pk] = operation_claim(op.pk, f"w-{op.pk}")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(op,)) for op in ops]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(r is not None for r in results.values()) == [False, True]
    assert Operation.objects.filter(status=Status.RUNNING).count() == 1
    assert OperationLock.objects.count() == 1


def test_cancel_pending_is_immediate_and_running_is_requested(operator_user, viewer_user, outsider, team, sent):
    pending = start(operator_user, team, lock=None)
    with pytest.raises(Forbidden):
        operation_cancel(viewer_user, pending)
    with pytest.raises(NotFound):
        operation_cancel(outsider, pending)
    op = operation_cancel(operator_user, pending)
    assert op.status == Status.CANCELLED
    assert op.explanation == f"Cancelled by {operator_user.username} before it started."
    with pytest.raises(Conflict, match="already cancelled"):
        operation_cancel(operator_user, op)

    running = start(operator_user, team, lock=None)
    operation_claim(running.pk, "w1")
    op = operation_cancel(operator_user, running)
    assert (op.status, op.cancel_requested) == (Status.RUNNING, True)
    assert "Cancel requested by" in messages(op)[-1]
    assert AuditEntry.objects.filter(action="operation.cancel").count() == 2


def test_cancel_needs_the_role_the_operation_was_started_with(operator_user, admin_user, team, sent):
    from apps.accounts.permissions import Action

    op = start(admin_user, team, required_action=Action.ADMIN)
    with pytest.raises(Forbidden):
        operation_cancel(operator_user, op)
    with pytest.raises(Forbidden):
        operation_retry(operator_user, op)
    assert operation_cancel(admin_user, op).status == Status.CANCELLED


def test_retry_copies_params_sealed_and_locks(operator_user, team, sent):
    op = start(operator_user, team, sealed={"registry_auths": {"r": {"password": "p"}}})
    with pytest.raises(Conflict, match="still pending"):
        operation_retry(operator_user, op)
    operation_claim(op.pk, "w1")
    operation_finish(op, Status.FAILED, "boom")
    new = operation_retry(operator_user, op)
    assert new.pk != op.pk
    assert new.retry_of == op
    assert (new.kind, new.params, new.lock_keys, new.status) == ("apply", PARAMS, ["project:1"], Status.PENDING)
    assert Operation.objects.get(pk=new.pk).sealed_dict() == {"registry_auths": {"r": {"password": "p"}}}
    assert f"as a retry of operation {op.pk}" in messages(new)[0]


@override_settings(DAVIT_OPERATION_STALE_SECONDS=60, DAVIT_OPERATION_REDISPATCH_SECONDS=30)
def test_reaper_fails_stale_operations_releases_their_lock_and_redispatches_lost_ones(operator_user, team, sent):
    stale, waiting = start(operator_user, team), start(operator_user, team)
    fresh = start(operator_user, team, lock="project:2")
    lost = start(operator_user, team, lock="project:3")
    operation_claim(stale.pk, "dead-worker@host")
    operation_claim(fresh.pk, "live-worker@host")
    operation_claim(waiting.pk, "w")  # waits for `stale`
    long_ago = timezone.now() - timedelta(seconds=100)
    Operation.objects.filter(pk=stale.pk).update(heartbeat=long_ago)
    Operation.objects.filter(pk__in=[lost.pk, waiting.pk]).update(dispatched=long_ago)
    sent.clear()

    result = operations_reap()

    assert result["reaped"] == [stale.pk]
    stale.refresh_from_db()
    assert stale.status == Status.FAILED
    assert stale.explanation.startswith("The worker running this operation stopped (dead-worker@host, last heard")
    assert "its lock is released" in stale.explanation
    assert not OperationLock.objects.filter(operation=stale).exists()
    assert Operation.objects.get(pk=fresh.pk).status == Status.RUNNING
    # the lost one is handed over again; the one that waited for the reaped one is free now, so it goes too
    assert sorted(result["redispatched"]) == sorted([waiting.pk, lost.pk])
    assert sorted(sent) == sorted([waiting.pk, lost.pk])
    # re-dispatch moves the clock: the next pass leaves them alone
    sent.clear()
    assert operations_reap() == {"reaped": [], "redispatched": []}


def test_events_have_sequence_numbers_and_are_append_only(operator_user, team, sent):
    op = start(operator_user, team)
    event_append(op, "two", data={"service": "a", "password": "nope"})
    event = event_append(op, "three", level="warning")
    assert [e.seq for e in op.events.order_by("seq")] == [1, 2, 3]
    assert OperationEvent.objects.get(operation=op, seq=2).data == {"service": "a", "password": "[redacted]"}
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        OperationEvent.objects.filter(pk=event.pk).update(message="rewritten")
    with pytest.raises(IntegrityError), transaction.atomic():
        OperationEvent.objects.create(operation=op, seq=3, message="duplicate")


def test_operation_finished_is_sent_inside_the_finish_and_a_failing_receiver_does_not_block_it(
    operator_user, team, sent
):
    from apps.operations.signals import operation_finished

    seen = []

    def receiver(sender, operation, status, **kwargs):
        seen.append((operation.pk, status, kwargs["explanation"], connection.in_atomic_block))
        event_append(operation, "receiver wrote this")

    def broken(sender, operation, status, **kwargs):
        raise RuntimeError("receiver bug")

    op = start(operator_user, team)
    operation_claim(op.pk, "w1")
    operation_finished.connect(receiver)
    operation_finished.connect(broken)
    try:
        assert operation_finish(op, Status.SUCCEEDED, "all good", {"n": 1})
    finally:
        operation_finished.disconnect(receiver)
        operation_finished.disconnect(broken)
    assert seen == [(op.pk, Status.SUCCEEDED, "all good", True)]
    op.refresh_from_db()
    assert op.status == Status.SUCCEEDED
    # the failing receiver undid the savepoint the receivers share; the operation still ended
    assert "receiver wrote this" not in messages(op)
    assert not OperationLock.objects.filter(operation=op).exists()
