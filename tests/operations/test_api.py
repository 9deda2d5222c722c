"""API /api/v1/operations/ and the operation pages (list, detail, stream, live, cancel, retry)."""

from __future__ import annotations

import pytest
from django.test import AsyncClient
from django.urls import reverse
from rest_framework.response import Response

from apps.operations.models import Operation, Status
from apps.operations.responses import accepted
from apps.operations.services import event_append, operation_claim, operation_finish, operation_start
from tests.conftest import api_client_for

from .test_lifecycle import PARAMS


def start(actor, team, **extra):
    return operation_start(
        actor,
        kind="apply",
        team=team,
        target=("project", "1", "demo"),
        params=PARAMS,
        sealed={"registry_auths": {"r": {"password": "top-secret-pw"}}},
        **extra,
    )


def failed(actor, team):
    op = start(actor, team)
    operation_claim(op.pk, "w1")
    operation_finish(op, Status.FAILED, "it broke")
    return op


def test_accepted_answers_202_with_the_operation_reference(operator_user, team, sent, rf):
    op = start(operator_user, team)
    response = accepted(op, rf.get("/"))
    assert isinstance(response, Response)
    assert response.status_code == 202
    assert response.data == {
        "operation": {
            "id": op.pk,
            "status": "pending",
            "url": f"http://testserver/api/v1/operations/{op.pk}/",
            "page_url": f"http://testserver/operations/{op.pk}/",
        }
    }


def test_list_is_scoped_to_the_users_teams_and_filters(operator_user, outsider, team, other_team, sent):
    mine = start(operator_user, team)
    done = failed(operator_user, team)
    theirs = start(outsider, other_team)
    api = api_client_for(operator_user)
    ids = [row["id"] for row in api.get("/api/v1/operations/").json()["results"]]
    assert sorted(ids) == sorted([mine.pk, done.pk])
    assert theirs.pk not in ids
    only_failed = api.get("/api/v1/operations/", {"status": "failed"}).json()["results"]
    assert [row["id"] for row in only_failed] == [done.pk]
    by_target = api.get("/api/v1/operations/", {"target_type": "project", "target_id": "1", "kind": "apply"}).json()
    assert by_target["count"] == 2
    assert api.get("/api/v1/operations/", {"team": other_team.pk}).json()["count"] == 0


def test_detail_never_shows_sealed_secrets_and_hides_other_teams(operator_user, outsider, team, sent):
    op = start(operator_user, team)
    response = api_client_for(operator_user).get(f"/api/v1/operations/{op.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert "top-secret-pw" not in response.content.decode()
    assert "sealed" not in body
    assert body["params"] == PARAMS
    link = op.target_url()  # the project's page, once the projects app has one
    assert body["target"] == {
        "type": "project",
        "id": "1",
        "repr": "demo",
        "page_url": f"http://testserver{link}" if link else None,
    }
    assert body["page_url"].endswith(f"/operations/{op.pk}/")
    assert api_client_for(outsider).get(f"/api/v1/operations/{op.pk}/").status_code == 404


def test_events_after_n(viewer_user, operator_user, team, sent):
    op = start(operator_user, team)
    for n in range(3):
        event_append(op, f"step {n}", data={"n": n})
    api = api_client_for(viewer_user)
    body = api.get(f"/api/v1/operations/{op.pk}/events/", {"after": 2}).json()
    assert [e["seq"] for e in body["results"]] == [3, 4]
    assert body["results"][-1] == {**body["results"][-1], "message": "step 2", "level": "info", "data": {"n": 2}}
    assert (body["last"], body["status"], body["finished"]) == (4, "pending", False)
    assert api.get(f"/api/v1/operations/{op.pk}/events/", {"after": 4}).json()["results"] == []
    bad = api.get(f"/api/v1/operations/{op.pk}/events/", {"after": "x"})
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"after": ["after must be a sequence number (0 or more)"]}


