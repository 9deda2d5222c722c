"""Exports (pure: no Docker): a Compose file written from specs reads back into the very same specs, for every
conformance case and for specs as the engine returns them; what Compose or a bundle cannot carry is named; Docker
1.12 bundles are read (with the field of each mistake) and converted as `docker deploy` did, both ways."""

from __future__ import annotations

import copy
import json

import pytest

from apps.swarm.compose import load_stack
from apps.swarm.export import (
    BundleError,
    ExportError,
    bundle_from_specs,
    bundle_losses,
    compose_document,
    compose_from_specs,
    compose_losses,
    go_duration,
    object_files,
    parse_bundle,
    plan_specs,
    spec_differences,
    specs_from_bundle,
)
from apps.swarm.specs import normalize
from tests.integration.stackspecs import case_folders, read_env, read_files

NS = "shop"
SECOND = 1_000_000_000


def reload(specs: dict, namespace: str = NS, files: dict | None = None) -> dict:
    """Export to Compose and read the file back as `docker stack deploy` would."""
    text = compose_from_specs(specs, namespace)
    uploads = {path: (files or {}).get(path, "") for path in object_files(specs, namespace).values()}
    return plan_specs(load_stack(text, namespace=namespace, files=uploads))


def from_compose(text: str, namespace: str = NS, files=None, variables=None) -> dict:
    return plan_specs(load_stack(text, namespace=namespace, files=files, variables=variables))


@pytest.mark.parametrize(("case", "namespace"), [pytest.param(p, "cf1", id=n) for n, p in case_folders()])
def test_every_conformance_case_survives_a_compose_round_trip(case, namespace):
    assert (case / "stack.yml").is_file(), f"{case} is not a case folder"
    files = read_files(case)
    specs = from_compose((case / "stack.yml").read_text(), namespace, files, read_env(case))
    assert compose_losses(specs, namespace) == []
    back = reload(specs, namespace)
    # the very same bodies, not just equal once normalized
    for section in ("services", "networks", "secrets", "configs", "volumes"):
        assert back[section] == specs[section], section
    for section in ("external_networks", "external_secrets", "external_configs"):
        assert sorted(back[section]) == sorted(specs[section]), section


def test_a_secret_exported_then_uploaded_again_gives_the_same_data():
    compose = """\
services:
  app:
    image: lab/busybox:1
    secrets: [token]
    configs: [{source: settings, target: /etc/app.conf, mode: 0440}]
secrets:
  token: {file: ./token.txt, labels: {role: api}}
configs:
  settings: {file: ./cfg/settings.conf, template_driver: golang}
"""
    plan = load_stack(compose, namespace=NS, files={"token.txt": "s3cret", "cfg/settings.conf": "x={{.Service.Name}}"})
    specs = plan_specs(plan)
    text = compose_from_specs(specs, NS)
    assert "s3cret" not in text
    assert "./secrets/token" in text
    assert "./configs/settings" in text
    paths = object_files(specs, NS)
    assert paths == {("secret", f"{NS}_token"): "secrets/token", ("config", f"{NS}_settings"): "configs/settings"}
    again = load_stack(text, namespace=NS, files={"secrets/token": "s3cret", "configs/settings": "x={{.Service.Name}}"})
    assert again.secrets == plan.secrets
    assert again.configs == plan.configs
    assert again.services == plan.services


def test_values_that_yaml_or_interpolation_would_change_are_written_safely():
    tricky = ["$HOME", "$$x", "${A:-b}", "yes", "on", "0644", "0o17", "1e3", "1_000", "2001-12-14", "null", "~"]
    tricky += ["a: b", "#not a comment", "", " lead", "trail ", "[x]", "{y}", "*ref", "&anchor", "!tag", "-", "é"]
    env = [f"V{i}={value}" for i, value in enumerate(tricky)] + ["BARE"]
    specs = from_compose("services:\n  app:\n    image: lab/busybox:1\n")
    container = specs["services"]["app"]["TaskTemplate"]["ContainerSpec"]
    container["Env"] = sorted(env)
    container["Labels"].update({"1": "true", "yes": "0644", "k$": "$v"})
    specs["services"]["app"]["Labels"]["no"] = "{{.Node.ID}}"
    container["Args"] = ["sh", "-c", "echo $$HOME ${X}"]
    back = reload(specs)
    assert back["services"] == specs["services"]


