"""Interpolation with the project's variables in place of the CLI's process environment."""

import pytest

from apps.swarm.compose import ComposeError, load_stack
from apps.swarm.compose.template import TemplateError, substitute

VARS = {"A": "1", "EMPTY": "", "NAME": "web"}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${A}", "1"),
        ("$A", "1"),
        ("x${A}y", "x1y"),
        ("${UNSET}", ""),
        ("$UNSET", ""),
        ("${UNSET:-d}", "d"),
        ("${EMPTY:-d}", "d"),
        ("${EMPTY-d}", ""),
        ("${UNSET-d}", "d"),
        ("${A:-d}", "1"),
        ("${A:?boom}", "1"),
        ("${EMPTY?boom}", ""),
        ("$$", "$"),
        ("$${A}", "${A}"),
        ("$$A", "$A"),
        ("{{.Node.ID}}", "{{.Node.ID}}"),
        ("${a}", ""),  # names are case-sensitive; lower-case names are allowed
        ("${UNSET:-a b c}", "a b c"),
        ("$A-x", "1"),  # the CLI reads the unbraced form with modifiers too: $A-x is ${A-x}
        ("${UNSET:?e} ${A:-d}", " 1"),  # as in the CLI, a later substitution clears an earlier error
    ],
)
def test_substitution_rules(template, expected):
    assert substitute(template, VARS) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("${UNSET:?boom}", "required variable UNSET is missing a value: boom"),
        ("${EMPTY:?must be set}", "required variable EMPTY is missing a value: must be set"),
        ("${UNSET?}", "required variable UNSET is missing a value: "),
        ("$1", "$1"),
        ("${1}", "${1}"),
        ("${A", "${A"),
        ("cost: 5$", "cost: 5$"),
    ],
)
def test_substitution_errors(template, message):
    with pytest.raises(TemplateError) as caught:
        substitute(template, VARS)
    assert caught.value.template == message


def test_values_are_interpolated_keys_are_not():
    text = """
version: "3.8"
services:
  web:
    image: lab/busybox:${TAG:-1}
    command: ["echo", "${GREETING}"]
    environment:
      $KEY: "${A}"
      PLAIN: "$$HOME"
    labels:
      - "who=${NAME}"
    x-note: "${A}"
"""
    plan = load_stack(text, namespace="st", variables={"A": "1", "GREETING": "hi", "NAME": "w"})
    spec = plan.services["web"]
    container = spec["TaskTemplate"]["ContainerSpec"]
    assert container["Image"] == "lab/busybox:1"
    assert spec["Labels"]["com.docker.stack.image"] == "lab/busybox:1"
    assert container["Args"] == ["echo", "hi"]
    assert container["Env"] == ["$KEY=1", "PLAIN=$HOME"]
    assert container["Labels"]["who"] == "w"


def test_interpolated_values_are_cast_where_the_cli_casts():
    text = """
services:
  web:
    image: lab/busybox:1
    read_only: "${RO}"
    tty: ${TTY}
    deploy:
      replicas: ${N}
      update_config:
        parallelism: ${P}
        max_failure_ratio: ${R}
    ports:
      - target: ${PORT}
        published: ${PORT}
        mode: host
    ulimits:
      nofile: ${NOFILE}
networks:
  default:
    attachable: ${ATTACH}
"""
    plan = load_stack(
        text,
        namespace="st",
        variables={
            "RO": "yes",
            "TTY": "on",
            "N": "3",
            "P": "2",
            "R": "0.5",
            "PORT": "8080",
            "NOFILE": "1024",
            "ATTACH": "true",
        },
    )
    spec = plan.services["web"]
    assert spec["Mode"] == {"Replicated": {"Replicas": 3}}
    assert spec["UpdateConfig"]["Parallelism"] == 2
    assert spec["UpdateConfig"]["MaxFailureRatio"] == 0.5
    container = spec["TaskTemplate"]["ContainerSpec"]
    assert container["ReadOnly"] is True
    assert container["TTY"] is True
    assert container["Ulimits"] == [{"Name": "nofile", "Soft": 1024, "Hard": 1024}]
    # the long syntax is copied as written: no protocol means the engine's default (tcp)
    assert spec["EndpointSpec"]["Ports"] == [{"TargetPort": 8080, "PublishedPort": 8080, "PublishMode": "host"}]
    assert plan.networks["st_default"]["Attachable"] is True


def test_a_quoted_number_without_a_variable_is_not_cast():
    text = 'services:\n  web:\n    image: x\n    deploy:\n      replicas: "2"\n'
    with pytest.raises(ComposeError) as caught:
        load_stack(text, namespace="st")
    assert str(caught.value) == 'line 5: services.web.deploy.replicas: must be an integer, got "2"'


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        (
            'services:\n  web:\n    image: "${IMAGE:?set IMAGE}"\n',
            {},
            "line 3: services.web.image: required variable IMAGE is missing a value: set IMAGE",
        ),
        (
            "services:\n  web:\n    image: x\n    environment:\n      - P=${1}\n",
            {},
            'line 5: services.web.environment[0]: invalid interpolation format "P=${1}"; '
            "a literal $ must be written as $$",
        ),
        (
            "services:\n  web:\n    image: x\n    deploy:\n      replicas: ${N}\n",
            {"N": "two"},
            'line 5: services.web.deploy.replicas: cannot read "two" as an integer',
        ),
        (
            "services:\n  web:\n    image: x\n    tty: ${T}\n",
            {"T": "maybe"},
            'line 4: services.web.tty: invalid boolean: "maybe"',
        ),
    ],
)
def test_interpolation_errors_name_line_and_field(text, variables, expected):
    with pytest.raises(ComposeError) as caught:
        load_stack(text, namespace="st", variables=variables)
    assert str(caught.value) == expected


def test_process_environment_is_never_read(monkeypatch):
    monkeypatch.setenv("LEAK", "from-process")
    plan = load_stack(
        "services:\n  web:\n    image: x\n    environment:\n      - V=${LEAK}\n      - LEAK\n", namespace="st"
    )
    assert plan.services["web"]["TaskTemplate"]["ContainerSpec"]["Env"] == ["LEAK", "V="]
