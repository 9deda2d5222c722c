"""/healthz: database, Redis, a Celery worker that answers a ping, and each registered cluster."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": f"database unreachable: {exc.__class__.__name__}"}


def _redis() -> dict:
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
        return {"ok": True}
    except redis.RedisError as exc:
        return {"ok": False, "error": f"redis at {_address(settings.REDIS_URL)} unreachable: {exc.__class__.__name__}"}


def _address(url: str) -> str:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    return f"{parsed.hostname}:{parsed.port}"


def _celery(redis_ok: bool) -> dict:
    if not redis_ok:
        return {"ok": False, "error": "no broker, so no worker can answer"}
    from portal.celery import app

    try:
        replies = app.control.ping(timeout=1.5) or []
    except Exception as exc:
        return {"ok": False, "error": f"ping failed: {exc.__class__.__name__}"}
    if not replies:
        return {"ok": False, "error": "no Celery worker answered a ping"}
    return {"ok": True, "workers": sorted(name for reply in replies for name in reply)}


def _clusters(database_ok: bool) -> tuple[bool, list]:
    if not database_ok:
        return False, []
    from apps.clusters.models import Cluster
    from apps.clusters.services import cluster_refresh

    result, all_ok = [], True
    for cluster in Cluster.objects.all():
        cluster_refresh(cluster)
        entry = {"name": cluster.name, "reachable": cluster.reachable, "nodes": cluster.node_count}
        if not cluster.reachable:
            entry["error"] = cluster.last_error
            all_ok = False
        result.append(entry)
    return all_ok, result


@require_GET
def healthz(request):
    database = _database()
    cache = _redis()
    celery = _celery(cache["ok"])
    clusters_ok, clusters = _clusters(database["ok"])
    checks = {"database": database, "redis": cache, "celery": celery}
    failing = [name for name, check in checks.items() if not check["ok"]]
    if not clusters_ok:
        failing += [f"cluster {c['name']}" for c in clusters if not c["reachable"]]
    body = {"status": "ok" if not failing else "failing", **checks, "clusters": clusters}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=200 if not failing else 503)
