"""Projects on the lab swarm with a real Celery worker: deploy through the API (202 + operation), the stack runs
under the project's name, unchanged services are left alone on redeploy, rollback to revision 1 after 3
revisions, drift after a hand scale (re-apply and accept), policy on accept, and remove."""

import uuid

import pytest

from apps.operations.models import Operation
from apps.projects.models import Project
from apps.projects.selectors import project_drift
from apps.swarm.errors import ObjectNotFound, SwarmError
from apps.swarm.services import NAMESPACE_LABEL
from tests.support.stacks import remove_stack, wait_finished, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

COMPOSE = """\
version: "3.8"
x-quick: &quick
  update_config: {monitor: 1s, delay: 0s}
  restart_policy: {delay: 1s}
  placement:  # other tests drain and re-join the lab's worker: keep the task ids stable
    constraints: [node.role == manager]
services:
  web:
    image: lab/busybox:1
    command: ["sleep", "3600"]
    environment:
      ROLE: web
    deploy:
      <<: *quick
      replicas: 2
    secrets: [token]
    configs:
      - source: settings
        target: /etc/settings.conf
    networks: [back]
  worker:
    image: lab/busybox:1
    command: ["sleep", "3600"]
    environment:
      ROLE: worker
      LEVEL: ${LEVEL:-1}
    deploy:
      <<: *quick
      replicas: 1
    networks: [back]
networks:
  back: {}
secrets:
  token:
    file: ./token.txt
configs:
  settings:
    file: ./settings.conf
"""

TOKEN = "token-value-never-shown"


@pytest.fixture
def namespace(swarm):
    name = f"pj{uuid.uuid4().hex[:8]}"
    yield name
    remove_stack(swarm, name)
    for volume in swarm.volume_list():  # tasks are pinned to the manager: their volumes are there
        if (volume.get("Labels") or {}).get(NAMESPACE_LABEL) == name:
            wait_until(lambda v=volume: _removed(swarm, v["Name"]), 60, what=f"volume {volume['Name']} removed")


def _removed(swarm, name):
    try:
        swarm.volume_remove(name)
    except ObjectNotFound:
        return True
    except SwarmError:
        return False
    return True


def deploy(api, project_id, **body):
    response = api.post(f"/api/v1/projects/{project_id}/deploy/", body, format="json")
    assert response.status_code == 202, response.content
    return response.json()["operation"]


def finished(operation: dict) -> Operation:
    op = wait_finished(Operation(pk=operation["id"]), timeout=180)
    events = "\n".join(f"{e.seq} {e.message}" for e in op.events.order_by("seq"))
    assert op.status == "succeeded", f"{op.explanation}\n{events}"
    return op


def services_by_name(swarm, namespace):
    return {s["Spec"]["Name"]: s for s in swarm.service_list(labels={NAMESPACE_LABEL: namespace})}


def running_task_ids(swarm, service_id):
    return sorted(t["ID"] for t in swarm.task_list(service=service_id) if t["DesiredState"] == "running")


