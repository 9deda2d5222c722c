"""Smoke: a real replicated service through apps.swarm on the 2-node lab, tasks on both nodes, then removed."""

import uuid

import pytest

from apps.swarm.client import SwarmClient
from apps.swarm.endpoint import Endpoint
from apps.swarm.errors import ObjectNotFound, Unreachable
from tests.support.processes import wait_for


def test_replicated_service_runs_on_both_nodes_and_is_removed(swarm):
    nodes = swarm.node_list()
    assert len([n for n in nodes if n["Status"]["State"] == "ready"]) == 2
    name = f"smoke-{uuid.uuid4().hex[:8]}"
    spec = {
        "Name": name,
        "TaskTemplate": {
            "ContainerSpec": {"Image": "lab/busybox:1", "Args": ["sleep", "3600"]},
            "Placement": {"MaxReplicas": 1},
        },
        "Mode": {"Replicated": {"Replicas": 2}},
    }
    service_id = swarm.service_create(spec)
    try:

        def running_nodes():
            tasks = swarm.task_list(service=service_id)
            running = {
                t["NodeID"] for t in tasks if t["Status"]["State"] == "running" and t["DesiredState"] == "running"
            }
            return running if len(running) == 2 else None

        nodes_running = wait_for(running_nodes, 60, what=f"2 running tasks of {name}")
        assert nodes_running == {n["ID"] for n in nodes}
    finally:
        swarm.service_remove(service_id)
    with pytest.raises(ObjectNotFound) as caught:
        swarm.service_inspect(service_id)
    assert service_id in str(caught.value) or "not found" in str(caught.value).lower()


def test_unreachable_engine_gives_a_sentence_not_a_traceback(tmp_path):
    client = SwarmClient(Endpoint(url=f"unix://{tmp_path}/none.sock", timeout=2))
    with pytest.raises(Unreachable) as caught:
        client.info()
    assert "cannot be reached" in str(caught.value)
    assert str(tmp_path) in str(caught.value)


def test_swarm_facts_of_the_lab_manager(swarm):
    facts = swarm.swarm_facts()
    assert facts["nodes"] == 2
    assert facts["managers"] >= 1
    assert facts["swarm_id"]
