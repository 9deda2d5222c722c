"""Fixtures over the real lab: PostgreSQL (pytest-django's test database), Redis, the 2-node swarm, the registry."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.accounts.models import Membership, Role, Team
from apps.clusters.models import Cluster
from apps.swarm.client import SwarmClient
from apps.swarm.endpoint import Endpoint
from tests.support.processes import start_worker

ROOT = Path(__file__).resolve().parents[1]


def lab_env() -> dict[str, str]:
    """The lab's variables as `deploy/lab/env` prints them."""
    output = subprocess.run([str(ROOT / "deploy/lab/env")], capture_output=True, text=True, check=True).stdout
    values = {}
    for line in output.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            values[key] = shlex.split(value)[0] if value else ""
    return values


@pytest.fixture(scope="session")
def lab() -> dict[str, str]:
    return lab_env()


@pytest.fixture(scope="session")
def lab_endpoint(lab) -> Endpoint:
    return Endpoint(url=lab["DOCKER_HOST"], timeout=30)


@pytest.fixture(scope="session")
def swarm(lab_endpoint) -> SwarmClient:
    client = SwarmClient(lab_endpoint)
    yield client
    client.close()


@pytest.fixture(scope="session")
def worker_swarm(lab) -> SwarmClient:
    client = SwarmClient(Endpoint(url=lab["DAVIT_LAB_WORKER_HOST"], timeout=30))
    yield client
    client.close()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


def make_user(username: str, **extra):
    return get_user_model().objects.create_user(username=username, password="correct horse battery 9", **extra)


@pytest.fixture
def team(db) -> Team:
    return Team.objects.create(name=f"team-a-{uuid.uuid4().hex[:6]}")


@pytest.fixture
def other_team(db) -> Team:
    return Team.objects.create(name=f"team-b-{uuid.uuid4().hex[:6]}")


def member(team: Team, role: str, name: str | None = None):
    user = make_user(name or f"{role}-{uuid.uuid4().hex[:6]}")
    Membership.objects.create(team=team, user=user, role=role)
    return user


@pytest.fixture
def admin_user(team):
    return member(team, Role.ADMIN)


@pytest.fixture
def operator_user(team):
    return member(team, Role.OPERATOR)


@pytest.fixture
def viewer_user(team):
    return member(team, Role.VIEWER)


@pytest.fixture
def outsider(other_team):
    return member(other_team, Role.ADMIN)


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(username=f"root-{uuid.uuid4().hex[:6]}", password="x-Pass-9-long")


def api_client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def api(admin_user) -> APIClient:
    return api_client_for(admin_user)


@pytest.fixture
def lab_cluster(team, lab) -> Cluster:
    """The lab swarm registered for team A (facts refreshed, no audit: a fixture, not a person's act)."""
    from apps.clusters.services import cluster_refresh

    cluster = Cluster.objects.create(name=f"lab-{uuid.uuid4().hex[:6]}", team=team, endpoint_url=lab["DOCKER_HOST"])
    return cluster_refresh(cluster)


def process_env(lab: dict[str, str]) -> dict[str, str]:
    """Environment for processes a test starts (worker, web) so they use the test database and this run's Redis."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(lab)
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env["REDIS_URL"] = settings.REDIS_URL
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def subprocess_env(transactional_db, lab) -> dict[str, str]:
    """Environment for processes a test starts (worker, web) so they use this test's database and Redis."""
    return process_env(lab)


@contextlib.contextmanager
def celery_worker(env: dict[str, str], name: str):
    """A Celery worker started on `env`, stopped (by its pid) when the block ends."""
    process = start_worker(env, name=name)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def worker(subprocess_env, request):
    """A Celery worker on this test's database and Redis (named after the test module), stopped after the test."""
    with celery_worker(subprocess_env, name=request.module.__name__.rpartition(".")[2]) as process:
        yield process
