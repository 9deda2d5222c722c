"""The audit log: what record() keeps (secrets scrubbed), who sees which entries, the filters of the page and
the API, and that the API is read-only."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Role
from apps.accounts.services import member_add, token_create
from apps.audit.models import AuditEntry
from apps.audit.services import REDACTED, record, scrub
from tests.conftest import api_client_for, make_user, member


def _entry(team=None, action="thing.do", actor_name="system", ago=timedelta(0), **fields):
    entry = AuditEntry.objects.create(
        team=team, action=action, actor_name=actor_name, target_type=fields.pop("target_type", "thing"), **fields
    )
    if ago:
        AuditEntry.objects.filter(pk=entry.pk).update(created=timezone.now() - ago)
    return entry


def test_record_scrubs_secret_values_and_keeps_the_shape(team, admin_user):
    summary = {
        "name": "web",
        "password": "hunter2",
        "env": {"API_TOKEN": "abc", "MODE": "prod"},
        "tls_key": "-----BEGIN KEY-----",
        "secrets": [{"name": "db", "data": "s3cret"}],
        "empty_password": "",
    }
    with transaction.atomic():
        entry = record(admin_user, "thing.change", team, summary=summary)
    entry.refresh_from_db()
    assert entry.summary == {
        "name": "web",
        "password": REDACTED,
        "env": {"API_TOKEN": REDACTED, "MODE": "prod"},
        "tls_key": REDACTED,
        "secrets": REDACTED,
        "empty_password": "",
    }
    for secret in ("hunter2", "abc", "BEGIN KEY", "s3cret"):
        assert secret not in str(entry.summary)
    assert entry.actor == admin_user
    assert entry.actor_name == admin_user.username
    assert entry.team == team
    assert scrub({"value": "x"}) == {"value": REDACTED}


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction(team):
    with pytest.raises(RuntimeError, match="inside the write's transaction"):
        record(None, "thing.change", team)


def test_writes_record_actor_team_target_and_source_address(client, team, admin_user):
    make_user("newcomer")
    client.force_login(admin_user)
    client.post(
        f"/accounts/teams/{team.pk}/members/", {"username": "newcomer", "role": "viewer"}, REMOTE_ADDR="127.0.0.9"
    )
    entry = AuditEntry.objects.get(action="membership.add")
    assert (entry.actor, entry.team, entry.target_type, entry.source_ip) == (
        admin_user,
        team,
        "membership",
        "127.0.0.9",
    )
    assert entry.target_id
    assert entry.summary == {"user": "newcomer", "role": "viewer"}


def test_token_values_never_reach_the_audit_log(viewer_user):
    _token, value = token_create(viewer_user, name="ci")
    for entry in AuditEntry.objects.all():
        assert value not in str(entry.summary)
        assert value not in entry.target_repr


def test_each_member_sees_the_entries_of_their_teams_and_their_own(team, other_team, viewer_user, outsider, superuser):
    mine = _entry(team, action="a.one")
    theirs = _entry(other_team, action="b.one")
    nobody = _entry(None, action="user.create")
    own = _entry(None, action="token.create", actor=viewer_user, actor_name=viewer_user.username)

    def ids(user):
        return {e["id"] for e in api_client_for(user).get("/api/v1/audit/").json()["results"]}

    assert ids(viewer_user) == {mine.pk, own.pk}
    assert ids(outsider) == {theirs.pk}
    assert {mine.pk, theirs.pk, nobody.pk, own.pk} <= ids(superuser)
    assert api_client_for(outsider).get(f"/api/v1/audit/{mine.pk}/").status_code == 404
    assert api_client_for(viewer_user).get(f"/api/v1/audit/{mine.pk}/").json()["action"] == "a.one"


def test_api_filters(team, admin_user):
    second = member(team, Role.VIEWER)
    old = _entry(team, action="cluster.register", target_type="cluster", target_id="7", ago=timedelta(days=3))
    new = _entry(
        team, action="cluster.refresh", target_type="cluster", target_id="8", actor=second, actor_name=second.username
    )
    token = _entry(team, action="token.create", target_type="apitoken", target_id="7")
    client = api_client_for(admin_user)

    def ids(query):
        response = client.get(f"/api/v1/audit/?{query}")
        assert response.status_code == 200, response.content
        return {e["id"] for e in response.json()["results"]}

    assert ids(f"team={team.pk}") == {old.pk, new.pk, token.pk}
    assert ids(f"actor={second.username}") == {new.pk}
    assert ids("action=cluster.register") == {old.pk}
    assert ids("action=cluster.*") == {old.pk, new.pk}
    assert ids("target_type=cluster") == {old.pk, new.pk}
    assert ids("target_type=cluster&target_id=7") == {old.pk}
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(f"since={since}") == {new.pk, token.pk}
    assert ids(f"until={since}") == {old.pk}
    day = (timezone.now() - timedelta(days=3)).date().isoformat()
    assert ids(f"since={day}&until={(timezone.now() - timedelta(days=2)).date().isoformat()}") == {old.pk}


@pytest.mark.parametrize(
    ("query", "field"), [("since=yesterday", "since"), ("team=abc", "team"), ("team={other}", "team")]
)
def test_bad_filters_get_400_naming_the_field(admin_user, other_team, query, field):
    response = api_client_for(admin_user).get(f"/api/v1/audit/?{query.format(other=other_team.pk)}")
    assert response.status_code == 400
    assert field in response.json()


def test_audit_api_is_read_only(team, admin_user, superuser):
    entry = _entry(team)
    for user in (admin_user, superuser):
        client = api_client_for(user)
        assert client.post("/api/v1/audit/", {"action": "x"}, format="json").status_code == 405
        assert client.patch(f"/api/v1/audit/{entry.pk}/", {"action": "x"}, format="json").status_code == 405
        assert client.delete(f"/api/v1/audit/{entry.pk}/").status_code == 405
    assert AuditEntry.objects.get(pk=entry.pk).action == "thing.do"


def test_page_filters_and_paginates(client, team, other_team, admin_user):
    for n in range(60):
        _entry(team, action="bulk.item", target_type="thing", target_repr=f"item-{n:02d}")
    _entry(team, action="odd.one", target_repr="the-odd-one")
    _entry(other_team, action="bulk.item", target_repr="foreign-item")
    client.force_login(admin_user)

    page = client.get("/audit/").content.decode()
    assert "61 entries" in page
    assert "the-odd-one" in page
    assert "foreign-item" not in page
    assert "Page 1 of 2" in page
    assert "?page=2" in page
    second = client.get("/audit/?page=2").content.decode()
    assert "item-00" in second
    assert "the-odd-one" not in second

    filtered = client.get("/audit/?action=odd.one").content.decode()
    assert "1 entry" in filtered
    assert "the-odd-one" in filtered
    assert "item-01" not in filtered
    kept = client.get("/audit/?action=bulk.item&page=2").content.decode()
    assert "Page 2 of 2" in kept
    assert "action=bulk.item" in kept

    response = client.get("/audit/?since=not-a-date")
    assert response.status_code == 400
    assert "since" in response.content.decode()
    assert "Enter a valid date/time." in response.content.decode()


def test_a_write_whose_audit_record_fails_is_not_applied(team, admin_user, monkeypatch):
    from apps.accounts import services
    from apps.accounts.models import Membership

    make_user("late")

    def broken(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "record", broken)
    with pytest.raises(RuntimeError, match="audit store down"):
        member_add(admin_user, team, username="late", role=Role.OPERATOR)
    assert not Membership.objects.filter(user__username="late").exists()