def test_named_external_and_scoped_objects_keep_their_names():
    compose = """\
services:
  web:
    image: nginx
    networks:
      front: {aliases: [www]}
      outside: {}
      back: {driver_opts: {com.example.o: "1"}}
    volumes: [data:/data, "ext:/ext:ro", "/srv:/srv:rshared", {type: tmpfs, target: /t, tmpfs: {size: 1024}}]
networks:
  front: {name: shared-front, attachable: true, labels: [a=b]}
  back: {internal: true, driver_opts: {encrypted: "yes"}, ipam: {config: [{subnet: 10.99.0.0/24}]}}
  outside: {external: true, name: corp-net}
volumes:
  data: {driver: local, driver_opts: {type: tmpfs, device: tmpfs}, labels: {backup: daily}}
  ext: {external: true, name: corp-volume}
"""
    specs = from_compose(compose)
    document = compose_document(specs, NS)
    assert document["networks"]["shared-front"]["name"] == "shared-front"
    assert document["networks"]["corp-net"] == {"external": True, "name": "corp-net"}
    assert document["volumes"]["corp-volume"] == {"external": True, "name": "corp-volume"}
    assert document["services"]["web"]["networks"]["front" if "front" in document["networks"] else "shared-front"]
    back = reload(specs)
    for section in ("services", "networks", "volumes", "external_networks"):
        assert back[section] == specs[section], section


def test_a_name_clash_between_a_scoped_and_a_named_object_gets_two_keys():
    compose = """\
services:
  app:
    image: lab/busybox:1
    networks: [mine, theirs]
networks:
  mine: {}
  theirs: {external: true, name: mine}
"""
    specs = from_compose(compose)
    document = compose_document(specs, NS)
    assert set(document["networks"]) == {"mine", "mine-2"}
    assert reload(specs)["services"] == specs["services"]


def live_spec() -> dict:
    """A service as the engine returns it (ids replaced by names as the adopt reader does, defaults filled in)."""
    return {
        "Name": f"{NS}_api",
        "Labels": {"com.docker.stack.namespace": NS, "com.docker.stack.image": "lab/app:2", "team": "a"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "lab/app:2",
                "Labels": {"com.docker.stack.namespace": NS},
                "Args": ["serve"],
                "Env": ["MODE=live"],
                "Privileges": {"CredentialSpec": None, "SELinuxContext": None, "NoNewPrivileges": False},
                "StopGracePeriod": 10 * SECOND,
                "DNSConfig": {},
                "Isolation": "default",
                "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 30 * SECOND, "Retries": 3},
                "Mounts": [
                    {
                        "Type": "volume",
                        "Source": f"{NS}_data",
                        "Target": "/data",
                        "VolumeOptions": {"Labels": {"com.docker.stack.namespace": NS}},
                    }
                ],
            },
            "Resources": {"Limits": {"NanoCPUs": 250_000_000, "MemoryBytes": 64 * 1024 * 1024}},
            "RestartPolicy": {"Condition": "on-failure", "Delay": 5 * SECOND, "MaxAttempts": 0},
            "Placement": {
                "Constraints": ["node.role==manager"],
                "Preferences": [{"Spread": {"SpreadDescriptor": "node.id"}}],
            },
            "Networks": [{"Target": f"{NS}_default", "Aliases": ["api"]}],
            "ForceUpdate": 0,
            "Runtime": "container",
        },
        "Mode": {"Replicated": {"Replicas": 2}},
        "UpdateConfig": {
            "Parallelism": 1,
            "FailureAction": "pause",
            "Monitor": 5 * SECOND,
            "MaxFailureRatio": 0,
            "Order": "stop-first",
        },
        "RollbackConfig": {"Parallelism": 1, "FailureAction": "pause", "Monitor": 5 * SECOND, "Order": "stop-first"},
        "EndpointSpec": {
            "Mode": "vip",
            "Ports": [{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "host"}],
        },
    }


def test_specs_as_the_engine_returns_them_survive_a_round_trip():
    default = {"Name": f"{NS}_default", "Driver": "overlay", "Labels": {"com.docker.stack.namespace": NS}}
    specs = {"services": {"api": live_spec()}, "networks": {f"{NS}_default": default}}
    assert compose_losses(specs, NS) == []
    back = reload(specs)
    assert normalize(back["services"]["api"], namespace=NS) == normalize(live_spec(), namespace=NS)
    text = compose_from_specs(specs, NS)
    assert "Compose cannot express" not in text


def test_what_compose_cannot_say_is_listed_at_the_top():
    spec = live_spec()
    spec["TaskTemplate"]["Placement"]["Platforms"] = [{"OS": "linux", "Architecture": "amd64"}]
    spec["TaskTemplate"]["ContainerSpec"]["Privileges"]["SELinuxContext"] = {"Disable": True}
    specs = {"services": {"api": spec}, "networks": {}, "secrets": {}, "configs": {}, "volumes": {}}
    lost = compose_losses(specs, NS)
    assert any("Placement.Platforms" in line for line in lost), lost
    assert any("SELinuxContext" in line for line in lost), lost
    text = compose_from_specs(specs, NS, header="Exported by Davit")
    assert text.startswith("# Exported by Davit\n")
    assert "# Compose cannot express" in text
    assert "Platforms" in text.split("version:")[0]


