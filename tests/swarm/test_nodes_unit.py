"""Pure conversions of apps.swarm.nodes (Engine API JSON -> rows); no Docker."""

from apps.swarm.nodes import node_summary, task_counts, task_summary

NODE = {
    "ID": "n1",
    "Version": {"Index": 42},
    "Spec": {"Role": "worker", "Availability": "drain", "Labels": {"zone": "a"}},
    "Description": {
        "Hostname": "lab-w1",
        "Platform": {"OS": "linux", "Architecture": "x86_64"},
        "Resources": {"NanoCPUs": 2_000_000_000, "MemoryBytes": 4 * 1024**3},
        "Engine": {"EngineVersion": "20.10.24", "Labels": {"e": "1"}},
    },
    "Status": {"State": "ready", "Addr": "10.210.0.2"},
}


def test_node_summary_reads_every_column_of_the_list():
    row = node_summary(NODE, {"tasks": 3, "running": 2})
    assert row == {
        **row,
        "id": "n1",
        "version": 42,
        "hostname": "lab-w1",
        "role": "worker",
        "availability": "drain",
        "state": "ready",
        "address": "10.210.0.2",
        "engine_version": "20.10.24",
        "labels": {"zone": "a"},
        "cpus": 2.0,
        "memory_bytes": 4 * 1024**3,
        "tasks": 3,
        "running": 2,
        "leader": False,
    }


def test_node_summary_of_a_leader_manager_and_missing_parts():
    row = node_summary({"ID": "m", "Spec": {"Role": "manager"}, "ManagerStatus": {"Leader": True, "Addr": "x:2377"}})
    assert row["leader"] is True
    assert row["manager_address"] == "x:2377"
    assert row["tasks"] == 0
    assert row["labels"] == {}


def test_task_counts_counts_desired_and_running_per_node():
    tasks = [
        {"NodeID": "a", "DesiredState": "running", "Status": {"State": "running"}},
        {"NodeID": "a", "DesiredState": "running", "Status": {"State": "preparing"}},
        {"NodeID": "a", "DesiredState": "shutdown", "Status": {"State": "shutdown"}},
        {"NodeID": "b", "DesiredState": "running", "Status": {"State": "running"}},
        {"DesiredState": "running", "Status": {"State": "pending"}},  # not assigned yet
    ]
    assert task_counts(tasks) == {"a": {"tasks": 2, "running": 1}, "b": {"tasks": 1, "running": 1}}


def test_task_summary_names_the_service_and_strips_the_digest():
    task = {
        "ID": "t1",
        "ServiceID": "s1",
        "Slot": 2,
        "NodeID": "n1",
        "DesiredState": "running",
        "Spec": {"ContainerSpec": {"Image": "lab/busybox:1@sha256:abc"}},
        "Status": {"State": "failed", "Err": "exit 1", "Timestamp": "2026-01-01T00:00:00Z"},
    }
    row = task_summary(task, {"s1": "web"})
    assert (row["service"], row["image"], row["error"], row["slot"]) == ("web", "lab/busybox:1", "exit 1", 2)
