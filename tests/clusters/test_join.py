"""Add a host (Crane's 添加主机): join tokens for admins, token rotation, and the join_node operation run by a
real Celery worker: refused for an engine already in the swarm or unreachable, and a real leave + re-join of the
lab's worker. The lab is restored in a `finally` whatever happens."""

from apps.audit.models import AuditEntry
from apps.clusters.models import NodeEngine
from apps.operations.models import Operation
from tests.clusters.helpers import ready_nodes, restore_lab
from tests.conftest import api_client_for
from tests.support.processes import start_worker, wait_for


def join_url(cluster):
    return f"/api/v1/clusters/{cluster.pk}/join/"


def wait_finished(op_id: int, timeout: float = 150) -> Operation:
    def done():
        op = Operation.objects.get(pk=op_id)
        return op if op.status in ("succeeded", "failed", "cancelled") else None

    return wait_for(done, timeout, interval=0.5, what=f"operation {op_id} to finish")


def events_of(op: Operation) -> str:
    return "\n".join(e.message for e in op.events.order_by("seq"))


def test_join_tokens_are_for_cluster_admins_and_can_be_rotated(api, lab_cluster, operator_user, viewer_user, swarm):
    assert api_client_for(operator_user).get(join_url(lab_cluster)).status_code == 403
    assert api_client_for(viewer_user).get(join_url(lab_cluster)).status_code == 403
    before = api.get(join_url(lab_cluster)).json()
    assert before["worker"].startswith("SWMTKN-")
    assert before["manager"].startswith("SWMTKN-")
    assert before["managers"] == ["10.210.0.1:2377"]
    assert before["commands"]["worker"] == f"docker swarm join --token {before['worker']} 10.210.0.1:2377"
    rotated = api.post(f"{join_url(lab_cluster)}rotate/", {"role": "worker"}, format="json")
    assert rotated.status_code == 200
    assert "SWMTKN" not in rotated.content.decode()
    after = api.get(join_url(lab_cluster)).json()
    assert after["worker"] != before["worker"]
    assert after["manager"] == before["manager"]
    assert swarm.swarm_join_tokens()["worker"] == after["worker"]
    entry = AuditEntry.objects.get(action="cluster.rotate_join_token")
    assert entry.summary == {"role": "worker"}
    assert (
        api_client_for(operator_user)
        .post(f"{join_url(lab_cluster)}rotate/", {"role": "worker"}, format="json")
        .status_code
        == 403
    )


def test_add_host_input_is_checked_before_any_operation(api, lab_cluster, operator_user):
    assert (
        api_client_for(operator_user)
        .post(join_url(lab_cluster), {"endpoint_url": "unix:///x.sock"}, format="json")
        .status_code
        == 403
    )
    bad = api.post(join_url(lab_cluster), {"endpoint_url": "http://host:2375"}, format="json")
    assert bad.status_code == 400
    assert "endpoint_url" in bad.json()["errors"]
    itself = api.post(join_url(lab_cluster), {"endpoint_url": lab_cluster.endpoint_url}, format="json")
    assert itself.status_code == 400
    assert "already in the swarm" in itself.json()["errors"]["endpoint_url"][0]
    role = api.post(join_url(lab_cluster), {"endpoint_url": "unix:///x.sock", "role": "king"}, format="json")
    assert role.status_code == 400
    assert not Operation.objects.exists()


