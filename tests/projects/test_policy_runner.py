"""The team policy is checked again by the `apply` runner on the final specs, on the lab with a real Celery worker:
a retry of an old deploy after the policy was tightened is refused (nothing updated), and so is an apply started
directly with operation_start, bypassing the projects services (nothing created)."""

import uuid

import pytest

from apps.operations.models import Operation
from apps.operations.services import operation_start
from apps.swarm.services import NAMESPACE_LABEL
from tests.support.stacks import remove_stack, service_spec, wait_finished, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

BIND = """\
services:
  web:
    image: lab/busybox:1
    command: ["sleep", "3600"]
    volumes: ["/tmp:/host-tmp:ro"]
    deploy:
      replicas: 1
      update_config: {monitor: 1s, delay: 0s}
      restart_policy: {delay: 1s}
      placement: {constraints: [node.role == manager]}
"""


@pytest.fixture
def namespace(swarm):
    name = f"pr{uuid.uuid4().hex[:8]}"
    yield name
    remove_stack(swarm, name)


def history(op: Operation) -> str:
    return "\n".join(f"{e.seq} {e.level} {e.message}" for e in op.events.order_by("seq"))


def writes(op: Operation) -> list:
    return list(op.events.filter(data__action__in=["create", "update", "remove"]).values_list("message", flat=True))


def test_a_retry_of_an_old_deploy_after_the_policy_was_tightened_is_refused_by_the_runner(
    api, team, lab_cluster, swarm, worker, namespace
):
    policy_url = f"/api/v1/team-policies/{team.pk}/"
    assert api.patch(policy_url, {"allow_bind_mounts": True}, format="json").status_code == 200
    created = api.post(
        "/api/v1/projects/",
        {"name": namespace, "team": team.pk, "cluster": lab_cluster.pk, "compose": BIND},
        format="json",
    )
    assert created.status_code == 201, created.content
    deployed = api.post(f"/api/v1/projects/{created.json()['id']}/deploy/", {}, format="json")
    assert deployed.status_code == 202, deployed.content
    first = wait_finished(Operation(pk=deployed.json()["operation"]["id"]), timeout=180)
    assert first.status == "succeeded", f"{first.explanation}\n{history(first)}"
    web = f"{namespace}_web"
    mounts = swarm.service_inspect(web)["Spec"]["TaskTemplate"]["ContainerSpec"]["Mounts"]
    assert [(m["Type"], m["Source"], m["Target"]) for m in mounts] == [("bind", "/tmp", "/host-tmp")]

    # the live service drifts (scaled by hand): a retry that ran would update it back to 1 replica
    current = swarm.service_inspect(web)
    spec = current["Spec"]
    spec["Mode"]["Replicated"]["Replicas"] = 2
    swarm.service_update(current["ID"], current["Version"]["Index"], spec)
    before = wait_until(
        lambda: (s := swarm.service_inspect(web))["Spec"]["Mode"]["Replicated"]["Replicas"] == 2 and s,
        60,
        what=f"{web} scaled to 2",
    )

    assert api.patch(policy_url, {"allow_bind_mounts": False}, format="json").status_code == 200
    retried = api.post(f"/api/v1/operations/{first.pk}/retry/")
    assert retried.status_code == 202, retried.content
    op = wait_finished(Operation(pk=retried.json()["operation"]["id"]), timeout=120)
    assert op.retry_of_id == first.pk
    assert op.kind == "apply"
    assert op.status == "failed", history(op)
    assert op.explanation.startswith("Refused by the team policy: "), op.explanation
    assert f"service {web}: TaskTemplate.ContainerSpec.Mounts[0]: bind mount of host path '/tmp'" in op.explanation
    assert "allow bind mounts in the team policy" in op.explanation
    assert writes(op) == []

    after = swarm.service_inspect(web)
    assert after["Version"]["Index"] == before["Version"]["Index"]
    assert after["Spec"] == before["Spec"]
    assert after["Spec"]["Mode"]["Replicated"]["Replicas"] == 2


def test_an_apply_started_directly_with_operation_start_is_refused_by_the_runner(
    team, lab_cluster, swarm, worker, namespace
):
    """The team never allowed bind mounts nor capabilities (the default policy): a direct apply creates nothing."""
    web = service_spec("web", namespace=namespace, networks=[f"{namespace}_back"])
    web["TaskTemplate"]["ContainerSpec"]["Mounts"] = [{"Type": "bind", "Source": "/tmp", "Target": "/host-tmp"}]
    web["TaskTemplate"]["ContainerSpec"]["CapabilityAdd"] = ["CAP_NET_ADMIN"]
    op = operation_start(
        None,
        kind="apply",
        team=team,
        target=("stack", namespace, namespace),
        cluster=lab_cluster,
        params={
            "namespace": namespace,
            "services": [web, service_spec("plain", namespace=namespace)],
            "networks": {f"{namespace}_back": {"Name": f"{namespace}_back", "Driver": "overlay"}},
        },
        lock_key=f"stack:{lab_cluster.pk}:{namespace}",
    )
    op = wait_finished(op, timeout=120)
    assert op.status == "failed", history(op)
    assert op.explanation.startswith("Refused by the team policy: "), op.explanation
    assert f"service {namespace}_web: TaskTemplate.ContainerSpec.Mounts[0]" in op.explanation
    assert "allow bind mounts in the team policy" in op.explanation
    assert f"service {namespace}_web: TaskTemplate.ContainerSpec.CapabilityAdd" in op.explanation
    assert "allow added capabilities in the team policy" in op.explanation
    assert f"{namespace}_plain" not in op.explanation
    assert writes(op) == []
    label = {NAMESPACE_LABEL: namespace}
    assert swarm.service_list(labels=label) == []
    assert swarm.network_list(labels=label) == []
