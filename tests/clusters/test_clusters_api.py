"""Clusters through the API: register (checked against the engine), edit, remove, refresh, beat task."""

import datetime
import ssl
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.clusters.models import Cluster
from apps.clusters.tasks import refresh_all
from tests.conftest import api_client_for

LIST = "/api/v1/clusters/"


def register(client, team, url, **extra):
    return client.post(
        LIST, {"name": f"c-{team.pk}-{len(url)}", "team": team.pk, "endpoint_url": url, **extra}, format="json"
    )


def test_register_the_lab_records_its_live_facts_and_an_audit_entry(api, team, lab):
    response = api.post(LIST, {"name": "lab-reg", "team": team.pk, "endpoint_url": lab["DOCKER_HOST"]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reachable"] is True
    assert (body["node_count"], body["manager_count"]) == (2, 1)
    assert body["swarm_id"]
    assert body["engine_version"]
    assert body["manager_node_id"]
    assert body["last_check"]
    assert body["last_error"] == ""
    assert "tls_key" not in body
    cluster = Cluster.objects.get(pk=body["id"])
    entry = AuditEntry.objects.get(action="cluster.register", target_id=str(cluster.pk))
    assert entry.team_id == team.pk
    listed = api.get(LIST).json()
    assert [c["name"] for c in listed["results"]] == ["lab-reg"]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("unix:///nonexistent/docker.sock", "cannot be reached"),
        ("ftp://example", "must start with unix://, tcp:// or https://"),
        ("tcp://127.0.0.1", "names no port"),
        ("", "may not be blank"),
    ],
)
def test_register_refuses_a_bad_or_dead_endpoint_naming_the_field(api, team, url, words):
    response = register(api, team, url)
    assert response.status_code == 400
    body = response.json()
    assert words in " ".join(body["errors"]["endpoint_url"])
    assert not Cluster.objects.exists()


def test_register_refuses_a_worker_engine(api, team, lab):
    response = register(api, team, lab["DAVIT_LAB_WORKER_HOST"])
    assert response.status_code == 400
    assert "is a swarm worker, not a manager" in response.json()["errors"]["endpoint_url"][0]


