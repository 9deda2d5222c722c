"""Versions, schema validation, forbidden and ignored keys: each bad input is a ComposeError naming line and field."""

import pytest

from apps.swarm.compose import ComposeError, load_stack


def error_of(text: str, **kwargs) -> ComposeError:
    with pytest.raises(ComposeError) as caught:
        load_stack(text, namespace="st", **kwargs)
    return caught.value


@pytest.mark.parametrize("version", ['"3"', '"3.0"', '"3.8"', '"3.13"', None])
def test_accepted_versions(version):
    head = f"version: {version}\n" if version else ""
    plan = load_stack(head + "services:\n  web:\n    image: lab/busybox:1\n", namespace="st")
    assert plan.services["web"]["Name"] == "st_web"


@pytest.mark.parametrize(
    ("version", "words"),
    [('"2.4"', "unsupported Compose file version: 2.4"), ('"3.14"', "unsupported"), ("3.8", "must be a string")],
)
def test_refused_versions(version, words):
    error = error_of(f"version: {version}\nservices:\n  web:\n    image: x\n")
    assert words in error.message
    assert error.field == "version"


def test_wrong_type_names_line_field_and_value():
    text = 'version: "3.8"\nservices:\n  web:\n    image: lab/busybox:1\n    deploy:\n      mode: replicated\n'
    text += "      replicas: two\n"
    assert str(error_of(text)) == 'line 7: services.web.deploy.replicas: must be an integer, got "two"'


@pytest.mark.parametrize(
    ("snippet", "line", "field", "words"),
    [
        ("    foo: 1\n", 4, "services.web.foo", 'unknown key "foo"'),
        ("    platform: linux\n", 4, "services.web.platform", 'unknown key "platform"'),
        ("    deploy:\n      x-foo: 1\n", 5, "services.web.deploy.x-foo", 'unknown key "x-foo"'),
        ("    tty: yes\n", 4, "services.web.tty", 'must be a boolean (true or false), got "yes"'),
        ("    environment:\n      A: true\n", 5, "services.web.environment.A", "must be a string, a number or empty"),
        ("    command: 5\n", 4, "services.web.command", "must be a string or a list of strings, got the number 5"),
        ("    ports:\n      - target: 80\n        host_ip: 1.2.3.4\n", 6, "services.web.ports[0].host_ip", "unknown"),
        ("    ports:\n      - 80:80\n      - 80:80\n", 6, "services.web.ports[1]", "duplicate item"),
        ("    ports:\n      - abc\n", 5, "services.web.ports[0]", 'invalid container port "abc"'),
        ("    stop_grace_period: 1d\n", 4, "services.web.stop_grace_period", 'unknown unit "d"'),
        ("    deploy:\n      resources:\n        limits:\n          cpus: 0.5\n", 7, None, "must be a string"),
        ("    deploy:\n      update_config:\n        order: sideways\n", 6, None, "start-first, stop-first"),
        ("    secrets:\n      - source: s\n        mode: '0440'\n", 6, None, "must be a number"),
        ("    ulimits:\n      nofile:\n        soft: 1\n", 5, "services.web.ulimits.nofile", '"hard" is required'),
        ("    volumes:\n      - source: /a\n        target: /b\n", 5, "services.web.volumes[0]", '"type" is required'),
        (
            "    volumes:\n      - type: tmpfs\n        target: /b\n        tmpfs:\n          size: 1m\n",
            8,
            None,
            "integer",
        ),
        ("    shm_size: 64\n", 4, "services.web.shm_size", "must be a string"),
        ("    labels: [a=1, a=1]\n", 4, "services.web.labels[1]", "duplicate item"),
    ],
)
def test_schema_errors(snippet, line, field, words):
    error = error_of('version: "3.13"\nservices:\n  web:\n' + snippet + "    image: lab/busybox:1\n")
    assert error.line == line
    if field:
        assert error.field == field
    assert words in error.message


