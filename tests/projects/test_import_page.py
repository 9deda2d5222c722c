"""The bundle import page: an operator uploads a Docker 1.12 bundle (.dab) and lands on the new project; a broken
bundle shows the form again naming the problem, with nothing written; a viewer cannot import."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.audit.models import AuditEntry
from apps.projects.models import Project

from .conftest import stack_name

pytestmark = pytest.mark.django_db

URL = "/projects/import-bundle/"

BUNDLE = {
    "Version": "0.1",
    "Services": {
        "web": {"Image": "lab/busybox:1", "Args": ["sleep", "3600"], "Env": ["ROLE=web"], "Networks": ["front"]},
        "worker": {"Image": "lab/busybox:1", "Args": ["sleep", "3600"]},
    },
}


def dab(content: str, name: str = "app.dab") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="application/json")


def test_an_operator_uploads_a_bundle_and_lands_on_the_new_project(client, operator_user, team, cluster):
    client.force_login(operator_user)
    listing = client.get("/projects/").content.decode()
    assert f'href="{URL}"' in listing
    form = client.get(URL)
    assert form.status_code == 200
    assert f'value="{cluster.pk}"' in form.content.decode()

    name = stack_name("imp")
    body = {"name": name, "team": team.pk, "cluster": cluster.pk, "message": "from 1.12"}
    response = client.post(URL, {**body, "bundle_file": dab(json.dumps(BUNDLE))}, follow=True)

    project = Project.objects.get(name=name)
    assert response.redirect_chain == [(f"/projects/{project.pk}/", 302)]
    page = response.content.decode()
    assert f"Project {name} imported from the bundle with revision 1" in page
    assert project.team == team
    assert project.cluster == cluster
    revision = project.latest_revision()
    assert revision.number == 1
    assert revision.origin == "bundle"
    assert revision.message == "from 1.12"
    assert sorted(revision.specs["services"]) == ["web", "worker"]
    assert json.loads(revision.source) == BUNDLE
    assert project.deployed_revision is None


def test_pasted_json_is_imported_too(client, operator_user, team, cluster):
    client.force_login(operator_user)
    name = stack_name("imp")
    response = client.post(URL, {"name": name, "team": team.pk, "cluster": cluster.pk, "bundle": json.dumps(BUNDLE)})
    project = Project.objects.get(name=name)
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{project.pk}/"
    assert project.latest_revision().origin == "bundle"


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('{"Version": "0.1",\n  "Services": {"web": {"Image": "x",}}}', "not valid JSON"),
        (json.dumps({"Version": "1.0", "Services": {"web": {"Image": "x"}}}), "Version: must be &quot;0.1&quot;"),
        (json.dumps({"Version": "0.1", "Services": {"web": {}}}), "Services.web.Image: every service needs an image"),
    ],
)
def test_a_broken_bundle_shows_the_form_again_naming_the_problem(client, operator_user, team, cluster, content, named):
    client.force_login(operator_user)
    before = (Project.objects.count(), AuditEntry.objects.count())
    name = stack_name("bad")
    body = {"name": name, "team": team.pk, "cluster": cluster.pk, "bundle_file": dab(content)}

    response = client.post(URL, body)

    assert response.status_code == 400
    page = response.content.decode()
    assert named in page, page
    # the error stands at the file field the bundle came from, and the form keeps what was typed
    field = page.split('data-field="bundle_file"', 1)[1].split('data-field="bundle"', 1)[0]
    assert named in field
    assert f'value="{name}"' in page
    assert not Project.objects.filter(name=name).exists()
    assert (Project.objects.count(), AuditEntry.objects.count()) == before


def test_a_pasted_broken_bundle_is_named_at_the_pasted_field(client, operator_user, team, cluster):
    client.force_login(operator_user)
    name = stack_name("bad")
    pasted = json.dumps({"Version": "0.1", "Services": {"web": {"Image": "x", "Ports": [{"Port": 70000}]}}})
    response = client.post(URL, {"name": name, "team": team.pk, "cluster": cluster.pk, "bundle": pasted})
    assert response.status_code == 400
    field = response.content.decode().split('data-field="bundle"', 1)[1].split('data-field="message"', 1)[0]
    assert "Services.web.Ports[0].Port" in field
    assert not Project.objects.filter(name=name).exists()


def test_no_bundle_or_both_are_refused_at_the_field(client, operator_user, team, cluster):
    client.force_login(operator_user)
    body = {"name": stack_name("bad"), "team": team.pk, "cluster": cluster.pk}
    empty = client.post(URL, body)
    assert empty.status_code == 400
    assert "Upload a .dab file or paste its JSON." in empty.content.decode()
    both = client.post(URL, {**body, "bundle": json.dumps(BUNDLE), "bundle_file": dab(json.dumps(BUNDLE))})
    assert both.status_code == 400
    assert "Upload a .dab file or paste its JSON, not both." in both.content.decode()
    assert not Project.objects.filter(name=body["name"]).exists()


def test_a_viewer_cannot_import(client, viewer_user, team, cluster):
    client.force_login(viewer_user)
    assert 'href="/projects/import-bundle/"' not in client.get("/projects/").content.decode()
    assert client.get(URL).status_code == 403
    name = stack_name("vw")
    body = {"name": name, "team": team.pk, "cluster": cluster.pk, "bundle_file": dab(json.dumps(BUNDLE))}
    assert client.post(URL, body).status_code == 403
    assert not Project.objects.filter(name=name).exists()