def test_deploy_redeploy_rollback_drift_and_remove(api, team, lab_cluster, swarm, worker, namespace):
    created = api.post(
        "/api/v1/projects/",
        {
            "name": namespace,
            "team": team.pk,
            "cluster": lab_cluster.pk,
            "compose": COMPOSE,
            "files": {"token.txt": TOKEN, "settings.conf": "level=1\n"},
            "message": "first",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    project_id = created.json()["id"]
    revisions = f"/api/v1/projects/{project_id}/revisions/"

    # 1. deploy: 202 with the operation, which ends succeeded with an event per service
    operation = deploy(api, project_id)
    assert set(operation) >= {"id", "status", "url"}
    assert operation["status"] == "pending"
    op = finished(operation)
    assert op.kind == "apply"
    assert op.target_id == str(project_id)
    for service in ("web", "worker"):
        assert op.events.filter(data__service=f"{namespace}_{service}", data__action="create").exists()
    assert TOKEN not in str(list(op.events.values_list("message", "data")))
    assert TOKEN not in str(op.params)
    live = services_by_name(swarm, namespace)
    assert set(live) == {f"{namespace}_web", f"{namespace}_worker"}
    assert {n["Name"] for n in swarm.network_list(labels={NAMESPACE_LABEL: namespace})} == {f"{namespace}_back"}
    assert [s["Spec"]["Name"] for s in swarm.secret_list(labels={NAMESPACE_LABEL: namespace})] == [f"{namespace}_token"]
    assert [c["Spec"]["Name"] for c in swarm.config_list(labels={NAMESPACE_LABEL: namespace})] == [
        f"{namespace}_settings"
    ]
    assert Project.objects.get(pk=project_id).deployed_revision.number == 1
    assert api.get(f"/api/v1/projects/{project_id}/").json()["deployed_revision"] == 1
    drift = project_drift(Project.objects.get(pk=project_id))
    assert drift["drifted"] is False, [
        (r["service"], c["field"], c["change"]) for r in drift["services"] for c in r["changes"]
    ]

    # 2. revision 2 changes only the worker: web keeps its version, UpdatedAt and tasks
    web_before = swarm.service_inspect(f"{namespace}_web")
    web_tasks = running_task_ids(swarm, web_before["ID"])
    second = api.post(revisions, {"compose": COMPOSE, "variables": {"LEVEL": "2"}, "message": "level 2"}, format="json")
    assert second.status_code == 201
    assert second.json()["files"] == ["settings.conf", "token.txt"]
    op = finished(deploy(api, project_id))
    assert op.result["unchanged"] == [f"{namespace}_web"]
    assert op.result["updated"] == [f"{namespace}_worker"]
    assert op.events.filter(data__service=f"{namespace}_web", data__action="unchanged").exists()
    web_after = swarm.service_inspect(f"{namespace}_web")
    assert web_after["Version"]["Index"] == web_before["Version"]["Index"]
    assert web_after["UpdatedAt"] == web_before["UpdatedAt"]
    assert running_task_ids(swarm, web_after["ID"]) == web_tasks
    env = swarm.service_inspect(f"{namespace}_worker")["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert "LEVEL=2" in env

    # 3. revision 3 (web scaled to 1), deployed; then roll back to revision 1 (as revision 4)
    third = COMPOSE.replace("replicas: 2", "replicas: 1")
    assert api.post(revisions, {"compose": third, "message": "smaller"}, format="json").status_code == 201
    finished(deploy(api, project_id))
    assert swarm.service_inspect(f"{namespace}_web")["Spec"]["Mode"]["Replicated"]["Replicas"] == 1
    rollback = api.post(f"/api/v1/projects/{project_id}/rollback/", {"revision": 1}, format="json")
    assert rollback.status_code == 202, rollback.content
    assert rollback.json()["revision"]["number"] == 4
    finished(rollback.json()["operation"])
    project = Project.objects.get(pk=project_id)
    assert project.deployed_revision.number == 4
    assert project.deployed_revision.origin == "rollback"
    assert swarm.service_inspect(f"{namespace}_web")["Spec"]["Mode"]["Replicated"]["Replicas"] == 2
    assert "LEVEL=1" in swarm.service_inspect(f"{namespace}_worker")["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert project_drift(project)["drifted"] is False
    diff = api.get(f"{revisions}4/diff/?against=1").json()
    assert diff["changed"] is False

    # 4. drift: scale by hand (docker service scale), then re-apply
    scale_by_hand(swarm, f"{namespace}_web", 3)
    drift = api.get(f"/api/v1/projects/{project_id}/drift/").json()
    assert drift["drifted"] is True
    assert drift["deployed_revision"] == 4
    web = next(row for row in drift["services"] if row["service"] == "web")
    assert web["status"] == "changed"
    assert {k: v for k, v in web["changes"][0].items() if k in ("field", "deployed", "live")} == {
        "field": "Mode.Replicated.Replicas",
        "deployed": 2,
        "live": 3,
    }
    assert next(row for row in drift["services"] if row["service"] == "worker")["status"] == "unchanged"
    reapply = api.post(f"/api/v1/projects/{project_id}/drift/", {"action": "reapply"}, format="json")
    assert reapply.status_code == 202, reapply.content
    finished(reapply.json()["operation"])
    assert swarm.service_inspect(f"{namespace}_web")["Spec"]["Mode"]["Replicated"]["Replicas"] == 2
    assert api.get(f"/api/v1/projects/{project_id}/drift/").json()["drifted"] is False

    # 5. drift accepted: the live state becomes revision 5 (origin drift); a bind mount by hand is refused
    scale_by_hand(swarm, f"{namespace}_web", 3)
    accept = api.post(f"/api/v1/projects/{project_id}/drift/", {"action": "accept"}, format="json")
    assert accept.status_code == 201, accept.content
    assert accept.json()["revision"]["number"] == 5
    project = Project.objects.get(pk=project_id)
    accepted = project.revisions.get(number=5)
    assert accepted.origin == "drift"
    assert accepted.specs["services"]["web"]["Mode"]["Replicated"]["Replicas"] == 3
    assert project.deployed_revision_id == accepted.pk
    assert api.get(f"/api/v1/projects/{project_id}/drift/").json()["drifted"] is False
    assert finished(deploy(api, project_id)).result["updated"] == []

    update_by_hand(
        swarm,
        f"{namespace}_worker",
        lambda spec: spec["TaskTemplate"]["ContainerSpec"].update(
            Mounts=[{"Type": "bind", "Source": "/tmp", "Target": "/host-tmp"}]
        ),
    )
    refused = api.post(f"/api/v1/projects/{project_id}/drift/", {"action": "accept"}, format="json")
    assert refused.status_code == 400
    assert "Mounts[0]" in refused.json()["detail"]
    assert project.revisions.count() == 5

    # 6. page: live services, drift and revisions
    page = api.get(f"/projects/{project_id}/live/").content.decode()
    assert f'data-service="{namespace}_web"' in page
    assert 'data-drift="worker"' in page
    services_page = api.get("/projects/services/").content.decode()
    assert f'data-service="{namespace}_worker"' in services_page

    # 7. remove: services, then the network, the secret and the config
    removed = api.post(f"/api/v1/projects/{project_id}/remove/", {}, format="json")
    assert removed.status_code == 202
    op = finished(removed.json()["operation"])
    assert op.kind == "remove_stack"
    assert services_by_name(swarm, namespace) == {}
    assert swarm.secret_list(labels={NAMESPACE_LABEL: namespace}) == []
    assert swarm.config_list(labels={NAMESPACE_LABEL: namespace}) == []
    # the swarm forgets a removed overlay network at once; the manager's own copy can be listed a moment longer
    wait_until(lambda: not swarm.network_list(labels={NAMESPACE_LABEL: namespace}), 60, what="the networks gone")
    assert Project.objects.get(pk=project_id).deployed_revision is None


def update_by_hand(swarm, name, change):
    current = swarm.service_inspect(name)
    spec = current["Spec"]
    change(spec)
    swarm.service_update(current["ID"], current["Version"]["Index"], spec)


def scale_by_hand(swarm, name, replicas):
    update_by_hand(swarm, name, lambda spec: spec["Mode"]["Replicated"].update(Replicas=replicas))
    wait_until(
        lambda: swarm.service_inspect(name)["Spec"]["Mode"]["Replicated"]["Replicas"] == replicas,
        60,
        what=f"{name} scaled to {replicas}",
    )


PRUNED = """\
services:
  web:
    image: lab/busybox:1
    command: ["sleep", "3600"]
    volumes: ["data:/data"]
    deploy: &deploy
      update_config: {monitor: 1s}
      placement: {constraints: [node.role == manager]}
  extra:
    image: lab/busybox:1
    command: ["sleep", "3600"]
    networks: [side]
    secrets: [old]
    deploy: *deploy
networks:
  side: {}
volumes:
  data: {}
secrets:
  old:
    file: ./old.txt
"""


def test_prune_with_resources_then_remove_with_volumes(api, team, lab_cluster, swarm, worker, namespace):
    label = {NAMESPACE_LABEL: namespace}
    created = api.post(
        "/api/v1/projects/",
        {"name": namespace, "team": team.pk, "cluster": lab_cluster.pk, "compose": PRUNED, "files": {"old.txt": "x"}},
        format="json",
    ).json()
    finished(deploy(api, created["id"]))
    assert {n["Name"] for n in swarm.network_list(labels=label)} == {f"{namespace}_default", f"{namespace}_side"}
    assert [v["Name"] for v in swarm.volume_list() if (v.get("Labels") or {}).get(NAMESPACE_LABEL) == namespace] == [
        f"{namespace}_data"
    ]

    only_web = PRUNED.split("  extra:")[0] + "volumes:\n  data: {}\n"
    assert (
        api.post(f"/api/v1/projects/{created['id']}/revisions/", {"compose": only_web}, format="json").status_code
        == 201
    )
    op = finished(deploy(api, created["id"], prune=True, prune_resources=True))
    assert op.result["removed"] == [f"{namespace}_extra"]
    assert op.result["unchanged"] == [f"{namespace}_web"]
    assert op.result["resources_removed"] == {
        "network": [f"{namespace}_side"],
        "secret": [f"{namespace}_old"],
        "config": [],
    }
    assert set(services_by_name(swarm, namespace)) == {f"{namespace}_web"}
    assert {n["Name"] for n in swarm.network_list(labels=label)} == {f"{namespace}_default"}
    assert swarm.secret_list(labels=label) == []

    op = finished(
        api.post(f"/api/v1/projects/{created['id']}/remove/", {"volumes": True}, format="json").json()["operation"]
    )
    assert op.result["volumes"] == [f"{namespace}_data@manager"]
    assert not [v for v in swarm.volume_list() if (v.get("Labels") or {}).get(NAMESPACE_LABEL) == namespace]
    wait_until(lambda: not swarm.network_list(labels=label), 60, what="the networks gone")
