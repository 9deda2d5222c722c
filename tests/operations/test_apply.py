"""The `apply` runner on the lab swarm: create, leave alone, update, prune, and the rollout watch."""

from __future__ import annotations

import base64
import re

import pytest

from apps.clusters.models import Cluster
from apps.operations.models import Operation, Status
from apps.operations.runners.apply import changes_between
from apps.operations.services import operation_cancel
from tests.support.stacks import remove_stack, service_spec, stack_services, wait_until

from .helpers import messages, run_in_thread, run_now, start_apply

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def namespace(swarm, unique):
    name = f"ap{unique}"
    yield name
    remove_stack(swarm, name)


def by_name(swarm, namespace) -> dict[str, dict]:
    return {s["Spec"]["Name"]: s for s in stack_services(swarm, namespace)}


def test_apply_three_services_then_again_changes_nothing(swarm, lab_cluster, operator_user, namespace, sent):
    net = f"{namespace}_default"
    services = [
        service_spec("web", namespace=namespace, networks=[net]),
        service_spec("api", namespace=namespace, replicas=2, networks=[net]),
        service_spec("worker", namespace=namespace, env={"MODE": "batch"}),
    ]
    op = run_now(start_apply(operator_user, lab_cluster, namespace, services, networks={net: {"Attachable": True}}))

    assert op.status == Status.SUCCEEDED, op.explanation
    assert op.progress == 100
    log = messages(op)
    for name in ("web", "api", "worker"):
        assert f"Creating service {namespace}_{name}" in log
    assert f"Creating network {net}" in log
    assert any(m.startswith(f"Service {namespace}_api converged: 2/2 tasks running") for m in log)
    assert sorted(op.result["created"]) == sorted(f"{namespace}_{n}" for n in ("web", "api", "worker"))
    live = by_name(swarm, namespace)
    assert set(live) == set(op.result["created"])
    assert live[f"{namespace}_web"]["Spec"]["Labels"]["com.docker.stack.namespace"] == namespace
    running = [
        t for t in swarm.task_list(service=[s["ID"] for s in live.values()]) if t["Status"]["State"] == "running"
    ]
    assert len(running) == 4

    again = run_now(start_apply(operator_user, lab_cluster, namespace, services, networks={net: {"Attachable": True}}))

    assert again.status == Status.SUCCEEDED, again.explanation
    assert again.explanation == f"Nothing to change: the 3 service(s) of stack {namespace} are up to date.", messages(
        again
    )
    log = messages(again)
    for name in ("web", "api", "worker"):
        assert f"Service {namespace}_{name} unchanged" in log
    assert not [m for m in log if m.startswith(("Creating", "Updating", "Removing"))]
    after = by_name(swarm, namespace)
    for name, service in live.items():
        assert changes_between(service["Spec"], after[name]["Spec"]) == []
        assert after[name]["ID"] == service["ID"]


