"""What the swarm manager would refuse at create time is refused while reading, before anything is created.

The CLI learns these from the daemon one service at a time and leaves the stack half-deployed; Davit refuses
the file with the field and line instead. Each case below was checked against the lab's engine (20.10).
"""

import pytest

from apps.swarm.compose import ComposeError, load_stack
from apps.swarm.compose.convert import check_constraint


def error_of(snippet: str, top: str = "") -> ComposeError:
    text = 'version: "3.13"\nservices:\n  web:\n    image: lab/busybox:1\n' + snippet + top
    with pytest.raises(ComposeError) as caught:
        load_stack(text, namespace="st")
    return caught.value


@pytest.mark.parametrize(
    ("snippet", "field", "words"),
    [
        (
            "    deploy:\n      placement:\n        constraints: [node.role = manager]\n",
            "services.web.deploy.placement.constraints[0]",
            "constraint expected one operator from ==, !=",
        ),
        (
            "    deploy:\n      placement:\n        constraints: ['node.labels.a == x,y']\n",
            "services.web.deploy.placement.constraints[0]",
            "value 'x,y' is invalid",
        ),
        (
            "    deploy:\n      resources:\n        limits:\n          cpus: '0.0001'\n",
            "services.web.deploy.resources.limits.cpus",
            "at least 0.001 CPUs",
        ),
        (
            "    deploy:\n      resources:\n        reservations:\n          memory: 1m\n",
            "services.web.deploy.resources.reservations.memory",
            "at least 4MiB",
        ),
        ("    volumes: [/tmp:/x, /var:/x]\n", "services.web.volumes[1]", "duplicate mount point: /x"),
        (
            "    ports: ['8088:80']\n    deploy:\n      endpoint_mode: dnsrr\n",
            "services.web.ports",
            "ingress mode can't be used with endpoint_mode dnsrr",
        ),
        ("    ports: ['18089:80', '18089:81']\n", "services.web.ports", "published port 18089/tcp is given twice"),
        (
            "    deploy:\n      mode: global-job\n      update_config:\n        parallelism: 1\n",
            "services.web.deploy.update_config",
            "jobs may not have an update config",
        ),
        (
            "    deploy:\n      restart_policy:\n        condition: always\n",
            "services.web.deploy.restart_policy.condition",
            'invalid condition "always"',
        ),
        (
            "    deploy:\n      restart_policy:\n        delay: -1s\n",
            "services.web.deploy.restart_policy.delay",
            "cannot be negative",
        ),
        (
            "    deploy:\n      update_config:\n        failure_action: explode\n",
            "services.web.deploy.update_config.failure_action",
            'invalid failure action "explode"',
        ),
        (
            "    deploy:\n      update_config:\n        max_failure_ratio: 2\n",
            "services.web.deploy.update_config.max_failure_ratio",
            "between 0 and 1",
        ),
        (
            "    deploy:\n      endpoint_mode: round-robin\n",
            "services.web.deploy.endpoint_mode",
            'invalid endpoint mode "round-robin"',
        ),
        (
            "    healthcheck:\n      test: [CMD, 'true']\n      interval: 100us\n",
            "services.web.healthcheck.interval",
            "less than 1ms",
        ),
        (
            "    volumes:\n      - type: bind\n        source: /tmp\n        target: /x\n        bind:\n"
            "          propagation: bogus\n",
            "services.web.volumes[0]",
            'invalid bind propagation "bogus"',
        ),
    ],
)
def test_swarm_refusals_are_compose_errors(snippet, field, words):
    error = error_of(snippet)
    assert error.field == field
    assert words in error.message
    assert error.line is not None


def test_what_the_swarm_accepts_is_accepted():
    text = """
version: "3.13"
services:
  web:
    image: lab/busybox:1
    ports:
      - "18093:80/tcp"
      - "18093:81/udp"
      - target: 82
        published: 18094
        mode: host
    deploy:
      mode: replicated-job
      rollback_config:
        parallelism: 1
      restart_policy:
        condition: any
      placement:
        constraints: ["node.labels.A == B", "node.labels.x!=(y|z)*"]
      resources:
        limits:
          memory: 4m
          cpus: "0.001"
"""
    plan = load_stack(text, namespace="st")
    assert plan.services["web"]["Mode"] == {"ReplicatedJob": {}}


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("node.role == manager", None),
        ("node.labels.zone!=eu-1", None),
        ("engine.labels.os == Linux", None),
        ("a == b", "key 'a' is invalid"),
        ("1a == b", "key '1a' is invalid"),
        ("node.labels.a == ", "value '' is invalid"),
        ("node.labels.a == x@y", "value 'x@y' is invalid"),
        ("", "constraint expected one operator from ==, !="),
    ],
)
def test_constraint_parser(expression, problem):
    assert check_constraint(expression) == problem
