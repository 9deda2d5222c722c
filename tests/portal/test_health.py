"""/healthz reports each part; a stopped Redis is named."""

import time

import pytest
from django.test import override_settings

from tests.operations.helpers import celery_broker
from tests.support.processes import start_redis, start_worker


@pytest.mark.django_db(transaction=True)
def test_healthz_ok_with_worker_and_lab_cluster_then_names_a_stopped_redis(client, lab_cluster, subprocess_env):
    redis_process, redis_url = start_redis()
    env = dict(subprocess_env, REDIS_URL=redis_url)
    worker = start_worker(env, name="health")
    try:
        with override_settings(REDIS_URL=redis_url), celery_broker(redis_url):
            # a worker that has just said "ready." may not hear broadcasts yet: its first ping can go unanswered
            deadline = time.monotonic() + 60
            while (response := client.get("/healthz")).status_code != 200 and time.monotonic() < deadline:
                time.sleep(1)
            body = response.json()
            assert response.status_code == 200, body["celery"]
            assert body["status"] == "ok"
            assert body["clusters"] == [{"name": lab_cluster.name, "reachable": True, "nodes": 2}]
            assert body["celery"]["ok"]

            redis_process.stop()
            response = client.get("/healthz")
            body = response.json()
            assert response.status_code == 503
            assert "redis" in body["failing"]
            assert redis_url.split("//")[1].split("/")[0] in body["redis"]["error"]
            assert "unreachable" in body["redis"]["error"]
    finally:
        worker.stop()
        redis_process.stop()


@pytest.mark.django_db
def test_healthz_names_an_unreachable_cluster(client, team, tmp_path):
    from apps.clusters.models import Cluster

    Cluster.objects.create(name="gone", team=team, endpoint_url=f"unix://{tmp_path}/gone.sock")
    body = client.get("/healthz").json()
    assert body["status"] == "failing"
    assert "cluster gone" in body["failing"]
    assert "cannot be reached" in body["clusters"][0]["error"]
