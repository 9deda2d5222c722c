"""The runner: Context, success, clean failures, Docker errors, crashes, cancel, heartbeat."""

from __future__ import annotations

import pytest
from django.test import override_settings

from apps.operations import runners
from apps.operations.models import Operation, Status
from apps.operations.runner import execute
from apps.operations.services import operation_cancel, operation_start

from .helpers import messages, run_in_thread, run_now
from .test_lifecycle import PARAMS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def sample_runners(monkeypatch):
    for name in ("succeed", "fail_cleanly", "swarm_down", "crash", "wait_for_cancel", "slow_heartbeat"):
        monkeypatch.setitem(runners.RUNNERS, f"test-{name}", f"tests.operations.sample_runners.{name}")


def start(actor, team, kind, params=None, sealed=None):
    return operation_start(
        actor, kind=kind, team=team, target=("project", "1", "demo"), params=params or PARAMS, sealed=sealed
    )


def test_success_records_result_summary_progress_and_events(operator_user, team, sent):
    op = run_now(start(operator_user, team, "test-succeed", {"value": 7}, {"token": "s3cr3t"}))
    assert op.status == Status.SUCCEEDED
    assert (op.progress, op.result) == (100, {"value": 7})
    assert op.explanation == "did it with 7 and a secret of 6 characters"
    assert op.started
    assert op.finished
    assert op.worker == "pytest"
    assert messages(op)[1:] == ["Started on pytest", "step one", f"Succeeded: {op.explanation}"]
    # a claimed operation is never run twice
    assert execute(op.pk, "another") is None


def test_clean_failure_keeps_its_sentence_and_partial_result(operator_user, team, sent):
    op = run_now(start(operator_user, team, "test-fail_cleanly"))
    assert op.status == Status.FAILED
    assert op.explanation == "The thing could not be done because of X; fix X and retry."
    assert op.result == {"partial": True}


def test_swarm_error_fails_with_its_sentence(operator_user, team, sent):
    op = run_now(start(operator_user, team, "test-swarm_down"))
    assert op.status == Status.FAILED
    assert op.explanation == "Listing services: the Docker engine at unix:///nowhere.sock cannot be reached"


def test_crash_is_an_internal_error_without_traceback(operator_user, team, sent, caplog):
    op = run_now(start(operator_user, team, "test-crash"))
    assert op.status == Status.FAILED
    assert op.explanation == "Internal error: KeyError"
    assert "Traceback" not in " ".join(messages(op))
    assert "Traceback" in caplog.text or any(r.exc_info for r in caplog.records)


def test_unknown_kind_on_the_worker_fails_clearly(operator_user, team, sent, monkeypatch):
    op = start(operator_user, team, "test-succeed", {"value": 1}, {"token": "x"})
    monkeypatch.delitem(runners.RUNNERS, "test-succeed")
    op = run_now(op)
    assert op.status == Status.FAILED
    assert "no runner is registered for operations of kind 'test-succeed'" in op.explanation


def test_cancel_while_running_stops_at_the_next_check(operator_user, team, sent):
    op = start(operator_user, team, "test-wait_for_cancel")
    thread = run_in_thread(op)
    from tests.support.stacks import wait_until

    wait_until(lambda: "waiting" in messages(op), 60, what="the runner to start")
    operation_cancel(operator_user, Operation.objects.get(pk=op.pk))
    thread.join(30)
    op.refresh_from_db()
    assert op.status == Status.CANCELLED
    assert op.explanation == "Cancelled on request."


@override_settings(DAVIT_OPERATION_HEARTBEAT_SECONDS=0.2)
def test_heartbeat_is_written_while_running(operator_user, team, sent):
    # the runner lasts long enough that a poll delayed by a loaded machine still sees a later heartbeat
    op = start(operator_user, team, "test-slow_heartbeat", {"seconds": 3})
    thread = run_in_thread(op)
    from tests.support.stacks import wait_until

    first = wait_until(lambda: Operation.objects.get(pk=op.pk).heartbeat, 30, what="a first heartbeat")
    later = wait_until(
        lambda: (hb := Operation.objects.get(pk=op.pk).heartbeat) and hb > first and hb, 30, what="a newer heartbeat"
    )
    assert later > first
    thread.join(30)
    assert Operation.objects.get(pk=op.pk).status == Status.SUCCEEDED