def test_service_names_follow_the_schema_pattern():
    error = error_of("services:\n  'web app':\n    image: x\n")
    assert error.field == "services.web app"
    assert "not a valid name" in error.message


def test_service_must_be_a_mapping():
    error = error_of("services:\n  web:\n")
    assert (error.line, error.field) == (2, "services.web")
    assert "must be a mapping" in error.message


@pytest.mark.parametrize(
    ("version", "snippet", "needs"),
    [
        ("3.0", "    configs: [c]\nconfigs:\n  c:\n    file: ./c\n", "3.3"),
        ("3.2", "    init: true\n", "3.7"),
        ("3.6", "    x-meta: 1\n", "3.7"),
        ("3.6", "    deploy:\n      rollback_config:\n        parallelism: 1\n", "3.7"),
        ("3.7", "    deploy:\n      placement:\n        max_replicas_per_node: 1\n", "3.8"),
        ("3.1", "    ports:\n      - target: 80\n", "3.2"),
        ("3.4", "    isolation: default\n", "3.5"),
        ("3.11", "    healthcheck:\n      start_interval: 1s\n", "3.12"),
    ],
)
def test_keys_newer_than_the_file_version_are_refused(version, snippet, needs):
    error = error_of(f'version: "{version}"\nservices:\n  web:\n    image: x\n' + snippet, files={"c": "x"})
    assert f"needs Compose file version {needs} or later" in error.message


def test_top_level_extension_fields_need_3_4():
    with pytest.raises(ComposeError, match=r"3\.4"):
        load_stack('version: "3.3"\nx-a: 1\nservices:\n  web:\n    image: x\n', namespace="st")
    load_stack('version: "3.4"\nx-a: 1\nservices:\n  web:\n    image: x\n', namespace="st")


def test_forbidden_keys_abort_with_the_clis_reasons():
    error = error_of("services:\n  web:\n    image: x\n    mem_limit: 1g\n    extends: base\n")
    assert error.line == 4
    assert error.field == "services.web.mem_limit"
    assert error.message.startswith("Compose file contains unsupported options: ")
    assert "extends: Support for `extends` is not implemented yet." in error.message
    assert "mem_limit: Set resource limits using deploy.resources" in error.message


def test_ignored_and_deprecated_keys_are_warned_as_the_cli_warns():
    text = """
services:
  web:
    image: lab/busybox:1
    privileged: true
    network_mode: host
    build: .
    container_name: web
    expose: ["80"]
    depends_on: [db]
    tmpfs: /run
  db:
    image: lab/busybox:1
    security_opt: [label=disable]
"""
    plan = load_stack(text, namespace="st")
    assert plan.warnings == [
        "Ignoring unsupported options: build, network_mode, privileged, security_opt",
        "Ignoring deprecated options:\n\ncontainer_name: Setting the container name is not supported.\n\n"
        "expose: Exposing ports is unnecessary - services on the same network can access each other's "
        "containers on any port.",
    ]
    container = plan.services["web"]["TaskTemplate"]["ContainerSpec"]
    assert "Mounts" not in container  # service-level tmpfs is silently ignored


def test_image_is_required_and_checked():
    assert str(error_of("services:\n  web:\n    build: .\n")) == (
        "line 2: services.web: invalid image reference for service web: no image specified"
    )
    error = error_of("services:\n  web:\n    image: Foo/Bar\n")
    assert error.field == "services.web.image"
    assert "must be lowercase" in error.message


def test_stack_and_service_names_must_suit_the_swarm():
    with pytest.raises(ComposeError, match="stack name"):
        load_stack("services:\n  web:\n    image: x\n", namespace=" ")
    with pytest.raises(ComposeError, match="stack name"):
        load_stack("services:\n  web:\n    image: x\n", namespace="a.b")
    error = error_of("services:\n  web.app:\n    image: x\n")
    assert 'the service name "st_web.app" is not valid in a swarm' in error.message
