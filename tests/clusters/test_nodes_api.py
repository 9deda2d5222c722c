"""Nodes through the API on the shared 2-node lab: list at a fixed cost, drain, labels and placement, promote and
demote, refusals. Every test that changes a node puts the lab back in a `finally` (restore_lab)."""

import pytest

from apps.audit.models import AuditEntry
from apps.clusters.selectors import node_rows
from apps.clusters.swarm import swarm_for
from tests.clusters.helpers import (
    docker_calls,
    remove_service,
    restore_lab,
    running_nodes,
    service_spec,
    unique_name,
    wait_running,
)
from tests.conftest import api_client_for
from tests.support.processes import wait_for


@pytest.fixture
def ids(swarm, worker_swarm):
    return {"manager": swarm.engine_swarm_state()["node_id"], "worker": worker_swarm.engine_swarm_state()["node_id"]}


def node_url(cluster, node_id):
    return f"/api/v1/clusters/{cluster.pk}/nodes/{node_id}/"


def test_the_node_list_costs_two_docker_calls_and_shows_every_column(api, lab_cluster, ids):
    client = swarm_for(lab_cluster)
    with docker_calls(client) as calls:
        rows = node_rows(lab_cluster)
    assert len(calls) == 2, calls
    assert [c.split("?")[0] for c in calls] == ["GET /v1.41/nodes", "GET /v1.41/tasks"]
    response = api.get(f"/api/v1/clusters/{lab_cluster.pk}/nodes/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 == len(rows)
    by_id = {row["id"]: row for row in body["results"]}
    worker = by_id[ids["worker"]]
    for key in (
        "hostname",
        "role",
        "availability",
        "state",
        "address",
        "engine_version",
        "labels",
        "cpus",
        "memory_bytes",
        "tasks",
        "running",
        "version",
        "url",
    ):
        assert key in worker
    assert (worker["role"], worker["state"], worker["address"]) == ("worker", "ready", "10.210.0.2")
    assert by_id[ids["manager"]]["role"] == "manager"
    assert worker["url"] == f"/api/v1/nodes/{lab_cluster.pk}:{ids['worker']}/"


def test_task_counts_follow_a_service_and_the_node_page_lists_its_tasks(api, swarm, lab_cluster, ids):
    service_id = swarm.service_create(
        service_spec(unique_name("t-count"), replicas=2, constraints=[f"node.id=={ids['worker']}"])
    )
    try:
        wait_running(swarm, service_id, 2)
        rows = {r["id"]: r for r in api.get(f"/api/v1/clusters/{lab_cluster.pk}/nodes/").json()["results"]}
        assert rows[ids["worker"]]["running"] >= 2
        detail = api.get(f"/api/v1/nodes/{lab_cluster.pk}:{ids['worker']}/").json()
        mine = [t for t in detail["tasks"] if t["service_id"] == service_id]
        assert len([t for t in mine if t["state"] == "running"]) == 2
        assert all(t["service"].startswith("t-count-") for t in mine)
    finally:
        remove_service(swarm, service_id)


def test_drain_the_worker_moves_its_tasks_to_the_manager_then_active_again(api, swarm, worker_swarm, lab_cluster, ids):
    service_id = swarm.service_create(service_spec(unique_name("t-drain"), replicas=4))
    try:
        wait_for(lambda: ids["worker"] in running_nodes(swarm, service_id), 90, what="a task on the worker")
        version = api.get(node_url(lab_cluster, ids["worker"])).json()["version"]
        response = api.patch(
            node_url(lab_cluster, ids["worker"]), {"availability": "drain", "version": version}, format="json"
        )
        assert response.status_code == 200, response.content
        assert response.json()["availability"] == "drain"
        wait_running(swarm, service_id, 4, only_on={ids["manager"]})
        entry = AuditEntry.objects.get(action="node.update", target_id=f"{lab_cluster.pk}:{ids['worker']}")
        assert entry.summary["availability"] == {"from": "active", "to": "drain"}
        response = api.patch(node_url(lab_cluster, ids["worker"]), {"availability": "active"}, format="json")
        assert response.json()["availability"] == "active"
    finally:
        remove_service(swarm, service_id)
        restore_lab(swarm, worker_swarm)


def test_a_label_added_through_the_api_places_a_constrained_service(api, swarm, worker_swarm, lab_cluster, ids):
    key, value = f"davit.test.zone-{unique_name('k')}", "blue"
    service_id = None
    try:
        response = api.patch(
            f"/api/v1/nodes/{lab_cluster.pk}:{ids['worker']}/", {"add_labels": {key: value}}, format="json"
        )
        assert response.status_code == 200, response.content
        assert response.json()["labels"][key] == value
        service_id = swarm.service_create(
            service_spec(unique_name("t-label"), replicas=3, constraints=[f"node.labels.{key}=={value}"])
        )
        nodes = wait_running(swarm, service_id, 3)
        assert set(nodes) == {ids["worker"]}
        changed = api.patch(node_url(lab_cluster, ids["worker"]), {"add_labels": {key: "green"}}, format="json")
        assert changed.json()["labels"][key] == "green"
        removed = api.patch(node_url(lab_cluster, ids["worker"]), {"remove_labels": [key]}, format="json")
        assert key not in removed.json()["labels"]
        missing = api.patch(node_url(lab_cluster, ids["worker"]), {"remove_labels": [key]}, format="json")
        assert missing.status_code == 400
        assert "has no label" in missing.json()["errors"]["remove_labels"][0]
    finally:
        if service_id:
            remove_service(swarm, service_id)
        restore_lab(swarm, worker_swarm)


def test_a_stale_version_gets_a_conflict_and_changes_nothing(api, lab_cluster, ids):
    current = api.get(node_url(lab_cluster, ids["worker"])).json()
    response = api.patch(
        node_url(lab_cluster, ids["worker"]),
        {"version": current["version"] - 1, "availability": "pause"},
        format="json",
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.json()["detail"]
    assert "reload" in response.json()["detail"]
    assert api.get(node_url(lab_cluster, ids["worker"])).json()["availability"] == current["availability"]
    assert not AuditEntry.objects.filter(action="node.update").exists()


def test_promote_then_demote_the_worker(api, swarm, worker_swarm, lab_cluster, operator_user, ids):
    url = node_url(lab_cluster, ids["worker"])
    try:
        assert api_client_for(operator_user).patch(url, {"role": "manager"}, format="json").status_code == 403
        promoted = api.patch(url, {"role": "manager"}, format="json")
        assert promoted.status_code == 200, promoted.content
        assert promoted.json()["role"] == "manager"
        wait_for(lambda: worker_swarm.engine_swarm_state()["manager"], 60, what="the worker engine to be a manager")
        demoted = api.patch(url, {"role": "worker"}, format="json")
        assert demoted.status_code == 200, demoted.content
        assert demoted.json()["role"] == "worker"
        wait_for(lambda: not worker_swarm.engine_swarm_state()["manager"], 60, what="the engine to be a worker again")
    finally:
        restore_lab(swarm, worker_swarm)


def test_refusals_removing_an_up_node_and_demoting_the_endpoint(api, lab_cluster, operator_user, ids):
    refused = api.delete(node_url(lab_cluster, ids["worker"]))
    assert refused.status_code == 409
    assert "is up" in refused.json()["detail"]
    assert "force" in refused.json()["detail"]
    forced_by_operator = api_client_for(operator_user).delete(node_url(lab_cluster, ids["worker"]) + "?force=true")
    assert forced_by_operator.status_code == 403
    manager = api.delete(node_url(lab_cluster, ids["manager"]))
    assert manager.status_code == 409
    assert "demote it" in manager.json()["detail"]
    demote = api.patch(node_url(lab_cluster, ids["manager"]), {"role": "worker"}, format="json")
    assert demote.status_code == 400
    assert "cut Davit off" in demote.json()["errors"]["role"][0]
    bad = api.patch(node_url(lab_cluster, ids["worker"]), {"availability": "sleepy"}, format="json")
    assert bad.status_code == 400
    assert "availability" in bad.json()["errors"]
    unknown = api.get(node_url(lab_cluster, "nosuchnode0000000000000"))
    assert unknown.status_code == 404


def test_viewers_read_nodes_and_outsiders_see_nothing(lab_cluster, viewer_user, outsider, ids):
    viewer = api_client_for(viewer_user)
    assert viewer.get(f"/api/v1/clusters/{lab_cluster.pk}/nodes/").status_code == 200
    assert (
        viewer.patch(node_url(lab_cluster, ids["worker"]), {"availability": "drain"}, format="json").status_code == 403
    )
    assert api_client_for(outsider).get(node_url(lab_cluster, ids["worker"])).status_code == 404
    assert api_client_for(outsider).get(f"/api/v1/clusters/{lab_cluster.pk}/nodes/").status_code == 404
