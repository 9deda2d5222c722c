"""Networks, secrets, configs and volumes of a stack: names, labels, externals, and what gets created."""

import base64

import pytest

from apps.swarm.compose import ComposeError, load_stack

NS = "st"


def plan_of(text: str, **kwargs):
    return load_stack(text, namespace=NS, **kwargs)


def test_default_network_only_when_a_service_uses_it():
    plan = plan_of("services:\n  web:\n    image: x\n")
    assert plan.networks == {
        "st_default": {
            "Name": "st_default",
            "Driver": "overlay",
            "Internal": False,
            "Attachable": False,
            "Labels": {"com.docker.stack.namespace": "st"},
        }
    }
    plan = plan_of("services:\n  web:\n    image: x\n    networks: [front]\nnetworks:\n  front:\n  unused:\n")
    assert list(plan.networks) == ["st_front"]


def test_network_options():
    plan = plan_of(
        """
services:
  web:
    image: x
    networks: [a, b]
networks:
  a:
    name: custom-a
    driver: overlay
    driver_opts: {encrypted: "", mtu: 1400}
    internal: true
    attachable: true
    labels: [team=ops]
  b:
    ipam:
      driver: default
      config:
        - subnet: 10.20.0.0/24
"""
    )
    assert plan.networks == {
        "custom-a": {
            "Name": "custom-a",
            "Driver": "overlay",
            "Internal": True,
            "Attachable": True,
            "Labels": {"team": "ops", "com.docker.stack.namespace": "st"},
            "Options": {"encrypted": "", "mtu": "1400"},
        },
        "st_b": {
            "Name": "st_b",
            "Driver": "overlay",
            "Internal": False,
            "Attachable": False,
            "Labels": {"com.docker.stack.namespace": "st"},
            "IPAM": {"Driver": "default", "Config": [{"Subnet": "10.20.0.0/24"}]},
        },
    }


def test_external_networks_are_listed_not_created():
    plan = plan_of(
        """
version: "3.5"
services:
  web:
    image: x
    networks: [pub, old, hostnet, default]
networks:
  pub:
    external: true
  old:
    external:
      name: legacy-net
  hostnet:
    external: true
    name: host
  default:
    external:
      name: shared-default
"""
    )
    assert plan.networks == {}
    # by Compose key; "host", "bridge" and "none" always exist and are not checked
    assert plan.external_networks == ["shared-default", "legacy-net", "pub"]
    assert "network old: network.external.name is deprecated in favor of network.name" in plan.warnings
    targets = [n["Target"] for n in plan.services["web"]["TaskTemplate"]["Networks"]]
    assert targets == ["host", "legacy-net", "pub", "shared-default"]


def test_external_name_and_name_conflict():
    with pytest.raises(ComposeError, match=r"network\.external\.name and network\.name conflict") as caught:
        plan_of("services:\n  web:\n    image: x\nnetworks:\n  n:\n    name: a\n    external:\n      name: b\n")
    assert caught.value.line == 5


def test_secrets_and_configs_all_created_with_data_and_labels():
    plan = plan_of(
        """
version: "3.8"
services:
  web:
    image: x
    secrets: [used]
secrets:
  used:
    file: ./used.txt
    labels: {tier: db}
  unused:
    name: explicit-name
    file: used.txt
  plugin:
    driver: vault
    driver_opts: {path: secret/x}
  outside:
    external: true
configs:
  tmpl:
    file: ./conf/app.tmpl
    template_driver: golang
""",
        files={"used.txt": b"pa$$word\n", "conf/app.tmpl": "{{ .Service.Name }}"},
    )
    assert plan.secrets == {
        "explicit-name": {
            "Name": "explicit-name",
            "Labels": {"com.docker.stack.namespace": "st"},
            "Data": base64.b64encode(b"pa$$word\n").decode(),
        },
        "st_plugin": {
            "Name": "st_plugin",
            "Labels": {"com.docker.stack.namespace": "st"},
            "Data": "",
            "Driver": {"Name": "vault", "Options": {"path": "secret/x"}},
        },
        "st_used": {
            "Name": "st_used",
            "Labels": {"tier": "db", "com.docker.stack.namespace": "st"},
            "Data": base64.b64encode(b"pa$$word\n").decode(),
        },
    }
    assert plan.configs == {
        "st_tmpl": {
            "Name": "st_tmpl",
            "Labels": {"com.docker.stack.namespace": "st"},
            "Data": base64.b64encode(b"{{ .Service.Name }}").decode(),
            "Templating": {"Name": "golang"},
        }
    }
    assert plan.external_secrets == []  # declared but used by no service


