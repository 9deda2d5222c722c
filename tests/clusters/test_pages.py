"""Cluster pages on the lab: every page renders what a person checks; forms write through the services; a stopped
or hanging engine gives a clear message on pages and a 503 "unreachable" in the API, never a 500."""

import re

import pytest
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.clusters.models import Cluster
from apps.swarm.client import forget
from tests.clusters.helpers import SocketProxy, restore_lab, unique_name


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_cluster_pages_render_their_live_content(admin_client, lab_cluster, swarm, worker_swarm):
    worker_id = worker_swarm.engine_swarm_state()["node_id"]
    pk = lab_cluster.pk
    listing = text(admin_client.get(reverse("clusters:list")))
    assert lab_cluster.name in listing
    assert "reachable" in listing
    detail = text(admin_client.get(reverse("clusters:detail", args=[pk])))
    assert f'data-node="{worker_id}"' in detail
    assert "lab-w1" in detail
    assert "10.210.0.2" in detail
    assert admin_client.get(reverse("clusters:node", args=[pk, "nosuchnode0000000000000"])).status_code == 404
    node = admin_client.get(reverse("clusters:node", args=[pk, worker_id]))
    assert node.status_code == 200
    assert "Promote to manager" in text(node)
    assert "Set availability" in text(node)
    for name in ("networks", "volumes", "secrets", "configs", "engines", "join"):
        response = admin_client.get(reverse(f"clusters:{name}", args=[pk]))
        assert response.status_code == 200, (name, response.content[:300])
    assert 'data-network="ingress"' in text(admin_client.get(reverse("clusters:networks", args=[pk])))
    join = text(admin_client.get(reverse("clusters:join", args=[pk])))
    assert "docker swarm join --token SWMTKN-" in join
    everywhere = text(admin_client.get(reverse("clusters:networks-all")))
    assert lab_cluster.name in everywhere
    assert 'data-network="ingress"' in everywhere
    assert lab_cluster.name in text(admin_client.get(reverse("clusters:secrets-all")))


def test_join_tokens_are_not_on_pages_for_operators(client, operator_user, lab_cluster):
    client.force_login(operator_user)
    assert client.get(reverse("clusters:join", args=[lab_cluster.pk])).status_code == 403
    detail = text(client.get(reverse("clusters:detail", args=[lab_cluster.pk])))
    assert "SWMTKN" not in detail
    assert "Add a host" not in detail


def test_register_form_shows_the_engines_error_on_the_endpoint_field(admin_client, team):
    response = admin_client.post(
        reverse("clusters:create"), {"name": "dead", "team": team.pk, "endpoint_url": "unix:///nonexistent.sock"}
    )
    assert response.status_code == 400
    page = text(response)
    assert re.search(r'data-field="endpoint_url".*cannot be reached', page)
    assert not Cluster.objects.filter(name="dead").exists()


def test_network_form_and_node_label_actions_write_through_the_services(
    admin_client, lab_cluster, swarm, worker_swarm, unique
):
    pk = lab_cluster.pk
    refused = admin_client.post(reverse("clusters:networks", args=[pk]), {"name": "x", "subnet": "10.1.1.1/24"})
    assert refused.status_code == 400
    assert "did you mean 10.1.1.0/24" in text(refused)
    name = f"t-pnet-{unique}"
    made = admin_client.post(
        reverse("clusters:networks", args=[pk]), {"name": name, "attachable": "on", "labels": f"davit.test={unique}"}
    )
    assert made.status_code == 302
    network = next(n for n in swarm.network_list() if n["Name"] == name)
    assert network["Labels"] == {"davit.test": unique}
    assert network["Attachable"] is True
    gone = admin_client.post(reverse("clusters:network-remove", args=[pk, network["Id"]]), follow=True)
    assert "Network removed." in text(gone)

    worker_id = worker_swarm.engine_swarm_state()["node_id"]
    node_page = reverse("clusters:node", args=[pk, worker_id])
    version = swarm.node_inspect(worker_id)["Version"]["Index"]
    key = f"davit.test.page-{unique}"
    try:
        response = admin_client.post(
            reverse("clusters:node-update", args=[pk, worker_id]),
            {"action": "label-set", "version": version, "key": key, "value": "v"},
            follow=True,
        )
        assert f'data-label="{key}"' in text(response)
        assert "Node updated." in text(response)
        stale = admin_client.post(
            reverse("clusters:node-update", args=[pk, worker_id]),
            {"action": "label-remove", "version": version, "key": key},
            follow=True,
        )
        assert "changed by someone else" in text(stale)
        assert f'data-label="{key}"' in text(admin_client.get(node_page))
        fresh = swarm.node_inspect(worker_id)["Version"]["Index"]
        removed = admin_client.post(
            reverse("clusters:node-update", args=[pk, worker_id]),
            {"action": "label-remove", "version": fresh, "key": key},
            follow=True,
        )
        assert f'data-label="{key}"' not in text(removed)
        up = admin_client.post(reverse("clusters:node-remove", args=[pk, worker_id]), follow=True)
        assert "is up (state: ready)" in text(up)
        assert AuditEntry.objects.filter(action="node.update").count() == 2
    finally:
        restore_lab(swarm, worker_swarm)


