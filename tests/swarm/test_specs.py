"""normalize() and spec_changes(): a create body and the spec the engine stores compare equal; changes read well."""

from apps.swarm.compose import load_stack
from apps.swarm.specs import normalize, normalize_file_object, normalize_network, spec_changes

BODY = load_stack(
    """
services:
  web:
    image: lab/busybox:1
    command: sleep 3600
    environment: [B=2, A=1]
    ports:
      - target: 80
        published: 8080
      - "9000"
    secrets: [s]
    networks: [front, default]
    volumes: [data:/data]
    deploy:
      placement:
        constraints: [node.role==worker, node.platform.os==linux]
secrets:
  s:
    file: ./s
networks:
  front:
volumes:
  data:
""",
    namespace="one",
    files={"s": "x"},
).services["web"]

# what `docker service inspect` returns for BODY after the engine stored it (ids instead of names, defaults)
STORED = {
    "ID": "svc1",
    "Version": {"Index": 42},
    "Spec": {
        "Name": "one_web",
        "Labels": {"com.docker.stack.image": "lab/busybox:1", "com.docker.stack.namespace": "one"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "lab/busybox:1",
                "Labels": {"com.docker.stack.namespace": "one"},
                "Args": ["sleep", "3600"],
                "Env": ["A=1", "B=2"],
                "Privileges": {"CredentialSpec": None, "SELinuxContext": None},
                "Mounts": [
                    {
                        "Type": "volume",
                        "Source": "one_data",
                        "Target": "/data",
                        "VolumeOptions": {"Labels": {"com.docker.stack.namespace": "one"}},
                    }
                ],
                "Secrets": [
                    {
                        "File": {"Name": "s", "UID": "0", "GID": "0", "Mode": 292},
                        "SecretID": "sec123",
                        "SecretName": "one_s",
                    }
                ],
                "Isolation": "default",
            },
            "Resources": {"Limits": {}, "Reservations": {}},
            "Placement": {"Constraints": ["node.platform.os==linux", "node.role==worker"]},
            "Networks": [
                {"Target": "net-front-id", "Aliases": ["web"]},
                {"Target": "net-default-id", "Aliases": ["web"]},
            ],
            "ForceUpdate": 0,
            "Runtime": "container",
        },
        "Mode": {"Replicated": {"Replicas": 1}},
        "EndpointSpec": {
            "Mode": "vip",
            "Ports": [
                {"Protocol": "tcp", "TargetPort": 9000, "PublishMode": "ingress"},
                {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"},
            ],
        },
    },
}
NETWORKS = {"net-front-id": "one_front", "net-default-id": "one_default"}


def test_body_and_stored_spec_normalize_to_the_same():
    assert normalize(BODY) == normalize(STORED, networks=NETWORKS, secrets={"sec123": "one_s"})
    assert spec_changes(normalize(BODY), normalize(STORED, networks=NETWORKS)) == []


def test_stack_name_is_replaced():
    other = load_stack(
        "services:\n  web:\n    image: lab/busybox:1\n    volumes: [data:/data]\nvolumes:\n  data:\n",
        namespace="two",
    ).services["web"]
    first = load_stack(
        "services:\n  web:\n    image: lab/busybox:1\n    volumes: [data:/data]\nvolumes:\n  data:\n",
        namespace="one",
    ).services["web"]
    assert normalize(first) != normalize(other)
    assert normalize(first, namespace="one") == normalize(other, namespace="two")
    assert normalize(other, namespace="two")["Name"] == "{stack}_web"


def test_engine_defaults_compare_equal_to_absent():
    body = {"Name": "x", "TaskTemplate": {"ContainerSpec": {"Image": "a"}}, "Mode": {"Replicated": {}}}
    stored = {
        "Name": "x",
        "TaskTemplate": {
            "ContainerSpec": {"Image": "a", "Isolation": "default"},
            "ForceUpdate": 3,
            "Runtime": "container",
        },
        "Mode": {"Replicated": {"Replicas": 1}},
        "EndpointSpec": {"Mode": "vip"},
    }
    assert normalize(body) == normalize(stored)
    job = {"Name": "j", "Mode": {"ReplicatedJob": {}}}
    assert normalize(job) == normalize(
        {"Name": "j", "Mode": {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}}}
    )


def test_meaningful_differences_remain():
    zero = normalize({"Name": "x", "Mode": {"Replicated": {"Replicas": 0}}})
    one = normalize({"Name": "x", "Mode": {"Replicated": {}}})
    assert spec_changes(one, zero) == ["Mode.Replicated.Replicas: 1 -> 0"]
    assert normalize({"Name": "x", "Mode": {"Global": {}}}) != normalize({"Name": "x", "Mode": {"GlobalJob": {}}})
    hosts_a = normalize({"TaskTemplate": {"ContainerSpec": {"Hosts": ["1.1.1.1 a", "2.2.2.2 a"]}}})
    hosts_b = normalize({"TaskTemplate": {"ContainerSpec": {"Hosts": ["2.2.2.2 a", "1.1.1.1 a"]}}})
    assert hosts_a != hosts_b  # order of /etc/hosts lines matters