def test_a_service_outside_the_stack_cannot_be_exported():
    spec = live_spec()
    spec["Name"] = "elsewhere_api"
    with pytest.raises(ExportError) as caught:
        compose_from_specs({"services": {"api": spec}}, NS)
    assert caught.value.field == "services.api"


def test_image_written_as_the_label_says_unless_someone_changed_the_image():
    spec = live_spec()
    spec["Labels"]["com.docker.stack.image"] = "nginx"
    spec["TaskTemplate"]["ContainerSpec"]["Image"] = "nginx:latest"
    assert compose_document({"services": {"api": spec}}, NS)["services"]["api"]["image"] == "nginx"
    spec["TaskTemplate"]["ContainerSpec"]["Image"] = "nginx:1.27@sha256:" + "a" * 64
    assert compose_document({"services": {"api": spec}}, NS)["services"]["api"]["image"].startswith("nginx:1.27@")


@pytest.mark.parametrize(
    ("nanoseconds", "text"),
    [
        (0, "0s"),
        (SECOND, "1s"),
        (90 * SECOND, "1m30s"),
        (1_500_000_000, "1s500ms"),
        (3_723_500_000_001, "1h2m3s500ms1ns"),
    ],
)
def test_durations_are_written_in_go_syntax(nanoseconds, text):
    from apps.swarm.compose.units import parse_duration

    assert go_duration(nanoseconds) == text
    assert parse_duration(text) == nanoseconds


# ------------------------------------------------------------------------------------------------ bundles
BUNDLE = {
    "Version": "0.1",
    "Services": {
        "web": {
            "Image": "nginx",
            "Command": ["nginx"],
            "Args": ["-g", "daemon off;"],
            "Env": ["B=2", "A=1"],
            "Labels": {"tier": "front"},
            "Networks": ["front", "back"],
            "Ports": [{"Protocol": "tcp", "Port": 80}, {"Protocol": "udp", "Port": 53}],
            "User": "nobody",
            "WorkingDir": "/srv",
        },
        "db": {"Image": "postgres:9.4", "Networks": ["back"]},
    },
}


def test_a_bundle_becomes_the_stack_docker_1_12_deployed():
    specs = specs_from_bundle(json.dumps(BUNDLE), "app")
    web = specs["services"]["web"]
    assert web["Name"] == "app_web"
    assert web["Labels"] == {"tier": "front", "com.docker.stack.namespace": "app", "com.docker.stack.image": "nginx"}
    container = web["TaskTemplate"]["ContainerSpec"]
    assert container["Image"] == "nginx:latest"
    assert container["Command"] == ["nginx"]
    assert container["Args"] == ["-g", "daemon off;"]
    assert container["Env"] == ["A=1", "B=2"]
    assert container["Dir"] == "/srv"
    assert container["User"] == "nobody"
    assert container["Labels"] == {"com.docker.stack.namespace": "app"}
    assert web["TaskTemplate"]["Networks"] == [
        {"Target": "app_back", "Aliases": ["web"]},
        {"Target": "app_front", "Aliases": ["web"]},
    ]
    # ports are published on a port the swarm picks
    assert web["EndpointSpec"]["Ports"] == [
        {"Protocol": "tcp", "TargetPort": 80},
        {"Protocol": "udp", "TargetPort": 53},
    ]
    assert set(specs["networks"]) == {"app_back", "app_front"}
    assert specs["networks"]["app_back"]["Driver"] == "overlay"
    assert specs["networks"]["app_back"]["Labels"] == {"com.docker.stack.namespace": "app"}
    assert specs["services"]["db"]["Mode"] == {"Replicated": {}}


def test_bundle_export_then_import_gives_the_same_specs():
    specs = specs_from_bundle(BUNDLE, "app")
    bundle = bundle_from_specs(specs, "app")
    assert bundle["Version"] == "0.1"
    assert bundle["Services"]["web"]["Image"] == "nginx"  # as written, not the normalized form
    assert bundle["Services"]["web"]["Networks"] == ["back", "front"]
    assert "Labels" not in bundle["Services"]["db"]
    again = specs_from_bundle(json.loads(json.dumps(bundle)), "app")
    assert again == specs
    assert bundle_losses(specs, "app") == []
    # and under another stack name, the same stack
    other = specs_from_bundle(bundle, "copy")
    assert spec_differences(specs, {**other}, "app") != []  # names differ without the mapping...
    assert [normalize(s, namespace="copy") for s in other["services"].values()] == [
        normalize(s, namespace="app") for s in specs["services"].values()
    ]


def test_a_bundle_stack_exported_as_compose_keeps_its_specs():
    specs = specs_from_bundle(BUNDLE, "app")
    assert compose_losses(specs, "app") == []
    back = reload(specs, "app")
    assert back["services"] == specs["services"]
    assert back["networks"] == specs["networks"]