def test_update_prune_secrets_and_configs(swarm, lab_cluster, operator_user, namespace, sent):
    secret, config = f"{namespace}_token", f"{namespace}_conf"
    data = base64.b64encode(b"s3cr3t-value-never-shown").decode()
    params = {
        "secrets": {secret: {"Name": secret}},
        "configs": {config: {"Name": config, "Data": base64.b64encode(b"debug=1").decode()}},
    }
    first = [
        service_spec("a", namespace=namespace, secrets=[secret], configs=[config]),
        service_spec("b", namespace=namespace),
    ]
    op = run_now(
        start_apply(operator_user, lab_cluster, namespace, first, sealed={"secrets": {secret: data}}, **params)
    )
    assert op.status == Status.SUCCEEDED, op.explanation
    assert f"Creating secret {secret}" in messages(op)
    assert f"Creating config {config}" in messages(op)
    live = by_name(swarm, namespace)
    mounted = live[f"{namespace}_a"]["Spec"]["TaskTemplate"]["ContainerSpec"]["Secrets"][0]
    secret_id = {s["Spec"]["Name"]: s["ID"] for s in swarm.secret_list()}[secret]
    assert (mounted["SecretName"], mounted["SecretID"]) == (secret, secret_id)

    second = [
        service_spec("a", namespace=namespace, secrets=[secret], configs=[config], env={"LEVEL": "2"}),
        service_spec("c", namespace=namespace),
    ]
    op = run_now(
        start_apply(
            operator_user, lab_cluster, namespace, second, sealed={"secrets": {secret: data}}, prune=True, **params
        )
    )

    assert op.status == Status.SUCCEEDED, op.explanation
    log = messages(op)
    assert f"Removing service {namespace}_b (no longer in the stack)" in log
    assert f"Updating service {namespace}_a: TaskTemplate.ContainerSpec.Env changed" in log
    assert f"Creating service {namespace}_c" in log
    assert (op.result["updated"], op.result["created"], op.result["removed"]) == (
        [f"{namespace}_a"],
        [f"{namespace}_c"],
        [f"{namespace}_b"],
    )
    assert op.explanation.startswith(f"Stack {namespace}: 1 created")
    assert set(by_name(swarm, namespace)) == {f"{namespace}_a", f"{namespace}_c"}
    env = by_name(swarm, namespace)[f"{namespace}_a"]["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert env == ["LEVEL=2"]
    everything = " ".join(messages(op)) + str(Operation.objects.get(pk=op.pk).params)
    assert "s3cr3t-value-never-shown" not in everything
    assert data not in everything


def test_failed_update_is_rolled_back_by_the_swarm(swarm, lab_cluster, operator_user, namespace, sent):
    good = service_spec("app", namespace=namespace, failure_action="rollback", monitor=2)
    assert run_now(start_apply(operator_user, lab_cluster, namespace, [good])).status == Status.SUCCEEDED
    bad = service_spec(
        "app", namespace=namespace, failure_action="rollback", monitor=2, args=["sh", "-c", "echo broken; exit 3"]
    )

    op = run_now(start_apply(operator_user, lab_cluster, namespace, [bad], timeout=90))

    assert op.status == Status.FAILED
    assert op.explanation.startswith(
        f"The update of service {namespace}_app failed and the swarm rolled it back to its previous spec:"
    ), op.explanation
    assert op.result["rolled_back"] == [f"{namespace}_app"]
    log = messages(op)
    assert any(m.startswith(f"The swarm rolled back service {namespace}_app") for m in log), log
    assert any(
        m.endswith("failed: task: non-zero exit (3)") for m in log if m.startswith(f"Service {namespace}_app: task")
    )
    assert op.explanation.endswith("previous spec: task: non-zero exit (3)."), op.explanation
    args = by_name(swarm, namespace)[f"{namespace}_app"]["Spec"]["TaskTemplate"]["ContainerSpec"]["Args"]
    assert args == ["sleep", "3600"]


def test_failed_update_paused_by_the_swarm(swarm, lab_cluster, operator_user, namespace, sent):
    good = service_spec("app", namespace=namespace, failure_action="pause", monitor=2)
    assert run_now(start_apply(operator_user, lab_cluster, namespace, [good])).status == Status.SUCCEEDED
    bad = service_spec("app", namespace=namespace, failure_action="pause", monitor=2, args=["sh", "-c", "exit 4"])

    op = run_now(start_apply(operator_user, lab_cluster, namespace, [bad], timeout=90))

    assert op.status == Status.FAILED
    assert op.explanation.startswith(f"The update of service {namespace}_app is paused by the swarm:"), op.explanation
    assert op.explanation.endswith(
        "(task error: task: non-zero exit (4)). Fix the spec and apply again, or roll the service back."
    )


def test_rollout_time_limit_names_the_service_and_the_task_error(swarm, lab_cluster, operator_user, namespace, sent):
    never = service_spec("down", namespace=namespace, args=["sh", "-c", "exit 7"], restart_delay=0.2)

    # long enough for a first task to be scheduled, started and failed on a loaded machine (the sentence names
    # its error); the limit is what ends the watch, whatever its length
    op = run_now(start_apply(operator_user, lab_cluster, namespace, [never], timeout=10))

    assert op.status == Status.FAILED
    # the task restarts every 0.2 s, so at the time limit it may be running for an instant before it exits again
    assert re.fullmatch(
        rf"The rollout did not converge within 10 s: service {namespace}_down has [01] of 1 tasks running"
        r" \(last task error: task: non-zero exit \(7\)\)\.",
        op.explanation,
    ), op.explanation


def test_cancel_during_the_rollout_rolls_the_service_back(swarm, lab_cluster, operator_user, namespace, sent):
    first = service_spec("slow", namespace=namespace, replicas=2, delay=8)
    assert run_now(start_apply(operator_user, lab_cluster, namespace, [first])).status == Status.SUCCEEDED
    changed = service_spec("slow", namespace=namespace, replicas=2, delay=8, env={"V": "2"})
    op = start_apply(operator_user, lab_cluster, namespace, [changed])
    thread = run_in_thread(op)
    wait_until(lambda: any(m.startswith("Watching the rollout") for m in messages(op)), 30, what="the rollout")
    operation_cancel(operator_user, Operation.objects.get(pk=op.pk))
    thread.join(30)

    op.refresh_from_db()
    assert op.status == Status.CANCELLED
    assert op.explanation == f"Cancelled during the rollout; rolled back to the previous spec: {namespace}_slow."
    assert f"Rolling back service {namespace}_slow to its previous spec" in messages(op)

    def rolled_back():
        service = by_name(swarm, namespace)[f"{namespace}_slow"]
        return (service.get("UpdateStatus") or {}).get("State", "").startswith("rollback") and service

    service = wait_until(rolled_back, 30, what="the swarm's rollback")
    assert "Env" not in service["Spec"]["TaskTemplate"]["ContainerSpec"]


def test_invalid_parameters_fail_naming_the_field(team, operator_user, tmp_path, sent):
    cluster = Cluster.objects.create(name=f"nowhere-{team.pk}", team=team, endpoint_url=f"unix://{tmp_path}/x.sock")
    missing_image = service_spec("ok", namespace="st")
    missing_image["TaskTemplate"]["ContainerSpec"].pop("Image")
    op = run_now(start_apply(operator_user, cluster, "st", [service_spec("a", namespace="st"), missing_image]))
    assert op.status == Status.FAILED
    assert op.explanation == "Invalid parameters: services[1] (st_ok).TaskTemplate.ContainerSpec.Image is missing"

    undeclared = service_spec("b", namespace="st", networks=["st_back"])
    op = run_now(start_apply(operator_user, cluster, "st", [undeclared]))
    assert op.explanation == (
        "Invalid parameters: service st_b uses network 'st_back', which is neither in networks nor external_networks"
    )
    op = run_now(start_apply(operator_user, cluster, "st", [], resolve_image="sometimes"))
    assert op.explanation == "Invalid parameters: resolve_image must be one of never, always, changed, not 'sometimes'"


def test_missing_external_network_fails_before_any_change(swarm, lab_cluster, operator_user, namespace, sent):
    spec = service_spec("web", namespace=namespace, networks=["no-such-net-" + namespace])
    op = run_now(
        start_apply(operator_user, lab_cluster, namespace, [spec], external_networks=["no-such-net-" + namespace])
    )
    assert op.status == Status.FAILED
    assert op.explanation == (
        f"The external network no-such-net-{namespace} does not exist on the cluster; create it first."
    )
    assert stack_services(swarm, namespace) == []
