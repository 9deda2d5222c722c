"""Benchmarks (make bench): Davit's live lists against the Docker CLI, measured in one run.

Each prints the medians and the ratio CLI/Davit; nothing here asserts a time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
import tracemalloc
import uuid

import pytest

from tests.support.processes import wait_for

pytestmark = [pytest.mark.bench, pytest.mark.django_db]
ROUNDS = 15
SERVICES = 20
DOCKER = "/usr/local/bin/docker" if os.path.exists("/usr/local/bin/docker") else "docker"


def _median_ms(action) -> float:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


@pytest.fixture
def bench_stack(swarm):
    namespace = f"bench{uuid.uuid4().hex[:6]}"
    ids = []
    for index in range(SERVICES):
        spec = {
            "Name": f"{namespace}_s{index}",
            "Labels": {"com.docker.stack.namespace": namespace},
            "TaskTemplate": {"ContainerSpec": {"Image": "lab/busybox:1", "Args": ["sleep", "3600"]}},
            "Mode": {"Replicated": {"Replicas": 1}},
        }
        ids.append(swarm.service_create(spec))
    wait_for(
        lambda: (
            len([t for t in swarm.task_list(labels=None, service=ids) if t["Status"]["State"] == "running"]) >= SERVICES
        ),
        120,
        what="bench services to run",
    )
    yield namespace
    for service_id in ids:
        swarm.service_remove(service_id)


def _report(title: str, cli_ms: float, davit_ms: float, extra: str = "") -> None:
    print(
        f"\n[bench] {title}: Docker CLI median {cli_ms:.1f} ms, Davit median {davit_ms:.1f} ms, "
        f"ratio CLI/Davit {cli_ms / davit_ms:.1f}x{extra}"
    )


def test_bench_service_list(client, admin_user, lab_cluster, bench_stack, lab):
    from apps.projects.interchange import project_adopt

    env = dict(os.environ, DOCKER_HOST=lab["DOCKER_HOST"])
    client.force_login(admin_user)
    project_adopt(admin_user, lab_cluster.team, lab_cluster, bench_stack)  # the page lists projects' services

    def cli():
        subprocess.run([DOCKER, "service", "ls"], env=env, check=True, capture_output=True)

    def davit():
        response = client.get("/projects/services/", {"cluster": lab_cluster.pk})
        assert response.status_code == 200
        assert response.content.count(bench_stack.encode()) >= SERVICES

    davit()  # warm the client's connection once, as a running portal has it
    cli_ms, davit_ms = _median_ms(cli), _median_ms(davit)
    tracemalloc.start()
    davit()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    _report(
        f"service list, {SERVICES} services (page)",
        cli_ms,
        davit_ms,
        f"; page peak Python memory {peak / 1024:.0f} KiB",
    )


def test_bench_node_list(client, admin_user, lab_cluster, lab):
    env = dict(os.environ, DOCKER_HOST=lab["DOCKER_HOST"])
    client.force_login(admin_user)

    def cli():
        subprocess.run([DOCKER, "node", "ls"], env=env, check=True, capture_output=True)

    def davit():
        response = client.get(f"/api/v1/clusters/{lab_cluster.pk}/nodes/")
        assert response.status_code == 200

    davit()
    _report("node list (API)", _median_ms(cli), _median_ms(davit))