def test_spec_changes_reads_per_field():
    before = normalize({"Name": "x", "TaskTemplate": {"ContainerSpec": {"Image": "a:1", "Env": ["A=1"]}}})
    after = normalize(
        {"Name": "x", "TaskTemplate": {"ContainerSpec": {"Image": "a:2", "Env": ["A=2"], "User": "nobody"}}}
    )
    assert spec_changes(before, after) == [
        "TaskTemplate.ContainerSpec.Image: 'a:1' -> 'a:2'",
        "TaskTemplate.ContainerSpec.Env: ['A=1'] -> ['A=2']",
        "TaskTemplate.ContainerSpec.User: <absent> -> 'nobody'",
    ]


def test_spec_changes_matches_list_items_by_their_key():
    before = normalize(
        {"TaskTemplate": {"Networks": [{"Target": "a", "Aliases": ["x"]}, {"Target": "b", "Aliases": ["x"]}]}}
    )
    after = normalize({"TaskTemplate": {"Networks": [{"Target": "b", "Aliases": ["x", "y"]}]}})
    assert spec_changes(before, after) == [
        "TaskTemplate.Networks[Target=a]: {'Target': 'a', 'Aliases': ['x']} -> <absent>",
        "TaskTemplate.Networks[Target=b].Aliases: ['x'] -> ['x', 'y']",
    ]


def test_legacy_top_level_networks_move_into_the_task_template():
    legacy = {"Name": "x", "Networks": [{"Target": "id1", "Aliases": ["x"]}]}
    modern = {"Name": "x", "TaskTemplate": {"Networks": [{"Target": "net", "Aliases": ["x"]}]}}
    assert normalize(legacy, networks={"id1": "net"}) == normalize(modern)


def test_network_and_file_object_normalization():
    plan = load_stack(
        "version: '3.3'\nservices:\n  web:\n    image: x\n    networks: [n]\nnetworks:\n  n:\n    attachable: true\n"
        "configs:\n  c:\n    file: ./c\n",
        namespace="one",
        files={"c": "data"},
    )
    inspected = {
        "Name": "one_n",
        "Id": "abc",
        "Scope": "swarm",
        "Driver": "overlay",
        "Internal": False,
        "Attachable": True,
        "IPAM": {"Driver": "default", "Options": None, "Config": [{"Subnet": "10.0.1.0/24", "Gateway": "10.0.1.1"}]},
        "Options": {"com.docker.network.driver.overlay.vxlanid_list": "4097"},
        "Labels": {"com.docker.stack.namespace": "one"},
    }
    body = normalize_network(plan.networks["one_n"], namespace="one")
    stored = normalize_network(inspected, namespace="one")
    # the engine picks a subnet when none was asked for: not a difference the deploy decided
    assert body == stored
    assert spec_changes(body, normalize_network(inspected, namespace="one", keep_subnets=True)) == [
        "IPAM.Config: <absent> -> [{'Subnet': '10.0.1.0/24'}]"
    ]
    config = plan.configs["one_c"]
    stored_config = {"ID": "c1", "Spec": {"Name": "one_c", "Labels": config["Labels"], "Data": config["Data"]}}
    assert normalize_file_object(config) == normalize_file_object(stored_config)


def test_fields_an_older_engine_ignores_are_dropped_for_that_engine():
    body = load_stack(
        "version: '3.12'\nservices:\n  web:\n    image: x\n    healthcheck:\n      test: [CMD, 'true']\n"
        "      start_interval: 2s\n      interval: 5s\n",
        namespace="one",
    ).services["web"]
    stored = normalize(body)
    stored["TaskTemplate"]["ContainerSpec"]["Healthcheck"].pop("StartInterval")  # what engine 20.10 keeps
    assert spec_changes(normalize(body), stored) == [
        "TaskTemplate.ContainerSpec.Healthcheck.StartInterval: 2000000000 -> <absent>"
    ]
    assert spec_changes(normalize(body, api_version="1.41"), normalize(stored, api_version="1.41")) == []
    assert normalize(body, api_version="1.44") == normalize(body)


def test_resolved_digests_can_be_ignored():
    pinned = {
        "TaskTemplate": {
            "ContainerSpec": {"Image": "lab/busybox:1@sha256:" + "a" * 64},
            "Placement": {"Platforms": [{"Architecture": "amd64", "OS": "linux"}]},
        }
    }
    plain = {"TaskTemplate": {"ContainerSpec": {"Image": "lab/busybox:1"}}}
    assert normalize(pinned) != normalize(plain)
    assert normalize(pinned, ignore_digests=True) == normalize(plain, ignore_digests=True)
