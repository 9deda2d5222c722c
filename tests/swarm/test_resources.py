"""apps.swarm.resources against the lab: networks, volumes (per engine), secrets and configs."""

import base64

import pytest

from apps.swarm.errors import ObjectNotFound
from apps.swarm.resources import network_summary, object_summary, volume_summary
from tests.support.processes import wait_for


def test_overlay_network_with_ipam_labels_and_options(swarm, unique):
    body = {
        "Name": f"t-net-{unique}",
        "Driver": "overlay",
        "Scope": "swarm",
        "Attachable": True,
        "Internal": True,
        "Labels": {"davit.test": unique},
        "Options": {"encrypted": ""},
        "IPAM": {
            "Driver": "default",
            "Config": [{"Subnet": "10.231.7.0/24", "Gateway": "10.231.7.1", "IPRange": "10.231.7.128/25"}],
        },
    }
    network_id = swarm.network_create(body)
    try:
        # the engine shows a swarm network's driver, options and IPAM once the allocator has handled it (a few ms
        # after the create, longer on a loaded machine); until then they read empty
        allocated = wait_for(
            lambda: (network := swarm.network_inspect(network_id)).get("Driver") and network,
            60,
            what="the swarm to allocate the network",
        )
        row = network_summary(allocated)
        assert (row["attachable"], row["internal"], row["encrypted"], row["scope"]) == (True, True, True, "swarm")
        assert row["subnets"] == [{"subnet": "10.231.7.0/24", "gateway": "10.231.7.1", "ip_range": "10.231.7.128/25"}]
        assert row["labels"] == {"davit.test": unique}
        assert [n["Id"] for n in swarm.network_list(labels={"davit.test": unique})] == [network_id]
    finally:
        swarm.network_remove(network_id)
    wait_for(lambda: not swarm.network_list(labels={"davit.test": unique}), 60, what="network gone")


def test_secret_create_inspect_never_returns_the_data_and_remove(swarm, unique):
    value = f"s3cret-{unique}".encode()
    secret_id = swarm.secret_create(f"t-secret-{unique}", value, labels={"davit.test": unique})
    try:
        inspected = swarm.secret_inspect(secret_id)
        assert "Data" not in inspected["Spec"]
        assert object_summary(inspected)["name"] == f"t-secret-{unique}"
        assert [s["ID"] for s in swarm.secret_list(labels={"davit.test": unique})] == [secret_id]
    finally:
        swarm.secret_remove(secret_id)
    with pytest.raises(ObjectNotFound):
        swarm.secret_inspect(secret_id)


def test_config_keeps_its_data(swarm, unique):
    config_id = swarm.config_create(f"t-config-{unique}", b"key: value\n")
    try:
        assert base64.b64decode(swarm.config_inspect(config_id)["Spec"]["Data"]) == b"key: value\n"
    finally:
        swarm.config_remove(config_id)


def test_volumes_live_on_one_engine(worker_swarm, swarm, unique):
    name = f"t-vol-{unique}"
    created = volume_summary(worker_swarm.volume_create(name, labels={"davit.test": unique}))
    try:
        assert (created["name"], created["driver"], created["labels"]) == (name, "local", {"davit.test": unique})
        assert name in [v["Name"] for v in worker_swarm.volume_list()]
        assert name not in [v["Name"] for v in swarm.volume_list()]
    finally:
        worker_swarm.volume_remove(name)
    assert name not in [v["Name"] for v in worker_swarm.volume_list()]
