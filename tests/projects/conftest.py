"""Fixtures of the projects tests: a cluster row of team A on the lab manager (no Docker call to make it)."""

import uuid

import pytest

from apps.clusters.models import Cluster

SIMPLE = """\
services:
  web:
    image: lab/busybox:1
    command: ["sleep", "3600"]
    deploy:
      replicas: 1
"""


@pytest.fixture
def cluster(team, lab) -> Cluster:
    return Cluster.objects.create(name=f"pc-{uuid.uuid4().hex[:6]}", team=team, endpoint_url=lab["DOCKER_HOST"])


@pytest.fixture
def other_cluster(other_team, lab) -> Cluster:
    return Cluster.objects.create(name=f"pc-{uuid.uuid4().hex[:6]}", team=other_team, endpoint_url=lab["DOCKER_HOST"])


def stack_name(prefix: str = "p") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"
