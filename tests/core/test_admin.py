"""The Django admin: superusers only, every accounts/audit model registered, secrets never shown, audit read-only,
and every change made there audited."""

import pytest
from django.contrib import admin
from django.db import models
from django.test.utils import isolate_apps
from django.urls import NoReverseMatch, reverse

from apps.accounts.models import ApiToken, Membership, Role, Team
from apps.accounts.services import token_create
from apps.audit.models import AuditEntry
from apps.core.admin import DavitModelAdmin, hidden_field_names
from apps.core.fields import EncryptedTextField


@pytest.fixture
def root(client, superuser):
    client.force_login(superuser)
    return client


def test_every_accounts_and_audit_model_is_registered():
    for model in (Team, Membership, ApiToken, AuditEntry):
        assert admin.site.is_registered(model), model


@pytest.mark.parametrize("model", [Team, Membership, ApiToken, AuditEntry])
def test_changelists_render_for_superusers_only(root, client, admin_user, model, team):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert root.get(url).status_code == 200
    client.force_login(admin_user)  # a team admin is not a superuser
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_superuser_is_kept_out(client, admin_user):
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_token_hash_is_never_shown(root, viewer_user):
    token, value = token_create(viewer_user, name="ci")
    for url in (
        reverse("admin:accounts_apitoken_changelist"),
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
    ):
        page = root.get(url).content.decode()
        assert token.key_hash not in page
        assert value not in page
        assert "ci" in page


def test_admin_revokes_tokens_through_the_service(root, viewer_user):
    token, _ = token_create(viewer_user, name="leaked")
    response = root.post(
        reverse("admin:accounts_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked is not None
    assert AuditEntry.objects.filter(action="token.revoke", target_id=str(token.pk)).exists()


def test_audit_log_is_read_only_in_the_admin(root, team):
    entry = AuditEntry.objects.create(team=team, action="x.y", actor_name="system", target_type="thing")
    for name in ("audit_auditentry_add", "audit_auditentry_delete", "accounts_apitoken_add"):
        with pytest.raises(NoReverseMatch):
            reverse(f"admin:{name}", args=[entry.pk] if "delete" in name else [])
    change = reverse("admin:audit_auditentry_change", args=[entry.pk])
    assert root.get(change).status_code == 200
    assert root.post(change, {"action": "tampered"}).status_code == 403
    entry.refresh_from_db()
    assert entry.action == "x.y"


def test_team_changes_in_the_admin_are_audited(root, team, viewer_user):
    url = reverse("admin:accounts_team_change", args=[team.pk])
    membership = Membership.objects.get(user=viewer_user)
    response = root.post(
        url,
        {
            "name": "renamed",
            "description": "",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-id": membership.pk,
            "memberships-0-team": team.pk,
            "memberships-0-user": viewer_user.pk,
            "memberships-0-role": Role.OPERATOR,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    team.refresh_from_db()
    membership.refresh_from_db()
    assert team.name == "renamed"
    assert membership.role == Role.OPERATOR
    entries = {e.action: e for e in AuditEntry.objects.filter(team=team)}
    assert entries["team.update"].summary == {"via": "admin", "fields": {"name": "renamed"}}
    assert entries["membership.update"].summary == {"via": "admin", "fields": {"role": "operator"}}


@isolate_apps("apps.core")
def test_base_admin_hides_encrypted_and_secret_named_fields(rf, superuser):
    class Vault(models.Model):
        name = models.CharField(max_length=10)
        tls_key = EncryptedTextField(blank=True)
        private_blob = EncryptedTextField(blank=True)
        api_token = models.CharField(max_length=10)
        password_hint = models.CharField(max_length=10)
        client_secret = models.CharField(max_length=10)

        class Meta:
            app_label = "core"

        def __str__(self):
            return self.name

    assert hidden_field_names(Vault) >= {"tls_key", "private_blob", "api_token", "password_hint", "client_secret"}

    class VaultAdmin(DavitModelAdmin):
        list_display = ["name", "api_token", "client_secret"]
        search_fields = ["name", "tls_key"]
        readonly_fields = ["password_hint"]

    model_admin = VaultAdmin(Vault, admin.site)
    request = rf.get("/")
    request.user = superuser
    form = model_admin.get_form(request)
    assert list(form.base_fields) == ["name"]
    assert model_admin.get_fields(request) == ["name"]
    assert model_admin.get_list_display(request) == ["name"]
    assert model_admin.get_search_fields(request) == ["name"]
    assert model_admin.get_readonly_fields(request) == []


def test_cluster_tls_key_is_hidden_by_the_base_admin():
    from apps.clusters.models import Cluster

    assert "tls_key" in hidden_field_names(Cluster)
