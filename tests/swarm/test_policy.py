"""apps.swarm.policy on final ServiceSpec JSON: every way a spec can reach the host is named, by key.

Pure conversion code: no Docker needed. The specs are the FINAL bodies, as Compose (through load_stack) or any
other path builds them, so the checker cannot be bypassed by choosing an input form (CVE-2026-44849/44850).
"""

import pytest

from apps.swarm import policy
from apps.swarm.compose import load_stack


def spec(**container) -> dict:
    return {"Name": "s_web", "TaskTemplate": {"ContainerSpec": {"Image": "lab/busybox:1", **container}}}


def keys(found) -> list[str]:
    return [key for _service, key, _reason in found]


def test_a_plain_service_is_not_refused():
    assert (
        policy.refusals([spec(Args=["sleep", "1"], Mounts=[{"Type": "volume", "Source": "data", "Target": "/d"}])])
        == []
    )


def test_bind_mounts_in_mounts_are_refused_with_their_key_and_path():
    found = policy.refusals(
        [
            spec(
                Mounts=[
                    {"Type": "volume", "Source": "v", "Target": "/v"},
                    {"Type": "bind", "Source": "/", "Target": "/h"},
                ]
            )
        ]
    )
    assert keys(found) == ["TaskTemplate.ContainerSpec.Mounts[1]"]
    assert found[0].service == "s_web"
    assert "'/'" in found[0].reason
    assert "bind" in found[0].reason
    assert found[0].category == policy.BIND_MOUNTS


def test_a_local_volume_binding_a_host_path_is_a_bind_mount_in_disguise():
    mount = {
        "Type": "volume",
        "Source": "sneaky",
        "Target": "/h",
        "VolumeOptions": {
            "DriverConfig": {"Name": "local", "Options": {"type": "none", "o": "bind", "device": "/etc"}}
        },
    }
    found = policy.refusals([spec(Mounts=[mount])])
    assert keys(found) == ["TaskTemplate.ContainerSpec.Mounts[0].VolumeOptions.DriverConfig"]
    assert "/etc" in found[0].reason
    assert policy.refusals([spec(Mounts=[mount])], allow=[policy.BIND_MOUNTS]) == []


def test_added_capabilities_are_refused_but_dropped_ones_are_not():
    found = policy.refusals([spec(CapabilityAdd=["CAP_SYS_ADMIN"], CapabilityDrop=["CAP_NET_RAW"])])
    assert keys(found) == ["TaskTemplate.ContainerSpec.CapabilityAdd"]
    assert "CAP_SYS_ADMIN" in found[0].reason
    assert policy.refusals([spec(CapabilityDrop=["CAP_NET_RAW"])]) == []


def test_host_network_by_name_by_id_and_through_a_macvlan_network_of_the_stack():
    host = {"Name": "s_web", "TaskTemplate": {"ContainerSpec": {"Image": "x"}, "Networks": [{"Target": "host"}]}}
    assert keys(policy.refusals([host])) == ["TaskTemplate.Networks[0].Target"]
    by_id = {"Name": "s_web", "TaskTemplate": {"ContainerSpec": {"Image": "x"}}, "Networks": [{"Target": "abc123"}]}
    assert policy.refusals([by_id]) == []
    assert keys(policy.refusals([by_id], host_network_ids=["abc123"])) == ["Networks[0].Target"]
    mac = {"Name": "s_web", "TaskTemplate": {"ContainerSpec": {"Image": "x"}, "Networks": [{"Target": "s_lan"}]}}
    found = policy.refusals([mac], networks={"s_lan": {"Name": "s_lan", "Driver": "macvlan"}})
    assert sorted(keys(found)) == ["TaskTemplate.Networks[0].Target", "networks.s_lan.Driver"]
    assert all(item.category == policy.HOST_NETWORK for item in found)


@pytest.mark.parametrize(
    ("container", "task", "key"),
    [
        ({"Privileges": {"Seccomp": {"Mode": "unconfined"}}}, {}, "TaskTemplate.ContainerSpec.Privileges.Seccomp"),
        ({"Privileges": {"AppArmor": {"Mode": "disabled"}}}, {}, "TaskTemplate.ContainerSpec.Privileges.AppArmor"),
        (
            {"Privileges": {"SELinuxContext": {"Disable": True}}},
            {},
            "TaskTemplate.ContainerSpec.Privileges.SELinuxContext",
        ),
        ({"Sysctls": {"kernel.panic": "1"}}, {}, "TaskTemplate.ContainerSpec.Sysctls.kernel.panic"),
        ({}, {"Runtime": "plugin", "PluginSpec": {"Name": "x"}}, "TaskTemplate.PluginSpec"),
    ],
)
def test_privileged_like_options_are_refused(container, task, key):
    body = spec(**container)
    body["TaskTemplate"].update(task)
    found = policy.refusals([body])
    assert keys(found) == [key]
    assert found[0].category == policy.PRIVILEGED
    assert policy.refusals([body], allow=[policy.PRIVILEGED]) == []


def test_namespaced_sysctls_and_host_mode_ports_are_allowed():
    body = spec(Sysctls={"net.core.somaxconn": "1024"})
    body["EndpointSpec"] = {"Ports": [{"TargetPort": 80, "PublishedPort": 8080, "PublishMode": "host"}]}
    assert policy.refusals([body]) == []


def test_compose_output_is_checked_as_the_final_spec():
    plan = load_stack(
        """
services:
  web:
    image: lab/busybox:1
    volumes: ["/var/run:/host-run"]
    cap_add: [sys_admin]
    networks: [outside]
networks:
  outside:
    external: true
    name: host
""",
        namespace="p",
    )
    found = policy.refusals(plan.services.values(), networks=plan.networks)
    assert sorted(keys(found)) == [
        "TaskTemplate.ContainerSpec.CapabilityAdd",
        "TaskTemplate.ContainerSpec.Mounts[0]",
        "TaskTemplate.Networks[0].Target",
    ]
    assert {item.service for item in found} == {"p_web"}
    allowed = policy.refusals(
        plan.services.values(), allow=[policy.BIND_MOUNTS, policy.CAPABILITIES, policy.HOST_NETWORK]
    )
    assert allowed == []


def test_an_unknown_category_is_an_error():
    with pytest.raises(ValueError, match="unknown policy categories"):
        policy.refusals([], allow=["everything"])