def self_signed(name: str, key_path: str, cert_path: str) -> str:
    """A self-signed certificate for CN=name (a day long); its PEM text is what openssl writes to stdout."""
    argv = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}"]
    argv += ["-keyout", key_path, "-out", cert_path]
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def tls_server():
    """A TLS listener on loopback (a self-signed certificate) that no client certificate of ours satisfies."""
    folder = Path(tempfile.mkdtemp(prefix="davit-tls-test-"))
    self_signed("127.0.0.1", str(folder / "key.pem"), str(folder / "cert.pem"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(folder / "cert.pem")
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                pass

    threading.Thread(target=serve, daemon=True).start()
    yield {"url": f"tcp://127.0.0.1:{server.getsockname()[1]}", "ca": (folder / "cert.pem").read_text()}
    stop.set()
    server.close()


def test_register_reports_a_rejected_tls_handshake(api, team, tls_server):
    other_ca = self_signed("other", "/dev/null", "/dev/stdout")
    response = register(api, team, tls_server["url"], tls_ca=other_ca)
    assert response.status_code == 400, response.content
    message = response.json()["errors"]["endpoint_url"][0]
    assert "rejected the TLS handshake" in message
    assert "tls rejected" in message


def test_register_needs_admin_rights_in_the_named_team(team, other_team, viewer_user, operator_user, outsider, lab):
    body = {"name": "x", "team": team.pk, "endpoint_url": lab["DOCKER_HOST"]}
    assert api_client_for(viewer_user).post(LIST, body, format="json").status_code == 403
    assert api_client_for(operator_user).post(LIST, body, format="json").status_code == 403
    assert api_client_for(outsider).post(LIST, body, format="json").status_code == 404
    assert not Cluster.objects.exists()


def test_the_list_and_detail_are_scoped_to_the_callers_teams(lab_cluster, outsider, viewer_user):
    assert api_client_for(outsider).get(LIST).json()["results"] == []
    assert api_client_for(outsider).get(f"{LIST}{lab_cluster.pk}/").status_code == 404
    seen = api_client_for(viewer_user).get(f"{LIST}{lab_cluster.pk}/")
    assert seen.status_code == 200
    assert seen.json()["urls"]["nodes"] == reverse("cluster-nodes", args=[lab_cluster.pk])


def test_edit_renames_rechecks_a_new_endpoint_and_never_returns_the_key(api, lab_cluster, lab, operator_user):
    url = f"{LIST}{lab_cluster.pk}/"
    assert api_client_for(operator_user).patch(url, {"name": "nope"}, format="json").status_code == 403
    response = api.patch(url, {"name": "renamed", "description": "the lab"}, format="json")
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["description"]) == ("renamed", "the lab")
    assert AuditEntry.objects.filter(action="cluster.update", target_id=str(lab_cluster.pk)).exists()
    moved = api.patch(url, {"endpoint_url": lab["DAVIT_LAB_WORKER_HOST"]}, format="json")
    assert moved.status_code == 400
    assert "not a manager" in moved.json()["errors"]["endpoint_url"][0]
    dead = api.patch(url, {"endpoint_url": "unix:///nonexistent.sock"}, format="json")
    assert dead.status_code == 400
    lab_cluster.refresh_from_db()
    assert lab_cluster.endpoint_url == lab["DOCKER_HOST"]


def test_remove_forgets_the_cluster_and_is_refused_while_a_project_uses_it(api, team, lab_cluster):
    if "apps.projects" in settings.INSTALLED_APPS:
        from apps.projects.models import Project

        project = Project.objects.create(name="shop", team=team, cluster=lab_cluster)
        refused = api.delete(f"{LIST}{lab_cluster.pk}/")
        assert refused.status_code == 409
        assert "shop" in refused.json()["detail"]
        assert Cluster.objects.filter(pk=lab_cluster.pk).exists()
        project.delete()
    response = api.delete(f"{LIST}{lab_cluster.pk}/")
    assert response.status_code == 204
    assert not Cluster.objects.filter(pk=lab_cluster.pk).exists()
    assert AuditEntry.objects.filter(action="cluster.remove", target_id=str(lab_cluster.pk)).exists()


def test_refresh_and_the_beat_task_store_the_facts(api, team, lab, operator_user, viewer_user):
    cluster = Cluster.objects.create(name="stale", team=team, endpoint_url=lab["DOCKER_HOST"])
    assert api_client_for(viewer_user).post(f"{LIST}{cluster.pk}/refresh/").status_code == 403
    response = api_client_for(operator_user).post(f"{LIST}{cluster.pk}/refresh/")
    assert response.status_code == 200
    assert response.json()["reachable"] is True
    dead = Cluster.objects.create(
        name="dead", team=team, endpoint_url="unix:///nonexistent/docker.sock", reachable=True
    )
    Cluster.objects.filter(pk=cluster.pk).update(node_count=0, last_check=None)
    refresh_all()
    cluster.refresh_from_db()
    dead.refresh_from_db()
    assert (cluster.reachable, cluster.node_count) == (True, 2)
    assert cluster.last_check > datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)
    assert dead.reachable is False
    assert "cannot be reached" in dead.last_error
    from portal.celery import app

    assert app.conf.beat_schedule["refresh-clusters"] == {"task": "clusters.refresh_all", "schedule": 60.0}


def test_the_dashboard_shows_each_clusters_state(client, admin_user, team, lab):
    Cluster.objects.create(name="up-one", team=team, endpoint_url=lab["DOCKER_HOST"], reachable=True, node_count=2)
    Cluster.objects.create(name="down-one", team=team, endpoint_url="unix:///x.sock", last_error="gone")
    client.force_login(admin_user)
    page = client.get("/").content.decode()
    assert 'data-cluster="up-one"' in page
    assert "reachable" in page
    assert 'data-cluster="down-one"' in page
    assert "unreachable" in page