def test_a_compose_stack_as_a_bundle_keeps_what_the_format_holds_and_names_the_rest():
    specs = from_compose(
        """\
services:
  web:
    image: nginx:1.27
    command: ["serve"]
    environment: [A=1]
    ports: ["8080:80"]
    deploy: {replicas: 3, placement: {constraints: [node.role==manager]}, labels: [x=y]}
    networks: [front]
networks:
  front: {}
"""
    )
    bundle = bundle_from_specs(specs, NS)
    assert bundle["Services"]["web"] == {
        "Image": "nginx:1.27",
        "Args": ["serve"],
        "Env": ["A=1"],
        "Labels": {"x": "y"},
        "Ports": [{"Protocol": "tcp", "Port": 80}],
        "Networks": ["front"],
    }
    lost = bundle_losses(specs, NS)
    assert any("Mode" in line for line in lost), lost
    assert any("Placement" in line for line in lost), lost
    assert any("PublishedPort" in line or "EndpointSpec" in line for line in lost), lost


def test_bundle_keys_match_without_regard_to_case():
    parsed = parse_bundle(
        {"version": "0.1", "services": {"a": {"image": "x", "ports": [{"port": 1, "protocol": "udp"}]}}}
    )
    assert parsed == {"Version": "0.1", "Services": {"a": {"Image": "x", "Ports": [{"Protocol": "udp", "Port": 1}]}}}


@pytest.mark.parametrize(
    ("bundle", "field", "cause"),
    [
        ('{"Version": "0.1",\n "Services": {', "bundle", "not valid JSON"),
        ("[]", "bundle", "JSON object"),
        ('{"Version": "0.2", "Services": {"a": {"Image": "x"}}}', "Version", '"0.1"'),
        ('{"Version": "0.1", "Services": {}}', "Services", "non-empty"),
        ('{"Version": "0.1", "Services": {"a": {"Image": "x"}}, "Extra": 1}', "Extra", "unknown key"),
        ('{"Version": "0.1", "Services": {"a": {"Command": ["x"]}}}', "Services.a.Image", "needs an image"),
        ('{"Version": "0.1", "Services": {"a": {"Image": "x/Upper"}}}', "Services.a.Image", "invalid image"),
        (
            '{"Version": "0.1", "Services": {"a": {"Image": "x", "Privileged": true}}}',
            "Services.a.Privileged",
            "unknown",
        ),
        ('{"Version": "0.1", "Services": {"a": {"Image": "x", "Env": "A=1"}}}', "Services.a.Env", "list of strings"),
        ('{"Version": "0.1", "Services": {"a": {"Image": "x", "Env": ["=1"]}}}', "Services.a.Env[0]", "KEY=value"),
        (
            '{"Version": "0.1", "Services": {"a": {"Image": "x", "Ports": [{"Port": 0}]}}}',
            "Services.a.Ports[0].Port",
            "1 to",
        ),
        (
            '{"Version": "0.1", "Services": {"a": {"Image": "x", "Ports": [{"Port": 1, "Protocol": "icmp"}]}}}',
            "Services.a.Ports[0].Protocol",
            "tcp",
        ),
        ('{"Version": "0.1", "Services": {"a b": {"Image": "x"}}}', "Services.a b", "letters"),
        ('{"Version": "0.1", "Services": {"a": {"Image": "x", "Labels": {"k": 1}}}}', "Services.a.Labels", "strings"),
        ('{"Version": "0.1", "Services": {"a": {"Image": "x", "User": 0}}}', "Services.a.User", "string"),
    ],
)
def test_a_bad_bundle_is_refused_naming_the_field(bundle, field, cause):
    with pytest.raises(BundleError) as caught:
        specs_from_bundle(bundle, "app")
    assert caught.value.field == field
    assert cause in str(caught.value)


def test_invalid_json_names_its_line():
    with pytest.raises(BundleError) as caught:
        parse_bundle('{\n  "Version": "0.1",\n  "Services": {"a": {"Image": "x",}}\n}')
    assert caught.value.line == 3


def test_a_bundle_over_one_megabyte_is_refused_before_it_is_parsed():
    huge = '{"Version": "0.1", "Services": {"a": {"Image": "x", "Env": ["' + "x" * (1024 * 1024) + '"]}}}'
    with pytest.raises(BundleError) as caught:
        parse_bundle(huge)
    assert "1 MB" in str(caught.value)


def test_exports_do_not_change_the_specs_they_are_given():
    specs = specs_from_bundle(BUNDLE, "app")
    before = copy.deepcopy(specs)
    compose_from_specs(specs, "app")
    bundle_from_specs(specs, "app")
    assert specs == before