def test_external_secrets_and_configs_used_by_services():
    plan = plan_of(
        """
version: "3.5"
services:
  web:
    image: x
    secrets: [a, b]
    configs: [c]
secrets:
  a:
    external: true
  b:
    external:
      name: real-b
configs:
  c:
    external: true
    name: real-c
"""
    )
    assert plan.external_secrets == ["a", "real-b"]
    assert plan.external_configs == ["real-c"]
    assert plan.secrets == plan.configs == {}
    assert "secret b: secret.external.name is deprecated in favor of secret.name" in plan.warnings


@pytest.mark.parametrize(
    ("top", "files", "words"),
    [
        ("secrets:\n  s:\n    file: ./nope\n", {}, 'file "./nope" was not uploaded'),
        ("secrets:\n  s:\n    labels: {a: b}\n", {}, "needs a file"),
        ("secrets:\n  s:\n    driver: x\n    file: ./f\n", {"f": "x"}, "secret.driver and secret.file conflict"),
        ("configs:\n  c:\n    file: ../outside\n", {}, "was not uploaded"),
    ],
)
def test_file_object_errors(top, files, words):
    with pytest.raises(ComposeError) as caught:
        plan_of('version: "3.8"\nservices:\n  web:\n    image: x\n' + top, files=files)
    assert words in caught.value.message
    assert caught.value.line is not None


def test_uploaded_file_names_are_normalized():
    plan = plan_of(
        'version: "3.3"\nservices:\n  web:\n    image: x\n'
        "configs:\n  a:\n    file: ./dir/../a.txt\n  b:\n    file: b.txt\n",
        files={"a.txt": "A", "./b.txt": "B"},
    )
    assert {k: base64.b64decode(v["Data"]) for k, v in plan.configs.items()} == {"st_a": b"A", "st_b": b"B"}


def test_volumes_are_described_not_created():
    plan = plan_of(
        """
services:
  web:
    image: x
    volumes: [data:/data, ext:/ext]
volumes:
  data:
    driver: local
    driver_opts: {type: none, o: bind, device: /tmp}
    labels: {k: v}
  ext:
    external: true
  named:
    name: my-volume
"""
    )
    assert plan.volumes == {
        "ext": {"Name": "ext", "Driver": "", "DriverOpts": {}, "Labels": {}, "External": True},
        "my-volume": {
            "Name": "my-volume",
            "Driver": "",
            "DriverOpts": {},
            "Labels": {"com.docker.stack.namespace": "st"},
            "External": False,
        },
        "st_data": {
            "Name": "st_data",
            "Driver": "local",
            "DriverOpts": {"type": "none", "o": "bind", "device": "/tmp"},
            "Labels": {"k": "v", "com.docker.stack.namespace": "st"},
            "External": False,
        },
    }


def test_external_volume_conflicts():
    with pytest.raises(ComposeError, match='conflicting parameters "external" and "driver" specified for volume "v"'):
        plan_of("services:\n  web:\n    image: x\nvolumes:\n  v:\n    external: true\n    driver: local\n")


def test_named_resources_case_uses_names():
    plan = plan_of(
        """
version: '3.5'
services:
  web:
    image: registry:5000/alpine:frozen
    command: top
    networks: [network1, network2]
    volumes: [volume1, volume2]
    secrets: [secret1]
networks:
  network1:
    name: named-network
  network2:
volumes:
  volume1:
    name: named-volume
  volume2:
secrets:
  secret1:
    name: named-secret
    file: ./data
""",
        files={"data": "x"},
    )
    web = plan.services["web"]
    assert [n["Target"] for n in web["TaskTemplate"]["Networks"]] == ["named-network", "st_network2"]
    # `volume1` with no colon is an anonymous volume at the path "volume1", not the named volume
    assert [m.get("Source") for m in web["TaskTemplate"]["ContainerSpec"]["Mounts"]] == [None, None]
    assert web["TaskTemplate"]["ContainerSpec"]["Secrets"][0]["SecretName"] == "named-secret"
    assert sorted(plan.networks) == ["named-network", "st_network2"]