def test_the_worker_leaves_and_rejoins_through_the_add_host_operation(
    api, swarm, worker_swarm, lab, lab_cluster, subprocess_env
):
    worker_host = lab["DAVIT_LAB_WORKER_HOST"]
    old_id = worker_swarm.engine_swarm_state()["node_id"]
    celery = start_worker(subprocess_env, "join")
    try:
        # an engine that is already a node of this swarm: a clean failure naming it
        response = api.post(join_url(lab_cluster), {"endpoint_url": worker_host}, format="json")
        assert response.status_code == 202, response.content
        op = wait_finished(response.json()["operation"]["id"])
        assert op.status == "failed"
        assert f"The engine at {worker_host} is already a node of cluster {lab_cluster.name}" in op.explanation

        # an engine that does not answer
        dead = api.post(join_url(lab_cluster), {"endpoint_url": "unix:///nonexistent/docker.sock"}, format="json")
        op = wait_finished(dead.json()["operation"]["id"])
        assert op.status == "failed"
        assert "cannot be reached" in op.explanation

        # the worker leaves the swarm, then is added again through Davit. Other sessions share the lab and may
        # repair it (deploy/lab/up re-joins a worker that left): if that happens first, leave and try again.
        for _attempt in range(3):
            worker_swarm.swarm_leave()
            not_swarm = api.post(
                "/api/v1/clusters/",
                {"name": "w", "team": lab_cluster.team_id, "endpoint_url": worker_host},
                format="json",
            )
            if worker_swarm.engine_swarm_state()["state"] == "inactive":
                assert not_swarm.status_code == 400
                assert "not in swarm mode" in not_swarm.json()["errors"]["endpoint_url"][0]
            response = api.post(join_url(lab_cluster), {"endpoint_url": worker_host, "role": "worker"}, format="json")
            assert response.status_code == 202
            body = response.json()["operation"]
            assert body["status"] == "pending"
            assert body["url"].endswith(f"/api/v1/operations/{body['id']}/")
            op = wait_finished(body["id"])
            if op.status == "failed" and "is already a node of cluster" in op.explanation:
                continue
            break
        assert op.status == "succeeded", (op.explanation, events_of(op))
        assert op.progress == 100
        log = events_of(op)
        assert "(not shown)" in log
        assert "is ready as a worker" in log
        assert "SWMTKN" not in log
        assert "SWMTKN" not in str(op.params)
        assert "SWMTKN" not in str(op.result)
        new_id = worker_swarm.engine_swarm_state()["node_id"]
        assert new_id != old_id
        assert op.result["node_id"] == new_id
        engine = NodeEngine.objects.get(cluster=lab_cluster, endpoint_url=worker_host)
        assert engine.node_id == new_id
        assert engine.hostname

        # the old entry is down: removing it needs no force
        wait_for(lambda: swarm.node_inspect(old_id)["Status"]["State"] == "down", 60, what="the old node down")
        listed = api.get(f"/api/v1/clusters/{lab_cluster.pk}/nodes/").json()["results"]
        stale = [n["id"] for n in listed if n["state"] == "down"]  # also an entry of a join by someone else
        assert old_id in stale
        for node_id in stale:
            removed = api.delete(f"/api/v1/nodes/{lab_cluster.pk}:{node_id}/")
            assert removed.status_code == 204, removed.content
        nodes = api.get(f"/api/v1/clusters/{lab_cluster.pk}/nodes/").json()["results"]
        assert sorted((n["role"], n["state"]) for n in nodes) == [("manager", "ready"), ("worker", "ready")]
        assert {n["id"] for n in nodes} == {new_id, swarm.engine_swarm_state()["node_id"]}
        lab_cluster.refresh_from_db()
        assert lab_cluster.node_count == 2
        output = celery.output()
        assert "SWMTKN" not in output
    finally:
        celery.stop()
        restore_lab(swarm, worker_swarm)
    assert len(ready_nodes(swarm)) == 2


def test_register_the_engine_of_a_node(api, lab_cluster, lab, worker_swarm, operator_user):
    url = f"/api/v1/clusters/{lab_cluster.pk}/engines/"
    body = {"endpoint_url": lab["DAVIT_LAB_WORKER_HOST"]}
    assert api_client_for(operator_user).post(url, body, format="json").status_code == 403
    response = api.post(url, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["node_id"] == worker_swarm.engine_swarm_state()["node_id"]
    assert api.post(url, body, format="json").status_code == 409
    dead = api.post(url, {"endpoint_url": "unix:///nonexistent.sock"}, format="json")
    assert dead.status_code == 400
    assert "cannot be reached" in dead.json()["errors"]["endpoint_url"][0]
    listed = api.get(url).json()
    assert [e["endpoint_url"] for e in listed["results"]] == [lab["DAVIT_LAB_WORKER_HOST"]]
    engine_id = listed["results"][0]["id"]
    assert api.delete(f"{url}{engine_id}/").status_code == 204
    assert not NodeEngine.objects.filter(pk=engine_id).exists()