def test_cancel_and_retry_answer_202_for_operators_only(viewer_user, operator_user, outsider, team, sent):
    op = start(operator_user, team)
    url = f"/api/v1/operations/{op.pk}/cancel/"
    assert api_client_for(viewer_user).post(url).status_code == 403
    assert api_client_for(outsider).post(url).status_code == 404
    response = api_client_for(operator_user).post(url)
    assert response.status_code == 202
    assert response.json()["operation"]["status"] == "cancelled"
    assert set(response.json()["operation"]) == {"id", "status", "url", "page_url"}
    again = api_client_for(operator_user).post(url)
    assert again.status_code == 409
    assert "already cancelled" in again.json()["detail"]

    retry = api_client_for(operator_user).post(f"/api/v1/operations/{op.pk}/retry/")
    assert retry.status_code == 202
    new_id = retry.json()["operation"]["id"]
    assert new_id != op.pk
    assert Operation.objects.get(pk=new_id).retry_of_id == op.pk
    assert retry.json()["operation"]["url"].endswith(f"/api/v1/operations/{new_id}/")
    assert api_client_for(viewer_user).post(f"/api/v1/operations/{op.pk}/retry/").status_code == 403


def test_list_page_and_detail_page(client, viewer_user, operator_user, team, sent):
    op = failed(operator_user, team)
    event_append(op, "Creating service demo_web", data={"service": "demo_web", "running": 1, "desired": 2})
    client.force_login(viewer_user)
    page = client.get(reverse("operations:list"))
    assert page.status_code == 200
    assert f'data-operation="{op.pk}"' in page.content.decode()
    detail = client.get(reverse("operations:detail", args=[op.pk])).content.decode()
    assert 'data-status="failed"' in detail
    assert "it broke" in detail
    assert "Creating service demo_web" in detail
    assert 'data-item="demo_web"' in detail
    assert "op-retry" not in detail  # a viewer gets no buttons
    assert "sse-connect" not in detail  # finished: nothing to stream
    client.force_login(operator_user)
    assert "op-retry" in client.get(reverse("operations:detail", args=[op.pk])).content.decode()


def test_running_page_streams_and_cancel_button_posts(client, operator_user, team, sent):
    op = start(operator_user, team)
    client.force_login(operator_user)
    detail = client.get(reverse("operations:detail", args=[op.pk])).content.decode()
    assert f'sse-connect="/operations/{op.pk}/stream/?after=1"' in detail
    assert "op-cancel" in detail
    response = client.post(reverse("operations:cancel", args=[op.pk]))
    assert response.status_code == 302
    assert Operation.objects.get(pk=op.pk).status == Status.CANCELLED


def test_retry_page_redirects_to_the_new_operation(client, operator_user, team, sent):
    op = failed(operator_user, team)
    client.force_login(operator_user)
    response = client.post(reverse("operations:retry", args=[op.pk]))
    new = Operation.objects.get(retry_of=op)
    assert response.status_code == 302
    assert response["Location"] == reverse("operations:detail", args=[new.pk])


def test_stream_under_wsgi_answers_one_snapshot(client, operator_user, team, sent):
    op = start(operator_user, team)
    event_append(op, "step two")
    client.force_login(operator_user)
    response = client.get(reverse("operations:stream", args=[op.pk]), {"after": 1})
    assert response["Content-Type"] == "text/event-stream"
    text = response.content.decode()
    assert text.startswith("retry: 2000")
    assert "event: event\nid: 2\ndata: " in text
    assert "step two" in text
    assert "event: state" in text
    assert 'data-status="pending"' in text
    assert "event: finished" not in text


@pytest.mark.django_db(transaction=True)
def test_stream_under_asgi_sends_events_state_and_finished(operator_user, team, sent):
    from asgiref.sync import async_to_sync

    op = failed(operator_user, team)
    client = AsyncClient()
    client.force_login(operator_user)

    async def read() -> str:
        response = await client.get(reverse("operations:stream", args=[op.pk]))
        assert response.status_code == 200
        chunks = [chunk async for chunk in response.streaming_content]
        return b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks).decode()

    text = async_to_sync(read)()
    assert "Failed: it broke" in text
    assert 'data-status="failed"' in text
    assert text.rstrip().endswith("event: finished\ndata:")


def test_stream_and_live_refuse_outsiders(client, outsider, operator_user, team, sent):
    op = start(operator_user, team)
    client.force_login(outsider)
    assert client.get(reverse("operations:stream", args=[op.pk])).status_code == 404
    assert client.get(reverse("operations:live", args=[op.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("operations:stream", args=[op.pk])).status_code == 302


def test_live_fragment_for_polling(client, operator_user, team, sent):
    op = failed(operator_user, team)
    client.force_login(operator_user)
    text = client.get(reverse("operations:live", args=[op.pk]), {"after": 2}).content.decode()
    assert 'hx-swap-oob="beforeend:#op-log"' in text
    assert "Failed: it broke" in text
    assert 'id="op-poll" hx-swap-oob="true"' in text  # finished: polling stops
