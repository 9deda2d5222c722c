"""The projects admin: superusers see projects, revisions and policies; uploaded files and secret data never."""

from django.urls import reverse

from apps.projects import services

from .conftest import SIMPLE, stack_name

HIDDEN = "hidden-file-content-42"


def test_admin_lists_projects_revisions_and_policies_without_secrets(client, superuser, team, cluster):
    compose = SIMPLE + "    secrets: [s]\nsecrets:\n  s:\n    file: ./s.txt\n"
    project = services.project_create(None, team, cluster, stack_name(), compose, files={"s.txt": HIDDEN})
    services.team_policy_update(None, team, allow_capabilities=True)
    client.force_login(superuser)
    revision = project.latest_revision()
    for url in (
        reverse("admin:projects_project_changelist"),
        reverse("admin:projects_project_change", args=[project.pk]),
        reverse("admin:projects_revision_changelist"),
        reverse("admin:projects_revision_change", args=[revision.pk]),
        reverse("admin:projects_teampolicy_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert HIDDEN not in page
        assert revision.files_sealed not in page
