"""Faults on the lab: a killed worker, a Redis restart, an unreachable manager, two operations on one stack."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from apps.clusters.models import Cluster
from apps.operations.models import Operation, OperationLock, Status
from apps.operations.services import operation_retry, operations_reap
from tests.support.processes import start_beat, start_redis, start_worker
from tests.support.proxy import SocketProxy
from tests.support.stacks import remove_stack, service_spec, stack_services, wait_finished, wait_until

from .helpers import celery_broker, messages, run_in_thread, run_now, start_apply

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stacks(swarm):
    created: list[str] = []
    yield created
    for namespace in created:
        remove_stack(swarm, namespace)


def names(swarm, namespace) -> list[str]:
    return sorted(s["Spec"]["Name"] for s in stack_services(swarm, namespace))


def started_events(op) -> list[str]:
    return [m for m in messages(op) if m.startswith("Started on ")]


def test_kill_worker_mid_apply_is_reaped_and_a_retry_converges(
    swarm, lab_cluster, operator_user, subprocess_env, stacks, unique
):
    namespace = f"kill{unique}"
    stacks.append(namespace)
    env = {**subprocess_env, "DAVIT_OPERATION_STALE_SECONDS": "6", "DAVIT_OPERATION_HEARTBEAT_SECONDS": "1"}
    first = [service_spec(n, namespace=namespace, replicas=2, delay=3) for n in ("a", "b", "c")]
    assert run_now(start_apply(operator_user, lab_cluster, namespace, first)).status == Status.SUCCEEDED
    changed = [service_spec(n, namespace=namespace, replicas=2, delay=3, env={"V": "2"}) for n in ("a", "b", "c")]

    worker = start_worker(env, name="doomed")
    beat = replacement = None
    try:
        op = start_apply(operator_user, lab_cluster, namespace, changed)
        wait_until(
            lambda: any(m.startswith("Watching the rollout") for m in messages(op)),
            60,
            what="the rollout to be under way",
        )
        assert Operation.objects.get(pk=op.pk).status == Status.RUNNING
        worker.kill()

        replacement = start_worker(env, name="replacement")
        beat = start_beat(env)
        op = wait_finished(op, timeout=90)
        assert op.status == Status.FAILED
        assert op.explanation.startswith("The worker running this operation stopped (doomed-"), op.explanation
        assert "its lock is released" in op.explanation
        assert not OperationLock.objects.filter(operation=op).exists()
        assert names(swarm, namespace) == [f"{namespace}_{n}" for n in ("a", "b", "c")]  # none created twice

        retry = wait_finished(operation_retry(operator_user, op), timeout=120)
        assert retry.status == Status.SUCCEEDED, retry.explanation
        assert started_events(retry)
        assert started_events(retry)[0].startswith("Started on replacement-")
        assert names(swarm, namespace) == [f"{namespace}_{n}" for n in ("a", "b", "c")]
        for service in stack_services(swarm, namespace):
            assert service["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] == ["V=2"]
            running = [
                t for t in swarm.task_list(service=service["ID"], up_to_date=True) if t["Status"]["State"] == "running"
            ]
            assert len(running) == 2
    finally:
        for process in (beat, replacement, worker):
            if process is not None:
                process.stop()


def test_redis_restart_while_operations_are_queued_loses_none_and_runs_each_once(
    swarm, lab_cluster, operator_user, subprocess_env, stacks, unique
):
    redis, url = start_redis()
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    env = {**subprocess_env, "REDIS_URL": url}
    namespaces = [f"rr{unique}{n}" for n in range(3)]
    stacks.extend(namespaces)
    worker = None
    try:
        with celery_broker(url), override_settings(DAVIT_OPERATION_REDISPATCH_SECONDS=3):
            worker = start_worker(env, name="redis", concurrency=1)
            with transaction.atomic():
                ops = [
                    start_apply(
                        operator_user,
                        lab_cluster,
                        ns,
                        [service_spec("s1", namespace=ns, monitor=2), service_spec("s2", namespace=ns)],
                    )
                    for ns in namespaces
                ]
            wait_until(
                lambda: Operation.objects.get(pk=ops[0].pk).status == Status.RUNNING,
                60,
                what="the first operation to run",
            )
            assert Operation.objects.filter(pk__in=[o.pk for o in ops[1:]], status=Status.PENDING).count() == 2
            redis.stop()  # the queued messages are gone with it (no persistence)
            redis, _ = start_redis(port=port)

            def all_finished():
                operations_reap()  # what beat does every 20 s
                return all(Operation.objects.get(pk=o.pk).status not in ("pending", "running") for o in ops)

            wait_until(all_finished, 120, interval=1.0, what="every queued operation to run")
        for op, ns in zip(ops, namespaces, strict=True):
            op.refresh_from_db()
            assert op.status == Status.SUCCEEDED, (op.pk, op.explanation, messages(op))
            assert len(started_events(op)) == 1, messages(op)
            if op.pk != ops[0].pk:  # their messages were lost with Redis: the reaper handed them over again
                assert any(m.startswith("No worker took it within") for m in messages(op)), messages(op)
            assert len([m for m in messages(op) if m.startswith("Creating service")]) == 2
            assert names(swarm, ns) == [f"{ns}_s1", f"{ns}_s2"]
    finally:
        if worker is not None:
            worker.stop()
        redis.stop()


def test_crash_of_the_manager_connection_mid_apply_fails_with_the_sentence(
    swarm, team, lab, operator_user, stacks, unique, tmp_path, sent
):
    namespace = f"un{unique}"
    stacks.append(namespace)
    proxy = SocketProxy(str(tmp_path / "manager.sock"), lab["DOCKER_HOST"].removeprefix("unix://")).start()
    try:
        cluster = Cluster.objects.create(name=f"proxied-{unique}", team=team, endpoint_url=proxy.url)
        services = [service_spec(n, namespace=namespace, monitor=30) for n in ("a", "b")]
        op = start_apply(operator_user, cluster, namespace, services)
        thread = run_in_thread(op)
        wait_until(
            lambda: any(m.startswith("Service ") and "1/1" in m for m in messages(op)),
            60,
            what="the rollout to be watched",
        )
        proxy.close()
        thread.join(60)
    finally:
        proxy.close()
    op.refresh_from_db()
    assert op.status == Status.FAILED
    assert op.explanation.endswith(f"the Docker engine at {proxy.url} cannot be reached"), op.explanation
    assert "Traceback" not in op.explanation
    assert "Internal error" not in op.explanation
    assert names(swarm, namespace) == [f"{namespace}_a", f"{namespace}_b"]


def test_crash_safe_lock_two_operations_on_one_stack_run_one_after_the_other(
    swarm, lab_cluster, operator_user, subprocess_env, stacks, unique
):
    namespace = f"two{unique}"
    stacks.append(namespace)
    worker = start_worker(subprocess_env, name="pair", concurrency=2)
    try:
        with transaction.atomic():  # committed together: both messages leave at the same moment
            first = start_apply(
                operator_user,
                lab_cluster,
                namespace,
                [service_spec(n, namespace=namespace, monitor=2) for n in ("x", "y")],
            )
            second = start_apply(
                operator_user,
                lab_cluster,
                namespace,
                [service_spec(n, namespace=namespace, monitor=1, env={"R": "2"}) for n in ("x", "y")],
            )
        first, second = wait_finished(first, 120), wait_finished(second, 120)
    finally:
        worker.stop()
    assert (first.status, second.status) == (Status.SUCCEEDED, Status.SUCCEEDED), (
        first.explanation,
        second.explanation,
    )
    assert second.started >= first.finished
    assert f"Waiting for operation {first.pk} (apply {namespace}) to finish" in messages(second)
    assert second.result["updated"] == [f"{namespace}_x", f"{namespace}_y"]
    for service in stack_services(swarm, namespace):
        assert service["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] == ["R=2"]


def test_reaper_runs_on_celery_beat_schedule():
    import apps.operations.tasks  # noqa: F401 - registers the tasks as the worker's autodiscovery does
    from portal.celery import app

    entries = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert entries["operations.reap"] <= 60
    assert "operations.reap" in app.tasks
    assert "operations.run" in app.tasks
