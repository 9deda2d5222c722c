"""apps.swarm.nodes against the lab's 2-node swarm (read-only on the shared nodes, except a refused update)."""

import pytest

from apps.swarm.errors import NotManager, ObjectConflict, ObjectNotFound
from apps.swarm.nodes import node_summary


def test_node_list_and_inspect_describe_both_nodes(swarm, worker_swarm):
    nodes = swarm.node_list()
    rows = {n["ID"]: node_summary(n) for n in nodes}
    assert len(rows) == 2
    assert sorted(r["role"] for r in rows.values()) == ["manager", "worker"]
    assert all(r["state"] == "ready" and r["engine_version"] and r["memory_bytes"] > 0 for r in rows.values())
    worker_id = worker_swarm.engine_swarm_state()["node_id"]
    inspected = node_summary(swarm.node_inspect(worker_id))
    assert inspected["hostname"] == rows[worker_id]["hostname"]
    assert inspected["address"] == "10.210.0.2"
    with pytest.raises(ObjectNotFound):
        swarm.node_inspect("nosuchnode0000000000000")


def test_join_tokens_and_manager_addresses(swarm):
    tokens = swarm.swarm_join_tokens()
    assert tokens["worker"].startswith("SWMTKN-")
    assert tokens["manager"].startswith("SWMTKN-")
    assert tokens["worker"] != tokens["manager"]
    assert swarm.swarm_manager_addresses() == ["10.210.0.1:2377"]


def test_the_worker_engine_knows_it_is_a_worker_of_the_same_swarm(swarm, worker_swarm):
    mine, its = swarm.engine_swarm_state(), worker_swarm.engine_swarm_state()
    assert (mine["state"], mine["manager"]) == ("active", True)
    assert (its["state"], its["manager"]) == ("active", False)
    assert mine["swarm_id"]
    assert swarm.node_inspect(its["node_id"])["Spec"]["Role"] == "worker"
    with pytest.raises(NotManager):
        worker_swarm.swarm_facts()


def test_a_node_update_with_a_stale_version_is_refused(swarm, worker_swarm):
    worker_id = worker_swarm.engine_swarm_state()["node_id"]
    node = swarm.node_inspect(worker_id)
    spec = {**node["Spec"], "Labels": {**(node["Spec"].get("Labels") or {}), "davit.test.stale": "1"}}
    with pytest.raises(ObjectConflict) as caught:
        swarm.node_update(worker_id, node["Version"]["Index"] - 1, spec)
    assert "out of sequence" in str(caught.value)
    assert "davit.test.stale" not in (swarm.node_inspect(worker_id)["Spec"].get("Labels") or {})
