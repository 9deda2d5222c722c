"""/api/v1/tokens/: the caller's tokens only; the value is shown once; revoke by DELETE or POST revoke/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken, Role, hash_token
from apps.accounts.services import token_create
from apps.audit.models import AuditEntry
from tests.conftest import api_client_for, member


@pytest.fixture
def person(team):
    return member(team, Role.VIEWER)


def test_create_shows_the_value_once_and_stores_only_its_hash(person):
    client = api_client_for(person)
    expires = (timezone.now() + timedelta(days=3)).isoformat()
    response = client.post("/api/v1/tokens/", {"name": "ci", "expires": expires, "read_only": True}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    value = body["token"]
    assert body["name"] == "ci"
    assert body["read_only"] is True
    assert body["active"] is True
    assert body["prefix"] == value[:8]
    row = ApiToken.objects.get(pk=body["id"])
    assert row.key_hash == hash_token(value)
    # never again: not in the detail, not in the list
    detail = client.get(f"/api/v1/tokens/{row.pk}/")
    assert detail.status_code == 200
    assert "token" not in detail.json()
    listing = client.get("/api/v1/tokens/")
    assert value not in listing.content.decode()
    # and the new token works, read-only
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {value}")
    assert token_client.get("/api/v1/tokens/").status_code == 200
    entry = AuditEntry.objects.get(action="token.create", target_id=str(row.pk))
    assert entry.summary["read_only"] is True
    assert value not in str(entry.summary)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "a", "expires": "soon"}, "expires"),
    ],
)
def test_bad_token_input_names_the_field(person, body, field):
    response = api_client_for(person).post("/api/v1/tokens/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ApiToken.objects.exists()


def test_expiry_in_the_past_is_refused(person):
    past = (timezone.now() - timedelta(minutes=1)).isoformat()
    response = api_client_for(person).post("/api/v1/tokens/", {"name": "a", "expires": past}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"expires": ["expires must be in the future"]}
    assert not ApiToken.objects.exists()


def test_list_holds_only_the_callers_tokens(person, outsider, superuser):
    token_create(person, name="mine")
    theirs, _ = token_create(outsider, name="theirs")
    for user, names in ((person, ["mine"]), (outsider, ["theirs"]), (superuser, [])):
        response = api_client_for(user).get("/api/v1/tokens/")
        assert [t["name"] for t in response.json()["results"]] == names
    assert api_client_for(person).get(f"/api/v1/tokens/{theirs.pk}/").status_code == 404


def test_revoke_by_delete_and_by_post(person):
    client = api_client_for(person)
    first, _ = token_create(person, name="first")
    second, _ = token_create(person, name="second")
    assert client.delete(f"/api/v1/tokens/{first.pk}/").status_code == 204
    response = client.post(f"/api/v1/tokens/{second.pk}/revoke/")
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert response.json()["revoked"]
    for token in (first, second):
        token.refresh_from_db()
        assert token.revoked is not None
    assert AuditEntry.objects.filter(action="token.revoke").count() == 2
    # revoking again changes nothing and records nothing
    assert client.post(f"/api/v1/tokens/{second.pk}/revoke/").status_code == 200
    assert AuditEntry.objects.filter(action="token.revoke").count() == 2


def test_nobody_else_can_revoke_a_token(person, outsider, superuser):
    token, _ = token_create(person, name="mine")
    for user in (outsider, superuser):
        assert api_client_for(user).delete(f"/api/v1/tokens/{token.pk}/").status_code == 404
        assert api_client_for(user).post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked is None
    assert not AuditEntry.objects.filter(action="token.revoke").exists()
