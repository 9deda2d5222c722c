"""Pure helpers of apps.swarm.resources: "used by" from one service list, versioned names, reference swaps."""

from apps.swarm.resources import (
    network_summary,
    next_version_name,
    object_summary,
    replace_reference,
    services_by_config,
    services_by_network,
    services_by_secret,
)


def service(name, *, networks=(), vips=(), secrets=(), configs=()):
    return {
        "ID": f"id-{name}",
        "Spec": {
            "Name": name,
            "TaskTemplate": {
                "ContainerSpec": {"Image": "x", "Secrets": list(secrets), "Configs": list(configs)},
                "Networks": [{"Target": n} for n in networks],
            },
        },
        "Endpoint": {"VirtualIPs": [{"NetworkID": v, "Addr": "10.0.0.2/24"} for v in vips]},
    }


def test_services_by_network_uses_task_template_and_vips():
    using = services_by_network(
        [service("web", networks=["net1"], vips=["ingress-id"]), service("db", networks=["net1"])]
    )
    assert using == {"net1": ["db", "web"], "ingress-id": ["web"]}


def test_network_summary_merges_users_by_id_or_name():
    network = {
        "Id": "net1",
        "Name": "backend",
        "Driver": "overlay",
        "Scope": "swarm",
        "Attachable": True,
        "Options": {"encrypted": ""},
        "IPAM": {"Config": [{"Subnet": "10.9.0.0/24", "Gateway": "10.9.0.1"}]},
    }
    row = network_summary(network, {"net1": ["web"], "backend": ["db"]})
    assert row["services"] == ["db", "web"]
    assert row["encrypted"] is True
    assert row["attachable"] is True
    assert row["subnets"] == [{"subnet": "10.9.0.0/24", "gateway": "10.9.0.1", "ip_range": ""}]
    assert row["predefined"] is False
    assert network_summary({"Id": "i", "Name": "ingress", "Ingress": True})["predefined"] is True


def test_services_by_secret_and_config():
    ref = {"SecretID": "s1", "SecretName": "pw", "File": {"Name": "pw", "UID": "0", "GID": "0", "Mode": 292}}
    services = [service("web", secrets=[ref], configs=[{"ConfigID": "c1", "ConfigName": "conf"}]), service("idle")]
    assert services_by_secret(services) == {"s1": ["web"], "pw": ["web"]}
    assert services_by_config(services) == {"c1": ["web"], "conf": ["web"]}
    row = object_summary({"ID": "s1", "Version": {"Index": 3}, "Spec": {"Name": "pw", "Labels": {}}}, {"s1": ["web"]})
    assert row == {**row, "id": "s1", "name": "pw", "version": 3, "services": ["web"]}
    assert "data" not in row


def test_next_version_name():
    assert next_version_name("db-password", set()) == "db-password.v2"
    assert next_version_name("db-password.v2", {"db-password.v2"}) == "db-password.v3"
    assert next_version_name("db-password", {"db-password.v2", "db-password.v3"}) == "db-password.v4"
    assert next_version_name("a.v9", []) == "a.v10"


def test_replace_reference_keeps_target_uid_gid_mode_and_leaves_the_input_alone():
    file = {"Name": "/run/secrets/pw", "UID": "1000", "GID": "1000", "Mode": 256}
    spec = service(
        "web",
        secrets=[
            {"SecretID": "old", "SecretName": "pw", "File": dict(file)},
            {"SecretID": "other", "SecretName": "x", "File": {"Name": "x"}},
        ],
    )["Spec"]
    new, replaced = replace_reference(spec, "secret", "old", "new", "pw.v2")
    assert replaced == 1
    refs = new["TaskTemplate"]["ContainerSpec"]["Secrets"]
    assert refs[0] == {"SecretID": "new", "SecretName": "pw.v2", "File": file}
    assert refs[1]["SecretID"] == "other"
    assert spec["TaskTemplate"]["ContainerSpec"]["Secrets"][0]["SecretID"] == "old"
    assert replace_reference(spec, "config", "old", "new", "x")[1] == 0
