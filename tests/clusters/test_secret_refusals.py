"""Secret values never come back: a refused form does not echo them, a read-only token gets no join token."""

import uuid

import pytest

from apps.accounts.services import token_create
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def test_a_refused_secret_form_does_not_put_the_value_back_into_the_page(client, admin_user, lab_cluster, swarm):
    name = f"dup-{uuid.uuid4().hex[:8]}"
    value = f"s3cret-{uuid.uuid4().hex}"
    secret_id = swarm.secret_create(name, b"first")
    try:
        client.force_login(admin_user)
        response = client.post(f"/clusters/{lab_cluster.pk}/secrets/", {"name": name, "text": value})
        assert response.status_code == 400
        page = response.content.decode()
        assert name in page  # the form is shown again with the refusal
        assert value not in page
    finally:
        swarm.secret_remove(secret_id)


def test_a_refused_cluster_form_does_not_put_the_tls_key_back_into_the_page(client, admin_user, team):
    key = (
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC"
        + uuid.uuid4().hex
        + "\n-----END PRIVATE KEY-----\n"
    )
    client.force_login(admin_user)
    response = client.post(
        "/clusters/new/",
        {"name": "nowhere", "team": team.pk, "endpoint_url": "tcp://127.0.0.1:1", "tls_key": key},
    )
    assert response.status_code == 400
    assert key.splitlines()[1] not in response.content.decode()


def test_a_read_only_token_cannot_read_join_tokens(admin_user, lab_cluster):
    _, value = token_create(admin_user, name="dashboard", read_only=True)
    from rest_framework.test import APIClient

    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Token {value}")
    refused = reader.get(f"/api/v1/clusters/{lab_cluster.pk}/join/")
    assert refused.status_code == 403
    assert "SWMTKN" not in refused.content.decode()
    assert "read-only" in refused.json()["detail"]
    allowed = api_client_for(admin_user).get(f"/api/v1/clusters/{lab_cluster.pk}/join/")
    assert allowed.status_code == 200
    assert allowed.json()["worker"].startswith("SWMTKN")