def test_secret_form_from_an_upload_never_shows_the_value(admin_client, lab_cluster, swarm, unique):
    from django.core.files.uploadedfile import SimpleUploadedFile

    value = f"page-secret-{unique}-value"
    name = f"t-psecret-{unique}"
    response = admin_client.post(
        reverse("clusters:secrets", args=[lab_cluster.pk]),
        {"name": name, "file": SimpleUploadedFile("pw.txt", value.encode())},
        follow=True,
    )
    assert response.status_code == 200
    page = text(response)
    assert f'data-secret="{name}"' in page
    assert value not in page
    secret = next(s for s in swarm.secret_list() if s["Spec"]["Name"] == name)
    removed = admin_client.post(reverse("clusters:secret-remove", args=[lab_cluster.pk, secret["ID"]]), follow=True)
    assert f'data-secret="{name}"' not in text(removed)
    assert value not in str(list(AuditEntry.objects.values_list("summary", flat=True)))


LIVE_PAGES = ["detail", "networks", "volumes", "secrets", "configs", "join"]
LIVE_API = ["nodes", "networks", "volumes", "secrets", "configs", "join"]


def check_unreachable(client, api, cluster, words: str):
    for name in LIVE_PAGES:
        response = client.get(reverse(f"clusters:{name}", args=[cluster.pk]))
        assert response.status_code in (200, 503), (name, response.status_code)
        assert words in text(response), name
    node = client.get(reverse("clusters:node", args=[cluster.pk, "somenode"]))
    assert node.status_code == 503
    assert words in text(node)
    for name in ("networks-all", "secrets-all", "list"):
        response = client.get(reverse(f"clusters:{name}"))
        assert response.status_code == 200, name
    for name in LIVE_API:
        response = api.get(f"/api/v1/clusters/{cluster.pk}/{name}/")
        assert response.status_code == 503, (name, response.content)
        assert response.json()["code"] == "unreachable"
        assert words in response.json()["detail"]
    assert api.get(f"/api/v1/nodes/{cluster.pk}:somenode/").status_code == 503
    assert (
        api.patch(f"/api/v1/nodes/{cluster.pk}:somenode/", {"availability": "drain"}, format="json").status_code == 503
    )
    assert api.post(f"/api/v1/clusters/{cluster.pk}/networks/", {"name": "n"}, format="json").status_code == 503
    refreshed = api.post(f"/api/v1/clusters/{cluster.pk}/refresh/")
    assert refreshed.status_code == 200
    assert refreshed.json()["reachable"] is False
    assert words in refreshed.json()["last_error"]


def test_a_cluster_whose_engine_is_gone_answers_clearly(admin_client, api, team):
    cluster = Cluster.objects.create(name="gone", team=team, endpoint_url="unix:///nonexistent/dir/docker.sock")
    check_unreachable(admin_client, api, cluster, "cannot be reached")


def test_a_cluster_whose_engine_stops_while_in_use_answers_clearly(admin_client, api, team, lab):
    proxy = SocketProxy(lab["DOCKER_HOST"])
    cluster = Cluster.objects.create(name=unique_name("proxied"), team=team, endpoint_url=proxy.url)
    try:
        assert api.get(f"/api/v1/clusters/{cluster.pk}/nodes/").status_code == 200
        proxy.close()
        check_unreachable(admin_client, api, cluster, "cannot be reached")
    finally:
        proxy.close()
        forget(cluster.endpoint)


def test_a_hanging_engine_times_out_with_a_clear_message(admin_client, api, team, lab, settings):
    settings.DAVIT_SWARM_TIMEOUT = 1
    proxy = SocketProxy(lab["DOCKER_HOST"], hang=True)
    cluster = Cluster.objects.create(name=unique_name("hung"), team=team, endpoint_url=proxy.url)
    try:
        response = api.get(f"/api/v1/clusters/{cluster.pk}/nodes/")
        assert response.status_code == 503
        assert "timed out" in response.json()["detail"]
        page = admin_client.get(reverse("clusters:detail", args=[cluster.pk]))
        assert page.status_code == 200
        assert "timed out" in text(page)
    finally:
        proxy.close()
        forget(cluster.endpoint)
